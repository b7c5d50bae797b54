builtins.bitAnd 1.1 2
