builtins.readFileType { __toString = "not a function"; }
