builtins.fetchTree {
  type = "file";
  url = "file://eval-fail-fetchTree-negative.nix";
  owner = -1;
}
