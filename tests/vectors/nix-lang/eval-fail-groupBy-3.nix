builtins.groupBy (x: x) [
  "foo"
  "bar"
  1
]
