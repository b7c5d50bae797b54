builtins.fetchurl {
  url = "https://example.com/foo.tar.gz";
  name = "~wobble~";
}
