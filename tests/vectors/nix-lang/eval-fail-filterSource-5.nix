builtins.filterSource (_: _: 1) ./.
