builtins.readDir ./readDir
