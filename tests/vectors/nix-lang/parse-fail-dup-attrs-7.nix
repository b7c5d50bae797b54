rec {

  x = 1;

  as = {
    inherit x;
    inherit x;
  };
}