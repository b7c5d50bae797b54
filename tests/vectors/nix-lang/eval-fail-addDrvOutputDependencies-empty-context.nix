builtins.addDrvOutputDependencies ""
