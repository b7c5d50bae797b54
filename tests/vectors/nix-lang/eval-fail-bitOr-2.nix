builtins.bitOr 1 2.2
