builtins.split 1 { }
