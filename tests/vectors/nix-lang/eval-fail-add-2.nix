builtins.add 1 "foo"
