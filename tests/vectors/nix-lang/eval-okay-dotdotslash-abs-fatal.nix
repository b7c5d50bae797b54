# Test: ../ relative paths work even when absolute paths are fatal
builtins.isPath ../lang/lang.nix
