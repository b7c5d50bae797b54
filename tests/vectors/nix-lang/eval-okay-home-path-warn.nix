builtins.isPath ~/foo
