builtins.any 1 "foo"
