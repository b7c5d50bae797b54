builtins.fetchurl { url = "https://example.com/~wiggle~"; }
