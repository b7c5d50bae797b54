{
  relativePath = builtins.readDir ./this/path/really/should/not/exist;
}
