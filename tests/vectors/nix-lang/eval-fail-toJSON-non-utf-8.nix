builtins.toJSON "_invalid UTF-8: ÿ_"
