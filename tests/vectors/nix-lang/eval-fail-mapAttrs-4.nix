builtins.mapAttrs (x: y: x + 1) { foo.bar = 1; }
