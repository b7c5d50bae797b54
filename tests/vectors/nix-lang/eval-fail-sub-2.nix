builtins.sub 1 "foo"
