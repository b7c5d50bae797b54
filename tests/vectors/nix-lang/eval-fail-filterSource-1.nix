builtins.filterSource [ ] [ ]
