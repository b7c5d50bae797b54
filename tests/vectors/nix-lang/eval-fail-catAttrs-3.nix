builtins.catAttrs "foo" [ 1 ]
