builtins.listToAttrs [ { name = "foo"; } ]
