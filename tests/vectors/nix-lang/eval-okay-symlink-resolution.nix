import symlink-resolution/foo/overlays/overlay.nix
