builtins.concatStringsSep 1 { }
