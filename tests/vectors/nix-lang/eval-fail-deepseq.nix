builtins.deepSeq { x = abort "foo"; } 456
