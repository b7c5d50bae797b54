builtins.derivationStrict { name = 1; }
