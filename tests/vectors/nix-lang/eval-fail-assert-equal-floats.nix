assert { b = 1.0; } == { b = 1.01; };
abort "unreachable"
