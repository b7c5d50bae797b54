//! `nixpilot host add NAME`: a host's configuration, disk layout, SSH host key (public half
//! in the repository, private half only encrypted in its secrets.yaml) and `.sops.yaml` rule.

use std::path::{Path, PathBuf};

use super::host_key::HostKey;
use super::sops_rules::{self, Recipient};
use super::templates::{self, DiskLayout, Hardware, HostSpec, System};
use super::validate::{self, InputError};
use super::{admin_recipients, find_repo, Plan, ScaffoldError};
use crate::secrets::{self, EncryptOptions, Format, Map, MapItem, PlainTree, SopsFile, Value};
use nixpilot_sops::sops_config;

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

/// Where the host key comes from.
enum HostKeyPlan {
    New(HostKey),
    /// The public half of the key `secrets.yaml` holds (from the `.pub`).
    Keep([u8; 32]),
    /// `secrets.yaml` exists but no `.pub` says which key it holds.
    Bootstrap,
}

/// What re-running `host add` does with one of the host's existing files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// Written anew (with --force): `host add` wrote it and nobody changed it since.
    Rewritten,
    /// Changed since `host add` wrote it (or not written by it): never overwritten.
    Edited,
    /// Left as it is (the host key, the secrets, the target).
    Kept(&'static str),
    /// Already what `host add` would write now.
    Unchanged,
}

impl Existing {
    fn describe(self) -> String {
        match self {
            Existing::Rewritten => "--force rewrites it (unedited since host add wrote it)".into(),
            Existing::Edited => {
                "edited since host add wrote it: even --force leaves it alone and stops; move it away to have it written anew".into()
            }
            Existing::Kept(why) => format!("kept, also with --force: {why}"),
            Existing::Unchanged => "unchanged: already what host add writes with these options".into(),
        }
    }
}

fn read_text(path: &Path) -> Result<Option<String>, ScaffoldError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ScaffoldError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// `networking.hostId = "…";` of a configuration `host add` wrote: kept when the host is
/// written again, because a ZFS pool imports only on the hostId it was made with.
fn written_host_id(text: &str) -> Option<String> {
    let rest = text.split("networking.hostId = \"").nth(1)?;
    let id = rest.split('"').next()?;
    (id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_string())
}

/// The address `--ipv4` gives, without its prefix length: where nixpilot connects.
fn ipv4_target(ipv4: &str) -> String {
    format!("root@{}", ipv4.split('/').next().unwrap_or(ipv4))
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
    let config_rel = format!("{dir}/configuration.nix");
    let disko_rel = format!("{dir}/disko.nix");
    let pub_rel = format!("{dir}/ssh_host_ed25519_key.pub");
    let plain_rel = format!("{dir}/ssh_host_ed25519_key");
    let secrets_rel = sops_rules::host_secrets_path(name);
    let deploy_rel = format!("{dir}/deploy.toml");
    let old_config = read_text(&root.join(&config_rel))?;
    let old_disko = read_text(&root.join(&disko_rel))?;
    let old_pub = read_text(&root.join(&pub_rel))?;
    let secrets_exist = root.join(&secrets_rel).exists();
    let mut existing: Vec<(String, Existing)> = Vec::new();

    if spec.layout.zfs() && !srvos_supplies_host_id(&root) {
        spec.host_id = match old_config.as_deref().and_then(written_host_id) {
            Some(id) => Some(id),
            None => Some(random_host_id()?),
        };
    }
    let admins = admin_recipients(&root)?;

    // The host key: the one the secrets file holds stays (the machine may run with it, and
    // the file may hold other secrets); a new one only when there is none.
    let key = if secrets_exist {
        existing.push((secrets_rel.clone(), Existing::Kept("every secret in it stays as it is")));
        match old_pub.as_deref().and_then(super::host_key::parse_public_line) {
            Some(public) => {
                existing.push((
                    pub_rel.clone(),
                    Existing::Kept("the host key, whose private half is in secrets.yaml"),
                ));
                HostKeyPlan::Keep(public)
            }
            // Only bootstrap, which opens the file, can add a key to it.
            None => HostKeyPlan::Bootstrap,
        }
    } else if root.join(&plain_rel).exists() {
        return Err(ScaffoldError::KeyNeedsBootstrap {
            host: name.clone(),
            found: plain_rel,
            missing: secrets_rel,
        });
    } else {
        if old_pub.is_some() {
            // No private half anywhere: the key is lost already, a new one loses nothing.
            existing.push((pub_rel.clone(), Existing::Rewritten));
        }
        HostKeyPlan::New(
            HostKey::generate(&format!("root@{name}")).map_err(|source| ScaffoldError::HostKey {
                file: format!("{dir}/ssh_host_ed25519_key"),
                source,
            })?,
        )
    };
    let host_recipient = match &key {
        HostKeyPlan::New(key) => Some(key.age_recipient()),
        HostKeyPlan::Keep(public) => Some(nixpilot_sops::ssh_to_age::ed25519_public_to_recipient(public)),
        HostKeyPlan::Bootstrap => None,
    }
    .transpose()
    .map_err(|e| ScaffoldError::HostKey {
        file: pub_rel.clone(),
        source: e.into(),
    })?;
    let mut recipients: Vec<Recipient> = host_recipient
        .map(|key| Recipient {
            key,
            comment: host_comment(name),
        })
        .into_iter()
        .collect();
    recipients.extend(admins);

    let sops_path = root.join(".sops.yaml");
    let sops_text = read_text(&sops_path)?.unwrap_or_default();
    let new_sops = match key {
        HostKeyPlan::Bootstrap => sops_text.clone(),
        _ => sops_rules::upsert_host_rule(&sops_text, name, &recipients)?,
    };
    let keys: Vec<String> = recipients.iter().map(|r| r.key.clone()).collect();

    // Files rendered from the options: written when missing, rewritten only when unedited.
    let disks = spec
        .disks
        .iter()
        .map(|d| d.device.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    for (rel, old, text, why) in [
        (
            &config_rel,
            &old_config,
            templates::stamp(templates::configuration_nix(&spec)),
            format!("{} host, {}", spec.hardware.name(), spec.system.name()),
        ),
        (
            &disko_rel,
            &old_disko,
            templates::stamp(templates::disko_nix(&spec)),
            format!("{} on {disks}", spec.layout.name()),
        ),
    ] {
        match old {
            None => plan.add(rel, text, 0o644, why),
            Some(old) if *old == text => {
                existing.push((rel.clone(), Existing::Unchanged));
                plan.notes.push(format!("{rel}: unchanged"));
            }
            Some(old) if templates::is_unedited(old) => {
                existing.push((rel.clone(), Existing::Rewritten));
                plan.add(
                    rel,
                    text,
                    0o644,
                    format!("{why} (replaces the unedited file host add wrote)"),
                );
            }
            Some(_) => existing.push((rel.clone(), Existing::Edited)),
        }
    }
    match &key {
        HostKeyPlan::New(key) => {
            let secrets = new_secrets_file(&root, name, key, &keys, &new_sops)?;
            plan.add(
                &pub_rel,
                format!("{}\n", key.public_line()),
                0o644,
                "the host's SSH public key",
            );
            plan.add(
                &secrets_rel,
                secrets,
                0o600,
                format!(
                    "the host's private SSH key, encrypted for the host and {} admin key(s)",
                    recipients.len() - 1
                ),
            );
        }
        HostKeyPlan::Bootstrap => plan.notes.push(format!(
            "{secrets_rel} exists without {pub_rel}: run `nixpilot bootstrap {name}` next, it makes the host key, \
             adds it to {secrets_rel} and writes the .sops.yaml rule"
        )),
        HostKeyPlan::Keep(_) => {
            plan.notes.push(format!(
                "kept {secrets_rel} and {pub_rel}: the host key and every secret stay as they are"
            ));
            let file = crate::secrets::SopsFile::read(root.join(&secrets_rel));
            let mut have = file.as_ref().map(|f| f.recipients()).unwrap_or_default();
            have.sort();
            let mut want = keys.clone();
            want.sort();
            if have != want {
                plan.notes.push(format!(
                    "{secrets_rel} is not encrypted for exactly the recipients of its rule: run `nixpilot bootstrap {name}`"
                ));
            }
        }
    }
    if let Some(ipv4) = &spec.ipv4 {
        let target = ipv4_target(ipv4);
        if root.join(&deploy_rel).exists() {
            existing.push((
                deploy_rel.clone(),
                Existing::Kept("where deploy connects, as you set it"),
            ));
        } else {
            plan.add(
                &deploy_rel,
                templates::deploy_toml(name, &target, "nixpilot host add --ipv4"),
                0o644,
                format!("deployment.targetHost = \"{target}\" (from --ipv4), for install, deploy and status"),
            );
        }
    }

    existing.sort_by(|a, b| a.0.cmp(&b.0));
    if !existing.is_empty() && !opts.force {
        return Err(ScaffoldError::HostExists {
            dir,
            files: existing.iter().map(|(p, e)| format!("{p}: {}", e.describe())).collect(),
        });
    }
    let edited: Vec<String> = existing
        .iter()
        .filter(|(_, e)| *e == Existing::Edited)
        .map(|(p, _)| p.clone())
        .collect();
    if !edited.is_empty() {
        return Err(ScaffoldError::Edited(edited));
    }
    if new_sops != sops_text {
        plan.add(
            ".sops.yaml",
            new_sops,
            0o644,
            format!("creation rule for {secrets_rel} (host key first, then the admins)"),
        );
    }
    for d in spec.disks.iter().filter(|d| d.unstable) {
        plan.notes.push(format!(
            "{} is a kernel name that can point to another disk after a reboot, and disko wipes it: replace it in {disko_rel} with its /dev/disk/by-id/ path",
            d.device
        ));
    }
    if let Some(id) = &spec.host_id {
        plan.notes.push(format!("networking.hostId = \"{id}\" written: modules/nixos/server.nix does not import srvos's server profile, which would supply one"));
    }
    Ok((plan, spec))
}
