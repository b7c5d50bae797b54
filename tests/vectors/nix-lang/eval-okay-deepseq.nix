builtins.deepSeq (
  let
    as = {
      x = 123;
      y = as;
    };
  in
  as
) 456
