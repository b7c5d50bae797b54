{
  services.ssh.port = 23;
  services.ssh = { enable = true; };
}
