builtins.mapAttrs "" { foo.bar = 1; }
