"${{ __toString = self: ./dir1/a.nix; }}"
