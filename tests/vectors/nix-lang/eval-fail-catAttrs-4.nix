builtins.catAttrs "foo" [
  { foo = 1; }
  1
  { bar = 5; }
]
