{
  services.ssh = { enable = true; };
  services.ssh.port = 23;
}
