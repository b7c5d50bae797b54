builtins.any (_: 1) "foo"
