builtins.zipAttrsWith [ ] [ 1 ]
