builtins.genList (x: x + "foo") 2
