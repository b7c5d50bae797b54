builtins.mul "foo" 1
