builtins.fromTOML ''attr = 9223372036854775808''
