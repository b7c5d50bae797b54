builtins.all (_: 1) "foo"
