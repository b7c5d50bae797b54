let
  a = 4294967297;
in
a * a * a
