//! The secrets side of the project: `.sops.yaml` and its creation rules, every sops file
//! (recipients and key names, which are plaintext — no key needed), host keys converted
//! with ssh-to-age, and private keys left in the tree.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rowan::{TextRange, TextSize};

use super::host::{HostView, Value};
use super::key_material::{block_is_key, is_age_identity, Armour};
use super::source::FileSource;
use crate::diagnostic::FilePath;
use crate::source::SourceFile;
use nixpilot_sops::{self as sops, sops_config, ssh_to_age, Format};

/// `.sops.yaml` at the project root.
#[derive(Debug, Clone)]
pub struct SopsConfigFile {
    pub file: FilePath,
    /// The parsed rules, or why they could not be read (with a 1-based line when known).
    pub parsed: Result<sops_config::SopsConfig, (usize, String)>,
}

/// What a secrets file holds, read without any key.
#[derive(Debug, Clone)]
pub enum SecretsContent {
    /// A sops file: its recipients and the `/`-joined paths of its keys.
    Encrypted {
        /// Every group's recipients together (see `age_key_groups`).
        age_recipients: Vec<String>,
        /// The recipients of each key group (one group unless sops split the key, Shamir).
        age_key_groups: Vec<Vec<String>>,
        shamir_threshold: Option<i64>,
        key_paths: Vec<String>,
        plaintext_values: Vec<String>,
    },
    /// Valid YAML/JSON/… without sops metadata: the secrets are in the clear.
    Plaintext,
    /// Nothing but whitespace and comments: no secrets yet, in the clear or not.
    Empty,
    /// Not readable as its format (with a 1-based line when known).
    Unreadable { line: usize, reason: String },
}

/// One secrets file: found by a creation rule, by a `sops.*File` definition, or by content.
#[derive(Debug, Clone)]
pub struct SecretsFile {
    pub path: FilePath,
    pub format: Format,
    pub content: SecretsContent,
    /// Where hosts' modules point at it (`sops.defaultSopsFile = ./secrets.yaml;`).
    pub references: Vec<(FilePath, TextRange)>,
    /// The creation rule for it, when there is a `.sops.yaml`.
    pub rule: Option<sops_config::RuleMatch>,
}

/// A host's SSH host key and its age recipient.
#[derive(Debug, Clone)]
pub struct HostKey {
    pub host: String,
    pub file: FilePath,
    /// The ssh-to-age recipient, or why the key could not be converted.
    pub recipient: Result<String, String>,
    /// The key line itself (`ssh-ed25519 AAAA…`), to recognise it written as an SSH recipient.
    pub public_key: String,
}

/// A private key found in a file of the repository.
#[derive(Debug, Clone)]
pub struct PrivateKeyFinding {
    pub file: FilePath,
    pub range: TextRange,
    pub kind: &'static str,
    /// Whether git tracks the file (`None`: not a git checkout, or unknown).
    pub tracked: Option<bool>,
    /// Whether the key is encrypted with a passphrase (see `passphrase_protected`).
    pub protected: bool,
}

/// The secrets model.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub config: Option<SopsConfigFile>,
    pub files: BTreeMap<FilePath, SecretsFile>,
    pub host_keys: BTreeMap<String, HostKey>,
    pub private_keys: Vec<PrivateKeyFinding>,
}

/// Largest file scanned for private keys or parsed as a secrets file.
const MAX_SCAN_BYTES: usize = 1 << 20;

/// Markers of private key material, by content (never by file name), and how the body after
/// each must decode for it to be a key rather than a placeholder in documentation.
const PRIVATE_KEY_MARKERS: &[(&str, &str, Option<Armour>)] = &[
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "an OpenSSH private key",
        Some(Armour::OpenSsh),
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----",
        "an RSA private key (PEM)",
        Some(Armour::PemDer),
    ),
    (
        "-----BEGIN EC PRIVATE KEY-----",
        "an EC private key (PEM)",
        Some(Armour::PemDer),
    ),
    (
        "-----BEGIN DSA PRIVATE KEY-----",
        "a DSA private key (PEM)",
        Some(Armour::PemDer),
    ),
    (
        "-----BEGIN PRIVATE KEY-----",
        "a PKCS#8 private key (PEM)",
        Some(Armour::PemDer),
    ),
    (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "an encrypted PKCS#8 private key (PEM)",
        Some(Armour::PemDer),
    ),
    (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
        "a PGP private key",
        Some(Armour::Pgp),
    ),
    // Bech32 with a checksum: checked by `is_age_identity`.
    ("AGE-SECRET-KEY-1", "an age identity", None),
];

fn format_of(path: &str) -> Format {
    Format::from_path(std::path::Path::new(path))
}

/// Whether a data file holds nothing: only whitespace, comments (`#`, and `;` in INI) and
/// YAML document markers.
fn is_empty_data(text: &str, format: Format) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty()
            || match format {
                Format::Yaml => line.starts_with('#') || line == "---" || line == "...",
                Format::Dotenv => line.starts_with('#'),
                Format::Ini => line.starts_with('#') || line.starts_with(';'),
                Format::Json | Format::Binary => false,
            }
    })
}

/// Whether a path names a sops configuration file, which is never a secrets file.
fn is_sops_config(path: &str) -> bool {
    matches!(path.rsplit('/').next(), Some(".sops.yaml" | ".sops.yml"))
}

/// Reads a candidate secrets file.
fn read_content(text: &SourceFile, format: Format) -> SecretsContent {
    if is_empty_data(&text.text, format) {
        return SecretsContent::Empty;
    }
    match sops::read_encrypted(format, text.text.as_bytes()) {
        Ok(doc) => {
            let mut key_paths = Vec::new();
            let mut plaintext_values = Vec::new();
            for branch in &doc.branches {
                for (path, value) in sops::keypath::leaves(branch) {
                    // Strings that are not `ENC[…]`, and bare scalars: values in the clear. sops
                    // leaves empty strings as they are (there is nothing to hide), in every format.
                    let clear = match value {
                        sops::Value::Str(s) => !s.is_empty() && !s.starts_with("ENC[AES256_GCM,"),
                        sops::Value::Int(_) | sops::Value::Float(_) | sops::Value::Bool(_) => true,
                        _ => false,
                    };
                    if clear {
                        plaintext_values.push(path.clone());
                    }
                    key_paths.push(path);
                }
            }
            // Values kept in the clear on purpose (`unencrypted_suffix`, `*_regex`) are not leaks.
            let rules = doc
                .metadata
                .crypt_rule()
                .ok()
                .and_then(|r| sops::crypt::EncryptionRules::new(&r, doc.metadata.mac_only_encrypted()).ok());
            plaintext_values.retain(|p| {
                let keys: Vec<String> = p.split('/').map(str::to_string).collect();
                rules.as_ref().is_none_or(|r| r.should_encrypt(&keys, &[], false))
            });
            SecretsContent::Encrypted {
                age_recipients: doc.metadata.age_key_groups().concat(),
                age_key_groups: doc.metadata.age_key_groups(),
                shamir_threshold: doc.metadata.shamir_threshold(),
                key_paths,
                plaintext_values,
            }
        }
        Err(sops::FormatError::NoMetadata) => SecretsContent::Plaintext,
        Err(sops::FormatError::Yaml(e)) => SecretsContent::Unreadable {
            line: e.line,
            reason: e.message,
        },
        Err(e) => SecretsContent::Unreadable {
            line: 1,
            reason: e.to_string(),
        },
    }
}

/// Whether the file reads as a sops file whose `sops` key holds sops's metadata.
fn has_sops_metadata(text: &SourceFile, format: Format) -> bool {
    sops::read_encrypted(format, text.text.as_bytes()).is_ok_and(|doc| doc.metadata.has_sops_structure())
}

impl Secrets {
    pub fn build(
        source: &dyn FileSource,
        hosts: &[HostView],
        host_dirs: &[(String, String)],
        other_files: &mut BTreeMap<FilePath, SourceFile>,
    ) -> Secrets {
        let mut secrets = Secrets::default();
        let keep = |file: &SourceFile, other: &mut BTreeMap<FilePath, SourceFile>| {
            other.entry(file.path.clone()).or_insert_with(|| file.clone());
        };

        if let Some(text) = source.read(".sops.yaml") {
            let parsed = sops_config::parse(&text.text).map_err(|e| match e {
                sops_config::SopsConfigError::Yaml(y) => (y.line, y.message),
                other => (1, other.to_string()),
            });
            keep(&text, other_files);
            secrets.config = Some(SopsConfigFile {
                file: text.path.clone(),
                parsed,
            });
        } else if source.exists(".sops.yaml") {
            // There but not read (unreadable, a link leaving the repository, a FIFO): not
            // the same as having none.
            let reason = source
                .unread()
                .into_iter()
                .find(|(p, _)| &**p == ".sops.yaml")
                .map_or_else(|| "not a readable file".to_string(), |(_, why)| why);
            secrets.config = Some(SopsConfigFile {
                file: ".sops.yaml".into(),
                parsed: Err((1, reason)),
            });
        }

        // Files pointed at by sops-nix options, with where they are pointed at.
        let mut references: BTreeMap<String, Vec<(FilePath, TextRange)>> = BTreeMap::new();
        for host in hosts {
            for d in &host.definitions {
                let p: Vec<Option<&str>> = d.path.iter().map(|s| s.as_deref()).collect();
                let is_file_option = matches!(
                    p.as_slice(),
                    [Some("sops"), Some("defaultSopsFile")] | [Some("sops"), Some("secrets"), _, Some("sopsFile")]
                );
                if let (true, Value::Path(Some(path))) = (is_file_option, &d.value) {
                    let refs = references.entry(path.clone()).or_default();
                    if !refs.contains(&(d.file.clone(), d.value_range)) {
                        refs.push((d.file.clone(), d.value_range));
                    }
                }
            }
        }

        let config = secrets.config.as_ref().and_then(|c| c.parsed.as_ref().ok());
        // Every file of the tree is read for private keys, which dominates on large trees:
        // read and scanned in parallel, and only files that may hold a key or secrets are
        // turned into texts; the results are then taken in file order as before.
        let scanned: Vec<Scanned> = source
            .all_files()
            .into_par_iter()
            .filter_map(|path| {
                if is_sops_config(&path) || path.ends_with(".nix") {
                    return None;
                }
                let referenced = references.contains_key(&*path);
                // A rule says how new files there are encrypted; only data files it matches are
                // taken for secrets files (a `.pub` key or a README beside them is not one).
                let data_file = matches!(
                    format_of(&path),
                    Format::Yaml | Format::Json | Format::Dotenv | Format::Ini
                );
                // A rule that would take `flake.nix` too (`path_regex: .*`) is the repository's
                // default for whatever is encrypted, like a rule without `path_regex`: it does not
                // make every `package.json` or CI workflow beside the secrets one.
                let by_rule = data_file
                    && config.is_some_and(|c| {
                        c.creation_rules.iter().any(|r| r.path_regex.is_some())
                            && matches!(c.rule_for(&path), sops_config::RuleMatch::Rule(i)
                            if c.creation_rules[i].path_matcher.as_ref().is_some_and(|m| {
                                m.compiled().is_ok_and(|re| !re.is_match("flake.nix"))
                            }))
                    });
                // Larger files are never read (a disk image in the tree): the text is never
                // shorter than the bytes (invalid UTF-8 grows), so the text check below would
                // skip them too.
                let bytes = source.read_bytes_within(&path, MAX_SCAN_BYTES as u64)?;
                let may_hold_key = memchr::memmem::find(&bytes, b"-----BEGIN ").is_some()
                    || memchr::memmem::find(&bytes, b"AGE-SECRET-KEY-1").is_some();
                if !(may_hold_key || data_file || referenced) {
                    return None;
                }
                let text = SourceFile::from_bytes(path.clone(), bytes);
                if text.text.len() > MAX_SCAN_BYTES {
                    return None;
                }
                let mut keys = Vec::new();
                if may_hold_key {
                    scan_private_keys(&text, source, &mut keys);
                }
                Some(Scanned {
                    path,
                    text,
                    keys,
                    referenced,
                    by_rule,
                    data_file,
                })
            })
            .collect();
        for Scanned {
            path,
            text,
            keys,
            referenced,
            by_rule,
            data_file,
        } in scanned
        {
            if !keys.is_empty() {
                keep(&without_key_bodies(&text, &keys), other_files);
                secrets.private_keys.extend(keys);
            }
            let may_be_sops = data_file && text.text.contains("sops") && text.text.contains("mac");
            if !(referenced || by_rule || may_be_sops) {
                continue;
            }
            let format = format_of(&path);
            // Without a rule or a reference, a file is a sops file only by sops's own metadata
            // structure: a JSON list of package names that mentions `sops` is not one.
            let named = referenced || by_rule;
            if !named && !has_sops_metadata(&text, format) {
                continue;
            }
            let content = read_content(&text, format);
            // Diagnostics show lines of it: values in the clear must not be echoed.
            let shown = SourceFile::new(path.clone(), sops::redact::redact_values(&text.text, format));
            other_files.insert(path.clone(), shown);
            let rule = config.map(|c| c.rule_for(&path));
            secrets.files.insert(
                path.clone(),
                SecretsFile {
                    path: path.clone(),
                    format,
                    content,
                    references: references.remove(&*path).unwrap_or_default(),
                    rule,
                },
            );
        }

        for (host, dir) in host_dirs {
            let file = format!("{dir}/ssh_host_ed25519_key.pub");
            let Some(text) = source.read(&file) else { continue };
            let line = text
                .text
                .lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .unwrap_or("")
                .trim()
                .to_string();
            let recipient = ssh_to_age::public_key_to_recipient(&line).map_err(|e| e.to_string());
            keep(&text, other_files);
            secrets.host_keys.insert(
                host.clone(),
                HostKey {
                    host: host.clone(),
                    file: text.path.clone(),
                    recipient,
                    public_key: line,
                },
            );
        }
        secrets
    }

    /// The secrets files a host uses: referenced by its modules or stored under its directory.
    pub fn files_of_host<'a>(&'a self, host_dir: &'a str) -> impl Iterator<Item = &'a SecretsFile> + 'a {
        let prefix = format!("{host_dir}/");
        self.files
            .values()
            .filter(move |f| f.path.starts_with(&prefix) || f.references.iter().any(|(r, _)| r.starts_with(&prefix)))
    }
}

/// A file of the tree read by `Secrets::build`: a possible private key or secrets file.
struct Scanned {
    path: FilePath,
    text: SourceFile,
    keys: Vec<PrivateKeyFinding>,
    referenced: bool,
    by_rule: bool,
    data_file: bool,
}

fn scan_private_keys(text: &SourceFile, source: &dyn FileSource, out: &mut Vec<PrivateKeyFinding>) {
    let body = &text.text;
    for (marker, kind, armour) in PRIVATE_KEY_MARKERS {
        let mut from = 0;
        while let Some(i) = body[from..].find(marker) {
            let start = from + i;
            let after = start + marker.len();
            let end = match armour {
                // One finding per kind of PEM block is enough; a placeholder block is skipped.
                Some(armour) => {
                    if !block_is_key(*armour, &body[after..]) {
                        from = after;
                        continue;
                    }
                    after
                }
                None => {
                    // `AGE-SECRET-KEY-1` followed by bech32 data with a valid checksum, not a
                    // mention in prose or a made-up example.
                    let tail = body[after..].chars().take_while(|c| c.is_ascii_alphanumeric()).count();
                    if !is_age_identity(&body[start..after + tail]) {
                        from = after;
                        continue;
                    }
                    after + tail
                }
            };
            out.push(PrivateKeyFinding {
                file: text.path.clone(),
                range: TextRange::new(TextSize::from(start as u32), TextSize::from(end as u32)),
                kind,
                tracked: source.is_tracked(&text.path),
                protected: passphrase_protected(marker, &body[end..]),
            });
            from = end;
            if armour.is_some() {
                break;
            }
        }
    }
}

/// Whether the key whose armour opens with `marker` (the rest of the text is `after`) needs a
/// passphrase: PKCS#8 `ENCRYPTED PRIVATE KEY`, a traditional PEM `Proc-Type: 4,ENCRYPTED`
/// header, or an `openssh-key-v1` key whose cipher is not `none`. (A passphrase-protected age
/// identity is an age-encrypted file, which is never reported.)
fn passphrase_protected(marker: &str, after: &str) -> bool {
    let block = &after[..after.find("-----END").unwrap_or(after.len())];
    match marker {
        "-----BEGIN ENCRYPTED PRIVATE KEY-----" => true,
        "-----BEGIN OPENSSH PRIVATE KEY-----" => openssh_cipher(block).is_some_and(|c| c != b"none"),
        m if m.starts_with("-----BEGIN ") => block.contains("Proc-Type: 4,ENCRYPTED"),
        _ => false,
    }
}

/// The cipher name in the header of an `openssh-key-v1` body, written on lines or inline with
/// `\n` escapes: its first 64 base64 letters hold the magic, the length and the name.
fn openssh_cipher(block: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let mut letters = String::new();
    let mut rest = block;
    while letters.len() < 64 {
        let c = rest.chars().next()?;
        if let Some(after) = rest.strip_prefix("\\n") {
            rest = after;
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' {
            letters.push(c);
        } else if !(c.is_whitespace() || c == '"' || c == '#') {
            return None;
        }
        rest = &rest[c.len_utf8()..];
    }
    let header = base64::engine::general_purpose::STANDARD.decode(&letters).ok()?;
    let rest = header.strip_prefix(b"openssh-key-v1\0")?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    rest.get(4..4 + len).map(<[u8]>::to_vec)
}

/// The text of a file holding private keys as renderers show it: each key's base64 (and an age
/// identity's data) replaced by `*`, so a snippet of a line that holds a key inline does not
/// print the key again in a terminal or CI log. Offsets, lines and columns stay the same.
fn without_key_bodies(text: &SourceFile, keys: &[PrivateKeyFinding]) -> SourceFile {
    let mut bytes = text.text.as_bytes().to_vec();
    for key in keys {
        let (start, end) = (usize::from(key.range.start()), usize::from(key.range.end()));
        let body = if text.text[start..end].starts_with("AGE-SECRET-KEY-1") {
            start + "AGE-SECRET-KEY-1".len()..end
        } else {
            let tail = &text.text[end..];
            end..end + tail.find("-----END").unwrap_or(tail.len())
        };
        let mut i = body.start;
        while i < body.end {
            // Keep `\n` escapes of keys written inline: the line stays readable.
            if bytes[i] == b'\\' {
                i += 2;
                continue;
            }
            let run = bytes[i..body.end]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                .count();
            // Short words are armour headers (`Proc-Type`, `ENCRYPTED`), not key data.
            if run >= 16 {
                bytes[i..i + run].fill(b'*');
            }
            i += run.max(1);
        }
    }
    let mut shown = SourceFile::new(text.path.clone(), String::from_utf8_lossy(&bytes).into_owned());
    shown.invalid_utf8_at = text.invalid_utf8_at;
    shown
}

#[cfg(test)]
mod tests {
    use crate::project::{MemorySource, Project};

    /// A `sopsFile` set through a helper (`lib.genAttrs` over the secret names) names the
    /// file as well as a written-out one: it counts as a secrets file with its references.
    #[test]
    fn sops_files_named_through_helpers() {
        let fixture = r#"//- /flake.nix
{ inputs.blueprint.url = "github:numtide/blueprint"; outputs = inputs: inputs.blueprint { inherit inputs; }; }
//- /hosts/h/configuration.nix
{ lib, ... }:
let
  fromApp = name: { sopsFile = ./app.bin; format = "binary"; };
in
{
  sops.secrets = lib.genAttrs [ "db" "api" ] fromApp;
}
//- /hosts/h/app.bin
binary
"#;
        let project = Project::build(&MemorySource::from_fixture(fixture), &[]);
        let file = project
            .secrets
            .files
            .get("hosts/h/app.bin")
            .expect("the file is a secrets file");
        assert_eq!(file.references.len(), 1, "one literal, reached by two secrets");
    }
}
