builtins.getEnv [ ]
