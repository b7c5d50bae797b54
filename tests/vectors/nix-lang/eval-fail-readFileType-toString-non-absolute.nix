builtins.readFileType { __toString = self: "not-absolute"; }
