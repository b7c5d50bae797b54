builtins.removeAttrs "" [ "1" ]
