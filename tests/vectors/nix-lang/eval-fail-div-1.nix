builtins.div "foo" 1
