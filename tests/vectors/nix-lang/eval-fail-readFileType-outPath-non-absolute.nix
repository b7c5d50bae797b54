builtins.readFileType { outPath = "not-absolute"; }
