toString { __toString = self: ./dir1/a.nix; }
