builtins.catAttrs "foo" { }
