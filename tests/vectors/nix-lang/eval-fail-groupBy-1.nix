builtins.groupBy 1 "foo"
