builtins.sub "foo" 1
