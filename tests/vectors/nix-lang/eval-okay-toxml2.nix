builtins.toXML [
  ("a" + "b")
  10
  (rec {
    x = "x";
    y = x;
  })
]
