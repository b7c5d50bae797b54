builtins.derivationStrict {
  name = "foo";
  outputs = "out";
  __structuredAttrs = true;
}
