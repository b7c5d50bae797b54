(builtins.derivationStrict {
  name = "eval-okay-derivation-legacy";
  system = "x86_64-linux";
  builder = "/dontcare";
  __structuredAttrs = true;
  allowedReferences = [ ];
  disallowedReferences = [ ];
  allowedRequisites = [ ];
  disallowedRequisites = [ ];
  maxSize = 1234;
  maxClosureSize = 12345;
}).out
