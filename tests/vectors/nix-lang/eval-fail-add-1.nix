builtins.add "foo" 1
