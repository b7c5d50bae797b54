//! `SopsFile`: one encrypted file in memory — parse, decrypt (MAC checked),
//! encrypt, set a value, update recipients, rotate the data key, serialize.

use std::path::{Path, PathBuf};

use super::age_keys::{self, AgeError, Recipient};
use super::atomic::{self, WriteLock};
use super::cipher::{self, DataKey};
use super::error::SecretsError;
use super::identity::Identities;
use super::walk::{self, IvStash, Rules};
use nixpilot_sops::keypath;
use nixpilot_sops::{self as sops, AgeEntry, CryptRule, EncryptedDocument, Format, Map, Metadata, Value};

/// The sops format version whose layout this library writes.
pub const SOPS_VERSION: &str = "3.13.2";
/// sops's default YAML indent.
pub const DEFAULT_YAML_INDENT: usize = 4;

/// Decrypted documents. Every string is wiped when it is dropped; Debug
/// prints the shape only.
#[derive(Debug, Clone)]
pub struct PlainTree {
    pub format: Format,
    pub branches: Vec<Map>,
}

impl Drop for PlainTree {
    fn drop(&mut self) {
        for b in &mut self.branches {
            b.wipe();
        }
    }
}

impl PlainTree {
    /// Reads a plain file (for `encrypt`); binary files become `{data: …}`.
    pub fn parse(path: &Path, format: Format, bytes: &[u8]) -> Result<PlainTree, SecretsError> {
        let branches = sops::read_plain(format, bytes).map_err(|source| SecretsError::Format {
            file: path.to_path_buf(),
            source,
        })?;
        Ok(PlainTree { format, branches })
    }

    /// The plain file text (what `sops -d` prints).
    pub fn to_bytes(&self, yaml_indent: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, sops::FormatError> {
        sops::write_plain(self.format, &self.branches, yaml_indent).map(zeroize::Zeroizing::new)
    }

    /// What `sops decrypt --extract PATH` prints: a string as its raw bytes
    /// (no newline added), a mapping as a plain document, any other value as
    /// the store writes a single value.
    pub fn extract(&self, path: &str, yaml_indent: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, ExtractError> {
        let v = self.get(path)?;
        let bytes = match v {
            Value::Str(s) => s.as_bytes().to_vec(),
            Value::Bytes(b) => b.clone(),
            Value::Map(m) => sops::write_plain(self.format, std::slice::from_ref(m), yaml_indent)?,
            other => match self.format {
                Format::Yaml => sops::yaml::emit_value(other, yaml_indent).into_bytes(),
                Format::Json => sops::json::emit_value(other).into_bytes(),
                _ => return Err(ExtractError::NotAString),
            },
        };
        Ok(zeroize::Zeroizing::new(bytes))
    }

    /// The value at a key path in the first document (`["a"][0]` or `a/b`).
    pub fn get(&self, path: &str) -> Result<&Value, keypath::KeyPathError> {
        let steps = keypath::parse(path)?;
        let first = self.branches.first().ok_or(keypath::KeyPathError::Missing(1))?;
        keypath::get(first, &steps)
    }
}

/// Why `PlainTree::extract` failed (no values in the message).
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(transparent)]
    KeyPath(#[from] keypath::KeyPathError),
    #[error(transparent)]
    Format(#[from] sops::FormatError),
    #[error("this store can only print string values")]
    NotAString,
}

/// A decrypted file held open for changes: the data key, the IVs of the
/// current values (so unchanged values keep their ciphertext) and the tree.
#[derive(Debug)]
pub struct Opened {
    key: DataKey,
    stash: IvStash,
    pub plain: PlainTree,
}

impl Opened {
    pub fn data_key(&self) -> &DataKey {
        &self.key
    }
}

/// How to encrypt a new file.
#[derive(Debug, Clone)]
pub struct EncryptOptions {
    pub rule: CryptRule,
    pub mac_only_encrypted: bool,
    pub yaml_indent: usize,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        EncryptOptions {
            rule: CryptRule::default(),
            mac_only_encrypted: false,
            yaml_indent: DEFAULT_YAML_INDENT,
        }
    }
}

/// What `updatekeys` changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl KeyChanges {
    /// The recipients that go from `current` (a file's age entries) to `wanted` (its creation
    /// rule's): the one comparison behind `updatekeys` and the confirmations that show it.
    pub fn between(current: &[String], wanted: &[Recipient]) -> KeyChanges {
        KeyChanges {
            added: wanted
                .iter()
                .filter(|w| !current.contains(&w.text))
                .map(|w| w.text.clone())
                .collect(),
            removed: current
                .iter()
                .filter(|c| !wanted.iter().any(|w| w.text == **c))
                .cloned()
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct SopsFile {
    path: PathBuf,
    doc: EncryptedDocument,
    yaml_indent: usize,
}

impl SopsFile {
    /// Parses an encrypted file; the format follows the extension, as in sops.
    pub fn parse(path: impl Into<PathBuf>, bytes: &[u8]) -> Result<SopsFile, SecretsError> {
        let path = path.into();
        let fmt = Format::from_path(&path);
        SopsFile::parse_as(path, fmt, bytes)
    }

    pub fn parse_as(path: impl Into<PathBuf>, fmt: Format, bytes: &[u8]) -> Result<SopsFile, SecretsError> {
        let path = path.into();
        let doc = sops::read_encrypted(fmt, bytes).map_err(|source| SecretsError::Format {
            file: path.clone(),
            source,
        })?;
        Ok(SopsFile {
            path,
            doc,
            yaml_indent: DEFAULT_YAML_INDENT,
        })
    }

    /// Reads and parses a file from disk.
    pub fn read(path: impl Into<PathBuf>) -> Result<SopsFile, SecretsError> {
        let path = path.into();
        let bytes = std::fs::read(&path).map_err(|source| {
            SecretsError::Write(atomic::WriteError::Io {
                path: path.clone(),
                source,
            })
        })?;
        SopsFile::parse(path, &bytes)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> Format {
        self.doc.format
    }

    pub fn metadata(&self) -> &Metadata {
        &self.doc.metadata
    }

    /// The encrypted documents (values are `ENC[…]` strings).
    pub fn branches(&self) -> &[Map] {
        &self.doc.branches
    }

    /// YAML indent used by `serialize` (sops's `stores.yaml.indent`).
    pub fn set_yaml_indent(&mut self, indent: usize) {
        self.yaml_indent = indent;
    }

    pub fn recipients(&self) -> Vec<String> {
        self.doc
            .metadata
            .age_entries()
            .into_iter()
            .map(|e| e.recipient)
            .collect()
    }

    fn rules(&self) -> Result<Rules, SecretsError> {
        let rule = self
            .doc
            .metadata
            .crypt_rule()
            .map_err(|rules| SecretsError::ConflictingRules {
                file: self.path.clone(),
                rules,
            })?;
        Rules::new(&rule, self.doc.metadata.mac_only_encrypted()).map_err(|e| SecretsError::BadRegex {
            file: self.path.clone(),
            reason: e.to_string(),
        })
    }

    /// Unwraps the data key with the first age entry that one of `ids` opens.
    pub fn data_key(&self, ids: &Identities) -> Result<DataKey, SecretsError> {
        if self.doc.metadata.has_key_groups() {
            return Err(SecretsError::KeyGroups {
                file: self.path.clone(),
            });
        }
        let age_ids = ids.as_age();
        let mut problems = ids.problems.clone();
        for entry in self.doc.metadata.age_entries() {
            if age_ids.is_empty() {
                break;
            }
            match age_keys::unwrap(&entry.enc, &age_ids) {
                Ok(k) => return Ok(k),
                Err(AgeError::NoMatch) => {}
                Err(e) => problems.push(format!("entry for {}: {e}", entry.recipient)),
            }
        }
        Err(SecretsError::NoIdentity {
            file: self.path.clone(),
            recipients: self.recipients(),
            looked_in: ids.looked_in.clone(),
            problems,
        })
    }

    /// Decrypts every value and checks the MAC.
    pub fn open(&self, ids: &Identities) -> Result<Opened, SecretsError> {
        let key = self.data_key(ids)?;
        self.open_with_key(key)
    }

    pub fn open_with_key(&self, key: DataKey) -> Result<Opened, SecretsError> {
        let rules = self.rules()?;
        let mut branches = self.doc.branches.clone();
        let mut stash = IvStash::default();
        let computed =
            walk::decrypt_tree(&mut branches, &key, &rules, &mut stash).map_err(|source| SecretsError::Value {
                file: self.path.clone(),
                source,
            });
        // Build the tree first so a failure still wipes what was decrypted.
        let plain = PlainTree {
            format: self.doc.format,
            branches,
        };
        let computed = computed?;
        let bad_mac = || SecretsError::BadMac {
            file: self.path.clone(),
        };
        let lastmodified = self.doc.metadata.lastmodified().ok_or_else(bad_mac)?;
        let mac_enc = self.doc.metadata.mac().ok_or_else(bad_mac)?;
        let (stored, _, _) = cipher::decrypt_raw(&key, &mac_enc, &lastmodified).map_err(|_| bad_mac())?;
        if stored[..] != *computed.as_bytes() {
            return Err(SecretsError::MacMismatch {
                file: self.path.clone(),
            });
        }
        Ok(Opened { key, stash, plain })
    }

    /// Decrypts the file (MAC checked) into its plain documents.
    pub fn decrypt(&self, ids: &Identities) -> Result<PlainTree, SecretsError> {
        let opened = self.open(ids)?;
        Ok(opened.plain.clone())
    }

    /// Encrypts plain documents for `recipients` into a new file.
    pub fn encrypt(
        path: impl Into<PathBuf>,
        plain: &PlainTree,
        recipients: &[Recipient],
        options: &EncryptOptions,
    ) -> Result<SopsFile, SecretsError> {
        let path = path.into();
        if recipients.is_empty() {
            return Err(SecretsError::NoRecipients { file: path });
        }
        // Zero documents would come back as one empty mapping; sops refuses them too.
        if plain.branches.is_empty() {
            return Err(SecretsError::Empty { file: path });
        }
        let key = DataKey::generate().map_err(|_| SecretsError::Random)?;
        let mut metadata = Metadata::default();
        // sops records no crypt rule for binary files (only `data` exists).
        if plain.format != Format::Binary {
            metadata.set_crypt_rule(&options.rule);
        }
        metadata.set_mac_only_encrypted(options.mac_only_encrypted);
        metadata.set_version(SOPS_VERSION);
        let mut file = SopsFile {
            path,
            doc: EncryptedDocument {
                format: plain.format,
                branches: Vec::new(),
                metadata,
                flat_original: None,
            },
            yaml_indent: options.yaml_indent,
        };
        file.wrap_for(&key, recipients, &[])?;
        let opened = Opened {
            key,
            stash: IvStash::default(),
            plain: plain.clone(),
        };
        file.store(&opened)?;
        Ok(file)
    }

    /// Re-encrypts `opened.plain` into this file with its data key, keeping
    /// the ciphertext of unchanged values; sets `lastmodified` and the MAC.
    pub fn store(&mut self, opened: &Opened) -> Result<(), SecretsError> {
        // A `sops` key set by `secrets set`, an edit or a plain file would be written next to
        // the metadata and make the file unreadable.
        if let Some((document, key)) = sops::reserved_key(opened.plain.format, &opened.plain.branches) {
            return Err(SecretsError::Format {
                file: self.path.clone(),
                source: sops::FormatError::ReservedKey { document, key },
            });
        }
        let rules = self.rules()?;
        let mut branches = opened.plain.branches.clone();
        let mac = walk::encrypt_tree(&mut branches, &opened.key, &rules, &opened.stash).map_err(|source| {
            SecretsError::Value {
                file: self.path.clone(),
                source,
            }
        })?;
        let now = now_rfc3339();
        let mac_enc =
            cipher::encrypt(&opened.key, mac.as_bytes(), "str", &now, None).map_err(|_| SecretsError::Random)?;
        self.doc.branches = branches;
        self.doc.format = opened.plain.format;
        self.doc.metadata.set_lastmodified(&now);
        self.doc.metadata.set_mac(&mac_enc);
        Ok(())
    }

    /// Sets one value (creating maps on the way), like `sops set`.
    pub fn set(&mut self, ids: &Identities, path: &str, value: Value) -> Result<(), SecretsError> {
        let mut opened = self.open(ids)?;
        self.set_in(&mut opened, path, value)?;
        self.store(&opened)
    }

    /// Sets a value in an opened tree (first document).
    pub fn set_in(&self, opened: &mut Opened, path: &str, value: Value) -> Result<(), SecretsError> {
        let kp = |source| SecretsError::KeyPath {
            file: self.path.clone(),
            source,
        };
        let steps = keypath::parse(path).map_err(kp)?;
        if opened.plain.branches.is_empty() {
            opened.plain.branches.push(Map::new());
        }
        keypath::set(&mut opened.plain.branches[0], &steps, value).map_err(kp)
    }

    /// Wraps the data key for exactly `recipients`: entries for recipients
    /// that stay keep their `enc`; values are untouched.
    pub fn updatekeys(&mut self, ids: &Identities, recipients: &[Recipient]) -> Result<KeyChanges, SecretsError> {
        if recipients.is_empty() {
            return Err(SecretsError::NoRecipients {
                file: self.path.clone(),
            });
        }
        let old = self.doc.metadata.age_entries();
        let changes = KeyChanges::between(&self.recipients(), recipients);
        if changes.is_empty() && old.len() == recipients.len() {
            return Ok(changes);
        }
        let key = self.data_key(ids)?;
        self.wrap_for(&key, recipients, &old)?;
        Ok(changes)
    }

    /// A new data key: every value re-encrypted, the key wrapped again for
    /// the current recipients. Refused, before anything changes, when the data key is also
    /// wrapped for keys other than age: those entries would keep the old key. (The file is
    /// opened first, so a tampered or unreadable file is reported as such.)
    pub fn rotate(&mut self, ids: &Identities) -> Result<(), SecretsError> {
        let opened = self.open(ids)?;
        let foreign = self.foreign_key_entries();
        if !foreign.is_empty() {
            return Err(SecretsError::CannotRewrap {
                file: self.path.clone(),
                kinds: foreign,
            });
        }
        let recipients = self
            .recipients()
            .iter()
            .map(|r| Recipient::parse(r).map_err(SecretsError::Recipient))
            .collect::<Result<Vec<_>, _>>()?;
        let key = DataKey::generate().map_err(|_| SecretsError::Random)?;
        let fresh = Opened {
            key,
            stash: IvStash::default(),
            plain: opened.plain.clone(),
        };
        self.wrap_for(&fresh.key, &recipients, &[])?;
        self.store(&fresh)
    }

    /// The key types besides age that hold the data key (`pgp`, `kms`, …), with how many
    /// entries each has; nixpilot can decrypt with none of them, so it cannot re-wrap them.
    pub fn foreign_key_entries(&self) -> Vec<String> {
        ["pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"]
            .into_iter()
            .filter_map(|kind| match self.doc.metadata.raw.get(kind) {
                Some(Value::List(entries)) if !entries.is_empty() => Some(format!(
                    "{kind} ({} {})",
                    entries.len(),
                    if entries.len() == 1 { "entry" } else { "entries" }
                )),
                _ => None,
            })
            .collect()
    }

    fn wrap_for(&mut self, key: &DataKey, recipients: &[Recipient], keep: &[AgeEntry]) -> Result<(), SecretsError> {
        let mut entries = Vec::new();
        for r in recipients {
            if let Some(existing) = keep.iter().find(|e| e.recipient == r.text) {
                entries.push(existing.clone());
                continue;
            }
            let enc = age_keys::wrap(key, r).map_err(|source| SecretsError::Wrap {
                file: self.path.clone(),
                source,
            })?;
            entries.push(AgeEntry {
                recipient: r.text.clone(),
                enc,
            });
        }
        self.doc.metadata.set_age_entries(&entries);
        Ok(())
    }

    /// The file's bytes as sops would write them.
    pub fn serialize(&self) -> Result<Vec<u8>, SecretsError> {
        sops::write_encrypted(&self.doc, self.yaml_indent).map_err(|source| SecretsError::Format {
            file: self.path.clone(),
            source,
        })
    }

    /// Writes the file atomically under `lock` (which must be for this path).
    pub fn write(&self, lock: &WriteLock) -> Result<(), SecretsError> {
        let bytes = self.serialize()?;
        atomic::write_atomic(lock, &bytes)?;
        Ok(())
    }
}

/// UTC now as RFC 3339 with seconds, like Go's `time.Now().UTC().Format(time.RFC3339)`.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339_from_unix(secs)
}

pub fn rfc3339_from_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_unix(1_633_031_381), "2021-09-30T19:49:41Z");
        assert_eq!(rfc3339_from_unix(951_782_400), "2000-02-29T00:00:00Z");
    }
}
