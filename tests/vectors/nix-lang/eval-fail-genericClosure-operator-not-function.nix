builtins.genericClosure {
  startSet = [ { key = 1; } ];
  operator = "not a function";
}
