{ flake, inputs, ... }:
let
  uplink = "10-uplink";
  address = "2001:db8:1234::2/64";
in
{
  imports = [
    flake.nixosModules.server
    inputs.srvos.nixosModules.hardware-hetzner-online-amd
    ./disko.nix
  ];

  nixpkgs.hostPlatform = "x86_64-linux";
  networking.hostName = "web1";
  systemd.network.networks.${uplink}.networkConfig.Address = address;

  boot.loader.grub = {
    enable = true;
    efiSupport = true;
    efiInstallAsRemovable = true;
  };

  services.nginx = {
    enable = true;
    virtualHosts."web1.example.org".root = "/var/www";
  };
  networking.firewall.allowedTCPPorts = [ 80 443 ];

  system.stateVersion = "25.05";
}
