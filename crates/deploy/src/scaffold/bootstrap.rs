//! `nixpilot bootstrap NAME`: completes a host written by hand (or half set up): host key,
//! `.sops.yaml` rule, secrets file with the key, recipients, hostId — only what is missing.
//!
//! Running it twice changes nothing the second time; every step says what it found.

use std::path::PathBuf;

use super::host::{self, HOST_KEY_SECRET};
use super::host_key::{self, HostKey};
use super::sops_rules::{self, Recipient};
use super::{admin_recipients, find_repo, Plan, ScaffoldError};
use crate::secrets::{self, Identities, SopsFile, Value};

#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    pub dir: PathBuf,
    pub name: String,
}

fn read_opt(path: &std::path::Path) -> Result<Option<Vec<u8>>, ScaffoldError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ScaffoldError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

pub fn plan(opts: &BootstrapOptions, ids: &Identities) -> Result<Plan, ScaffoldError> {
    super::validate::host_name(&opts.name)?;
    let root = find_repo(&opts.dir)?;
    let name = opts.name.as_str();
    let dir = format!("hosts/{name}");
    if !root.join(&dir).join("configuration.nix").is_file() {
        return Err(ScaffoldError::NoSuchHost {
            host: name.to_string(),
            dir: root.join(&dir),
        });
    }
    let mut plan = Plan {
        root: root.clone(),
        ..Plan::default()
    };
    let pub_rel = format!("{dir}/ssh_host_ed25519_key.pub");
    let plain_rel = format!("{dir}/ssh_host_ed25519_key");
    let secrets_rel = sops_rules::host_secrets_path(name);
    let secrets_abs = root.join(&secrets_rel);
    let comment = format!("root@{name}");

    let pub_text = read_opt(&root.join(&pub_rel))?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let pub_key = pub_text.as_deref().and_then(host_key::parse_public_line);
    let plain_pem = read_opt(&root.join(&plain_rel))?.map(zeroize::Zeroizing::new);
    let mut secrets_file = match read_opt(&secrets_abs)? {
        Some(bytes) => Some(SopsFile::parse(&secrets_abs, &bytes)?),
        None => None,
    };
    let key_in_secrets = secrets_file
        .as_ref()
        .and_then(|f| f.branches().first().map(|b| b.get(HOST_KEY_SECRET).is_some()))
        .unwrap_or(false);
    let need_identity = |file: &SopsFile, why: &'static str| -> Result<secrets::Opened, ScaffoldError> {
        file.open(ids).map_err(|source| ScaffoldError::NeedIdentity {
            file: secrets_rel.clone(),
            why,
            source: Box::new(source),
        })
    };

    // 1. The host key: where is it, and does its public half match the .pub file?
    let mut key_for_secrets: Option<HostKey> = None;
    let host_public: [u8; 32];
    if key_in_secrets {
        let file = secrets_file.as_ref().ok_or_else(|| ScaffoldError::NoSuchHost {
            host: name.to_string(),
            dir: root.join(&dir),
        })?;
        match pub_key {
            Some(pk) => {
                host_public = pk;
                match file.decrypt(ids) {
                    Ok(plain) => {
                        let k = key_from_value(plain.get(HOST_KEY_SECRET).ok(), &secrets_rel, &comment)?;
                        if k.public_bytes() != &pk {
                            return Err(ScaffoldError::KeyMismatch {
                                what: format!("the key in {secrets_rel}"),
                                pub_file: pub_rel,
                            });
                        }
                        plan.notes.push(format!("host key: {secrets_rel} holds the private half of {pub_rel}"));
                    }
                    Err(_) => plan.notes.push(format!(
                        "host key: present in {secrets_rel} and {pub_rel} (not compared: your keys do not open {secrets_rel})"
                    )),
                }
            }
            None => {
                let opened = need_identity(file, "derive the missing .pub from the host key")?;
                let k = key_from_value(opened.plain.get(HOST_KEY_SECRET).ok(), &secrets_rel, &comment)?;
                host_public = *k.public_bytes();
                plan.add(
                    &pub_rel,
                    format!("{}\n", k.public_line()),
                    0o644,
                    format!("public half of the host key in {secrets_rel}"),
                );
            }
        }
        if let Some(pem) = &plain_pem {
            let k = HostKey::from_openssh(pem, &comment).map_err(|source| ScaffoldError::HostKey {
                file: plain_rel.clone(),
                source,
            })?;
            if k.public_bytes() != &host_public {
                return Err(ScaffoldError::KeyMismatch {
                    what: plain_rel,
                    pub_file: pub_rel,
                });
            }
            plan.removals.push((
                plain_rel.clone(),
                format!("plaintext private key; {secrets_rel} holds it encrypted"),
            ));
        }
    } else if let Some(pem) = &plain_pem {
        let k = HostKey::from_openssh(pem, &comment).map_err(|source| ScaffoldError::HostKey {
            file: plain_rel.clone(),
            source,
        })?;
        match pub_key {
            Some(pk) if &pk != k.public_bytes() => {
                return Err(ScaffoldError::KeyMismatch {
                    what: plain_rel,
                    pub_file: pub_rel,
                })
            }
            Some(_) => {}
            None => plan.add(
                &pub_rel,
                format!("{}\n", k.public_line()),
                0o644,
                format!("public half of {plain_rel}"),
            ),
        }
        host_public = *k.public_bytes();
        plan.removals.push((
            plain_rel.clone(),
            format!("plaintext private key, moved into {secrets_rel} (encrypted)"),
        ));
        key_for_secrets = Some(k);
    } else if pub_text.is_some() {
        return Err(ScaffoldError::LostPrivateKey {
            pub_file: pub_rel,
            secrets: secrets_rel,
            plain: plain_rel,
        });
    } else {
        let k = HostKey::generate(&comment).map_err(|source| ScaffoldError::HostKey {
            file: plain_rel.clone(),
            source,
        })?;
        host_public = *k.public_bytes();
        plan.add(
            &pub_rel,
            format!("{}\n", k.public_line()),
            0o644,
            "new ed25519 host key (public half)",
        );
        key_for_secrets = Some(k);
    }
    let host_recipient =
        nixpilot_sops::ssh_to_age::ed25519_public_to_recipient(&host_public).map_err(|e| ScaffoldError::HostKey {
            file: pub_rel.clone(),
            source: e.into(),
        })?;

    // 2. The .sops.yaml rule: the host, the admins, and whoever the current rule lists.
    let admins = admin_recipients(&root)?;
    let sops_path = root.join(".sops.yaml");
    let sops_text = read_opt(&sops_path)?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let current = sops_rules::current_recipients(&sops_text, name)?;
    let mut wanted = vec![Recipient {
        key: host_recipient.clone(),
        comment: host::host_comment(name),
    }];
    wanted.extend(admins);
    for r in current.iter().flatten() {
        if !wanted.iter().any(|w| &w.key == r) {
            wanted.push(Recipient {
                key: r.clone(),
                comment: "kept from the previous rule".into(),
            });
        }
    }
    let rule_keys: Vec<String> = match &current {
        Some(cur) if wanted.iter().all(|w| cur.contains(&w.key)) => {
            plan.notes.push(format!(
                ".sops.yaml: the rule for {secrets_rel} lists the host and the admins"
            ));
            cur.clone()
        }
        _ => {
            let text = sops_rules::upsert_host_rule(&sops_text, name, &wanted)?;
            let why = if current.is_some() {
                format!("the rule for {secrets_rel} now lists the host key and the admins")
            } else {
                format!("new rule for {secrets_rel}")
            };
            plan.add(".sops.yaml", text, 0o644, why);
            wanted.iter().map(|w| w.key.clone()).collect()
        }
    };

    // 3. The secrets file: created, given the key, or re-wrapped for the rule's recipients.
    match secrets_file.as_mut() {
        None => {
            let k = key_for_secrets.as_ref().ok_or_else(|| ScaffoldError::LostPrivateKey {
                pub_file: pub_rel.clone(),
                secrets: secrets_rel.clone(),
                plain: plain_rel.clone(),
            })?;
            let rule_text = plan
                .files
                .iter()
                .find(|f| f.path == ".sops.yaml")
                .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
                .unwrap_or(sops_text.clone());
            let bytes = host::new_secrets_file(&root, name, k, &rule_keys, &rule_text)?;
            plan.add(
                &secrets_rel,
                bytes,
                0o600,
                format!("the host key, encrypted for {} recipient(s)", rule_keys.len()),
            );
        }
        Some(file) => {
            let mut changed = Vec::new();
            if let Some(k) = &key_for_secrets {
                let mut opened = need_identity(file, "add the host key to it")?;
                let pem = k.openssh_private();
                file.set_in(&mut opened, HOST_KEY_SECRET, Value::Str(pem.to_string()))?;
                file.store(&opened)?;
                changed.push(format!("added {HOST_KEY_SECRET}"));
            }
            let mut have = file.recipients();
            have.sort();
            let mut want = rule_keys.clone();
            want.sort();
            if have != want {
                let parsed = rule_keys
                    .iter()
                    .map(|r| secrets::Recipient::parse(r))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ScaffoldError::from(secrets::SecretsError::Recipient(e)))?;
                need_identity(file, "re-encrypt its data key for the rule's recipients")?;
                let changes = file.updatekeys(ids, &parsed)?;
                changed.push(format!(
                    "recipients +{} -{} (as the rule says)",
                    changes.added.len(),
                    changes.removed.len()
                ));
            }
            if changed.is_empty() {
                plan.notes.push(format!(
                    "{secrets_rel}: holds the host key and is encrypted for the rule's recipients"
                ));
            } else {
                plan.add(&secrets_rel, file.serialize()?, 0o600, changed.join(", "));
            }
        }
    }

    // 4. networking.hostId, when the host uses ZFS and nothing supplies one: the lint rule
    //    zfs-without-host-id knows both and carries the edit.
    match host_id_fix(&root, name) {
        Some((path, text)) => plan.add(
            &path,
            text,
            0o644,
            "networking.hostId (the host uses ZFS and nothing sets it)",
        ),
        None => plan.notes.push("networking.hostId: not needed or already set".into()),
    }
    Ok(plan)
}

fn key_from_value(value: Option<&Value>, file: &str, comment: &str) -> Result<HostKey, ScaffoldError> {
    let pem: &[u8] = match value {
        Some(Value::Str(s)) => s.as_bytes(),
        Some(Value::Bytes(b)) => b,
        _ => &[],
    };
    HostKey::from_openssh(pem, comment).map_err(|source| ScaffoldError::HostKey {
        file: format!("{file}: {HOST_KEY_SECRET}"),
        source,
    })
}

/// The host entry file with `networking.hostId` added, when the lint rule asks for it.
fn host_id_fix(root: &std::path::Path, host: &str) -> Option<(String, String)> {
    use nixpilot_lint::{engine, fix, vfs};
    let config = vfs::load_config(root).ok()?;
    let targets = vfs::discover_nix_files(root, root, &config).ok()?;
    let files = vfs::read_files(root, &targets).ok()?;
    let source = vfs::DiskSource::new(root, &config);
    let result = engine::lint(&files, Some(&source), &engine::Scope::whole(), &config, &|| {});
    let prefix = format!("hosts/{host}/");
    let d = result
        .diagnostics
        .iter()
        .find(|d| d.rule == "zfs-without-host-id" && d.span.file.starts_with(&prefix))?;
    let edits = &d.fixes.first()?.edits;
    let path = edits.first()?.span.file.clone();
    let file = files.iter().find(|f| f.path == path)?;
    let mine: Vec<_> = edits.iter().filter(|e| e.span.file == path).cloned().collect();
    Some((path.to_string(), fix::apply_edits(&file.text, &mine)))
}
