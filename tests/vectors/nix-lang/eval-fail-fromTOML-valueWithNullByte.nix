builtins.fromTOML ''k = "a\u0000b"''
