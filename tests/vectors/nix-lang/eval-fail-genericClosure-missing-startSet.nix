builtins.genericClosure {
  operator = x: [ ];
}
