{
  services.ssh.port = 22;
  services.ssh.port = 23;
}
