# Shared by every server: srvos's server profile, disko and sops-nix, and the admins' keys.
{ inputs, ... }:
{
  imports = [
    inputs.srvos.nixosModules.server
    inputs.disko.nixosModules.disko
    inputs.sops-nix.nixosModules.sops
  ];

  users.users.root.openssh.authorizedKeys.keyFiles = [ ../../users/alice/authorized_keys ];

  sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
}
