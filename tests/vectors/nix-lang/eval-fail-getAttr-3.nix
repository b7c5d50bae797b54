builtins.getAttr "foo" { }
