let {
  body = x;
  x = y;
  y = x;
}
