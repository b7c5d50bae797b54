builtins.filterSource [ ] "foo"
