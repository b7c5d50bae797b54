builtins.genericClosure {
  startSet = [
    { key = 1; }
    { key = "string"; }
  ];
  operator = x: [ ];
}
