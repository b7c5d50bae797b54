builtins.groupBy (_: 1) "foo"
