builtins.genericClosure {
  startSet = "not a list";
  operator = x: [ ];
}
