builtins.derivationStrict {
  name = "foo";
  builder = 1;
  __ignoreNulls = 15;
}
