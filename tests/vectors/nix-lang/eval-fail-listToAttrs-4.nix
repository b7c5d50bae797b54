builtins.listToAttrs [ { name = 1; } ]
