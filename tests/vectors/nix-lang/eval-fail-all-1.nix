builtins.all 1 "foo"
