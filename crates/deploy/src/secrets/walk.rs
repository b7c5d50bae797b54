//! Encrypting and decrypting a whole tree: which leaves are encrypted (sops's
//! `shouldBeEncrypted`), the AAD of each leaf, and the SHA-512 MAC over the plaintexts.

use std::collections::HashMap;

use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use super::cipher::{self, CipherError, DataKey, IV_LEN};
use nixpilot_sops::tree::{Comment, Map, MapItem, Value};

/// `MACOnlyEncryptedInitialization` in sops: SHA-256("sops"), fed first when
/// only encrypted values count, so the two MAC modes never agree.
pub const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b,
    0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// Which leaves are encrypted: shared with the lint crate, which checks files for plaintext.
pub use nixpilot_sops::crypt::EncryptionRules as Rules;

/// IVs of decrypted values keyed by (type, plaintext, AAD), so re-encrypting an
/// unchanged value gives the same ciphertext (sops's IV stash).
#[derive(Default)]
pub struct IvStash {
    entries: Vec<StashEntry>,
    /// Entries by AAD, in insertion order: the AAD is the value's key path, so a lookup
    /// compares one plaintext instead of every stashed one (10,000 values: 50 million).
    by_aad: HashMap<String, Vec<usize>>,
}

/// (plaintext, type, AAD, IV)
type StashEntry = (Zeroizing<Vec<u8>>, &'static str, String, [u8; IV_LEN]);

/// The per-leaf callback of the tree walk: leaf, key path, comment stack.
type LeafFn<'a, E> = dyn FnMut(&mut Value, &[String], &[Vec<String>]) -> Result<(), E> + 'a;

impl std::fmt::Debug for IvStash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IvStash({} entries)", self.entries.len())
    }
}

impl IvStash {
    fn get(&self, pt: &[u8], t: &str, aad: &str) -> Option<[u8; IV_LEN]> {
        let candidates = self.by_aad.get(aad)?;
        candidates
            .iter()
            .map(|&i| &self.entries[i])
            .find(|(p, tt, a, _)| &p[..] == pt && *tt == t && a == aad)
            .map(|e| e.3)
    }

    fn put(&mut self, pt: &[u8], t: &'static str, aad: &str, iv: [u8; IV_LEN]) {
        if self.get(pt, t, aad).is_none() {
            self.by_aad.entry(aad.to_string()).or_default().push(self.entries.len());
            self.entries.push((Zeroizing::new(pt.to_vec()), t, aad.to_string(), iv));
        }
    }
}

/// A failure at one leaf; `path` is the key path (names only, no values).
#[derive(Debug, thiserror::Error)]
#[error("value at `{path}`: {error}")]
pub struct LeafError {
    pub path: String,
    pub error: LeafErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum LeafErrorKind {
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error("expected an encrypted string, found a plain value")]
    NotEncrypted,
}

fn aad_of(path: &[String]) -> String {
    let mut s = path.join(":");
    s.push(':');
    s
}

fn mac_bytes(v: &Value) -> Option<Zeroizing<Vec<u8>>> {
    match v {
        Value::Comment(_) => None,
        other => cipher::plaintext_of(other).map(|(b, _)| b),
    }
}

fn is_empty_leaf(v: &Value) -> bool {
    match v {
        Value::Str(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::Comment(c) => c.text.is_empty(),
        _ => false,
    }
}

/// Visits every leaf (comments included) with its path and the comment stack.
fn walk_map<E>(
    map: &mut Map,
    path: &mut Vec<String>,
    stack: &mut Vec<Vec<String>>,
    f: &mut LeafFn<'_, E>,
) -> Result<(), E> {
    stack.push(Vec::new());
    for item in &mut map.0 {
        match item {
            MapItem::Comment(c) => {
                if let Some(level) = stack.last_mut() {
                    level.push(c.text.clone());
                }
                let mut v = Value::Comment(c.clone());
                f(&mut v, path, stack)?;
                if let Value::Comment(nc) = v {
                    *c = Comment {
                        text: nc.text,
                        inline: c.inline,
                    };
                }
            }
            MapItem::Pair(k, v) => {
                path.push(k.clone());
                walk_value(v, path, stack, f)?;
                path.pop();
                if let Some(level) = stack.last_mut() {
                    level.clear();
                }
            }
        }
    }
    stack.pop();
    Ok(())
}

fn walk_value<E>(
    v: &mut Value,
    path: &mut Vec<String>,
    stack: &mut Vec<Vec<String>>,
    f: &mut LeafFn<'_, E>,
) -> Result<(), E> {
    match v {
        Value::Map(m) => walk_map(m, path, stack, f),
        Value::List(l) => {
            stack.push(Vec::new());
            for item in l.iter_mut() {
                let is_comment = matches!(item, Value::Comment(_));
                if let Value::Comment(c) = item {
                    if let Some(level) = stack.last_mut() {
                        level.push(c.text.clone());
                    }
                    let inline = c.inline;
                    f(item, path, stack)?;
                    if let Value::Comment(c) = item {
                        c.inline = inline;
                    }
                } else {
                    walk_value(item, path, stack, f)?;
                }
                if !is_comment {
                    if let Some(level) = stack.last_mut() {
                        level.clear();
                    }
                }
            }
            stack.pop();
            Ok(())
        }
        Value::Null => Ok(()),
        _ => f(v, path, stack),
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Encrypts the leaves of `branches` in place and returns the MAC (128
/// uppercase hex chars) over their plaintexts.
pub fn encrypt_tree(branches: &mut [Map], key: &DataKey, rules: &Rules, stash: &IvStash) -> Result<String, LeafError> {
    let mut hash = Sha512::new();
    if rules.mac_only_encrypted {
        hash.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    for branch in branches.iter_mut() {
        let mut f = |leaf: &mut Value, path: &[String], comments: &[Vec<String>]| -> Result<(), LeafError> {
            let is_comment = matches!(leaf, Value::Comment(_));
            let encrypted = rules.should_encrypt(path, comments, is_comment);
            if !rules.mac_only_encrypted || encrypted {
                if let Some(b) = mac_bytes(leaf) {
                    hash.update(&b[..]);
                }
            }
            if !encrypted || is_empty_leaf(leaf) {
                return Ok(());
            }
            let Some((pt, t)) = cipher::plaintext_of(leaf) else {
                return Ok(());
            };
            let aad = aad_of(path);
            let iv = stash.get(&pt, t, &aad);
            let enc = cipher::encrypt(key, &pt, t, &aad, iv).map_err(|e| LeafError {
                path: path.join("/"),
                error: e.into(),
            })?;
            leaf.wipe();
            *leaf = match leaf {
                Value::Comment(_) => Value::Comment(Comment {
                    text: enc,
                    inline: false,
                }),
                _ => Value::Str(enc),
            };
            Ok(())
        };
        walk_map(branch, &mut Vec::new(), &mut Vec::new(), &mut f)?;
        encrypted_list_comments_to_values(branch);
    }
    Ok(hex_upper(&hash.finalize()))
}

/// sops's `walkSlice` stores an encrypted comment back as a plain string, so
/// in lists sops writes `- ENC[…,type:comment]` items instead of `#ENC[…]`
/// lines; we write the same (decryption turns them back into comments).
fn encrypted_list_comments_to_values(map: &mut Map) {
    fn visit(v: &mut Value) {
        match v {
            Value::Map(m) => encrypted_list_comments_to_values(m),
            Value::List(l) => {
                for item in l.iter_mut() {
                    if let Value::Comment(c) = item {
                        if cipher::is_encrypted(&c.text) {
                            *item = Value::Str(std::mem::take(&mut c.text));
                        }
                    } else {
                        visit(item);
                    }
                }
            }
            _ => {}
        }
    }
    for item in &mut map.0 {
        if let MapItem::Pair(_, v) = item {
            visit(v);
        }
    }
}

/// Decrypts the leaves of `branches` in place, records their IVs in `stash`,
/// and returns the MAC computed over the plaintexts (the caller compares it).
pub fn decrypt_tree(
    branches: &mut [Map],
    key: &DataKey,
    rules: &Rules,
    stash: &mut IvStash,
) -> Result<String, LeafError> {
    let mut hash = Sha512::new();
    if rules.mac_only_encrypted {
        hash.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    for branch in branches.iter_mut() {
        let mut f = |leaf: &mut Value, path: &[String], comments: &[Vec<String>]| -> Result<(), LeafError> {
            let is_comment = matches!(leaf, Value::Comment(_));
            let encrypted = rules.should_encrypt(path, comments, is_comment);
            let err = |e: LeafErrorKind| LeafError {
                path: path.join("/"),
                error: e,
            };
            if encrypted {
                let aad = aad_of(path);
                match leaf {
                    Value::Comment(c) => {
                        // Comments written by old sops versions are clear text.
                        if let Ok((pt, t, iv)) = cipher::decrypt_raw(key, &c.text, &aad) {
                            if let Ok(Value::Comment(nc)) = cipher::typed_value(&pt, &t) {
                                stash.put(&pt, "comment", &aad, iv);
                                c.text = nc.text;
                            }
                        }
                    }
                    Value::Str(s) if s.is_empty() => {}
                    Value::Str(s) => {
                        let (pt, t, iv) = cipher::decrypt_raw(key, s, &aad).map_err(|e| err(e.into()))?;
                        let v = cipher::typed_value(&pt, &t).map_err(|e| err(e.into()))?;
                        if let Some((_, tt)) = cipher::plaintext_of(&v) {
                            stash.put(&pt, tt, &aad, iv);
                        }
                        *leaf = v;
                    }
                    _ => return Err(err(LeafErrorKind::NotEncrypted)),
                }
            }
            if !rules.mac_only_encrypted || encrypted {
                if let Some(b) = mac_bytes(leaf) {
                    hash.update(&b[..]);
                }
            }
            Ok(())
        };
        walk_map(branch, &mut Vec::new(), &mut Vec::new(), &mut f)?;
    }
    Ok(hex_upper(&hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nixpilot_sops::yaml;
    use nixpilot_sops::{CryptRule, CryptRuleKind};

    fn rules(kind: CryptRuleKind, p: &str) -> Rules {
        Rules::new(
            &CryptRule {
                kind,
                pattern: p.into(),
            },
            false,
        )
        .expect("valid")
    }

    fn p(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn should_encrypt_matches_sops() {
        let r = rules(CryptRuleKind::UnencryptedSuffix, "_unencrypted");
        assert!(r.should_encrypt(&p(&["a", "b"]), &[], false));
        assert!(!r.should_encrypt(&p(&["a_unencrypted", "b"]), &[], false));
        let r = rules(CryptRuleKind::EncryptedSuffix, "_secret");
        assert!(!r.should_encrypt(&p(&["a"]), &[], false));
        assert!(r.should_encrypt(&p(&["x_secret", "a"]), &[], false));
        let r = rules(CryptRuleKind::EncryptedRegex, "^(data|stringData)$");
        assert!(r.should_encrypt(&p(&["data", "k"]), &[], false));
        assert!(!r.should_encrypt(&p(&["metadata", "k"]), &[], false));
        let r = rules(CryptRuleKind::UnencryptedRegex, "pub");
        assert!(!r.should_encrypt(&p(&["a", "public"]), &[], false));
        let r = rules(CryptRuleKind::EncryptedCommentRegex, "sops:enc");
        assert!(r.should_encrypt(&p(&["a"]), &[vec![" sops:enc".into()]], false));
        assert!(!r.should_encrypt(&p(&["a"]), &[vec![" sops:enc".into()]], true));
        assert!(!r.should_encrypt(&p(&["a"]), &[vec![]], false));
    }

    #[test]
    fn encrypt_then_decrypt_restores_tree_and_mac() {
        let key = DataKey::from_bytes(&[3u8; 32]).expect("key");
        let text = "# top\na: x\nb_unencrypted: clear\nn:\n    l:\n        - 1\n        - 2.5\n        - true\n    e: \"\"\n    z: null\n";
        let original = yaml::parse(text).expect("parses");
        let mut tree = original.clone();
        let r = rules(CryptRuleKind::UnencryptedSuffix, "_unencrypted");
        let mac1 = encrypt_tree(&mut tree, &key, &r, &IvStash::default()).expect("enc");
        assert_eq!(tree[0].get("b_unencrypted"), Some(&Value::Str("clear".into())));
        assert!(matches!(tree[0].get("a"), Some(Value::Str(s)) if s.starts_with("ENC[")));
        assert!(matches!(&tree[0].0[0], MapItem::Comment(c) if c.text.starts_with("ENC[")));
        let mut stash = IvStash::default();
        let mac2 = decrypt_tree(&mut tree, &key, &r, &mut stash).expect("dec");
        assert_eq!(mac1, mac2);
        assert_eq!(tree, original);
        // Same IVs give the same ciphertext when nothing changed.
        let mut again = original.clone();
        let mut first = original.clone();
        encrypt_tree(&mut again, &key, &r, &stash).expect("enc");
        encrypt_tree(&mut first, &key, &r, &stash).expect("enc");
        assert_eq!(again, first);
    }
}
