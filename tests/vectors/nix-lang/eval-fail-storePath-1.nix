builtins.storePath true
