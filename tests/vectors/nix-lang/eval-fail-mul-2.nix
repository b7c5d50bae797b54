builtins.mul 1 "foo"
