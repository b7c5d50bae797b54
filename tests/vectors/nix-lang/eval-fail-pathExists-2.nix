builtins.pathExists "zorglub"
