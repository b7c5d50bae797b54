builtins.derivationStrict {
  name = "foo";
  builder = 1;
  __structuredAttrs = 15;
}
