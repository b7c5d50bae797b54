//! Steps of `nixpilot install` (issue 7, not wired to a command yet): the `--extra-files` tree
//! with the host's decrypted SSH key, which exists only while the install runs, and the
//! preflight checks on the rescue system's answers (accepted key, disks, memory for kexec).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::secrets::commands;

use super::ssh::PinnedKey;
use super::{Context, PipelineError, Step};

/// The secret under which `host add`/`bootstrap` keep the host's private key.
pub const HOST_KEY_SECRET: &str = "ssh_host_ed25519_key";

/// What the install steps share.
#[derive(Default)]
pub struct InstallState {
    /// The directory handed to `nixos-anywhere --extra-files`.
    pub extra_files: Option<PathBuf>,
}

/// Decrypts the host key into a private temp tree laid out as the target's root:
/// `etc/ssh/ssh_host_ed25519_key` (0600, trailing newline kept) under `etc/` and `etc/ssh/`
/// (0755, the modes nixos-anywhere copies onto /mnt), in a 0700 directory. The tree is
/// removed by the pipeline's cleanups on success, failure and Ctrl-C.
pub struct ExtraFiles {
    pub secrets_file: PathBuf,
    pub secrets: commands::Context,
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
        let dir = tempfile::Builder::new()
            .prefix("nixpilot-install-")
            .tempdir()
            .map_err(|e| err(format!("cannot make a temporary directory: {e}")))?;
        let root = dir.path().to_path_buf();
        // Registered before anything secret is written, so every exit path removes it.
        cx.on_cleanup(move || drop(dir));
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

/// Memory the rescue system needs for nixos-anywhere's kexec into the NixOS installer: the
/// installer image is unpacked into RAM, so below about 1.5 GiB the kexec phase fails.
pub const MIN_KEXEC_MEMORY: u64 = 3 * 1024 * 1024 * 1024 / 2;

/// The rescue system's key from `ssh-keyscan -t ed25519` output (`host ssh-ed25519 AAAA…`
/// lines; `#` lines are ssh-keyscan's comments).
pub fn rescue_key_from_keyscan(output: &str, addr: &str) -> Result<PinnedKey, String> {
    let line = output
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or_else(|| format!("ssh-keyscan got no ed25519 key from {addr}"))?;
    let key = line.split_once(char::is_whitespace).map_or("", |(_, k)| k);
    PinnedKey::parse(key, &format!("ssh-keyscan of {addr}"))
}

/// The rescue system's key is unknown before install: the fingerprint `ssh-keyscan` showed must be
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
    const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----";

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
            assert_eq!(std::fs::read_to_string(&key).unwrap(), format!("{KEY}\n"));
            Err(PipelineError::Host {
                host: cx.host.clone(),
                message: "nixos-anywhere failed".into(),
            })
        }
    }

    #[test]
    fn the_key_is_written_with_its_modes_and_removed_when_a_later_step_fails() {
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
        commands::set(&ctx, &file, HOST_KEY_SECRET, Zeroizing::new(KEY.as_bytes().to_vec())).unwrap();

        let pipeline = Pipeline {
            steps: vec![
                Box::new(ExtraFiles {
                    secrets_file: file,
                    secrets: ctx,
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

    #[test]
    fn the_rescue_key_is_read_from_ssh_keyscan() {
        let out = "# 127.0.0.1:2222 SSH-2.0-OpenSSH_9.2\n[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoAAabXutbdfruhtHkTA7c2Frfe6NvQr9BE5zXLRfu2\n";
        let key = rescue_key_from_keyscan(out, "127.0.0.1").unwrap();
        assert_eq!(key.fingerprint(), "SHA256:0VzEIAHGiapTigyvGFaHb9k2f63vE5amIMnWuAFua20");
        assert!(rescue_key_from_keyscan("# nothing\n", "127.0.0.1").is_err());
    }
}
