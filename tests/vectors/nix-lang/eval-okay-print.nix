with builtins;
trace
  [ (1 + 1) ]
  [
    null
    toString
    (deepSeq "x")
    (a: a)
    (
      let
        x = [ x ];
      in
      x
    )
  ]
