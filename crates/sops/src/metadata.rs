//! A typed view over the `sops` metadata mapping, which is kept as read so that an
//! unchanged file is written back byte for byte (older sops versions order keys differently).

use super::tree::{Map, MapItem, Value};

/// The raw metadata mapping; accessors read it, setters edit it in place.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub raw: Map,
}

/// One `age` entry: the recipient and the armored age file wrapping the data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeEntry {
    pub recipient: String,
    pub enc: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptRuleKind {
    UnencryptedSuffix,
    EncryptedSuffix,
    UnencryptedRegex,
    EncryptedRegex,
    UnencryptedCommentRegex,
    EncryptedCommentRegex,
}

impl CryptRuleKind {
    pub const ALL: [CryptRuleKind; 6] = [
        CryptRuleKind::UnencryptedSuffix,
        CryptRuleKind::EncryptedSuffix,
        CryptRuleKind::UnencryptedRegex,
        CryptRuleKind::EncryptedRegex,
        CryptRuleKind::UnencryptedCommentRegex,
        CryptRuleKind::EncryptedCommentRegex,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CryptRuleKind::UnencryptedSuffix => "unencrypted_suffix",
            CryptRuleKind::EncryptedSuffix => "encrypted_suffix",
            CryptRuleKind::UnencryptedRegex => "unencrypted_regex",
            CryptRuleKind::EncryptedRegex => "encrypted_regex",
            CryptRuleKind::UnencryptedCommentRegex => "unencrypted_comment_regex",
            CryptRuleKind::EncryptedCommentRegex => "encrypted_comment_regex",
        }
    }
}

/// Which values get encrypted; sops allows at most one rule per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptRule {
    pub kind: CryptRuleKind,
    pub pattern: String,
}

impl Default for CryptRule {
    /// sops's default when no rule is given.
    fn default() -> Self {
        CryptRule {
            kind: CryptRuleKind::UnencryptedSuffix,
            pattern: "_unencrypted".into(),
        }
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Metadata {
    fn text(&self, key: &str) -> Option<String> {
        self.raw.get(key).and_then(as_text)
    }

    pub fn lastmodified(&self) -> Option<String> {
        self.text("lastmodified")
    }

    pub fn mac(&self) -> Option<String> {
        self.text("mac")
    }

    pub fn version(&self) -> Option<String> {
        self.text("version")
    }

    /// `mac_only_encrypted`, read weakly typed like mapstructure does (flat
    /// stores hold it as the string "true").
    pub fn mac_only_encrypted(&self) -> bool {
        match self.raw.get("mac_only_encrypted") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Str(s)) => matches!(s.as_str(), "true" | "True" | "TRUE" | "1" | "t" | "T"),
            Some(Value::Int(n)) => *n != 0,
            _ => false,
        }
    }

    /// Whether this is sops's metadata rather than a user's key that happens to be named
    /// `sops`: sops always writes `mac` and `version` as text, and at least one list of
    /// recipients (`age`, `pgp`, `kms`…, or `key_groups`).
    pub fn has_sops_structure(&self) -> bool {
        const RECIPIENT_LISTS: &[&str] = &["age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "key_groups"];
        self.mac().is_some()
            && self.version().is_some()
            && RECIPIENT_LISTS
                .iter()
                .any(|k| matches!(self.raw.get(k), Some(Value::List(_))))
    }

    /// Multiple key groups (Shamir) are written only with more than one group.
    pub fn has_key_groups(&self) -> bool {
        matches!(self.raw.get("key_groups"), Some(Value::List(l)) if !l.is_empty())
    }

    /// The one crypt rule in force; `Err` lists the conflicting keys.
    pub fn crypt_rule(&self) -> Result<CryptRule, Vec<&'static str>> {
        let set: Vec<CryptRule> = CryptRuleKind::ALL
            .iter()
            .filter_map(|kind| {
                self.text(kind.key())
                    .filter(|p| !p.is_empty())
                    .map(|pattern| CryptRule { kind: *kind, pattern })
            })
            .collect();
        match set.len() {
            0 => Ok(CryptRule::default()),
            1 => Ok(set.into_iter().next().unwrap_or_default()),
            _ => Err(set.iter().map(|r| r.kind.key()).collect()),
        }
    }

    pub fn age_entries(&self) -> Vec<AgeEntry> {
        let Some(Value::List(list)) = self.raw.get("age") else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|item| match item {
                Value::Map(m) => Some(AgeEntry {
                    recipient: m.get("recipient").and_then(as_text).unwrap_or_default(),
                    enc: m.get("enc").and_then(as_text).unwrap_or_default(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The age recipients of each key group: `key_groups[].age` when sops wrote several
    /// groups (Shamir), else the one group of the top-level `age` list.
    pub fn age_key_groups(&self) -> Vec<Vec<String>> {
        let recipients = |m: &Metadata| m.age_entries().into_iter().map(|e| e.recipient).collect();
        match self.raw.get("key_groups") {
            Some(Value::List(groups)) if !groups.is_empty() => groups
                .iter()
                .filter_map(|g| match g {
                    Value::Map(m) => Some(recipients(&Metadata { raw: m.clone() })),
                    _ => None,
                })
                .collect(),
            _ => vec![recipients(self)],
        }
    }

    /// `shamir_threshold`, written by sops only with several key groups.
    pub fn shamir_threshold(&self) -> Option<i64> {
        match self.raw.get("shamir_threshold") {
            Some(Value::Int(n)) => Some(*n),
            Some(Value::Str(s)) => s.parse().ok(),
            _ => None,
        }
    }

    /// Fingerprints of the `pgp` entries (kept, never used to decrypt).
    pub fn pgp_fingerprints(&self) -> Vec<String> {
        let Some(Value::List(list)) = self.raw.get("pgp") else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|item| match item {
                Value::Map(m) => m.get("fp").and_then(as_text),
                _ => None,
            })
            .collect()
    }

    /// Replaces the `age` list, keeping the key order of existing entries
    /// (sops ≤3.9 wrote `recipient` first, ≥3.10 `enc` first).
    pub fn set_age_entries(&mut self, entries: &[AgeEntry]) {
        let recipient_first = match self.raw.get("age") {
            Some(Value::List(l)) => l.iter().any(|item| {
                matches!(item, Value::Map(m) if matches!(m.0.first(), Some(MapItem::Pair(k, _)) if k == "recipient"))
            }),
            _ => false,
        };
        let list = entries
            .iter()
            .map(|e| {
                let r = MapItem::Pair("recipient".into(), Value::Str(e.recipient.clone()));
                let enc = MapItem::Pair("enc".into(), Value::Str(e.enc.clone()));
                Value::Map(Map(if recipient_first { vec![r, enc] } else { vec![enc, r] }))
            })
            .collect();
        self.insert_sorted("age", Value::List(list));
    }

    pub fn set_lastmodified(&mut self, ts: &str) {
        self.insert_sorted("lastmodified", Value::Str(ts.to_string()));
    }

    pub fn set_mac(&mut self, mac: &str) {
        self.insert_sorted("mac", Value::Str(mac.to_string()));
    }

    pub fn set_version(&mut self, version: &str) {
        self.insert_sorted("version", Value::Str(version.to_string()));
    }

    pub fn set_crypt_rule(&mut self, rule: &CryptRule) {
        for kind in CryptRuleKind::ALL {
            self.raw.remove(kind.key());
        }
        self.insert_sorted(rule.kind.key(), Value::Str(rule.pattern.clone()));
    }

    pub fn set_mac_only_encrypted(&mut self, on: bool) {
        if on {
            self.insert_sorted("mac_only_encrypted", Value::Bool(true));
        } else {
            self.raw.remove("mac_only_encrypted");
        }
    }

    /// Updates a key in place, or inserts a new one where sops ≥3.10's
    /// alphabetical order puts it.
    fn insert_sorted(&mut self, key: &str, value: Value) {
        if let Some(slot) = self.raw.get_mut(key) {
            *slot = value;
            return;
        }
        let pos = self
            .raw
            .0
            .iter()
            .position(|item| matches!(item, MapItem::Pair(k, _) if k.as_str() > key))
            .unwrap_or(self.raw.0.len());
        self.raw.0.insert(pos, MapItem::Pair(key.to_string(), value));
    }
}
