{ pkgs, perSystem }:
pkgs.mkShell {
  packages = [
    pkgs.nixos-anywhere
    perSystem.self.nixpilot or pkgs.hello
  ];
}
