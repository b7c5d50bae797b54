let {
  x = "foo";
  y = "bar";
  body = x + y;
}
