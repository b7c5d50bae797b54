builtins.fetchurl "https://example.com/~wiggle~"
