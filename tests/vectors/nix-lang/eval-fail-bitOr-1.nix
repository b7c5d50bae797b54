builtins.bitOr 1.1 2
