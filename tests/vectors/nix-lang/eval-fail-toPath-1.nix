builtins.toPath [ ]
