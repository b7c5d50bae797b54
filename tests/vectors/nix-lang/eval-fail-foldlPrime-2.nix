builtins.foldl' (_: 1) "foo" true
