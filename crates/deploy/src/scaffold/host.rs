//! `nixpilot host add NAME`: a host's configuration, disk layout, SSH host key (public half
//! in the repository, private half only encrypted in its secrets.yaml) and `.sops.yaml` rule.

use std::path::{Path, PathBuf};

use super::host_key::HostKey;
use super::sops_rules::{self, Recipient};
use super::templates::{self, DiskLayout, Hardware, HostSpec, System};
use super::validate::{self, InputError};
use super::{admin_recipients, find_repo, Plan, ScaffoldError};
use crate::secrets::format::sops_config;
use crate::secrets::{self, EncryptOptions, Format, Map, MapItem, PlainTree, SopsFile, Value};

/// The key under which the host's private SSH key sits in its secrets file (sops-nix
/// `sops.secrets.ssh_host_ed25519_key`, declared in modules/nixos/server.nix).
pub const HOST_KEY_SECRET: &str = "ssh_host_ed25519_key";

#[derive(Debug, Clone)]
pub struct HostAddOptions {
    /// Where to look for the repository (its root is the nearest `flake.nix` above).
    pub dir: PathBuf,
    pub name: String,
    pub hardware: Hardware,
    pub layout: DiskLayout,
    pub disks: Vec<String>,
    pub system: System,
    pub state_version: Option<String>,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub force: bool,
}

/// Checks the options and turns them into what the templates need.
pub fn spec(opts: &HostAddOptions) -> Result<HostSpec, ScaffoldError> {
    validate::host_name(&opts.name)?;
    let ipv4 = opts.ipv4.as_deref().map(validate::ipv4).transpose()?;
    let ipv6 = opts.ipv6.as_deref().map(validate::ipv6).transpose()?;
    if opts.hardware.is_hetzner_online() && ipv6.is_none() {
        return Err(InputError::Ipv6Required {
            hardware: opts.hardware.name(),
        }
        .into());
    }
    if opts.hardware.is_hetzner_online() && opts.system != System::X86_64Linux {
        return Err(InputError::SystemMismatch {
            hardware: opts.hardware.name(),
            needs: "x86_64-linux",
            system: opts.system.name(),
        }
        .into());
    }
    if opts.hardware == Hardware::GenericBios && opts.layout == DiskLayout::ZfsMirror {
        return Err(InputError::BiosMirror.into());
    }
    let disks = opts
        .disks
        .iter()
        .map(|d| validate::disk(d.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let (ok, wanted) = match opts.layout {
        DiskLayout::ZfsMirror => (disks.len() >= 2, "at least 2"),
        _ => (disks.len() == 1, "exactly 1"),
    };
    if !ok {
        return Err(InputError::DiskCount {
            layout: opts.layout.name(),
            wanted,
            got: disks.len(),
        }
        .into());
    }
    for (i, d) in disks.iter().enumerate() {
        if disks[..i].iter().any(|e| e.device == d.device) {
            return Err(InputError::DuplicateDisk(d.device.clone()).into());
        }
    }
    let state_version = opts
        .state_version
        .clone()
        .unwrap_or_else(|| templates::DEFAULT_STATE_VERSION.to_string());
    validate::state_version(&state_version)?;
    let rule = "disko-unstable-device-path";
    Ok(HostSpec {
        name: opts.name.clone(),
        hardware: opts.hardware,
        layout: opts.layout,
        disks,
        system: opts.system,
        state_version,
        ipv4,
        ipv6,
        host_id: None,
        unstable_device_rule: nixpilot_lint::rules::by_name(rule).map(|m| m.name),
    })
}

/// Whether the repository's shared server module brings srvos's `server` (or `common`)
/// profile, which defaults `networking.hostId` (srvos PR #465).
fn srvos_supplies_host_id(root: &Path) -> bool {
    std::fs::read_to_string(root.join("modules/nixos/server.nix"))
        .is_ok_and(|t| t.contains("srvos.nixosModules.server") || t.contains("srvos.nixosModules.common"))
}

fn random_host_id() -> Result<String, ScaffoldError> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| ScaffoldError::HostKey {
        file: "networking.hostId".into(),
        source: super::host_key::HostKeyError::Random(e.to_string()),
    })?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// The recipient line comment for a host key.
pub fn host_comment(host: &str) -> String {
    format!("host {host} (hosts/{host}/ssh_host_ed25519_key.pub)")
}

/// A new secrets file holding only the host key, encrypted for `recipients`.
pub fn new_secrets_file(
    root: &Path,
    host: &str,
    key: &HostKey,
    recipients: &[String],
    sops_text: &str,
) -> Result<Vec<u8>, ScaffoldError> {
    let pem = key.openssh_private();
    let plain = PlainTree {
        format: Format::Yaml,
        branches: vec![Map(vec![MapItem::Pair(
            HOST_KEY_SECRET.to_string(),
            Value::Str(pem.to_string()),
        )])],
    };
    let parsed = recipients
        .iter()
        .map(|r| secrets::Recipient::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ScaffoldError::from(secrets::SecretsError::Recipient(e)))?;
    let mut options = EncryptOptions::default();
    if let Ok(cfg) = sops_config::parse(sops_text) {
        if let Some(indent) = cfg.yaml_indent {
            options.yaml_indent = indent;
        }
    }
    let path = root.join(sops_rules::host_secrets_path(host));
    let mut file = SopsFile::encrypt(path, &plain, &parsed, &options)?;
    file.set_yaml_indent(options.yaml_indent);
    Ok(file.serialize()?)
}

pub fn plan(opts: &HostAddOptions) -> Result<(Plan, HostSpec), ScaffoldError> {
    let mut spec = spec(opts)?;
    let root = find_repo(&opts.dir)?;
    let name = &spec.name;
    let dir = format!("hosts/{name}");
    let mut plan = Plan {
        root: root.clone(),
        ..Plan::default()
    };

    if spec.layout.zfs() && !srvos_supplies_host_id(&root) {
        spec.host_id = Some(random_host_id()?);
    }
    let admins = admin_recipients(&root)?;
    let key = HostKey::generate(&format!("root@{name}")).map_err(|source| ScaffoldError::HostKey {
        file: format!("{dir}/ssh_host_ed25519_key"),
        source,
    })?;
    let host_recipient = key.age_recipient().map_err(|e| ScaffoldError::HostKey {
        file: format!("{dir}/ssh_host_ed25519_key.pub"),
        source: e.into(),
    })?;
    let mut recipients = vec![Recipient {
        key: host_recipient,
        comment: host_comment(name),
    }];
    recipients.extend(admins);

    let sops_path = root.join(".sops.yaml");
    let sops_text = match std::fs::read_to_string(&sops_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ScaffoldError::Io {
                path: sops_path,
                source,
            })
        }
    };
    let new_sops = sops_rules::upsert_host_rule(&sops_text, name, &recipients)?;
    let keys: Vec<String> = recipients.iter().map(|r| r.key.clone()).collect();
    let secrets = new_secrets_file(&root, name, &key, &keys, &new_sops)?;

    plan.add(
        &format!("{dir}/configuration.nix"),
        templates::configuration_nix(&spec),
        0o644,
        format!("{} host, {}", spec.hardware.name(), spec.system.name()),
    );
    plan.add(
        &format!("{dir}/disko.nix"),
        templates::disko_nix(&spec),
        0o644,
        format!(
            "{} on {}",
            spec.layout.name(),
            spec.disks
                .iter()
                .map(|d| d.device.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    plan.add(
        &format!("{dir}/ssh_host_ed25519_key.pub"),
        format!("{}\n", key.public_line()),
        0o644,
        "the host's SSH public key",
    );
    plan.add(
        &format!("{dir}/secrets.yaml"),
        secrets,
        0o600,
        format!(
            "the host's private SSH key, encrypted for the host and {} admin key(s)",
            recipients.len() - 1
        ),
    );
    let existing: Vec<String> = plan
        .files
        .iter()
        .filter(|f| f.existed)
        .map(|f| f.path.clone())
        .collect();
    if !existing.is_empty() && !opts.force {
        return Err(ScaffoldError::Exists(existing));
    }
    plan.add(
        ".sops.yaml",
        new_sops,
        0o644,
        format!("creation rule for {dir}/secrets.yaml (host key first, then the admins)"),
    );
    // A .sops.yaml that did not change is not rewritten.
    if sops_text
        == plan
            .files
            .last()
            .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
            .unwrap_or_default()
    {
        plan.files.pop();
    }
    for d in spec.disks.iter().filter(|d| d.unstable) {
        plan.notes.push(format!(
            "{} is a kernel name that can point to another disk after a reboot, and disko wipes it: replace it in {dir}/disko.nix with its /dev/disk/by-id/ path",
            d.device
        ));
    }
    if let Some(id) = &spec.host_id {
        plan.notes.push(format!("networking.hostId = \"{id}\" written: modules/nixos/server.nix does not import srvos's server profile, which would supply one"));
    }
    Ok((plan, spec))
}
