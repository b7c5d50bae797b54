# https://github.com/NixOS/nix/issues/6562
# Note that this file must not end with a newline.
a 1"$