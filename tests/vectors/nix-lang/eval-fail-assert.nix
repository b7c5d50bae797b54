let {
  x =
    arg:
    assert arg == "y";
    123;

  body = x "x";
}
