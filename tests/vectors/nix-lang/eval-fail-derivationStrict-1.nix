builtins.derivationStrict ""
