derivation {
  name = "~jiggle~";
  system = "some-system";
  builder = "/dontcare";
}
