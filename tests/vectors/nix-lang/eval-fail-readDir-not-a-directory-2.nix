{
  symlinkedRegularFile = builtins.readDir ./readDir/linked;
}
