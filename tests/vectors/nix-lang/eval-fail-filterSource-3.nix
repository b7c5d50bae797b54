builtins.filterSource [ ] ./.
