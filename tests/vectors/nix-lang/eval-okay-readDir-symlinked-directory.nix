builtins.readDir ./readDir/ldir
