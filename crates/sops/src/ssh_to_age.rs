//! ssh-to-age in Rust: an ed25519 SSH public key becomes an X25519 `age1…`
//! recipient, and an OpenSSH ed25519 private key the matching `AGE-SECRET-KEY-1…`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bech32::{Bech32, Hrp};
use curve25519_dalek::edwards::CompressedEdwardsY;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SshToAgeError {
    /// Mirrors ssh-to-age's `ErrUnsupportedKeyType`.
    #[error("only ed25519 keys are supported (found {0})")]
    UnsupportedKeyType(String),
    #[error("not an SSH public key line")]
    NotAPublicKey,
    #[error("malformed SSH key data")]
    Malformed,
    #[error("the ed25519 public key is not a valid curve point")]
    InvalidPoint,
    #[error("not an OpenSSH private key (expected `-----BEGIN OPENSSH PRIVATE KEY-----`)")]
    NotAPrivateKey,
    #[error("the private key is passphrase-protected; decrypt it first (`ssh-keygen -p`) or use an age key")]
    Encrypted,
}

/// Converts one `authorized_keys` or `known_hosts` line.
pub fn public_key_to_recipient(line: &str) -> Result<String, SshToAgeError> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    // authorized_keys lines start with the type (maybe after options), known_hosts
    // lines with the host list; the type is the first token that looks like one.
    let pos = tokens
        .iter()
        .position(|t| t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-"))
        .ok_or(SshToAgeError::NotAPublicKey)?;
    let key_type = tokens[pos];
    if key_type != "ssh-ed25519" {
        return Err(SshToAgeError::UnsupportedKeyType(key_type.to_string()));
    }
    let blob = tokens
        .get(pos + 1)
        .and_then(|b| B64.decode(b).ok())
        .ok_or(SshToAgeError::Malformed)?;
    let mut r = Reader(&blob);
    if r.string()? != b"ssh-ed25519" {
        return Err(SshToAgeError::Malformed);
    }
    let pk = r.string()?;
    ed25519_public_to_recipient(pk)
}

/// The X25519 recipient of a raw 32-byte ed25519 public key.
pub fn ed25519_public_to_recipient(pk: &[u8]) -> Result<String, SshToAgeError> {
    let bytes: [u8; 32] = pk.try_into().map_err(|_| SshToAgeError::Malformed)?;
    let point = CompressedEdwardsY(bytes)
        .decompress()
        .ok_or(SshToAgeError::InvalidPoint)?;
    let u = point.to_montgomery().to_bytes();
    let hrp = Hrp::parse("age").map_err(|_| SshToAgeError::Malformed)?;
    bech32::encode::<Bech32>(hrp, &u).map_err(|_| SshToAgeError::Malformed)
}

/// Converts every non-empty, non-`#` line (like `ssh-to-age` does); returns the
/// recipients in order and, for each skipped line, its number and why.
pub fn convert_public_keys(text: &str) -> (Vec<String>, Vec<(usize, SshToAgeError)>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        match public_key_to_recipient(t) {
            Ok(r) => out.push(r),
            Err(e) => skipped.push((i + 1, e)),
        }
    }
    (out, skipped)
}

/// Converts an OpenSSH ed25519 private key to an `AGE-SECRET-KEY-1…` string:
/// the X25519 scalar is SHA-512(seed)[..32], not clamped (age clamps on use).
pub fn private_key_to_identity(pem: &[u8]) -> Result<Zeroizing<String>, SshToAgeError> {
    let seed = ed25519_seed_from_openssh(pem)?;
    let mut digest = Sha512::digest(&seed[..]);
    let scalar = Zeroizing::new(digest[..32].to_vec());
    digest.as_mut_slice().zeroize();
    let hrp = Hrp::parse("age-secret-key-").map_err(|_| SshToAgeError::Malformed)?;
    let lower = Zeroizing::new(bech32::encode::<Bech32>(hrp, &scalar).map_err(|_| SshToAgeError::Malformed)?);
    Ok(Zeroizing::new(lower.to_uppercase()))
}

/// The 32-byte seed of an unencrypted `openssh-key-v1` ed25519 private key.
pub fn ed25519_seed_from_openssh(pem: &[u8]) -> Result<Zeroizing<[u8; 32]>, SshToAgeError> {
    let text = std::str::from_utf8(pem).map_err(|_| SshToAgeError::NotAPrivateKey)?;
    let begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    let end = "-----END OPENSSH PRIVATE KEY-----";
    let start = text.find(begin).ok_or(SshToAgeError::NotAPrivateKey)? + begin.len();
    let stop = text[start..].find(end).ok_or(SshToAgeError::NotAPrivateKey)? + start;
    let b64: Zeroizing<String> = Zeroizing::new(text[start..stop].chars().filter(|c| !c.is_whitespace()).collect());
    let blob = Zeroizing::new(B64.decode(b64.as_bytes()).map_err(|_| SshToAgeError::Malformed)?);
    let magic = b"openssh-key-v1\0";
    let body = blob.strip_prefix(&magic[..]).ok_or(SshToAgeError::Malformed)?;
    let mut r = Reader(body);
    let cipher = r.string()?;
    let _kdf = r.string()?;
    let _kdf_opts = r.string()?;
    if cipher != b"none" {
        return Err(SshToAgeError::Encrypted);
    }
    if r.u32()? != 1 {
        return Err(SshToAgeError::Malformed);
    }
    let _public = r.string()?;
    let private = r.string()?;
    let mut p = Reader(private);
    if p.u32()? != p.u32()? {
        // The two check words differ only when decryption went wrong.
        return Err(SshToAgeError::Malformed);
    }
    let key_type = p.string()?;
    if key_type != b"ssh-ed25519" {
        return Err(SshToAgeError::UnsupportedKeyType(
            String::from_utf8_lossy(key_type).into_owned(),
        ));
    }
    let _pk = p.string()?;
    let sk = p.string()?;
    if sk.len() != 64 {
        return Err(SshToAgeError::Malformed);
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&sk[..32]);
    Ok(seed)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Result<u32, SshToAgeError> {
        if self.0.len() < 4 {
            return Err(SshToAgeError::Malformed);
        }
        let (h, t) = self.0.split_at(4);
        self.0 = t;
        Ok(u32::from_be_bytes([h[0], h[1], h[2], h[3]]))
    }

    fn string(&mut self) -> Result<&'a [u8], SshToAgeError> {
        let n = self.u32()? as usize;
        if self.0.len() < n {
            return Err(SshToAgeError::Malformed);
        }
        let (h, t) = self.0.split_at(n);
        self.0 = t;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_to_odoo_public_keys() {
        // Public keys from numtide/zero-to-odoo, listed in the vectors README.
        assert_eq!(
            public_key_to_recipient(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAqPFC6kbAwLuJbNi9SA3VUJjwJqUkKvUnVFat8GEsDK zimbatm@no1"
            ),
            Ok("age1ngrn3qcw9e2ml6me96es9849n6xls0zrh8ews68uxspr9gme6shs3g2ez3".into())
        );
        assert_eq!(
            public_key_to_recipient(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOuiDoBOxgyer8vGcfAIbE6TC4n4jo8lhG9l01iJ0bZz zimbatm@no1"
            ),
            Ok("age1jrh8yyq3swjru09s75s4mspu0mphh7h6z54z946raa9wx3pcdegq0x8t4h".into())
        );
        assert_eq!(
            public_key_to_recipient("ssh-rsa AAAAB3NzaC1yc2E= x"),
            Err(SshToAgeError::UnsupportedKeyType("ssh-rsa".into()))
        );
        assert_eq!(public_key_to_recipient("garbage"), Err(SshToAgeError::NotAPublicKey));
    }
}
