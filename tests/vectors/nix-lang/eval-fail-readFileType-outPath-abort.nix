builtins.readFileType { outPath = abort "some failure"; }
