builtins.div "foo" 0
