{
  regularFile = builtins.readDir ./readDir/bar;
}
