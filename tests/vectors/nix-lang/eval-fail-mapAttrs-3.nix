builtins.mapAttrs (x: x + "1") { foo.bar = 1; }
