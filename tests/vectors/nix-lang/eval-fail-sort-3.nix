builtins.sort (_: 1) [
  "foo"
  "bar"
]
