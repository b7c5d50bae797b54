//! `nixpilot install`: check the rescue system (its key accepted by fingerprint, the disks disko
//! names, memory for kexec, the architecture), hand nixos-anywhere the host key decrypted into
//! a private temp tree, wait for the installed system to answer with its pinned key, record it.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::scaffold::host::HOST_KEY_SECRET;
use crate::scaffold::host_key::{parse_public_line, HostKey};
use crate::scaffold::{templates, Plan};
use crate::secrets::commands;

use super::cancel::SecretPaths;
use super::process::{self, Cmd};
use super::repo::{DiskDevice, HostPlan, Repo};
use super::ssh::{self, fingerprint_of, ConnectError, HostKeyCheck, PinnedKey, Ssh, SshConfig, Target};
use super::{Context, Event, Pipeline, PipelineError, Step};

/// How a run is configured (from the command line or an editor action).
pub struct InstallOptions {
    pub repo: PathBuf,
    pub identity: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// `--accept-rescue-key SHA256:…`; without it the sink is asked (terminal, editor).
    pub accept_rescue_key: Option<String>,
    /// How long to wait for the installed system to answer after nixos-anywhere reboots it.
    pub wait_timeout: Duration,
    /// Arguments handed to nixos-anywhere as they are (`-- --build-on remote`).
    pub extra_args: Vec<String>,
    /// Decrypts the host key (identities from the environment, `.sops.yaml` from the repo).
    pub secrets: commands::Context,
    /// Write `hosts/<h>/deploy.toml` with the target when the host has none.
    pub record_target: bool,
}

/// What the install steps share.
#[derive(Default)]
pub struct InstallState {
    /// The rescue system's key, as accepted.
    pub rescue_fingerprint: Option<String>,
    /// The directory handed to `nixos-anywhere --extra-files`.
    pub extra_files: Option<PathBuf>,
    /// What the installed host runs (`/run/current-system`).
    pub system: Option<String>,
    /// Files written into the repository at the end.
    pub written: Vec<String>,
}

/// The install pipeline of one host. `repo` gives the disks and the platform to check.
pub fn pipeline(plan: &HostPlan, repo: &Repo, opts: &InstallOptions) -> Pipeline<InstallState> {
    let ssh = plan.ssh_config(opts.identity.clone(), opts.connect_timeout);
    Pipeline {
        steps: vec![
            Box::new(Preflight {
                ssh: ssh.clone(),
                disks: repo.disks(&plan.name),
                platform: repo.host_platform(&plan.name),
                accept: opts.accept_rescue_key.clone(),
            }),
            Box::new(ExtraFiles {
                secrets_file: repo
                    .root
                    .join(crate::scaffold::sops_rules::host_secrets_path(&plan.name)),
                secrets: opts.secrets.clone(),
                pinned: plan.pinned.clone(),
            }),
            Box::new(NixosAnywhere {
                host: plan.name.clone(),
                repo: repo.root.clone(),
                target: plan.target.clone(),
                identity: opts.identity.clone(),
                extra_args: opts.extra_args.clone(),
            }),
            Box::new(WaitForHost {
                ssh,
                timeout: opts.wait_timeout,
            }),
            Box::new(Record {
                repo: repo.root.clone(),
                host: plan.name.clone(),
                target: plan.target.clone(),
                pinned: plan.pinned.clone(),
                deploy_toml: (opts.record_target && plan.target_source == "--target")
                    .then(|| format!("hosts/{}/deploy.toml", plan.name)),
            }),
        ],
        // Nothing to undo: once nixos-anywhere ran, the old system is gone.
        recover: None,
    }
}

/// Step 1: the rescue system, before anything is wiped. Its key is unknown to the repository:
/// the fingerprint must be accepted (flag or question); then the disks disko formats must be
/// there, the memory must be enough for kexec and the CPU must be the host's platform.
struct Preflight {
    ssh: SshConfig,
    disks: Vec<DiskDevice>,
    platform: Option<(String, String)>,
    accept: Option<String>,
}

impl Step<InstallState> for Preflight {
    fn name(&self) -> &str {
        "preflight"
    }
    fn describe(&self) -> Vec<String> {
        let accept = match &self.accept {
            Some(fp) => format!("accept only {fp} (--accept-rescue-key)"),
            None => "ask to accept its fingerprint".into(),
        };
        let mut out = vec![
            format!("ssh {}: read the rescue system's host key; {accept}", self.ssh.target),
            format!(
                "ssh {} uname -m (the host is {})",
                self.ssh.target,
                match &self.platform {
                    Some((p, _)) => p.as_str(),
                    None => "of an unknown platform",
                }
            ),
            format!(
                "ssh {} cat /proc/meminfo (kexec needs {} MiB)",
                self.ssh.target,
                MIN_KEXEC_MEMORY >> 20
            ),
        ];
        let disks: Vec<String> = self
            .disks
            .iter()
            .map(|d| d.device.clone().unwrap_or_else(|| format!("<computed {}>", d.name)))
            .collect();
        out.push(format!(
            "ssh {} lsblk -dn -o NAME: the disks disko formats are there ({})",
            self.ssh.target,
            if disks.is_empty() {
                "none found".into()
            } else {
                disks.join(", ")
            }
        ));
        out
    }
    fn run(&self, state: &mut InstallState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let err = |message: String| PipelineError::Host {
            host: cx.host.clone(),
            message,
        };
        // Before any connection: a device path goes into remote commands and decides what is erased.
        for d in &self.disks {
            if let Some(device) = &d.device {
                check_device_path(device).map_err(|why| {
                    err(format!(
                        "disko.devices.disk.{} ({}): {why}; nothing was run",
                        d.name, d.defined_at
                    ))
                })?;
            }
        }
        let presented = ssh::probe_host_key(&self.ssh).map_err(|e| match e {
            ConnectError::HostKey { .. } => err(format!(
                "{} offers no ssh-ed25519 host key; nixpilot checks rescue systems by their ed25519 key",
                self.ssh.target
            )),
            e => ssh::connect_error(&self.ssh, e),
        })?;
        let fingerprint = fingerprint_of(&presented);
        let accepted = self.accept.as_deref().map(str::trim);
        let is_pinned = parse_public_line(&self.ssh.pinned.key)
            .is_some_and(|k| presented.key_data().ed25519().is_some_and(|p| p.0 == k));
        if is_pinned && accepted != Some(fingerprint.as_str()) {
            return Err(err(format!(
                "{} already presents the host's own key ({}): it runs the installed system. \
                 Use `nixpilot deploy {}` to change it; to erase its disks and install again, pass --accept-rescue-key {fingerprint}",
                self.ssh.target, self.ssh.pinned.file, cx.host
            )));
        }
        cx.emit(Event::Progress {
            message: format!("the rescue system at {} presents {fingerprint}", self.ssh.target),
        });
        let asked = accepted.is_none()
            && cx.ask(&format!(
                "{} presents the SSH host key {fingerprint}. Is that the rescue system's key (compare it on your provider's console)? \
                 Installing ERASES the disks disko formats.",
                self.ssh.target
            ));
        if !asked {
            check_rescue_key(&fingerprint, accepted).map_err(err)?;
        }
        state.rescue_fingerprint = Some(fingerprint.clone());

        let rescue = Ssh::accepting(self.ssh.clone(), &fingerprint);
        let bound = Some(self.ssh.connect_timeout + Duration::from_secs(10));
        let first_line = |out: &process::Finished| {
            out.stdout
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string()
        };

        if let Some((platform, at)) = &self.platform {
            let machine = first_line(&rescue.run_ok(&["uname", "-m"], bound, cx)?);
            let wanted = platform.split('-').next().unwrap_or_default();
            if !wanted.is_empty() && machine != wanted {
                return Err(err(format!(
                    "the host is built for {platform} (nixpkgs.hostPlatform, {at}) but the rescue system's CPU is {machine}; \
                     fix nixpkgs.hostPlatform or install on the right machine"
                )));
            }
        }

        let meminfo = rescue.run_ok(&["cat", "/proc/meminfo"], bound, cx)?.stdout.join("\n");
        let total = check_memory(&meminfo).map_err(err)?;
        cx.emit(Event::Progress {
            message: format!("memory: {} MiB", total >> 20),
        });

        let listed = rescue
            .run_ok(&["lsblk", "-dn", "-o", "NAME"], bound, cx)?
            .stdout
            .join("\n");
        let devices: Vec<String> = self.disks.iter().filter_map(|d| d.device.clone()).collect();
        let mut missing = missing_disks(&listed, &devices);
        // Stable names (/dev/disk/by-id/…) are not in lsblk's list of kernel names: ask lsblk
        // about each path; it fails for one that does not exist.
        for d in devices.iter().filter(|d| !is_kernel_name(d)) {
            if !rescue
                .run(&["lsblk", "-dn", "-o", "NAME", "--", d], bound, cx)?
                .success()
            {
                missing.push(d.clone());
            }
        }
        for d in self.disks.iter().filter(|d| d.device.is_none()) {
            cx.emit(Event::Progress {
                message: format!(
                    "disk {} ({}): its device is computed, not checked",
                    d.name, d.defined_at
                ),
            });
        }
        if !missing.is_empty() {
            let lines: Vec<String> = self
                .disks
                .iter()
                .filter(|d| d.device.as_ref().is_some_and(|dev| missing.contains(dev)))
                .map(|d| {
                    format!(
                        "{} (disko.devices.disk.{}, {})",
                        d.device.as_deref().unwrap_or(""),
                        d.name,
                        d.defined_at
                    )
                })
                .collect();
            let present: Vec<&str> = listed.split_whitespace().collect();
            return Err(err(format!(
                "the rescue system has no disk {}; it has: {}. Nothing was erased; fix the device in the disko configuration",
                lines.join(", "),
                if present.is_empty() { "none".to_string() } else { present.join(", ") }
            )));
        }
        cx.emit(Event::Progress {
            message: if devices.is_empty() {
                "no disko disks to check".into()
            } else {
                format!("disks present: {}", devices.join(", "))
            },
        });
        rescue.disconnect();
        Ok(())
    }
}

/// A disko device as the preflight accepts it: an absolute path under `/dev/` of letters,
/// digits and `._-+:@/` (what kernel names and `/dev/disk/by-*` links use), no `..`. Anything
/// else (`#/dev/sda`, `--help`, a space) would be read by the remote shell or by lsblk as
/// something other than a path.
pub fn check_device_path(device: &str) -> Result<(), String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "._-+:@/".contains(c);
    let ok = device.strip_prefix("/dev/").is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(safe) && !rest.split('/').any(|p| p.is_empty() || p == "..")
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "device `{}` is not a device path like /dev/sda or /dev/disk/by-id/…",
            device.escape_debug()
        ))
    }
}

fn is_kernel_name(device: &str) -> bool {
    device.strip_prefix("/dev/").is_some_and(|n| !n.contains('/'))
}

/// Step 2: decrypts the host key into a private temp tree laid out as the target's root:
/// `etc/ssh/ssh_host_ed25519_key` (0600, trailing newline kept) under `etc/` and `etc/ssh/`
/// (0755, the modes nixos-anywhere copies onto /mnt), in a 0700 directory. The key must be
/// the pinned `.pub`'s private half, or the installed host would be refused afterwards. The tree
/// is removed by the pipeline's cleanups on success, failure and Ctrl-C.
pub struct ExtraFiles {
    pub secrets_file: PathBuf,
    pub secrets: commands::Context,
    pub pinned: PinnedKey,
}

impl Step<InstallState> for ExtraFiles {
    fn name(&self) -> &str {
        "extra-files"
    }
    fn describe(&self) -> Vec<String> {
        vec![format!(
            "decrypt {HOST_KEY_SECRET} from {} into a private temp dir as etc/ssh/{HOST_KEY_SECRET} (0600), removed afterwards",
            self.secrets_file.display()
        )]
    }
    fn run(&self, state: &mut InstallState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let err = |message: String| PipelineError::Host {
            host: cx.host.clone(),
            message,
        };
        let key = commands::get(&self.secrets, &self.secrets_file, HOST_KEY_SECRET).map_err(|e| err(e.to_string()))?;
        let public = HostKey::from_openssh(&key, "")
            .map_err(|e| err(format!("{HOST_KEY_SECRET} in {}: {e}", self.secrets_file.display())))?;
        if parse_public_line(&self.pinned.key) != Some(*public.public_bytes()) {
            return Err(err(format!(
                "{HOST_KEY_SECRET} in {} is not the private half of {}: the installed host would present another key. \
                 Run `nixpilot bootstrap {}` to see which one is right",
                self.secrets_file.display(),
                self.pinned.file,
                cx.host
            )));
        }
        let dir = tempfile::Builder::new()
            .prefix("nixpilot-install-")
            .tempdir()
            .map_err(|e| err(format!("cannot make a temporary directory: {e}")))?;
        let root = dir.path().to_path_buf();
        // Known to a second Ctrl-C too, which removes them if this cleanup is cut short.
        let mut emergency = SecretPaths::new();
        for p in [
            root.join("etc/ssh").join(HOST_KEY_SECRET),
            root.join("etc/ssh"),
            root.join("etc"),
            root.clone(),
        ] {
            emergency.add(&p);
        }
        // Registered before anything secret is written, so every exit path removes it.
        cx.on_cleanup(move || {
            drop(dir);
            drop(emergency);
        });
        write_tree(&root, &key).map_err(|e| err(format!("cannot write the extra files in {}: {e}", root.display())))?;
        state.extra_files = Some(root);
        Ok(())
    }
}

fn write_tree(root: &Path, key: &[u8]) -> std::io::Result<()> {
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))?;
    let ssh = root.join("etc/ssh");
    std::fs::DirBuilder::new().recursive(true).mode(0o755).create(&ssh)?;
    // DirBuilder's mode passes through the umask; nixos-anywhere copies these modes onto /mnt.
    for d in [root.join("etc"), ssh.clone()] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(ssh.join(HOST_KEY_SECRET))?;
    file.write_all(key)?;
    // OpenSSH refuses a private key without its final newline.
    if !key.ends_with(b"\n") {
        file.write_all(b"\n")?;
    }
    file.sync_all()
}

/// Step 3: nixos-anywhere itself (kexec, disko, install, reboot), its output streamed and its
/// `### phase ###` lines shown as progress.
struct NixosAnywhere {
    host: String,
    repo: PathBuf,
    target: Target,
    identity: Option<PathBuf>,
    extra_args: Vec<String>,
}

impl NixosAnywhere {
    fn cmd(&self, extra_files: &str) -> Cmd {
        let mut args = vec![
            "--flake".to_string(),
            format!(".#{}", self.host),
            "--extra-files".into(),
            extra_files.into(),
        ];
        if let Some(id) = &self.identity {
            args.extend(["-i".to_string(), id.display().to_string()]);
        }
        if let Some(port) = self.target.port {
            args.extend(["-p".to_string(), port.to_string()]);
        }
        args.extend(self.extra_args.iter().cloned());
        args.extend(["--target-host".to_string(), self.target.user_host()]);
        let mut cmd = Cmd::new("nixos-anywhere", args);
        cmd.dir = Some(self.repo.clone());
        cmd.phase = Some(nixos_anywhere_phase);
        cmd
    }
}

/// `### Installing NixOS ###` → `Installing NixOS`.
fn nixos_anywhere_phase(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix("###")?.strip_suffix("###")?.trim();
    (!inner.is_empty()).then(|| inner.to_string())
}

impl Step<InstallState> for NixosAnywhere {
    fn name(&self) -> &str {
        "nixos-anywhere"
    }
    fn describe(&self) -> Vec<String> {
        vec![
            self.cmd("<extra-files>").line(),
            "(erases the disks, installs, reboots)".into(),
        ]
    }
    fn run(&self, state: &mut InstallState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let dir = state.extra_files.as_ref().ok_or_else(|| PipelineError::Host {
            host: cx.host.clone(),
            message: "internal: no extra files prepared".into(),
        })?;
        process::run_ok(&self.cmd(&dir.display().to_string()), cx)?;
        Ok(())
    }
}

/// How often the returning host is tried.
const WAIT_EVERY: Duration = Duration::from_secs(2);

/// Step 4: the rebooted host must answer with its pinned key and let us log in.
struct WaitForHost {
    ssh: SshConfig,
    timeout: Duration,
}

impl Step<InstallState> for WaitForHost {
    fn name(&self) -> &str {
        "wait"
    }
    fn describe(&self) -> Vec<String> {
        vec![format!(
            "wait up to {}s for {} to answer with the pinned key {} ({}), then ssh … readlink -f /run/current-system",
            self.timeout.as_secs(),
            self.ssh.target,
            self.ssh.pinned.fingerprint(),
            self.ssh.pinned.file
        )]
    }
    fn run(&self, state: &mut InstallState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let started = Instant::now();
        let mut last_key: Option<String> = None;
        let mut said_waiting = false;
        loop {
            if cx.cancel.is_set() {
                return Err(PipelineError::Interrupted);
            }
            let last_error = match ssh::connect(&self.ssh, HostKeyCheck::Pinned(self.ssh.pinned.clone())) {
                Ok(connection) => {
                    drop(connection);
                    break;
                }
                Err(ConnectError::HostKey { presented }) => {
                    let fp = presented.as_deref().map(fingerprint_of);
                    if fp != last_key {
                        cx.emit(Event::Progress {
                            message: format!(
                                "{} still answers with {}, not the pinned key; waiting for the reboot",
                                self.ssh.target,
                                fp.as_deref().unwrap_or("another key type")
                            ),
                        });
                        last_key = fp;
                    }
                    ConnectError::HostKey { presented }
                }
                // The pinned key answered but no key of ours is let in: waiting will not help.
                Err(e @ (ConnectError::Login(_) | ConnectError::Identity(_))) => {
                    return Err(PipelineError::Host {
                        host: cx.host.clone(),
                        message: format!(
                            "the installed system presents its pinned key but {e}; give root your key in \
                             users.users.root.openssh.authorizedKeys"
                        ),
                    })
                }
                Err(e) => {
                    if !said_waiting {
                        cx.emit(Event::Progress {
                            message: format!("waiting for {} to come back ({e})", self.ssh.target),
                        });
                        said_waiting = true;
                    }
                    e
                }
            };
            if started.elapsed() > self.timeout {
                return Err(match last_error {
                    e @ ConnectError::HostKey { .. } => ssh::connect_error(&self.ssh, e),
                    e => PipelineError::Host {
                        host: cx.host.clone(),
                        message: format!(
                            "{} did not come back with its pinned key within {}s (last: {e}); nixos-anywhere finished, \
                             so look at the machine's console",
                            self.ssh.target,
                            self.timeout.as_secs()
                        ),
                    },
                });
            }
            let wait_until = Instant::now() + WAIT_EVERY;
            while Instant::now() < wait_until && !cx.cancel.is_set() {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let ssh = Ssh::accepting(self.ssh.clone(), &self.ssh.pinned.fingerprint());
        let bound = Some(self.ssh.connect_timeout + Duration::from_secs(10));
        let out = ssh.run_ok(&["readlink", "-f", "/run/current-system"], bound, cx)?;
        let system = out
            .stdout
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .map(str::to_string);
        cx.emit(Event::Progress {
            message: format!(
                "back with the pinned key {}; it runs {}",
                self.ssh.pinned.fingerprint(),
                system.as_deref().unwrap_or("an unknown system")
            ),
        });
        ssh.disconnect();
        state.system = system;
        Ok(())
    }
}

/// The project-local known_hosts file `install` keeps up to date.
pub const KNOWN_HOSTS: &str = "known_hosts";

/// Step 5: the repository remembers the host: a `known_hosts` line at its root (for `ssh -o
/// UserKnownHostsFile=known_hosts` and other tools) and, when the target came from `--target`
/// and the host has none, `hosts/<h>/deploy.toml` so `nixpilot deploy <h>` finds it.
struct Record {
    repo: PathBuf,
    host: String,
    target: Target,
    pinned: PinnedKey,
    deploy_toml: Option<String>,
}

impl Step<InstallState> for Record {
    fn name(&self) -> &str {
        "record"
    }
    fn describe(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{KNOWN_HOSTS}: `{} {}`",
            known_hosts_pattern(&self.target),
            self.pinned.key
        )];
        if let Some(p) = &self.deploy_toml {
            out.push(format!(
                "{p}: deployment.targetHost = \"{}\" (if the file does not exist)",
                self.target
            ));
        }
        out
    }
    fn run(&self, state: &mut InstallState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let err = |message: String| PipelineError::Host {
            host: cx.host.clone(),
            message,
        };
        let path = self.repo.join(KNOWN_HOSTS);
        // Read like every repository file: a link out of the repository is not followed.
        let old = match nixpilot_lint::vfs::read_confined(&self.repo, KNOWN_HOSTS, 16 << 20) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| err(format!("{}: not valid UTF-8", path.display())))?,
            Err(nixpilot_lint::vfs::Unread::Missing) => String::new(),
            Err(why) => return Err(err(format!("cannot read {}: {why}", path.display()))),
        };
        let mut plan = Plan {
            root: self.repo.clone(),
            ..Plan::default()
        };
        let new = upsert_known_host(&old, &known_hosts_pattern(&self.target), &self.pinned.key, &self.host);
        if new != old {
            plan.add(KNOWN_HOSTS, new, 0o644, format!("{}'s pinned host key", self.host));
        }
        if let Some(p) = &self.deploy_toml {
            if !self.repo.join(p).exists() {
                plan.add(
                    p,
                    templates::deploy_toml(&self.host, &self.target.to_string(), "nixpilot install"),
                    0o644,
                    "the install target, for deploy",
                );
            }
        }
        if plan.is_empty() {
            return Ok(());
        }
        let warnings = plan.apply().map_err(|e| err(e.to_string()))?;
        for line in plan.describe(true).lines().chain(warnings.iter().map(String::as_str)) {
            cx.emit(Event::Progress {
                message: line.to_string(),
            });
        }
        state.written = plan.files.iter().map(|f| f.path.clone()).collect();
        Ok(())
    }
}

/// How ssh looks a target up in known_hosts: `addr`, or `[addr]:port` off port 22.
pub fn known_hosts_pattern(target: &Target) -> String {
    match target.port {
        Some(p) if p != 22 => format!("[{}]:{p}", target.host),
        _ => target.host.clone(),
    }
}

/// `text` with the lines for `pattern` replaced by one line for `key` (other lines, comments
/// and hashed entries kept as they are).
pub fn upsert_known_host(text: &str, pattern: &str, key: &str, host: &str) -> String {
    let mut out = String::new();
    let mut replaced = false;
    let line = format!("{pattern} {key} {host}\n");
    for l in text.lines() {
        let names = l.split_whitespace().next().unwrap_or("");
        let ours = !l.trim_start().starts_with('#') && names.split(',').any(|n| n == pattern);
        if ours {
            if !replaced {
                out.push_str(&line);
                replaced = true;
            }
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    if !replaced {
        out.push_str(&line);
    }
    out
}

/// Memory the rescue system needs for nixos-anywhere's kexec into the NixOS installer: the
/// installer image is unpacked into RAM, so below about 1.5 GiB the kexec phase fails.
pub const MIN_KEXEC_MEMORY: u64 = 3 * 1024 * 1024 * 1024 / 2;

/// The rescue system's key is unknown before install: the fingerprint it showed in the handshake must be
/// the one the user accepted with `--accept-rescue-key`. The error says which flag to add.
pub fn check_rescue_key(presented: &str, accepted: Option<&str>) -> Result<(), String> {
    match accepted {
        Some(a) if a.trim() == presented => Ok(()),
        Some(a) => Err(format!(
            "the rescue system presents {presented}, not the accepted {}; check it on the provider's console, then pass --accept-rescue-key {presented}",
            a.trim()
        )),
        None => Err(format!(
            "the rescue system presents the key {presented}; if that is its key (check the provider's console), add --accept-rescue-key {presented}"
        )),
    }
}

/// The disks `disko.nix` names (`/dev/sda`, `/dev/nvme0n1`) that `lsblk -dn -o NAME` did not list.
/// Paths outside `/dev/` directly (`/dev/disk/by-id/…`) are not names lsblk prints and are not
/// checked here.
pub fn missing_disks(lsblk: &str, wanted: &[String]) -> Vec<String> {
    let present: Vec<&str> = lsblk.split_whitespace().collect();
    wanted
        .iter()
        .filter(|d| match d.strip_prefix("/dev/") {
            Some(name) if !name.contains('/') => !present.contains(&name),
            _ => false,
        })
        .cloned()
        .collect()
}

/// `MemTotal` from `/proc/meminfo`, in bytes.
pub fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// Refuses less memory than [`MIN_KEXEC_MEMORY`].
pub fn check_memory(meminfo: &str) -> Result<u64, String> {
    let total = mem_total(meminfo).ok_or("cannot read MemTotal from /proc/meminfo")?;
    if total < MIN_KEXEC_MEMORY {
        return Err(format!(
            "the rescue system has {} MiB of memory; nixos-anywhere's kexec needs at least {} MiB",
            total / (1024 * 1024),
            MIN_KEXEC_MEMORY / (1024 * 1024)
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::*;
    use crate::pipeline::{Cancel, Event, EventSink, Pipeline};
    use crate::secrets::IdentityEnv;

    const IDENTITY: &str = "AGE-SECRET-KEY-1D88T3T22862F5SWX0V7M7CG9Q5T9FA90CCN9NVLJRCQATZ3WGL3QMR7CN4";
    const RECIPIENT: &str = "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs";

    struct Quiet;
    impl EventSink for Quiet {
        fn event(&self, _: &str, _: &Event) {}
    }

    /// Checks the tree, then fails as nixos-anywhere might (its message in the error shows
    /// the checks ran).
    struct Inspect;
    impl Step<InstallState> for Inspect {
        fn name(&self) -> &str {
            "inspect"
        }
        fn describe(&self) -> Vec<String> {
            Vec::new()
        }
        fn run(&self, state: &mut InstallState, cx: &Context<'_>) -> Result<(), PipelineError> {
            let root = state.extra_files.clone().unwrap();
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&root), 0o700);
            assert_eq!(mode(&root.join("etc")), 0o755);
            assert_eq!(mode(&root.join("etc/ssh")), 0o755);
            let key = root.join("etc/ssh").join(HOST_KEY_SECRET);
            assert_eq!(mode(&key), 0o600);
            let text = std::fs::read_to_string(&key).unwrap();
            assert!(
                text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n") && text.ends_with("-----\n"),
                "{text}"
            );
            Err(PipelineError::Host {
                host: cx.host.clone(),
                message: "nixos-anywhere failed".into(),
            })
        }
    }

    /// A repository whose secrets.yaml holds `key` as the host key, readable with IDENTITY.
    fn repo_with_key(key: &[u8]) -> (tempfile::TempDir, commands::Context, PathBuf) {
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(
            repo.path().join(".sops.yaml"),
            format!("creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: {RECIPIENT}\n"),
        )
        .unwrap();
        let ctx = commands::Context {
            cwd: repo.path().to_path_buf(),
            identity_env: IdentityEnv {
                sops_age_key: Some(Zeroizing::new(IDENTITY.to_string())),
                sops_age_key_file: None,
                sops_age_ssh_private_key_file: None,
                xdg_config_home: None,
                home: None,
            },
        };
        let file = repo.path().join("secrets.yaml");
        // Without its final newline, as `sops` keeps block scalars that were written so.
        let key = key.strip_suffix(b"\n").unwrap_or(key);
        commands::set(&ctx, &file, HOST_KEY_SECRET, Zeroizing::new(key.to_vec())).unwrap();
        (repo, ctx, file)
    }

    #[test]
    fn the_key_is_written_with_its_modes_and_removed_when_a_later_step_fails() {
        let key = HostKey::generate("root@web1").unwrap();
        let (_repo, ctx, file) = repo_with_key(key.openssh_private().as_bytes());
        let pipeline = Pipeline {
            steps: vec![
                Box::new(ExtraFiles {
                    secrets_file: file,
                    secrets: ctx,
                    pinned: PinnedKey::parse(&key.public_line(), "hosts/web1/ssh_host_ed25519_key.pub").unwrap(),
                }),
                Box::new(Inspect),
            ],
            recover: None,
        };
        let cancel = Cancel::new();
        let cx = Context::new("web1", &Quiet, &cancel);
        let mut state = InstallState::default();
        let err = pipeline.run(&mut state, &cx).unwrap_err();
        assert!(err.to_string().contains("nixos-anywhere failed"), "{err}");
        let root = state.extra_files.unwrap();
        assert!(!root.exists(), "{} is still there", root.display());
    }

    #[test]
    fn a_key_that_is_not_the_pinned_one_is_refused_before_anything_is_written() {
        let key = HostKey::generate("root@web1").unwrap();
        let other = HostKey::generate("root@web1").unwrap();
        let (_repo, ctx, file) = repo_with_key(key.openssh_private().as_bytes());
        let step = ExtraFiles {
            secrets_file: file,
            secrets: ctx,
            pinned: PinnedKey::parse(&other.public_line(), "hosts/web1/ssh_host_ed25519_key.pub").unwrap(),
        };
        let cancel = Cancel::new();
        let cx = Context::new("web1", &Quiet, &cancel);
        let mut state = InstallState::default();
        let err = step.run(&mut state, &cx).unwrap_err().to_string();
        assert!(
            err.contains("is not the private half of hosts/web1/ssh_host_ed25519_key.pub")
                && err.contains("nixpilot bootstrap web1"),
            "{err}"
        );
        assert!(state.extra_files.is_none());
    }

    #[test]
    fn known_hosts_lines_are_replaced_per_address_and_others_kept() {
        let t = |host: &str, port| Target {
            user: "root".into(),
            host: host.into(),
            port,
        };
        assert_eq!(known_hosts_pattern(&t("203.0.113.10", None)), "203.0.113.10");
        assert_eq!(known_hosts_pattern(&t("203.0.113.10", Some(22))), "203.0.113.10");
        assert_eq!(known_hosts_pattern(&t("2001:db8::1", Some(2222))), "[2001:db8::1]:2222");
        let old = "# kept\nother ssh-ed25519 AAAA1\n203.0.113.10,web1 ssh-ed25519 OLD\n|1|hashed ssh-ed25519 AAAA2\n";
        assert_eq!(
            upsert_known_host(old, "203.0.113.10", "ssh-ed25519 NEW", "web1"),
            "# kept\nother ssh-ed25519 AAAA1\n203.0.113.10 ssh-ed25519 NEW web1\n|1|hashed ssh-ed25519 AAAA2\n"
        );
        assert_eq!(
            upsert_known_host("", "h", "ssh-ed25519 K", "web1"),
            "h ssh-ed25519 K web1\n"
        );
    }

    #[test]
    fn nixos_anywhere_phases_become_progress() {
        assert_eq!(
            nixos_anywhere_phase("### Installing NixOS ###").as_deref(),
            Some("Installing NixOS")
        );
        assert_eq!(nixos_anywhere_phase("copying path '/nix/store/…'"), None);
        assert_eq!(nixos_anywhere_phase("######"), None);
    }

    #[test]
    fn the_rescue_key_must_be_the_accepted_one() {
        assert!(check_rescue_key("SHA256:abc", Some("SHA256:abc")).is_ok());
        let wrong = check_rescue_key("SHA256:abc", Some("SHA256:xyz")).unwrap_err();
        assert!(
            wrong.contains("SHA256:abc") && wrong.contains("--accept-rescue-key SHA256:abc"),
            "{wrong}"
        );
        let none = check_rescue_key("SHA256:abc", None).unwrap_err();
        assert!(none.contains("--accept-rescue-key SHA256:abc"), "{none}");
    }

    #[test]
    fn only_plain_device_paths_pass() {
        for good in [
            "/dev/sda",
            "/dev/nvme0n1",
            "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T",
            "/dev/disk/by-path/pci-0000:00:1f.2-ata-1",
        ] {
            assert_eq!(check_device_path(good), Ok(()), "{good}");
        }
        for bad in [
            "#/dev/nvme9n9",
            "--help",
            "/dev/",
            "/dev/sda #",
            "/dev/sd a",
            "/dev/../etc/passwd",
            "/dev//sda",
            "dev/sda",
            "/dev/sda;reboot",
            "/dev/$(id)",
        ] {
            let e = check_device_path(bad).unwrap_err();
            assert!(e.contains("is not a device path"), "{bad}: {e}");
        }
    }

    #[test]
    fn disks_missing_from_lsblk_are_named() {
        let wanted = vec![
            "/dev/sda".to_string(),
            "/dev/nvme0n1".into(),
            "/dev/disk/by-id/x".into(),
        ];
        assert_eq!(missing_disks("sda\nnvme0n1\n", &wanted), Vec::<String>::new());
        assert_eq!(missing_disks("sda\nloop0\n", &wanted), vec!["/dev/nvme0n1".to_string()]);
    }

    #[test]
    fn memory_below_the_kexec_threshold_is_refused() {
        let two_gib = "MemTotal:        2097152 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total(two_gib), Some(2 * 1024 * 1024 * 1024));
        assert!(check_memory(two_gib).is_ok());
        let one_gib = "MemTotal:        1048576 kB\n";
        let e = check_memory(one_gib).unwrap_err();
        assert!(e.contains("1024 MiB") && e.contains("1536 MiB"), "{e}");
        assert!(check_memory("nothing").is_err());
    }
}
