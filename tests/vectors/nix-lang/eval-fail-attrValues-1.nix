builtins.attrValues [ ]
