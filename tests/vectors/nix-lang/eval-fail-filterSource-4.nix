builtins.filterSource (_: 1) ./.
