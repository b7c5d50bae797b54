assert
  {
    a = true;
  } == {
    a = true;
    b = true;
  };
throw "unreachable"
