"${{ __toString = "not a function"; }}"
