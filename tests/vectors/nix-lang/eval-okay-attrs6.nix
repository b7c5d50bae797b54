rec {
  "${"foo"}" = "bar";
  __overrides = {
    bar = "qux";
  };
}
