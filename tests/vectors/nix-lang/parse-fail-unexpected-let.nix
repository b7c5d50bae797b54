a.let
