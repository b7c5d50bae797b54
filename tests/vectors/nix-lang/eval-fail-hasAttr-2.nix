builtins.hasAttr "foo" [ ]
