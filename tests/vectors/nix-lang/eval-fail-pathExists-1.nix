builtins.pathExists [ ]
