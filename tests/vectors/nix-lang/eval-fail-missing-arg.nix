(
  {
    x,
    y,
    z,
  }:
  x + y + z
)
  {
    x = "foo";
    z = "bar";
  }
