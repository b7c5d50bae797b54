builtins.replaceStrings [ "oo" ] [ true ] "foo"
