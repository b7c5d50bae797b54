builtins.compareVersions 1 { }
