builtins.stringLength { }
