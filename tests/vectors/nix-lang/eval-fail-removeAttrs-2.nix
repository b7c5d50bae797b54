builtins.removeAttrs "" [ 1 ]
