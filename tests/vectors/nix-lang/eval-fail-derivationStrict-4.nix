builtins.derivationStrict { name = "foo"; }
