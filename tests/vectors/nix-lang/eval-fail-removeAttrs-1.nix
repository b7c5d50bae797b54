builtins.removeAttrs "" ""
