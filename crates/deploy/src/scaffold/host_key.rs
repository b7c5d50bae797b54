//! ed25519 SSH host keys made in memory: the OpenSSH private key (only ever handed to the
//! SOPS library for encryption) and the `.pub` line that goes into the repository.
//!
//! Written by hand rather than with the `ssh-key` crate: the format is small, curve25519-dalek
//! and sha2 are already dependencies, and `ssh-keygen -y` checks the result in the tests.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use curve25519_dalek::edwards::EdwardsPoint;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

use nixpilot_sops::ssh_to_age;

#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("not an unencrypted OpenSSH ed25519 private key: {0}")]
    Parse(#[from] ssh_to_age::SshToAgeError),
}

/// A host key pair. The private half is wiped when dropped and never printed by `Debug`.
pub struct HostKey {
    seed: Zeroizing<[u8; 32]>,
    public: [u8; 32],
    comment: String,
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKey")
            .field("public", &self.public_line())
            .finish_non_exhaustive()
    }
}

impl HostKey {
    /// A new key from the OS random number generator.
    pub fn generate(comment: &str) -> Result<HostKey, HostKeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut seed[..]).map_err(|e| HostKeyError::Random(e.to_string()))?;
        Ok(HostKey::from_seed(seed, comment))
    }

    /// The key inside an unencrypted OpenSSH private key file (e.g. one made by `ssh-keygen`).
    pub fn from_openssh(pem: &[u8], comment: &str) -> Result<HostKey, HostKeyError> {
        let seed = ssh_to_age::ed25519_seed_from_openssh(pem)?;
        Ok(HostKey::from_seed(seed, comment))
    }

    fn from_seed(seed: Zeroizing<[u8; 32]>, comment: &str) -> HostKey {
        // RFC 8032: the secret scalar is the clamped first half of SHA-512(seed).
        let mut digest = Sha512::digest(&seed[..]);
        let mut scalar = [0u8; 32];
        scalar.copy_from_slice(&digest[..32]);
        digest.as_mut_slice().zeroize();
        let public = EdwardsPoint::mul_base_clamped(scalar).compress().to_bytes();
        scalar.zeroize();
        HostKey {
            seed,
            public,
            comment: comment.to_string(),
        }
    }

    /// The `ssh-ed25519 AAAA… comment` line of the `.pub` file (no newline).
    pub fn public_line(&self) -> String {
        let mut blob = Vec::new();
        put_string(&mut blob, b"ssh-ed25519");
        put_string(&mut blob, &self.public);
        if self.comment.is_empty() {
            format!("ssh-ed25519 {}", B64.encode(&blob))
        } else {
            format!("ssh-ed25519 {} {}", B64.encode(&blob), self.comment)
        }
    }

    /// The host's age recipient, as sops-nix will derive it from the private key.
    pub fn age_recipient(&self) -> Result<String, ssh_to_age::SshToAgeError> {
        ssh_to_age::ed25519_public_to_recipient(&self.public)
    }

    /// The raw public key, to compare with a `.pub` file.
    pub fn public_bytes(&self) -> &[u8; 32] {
        &self.public
    }

    /// The private key as OpenSSH writes it (`openssh-key-v1`, unencrypted), ending in a
    /// newline as OpenSSH requires. Meant to go straight into an encrypted secrets file.
    pub fn openssh_private(&self) -> Zeroizing<String> {
        let mut check = [0u8; 4];
        // The check words only detect a wrong passphrase; any value works for unencrypted keys,
        // so a failing RNG here is not a reason to stop: derive them from the public key.
        if getrandom::fill(&mut check).is_err() {
            check.copy_from_slice(&self.public[..4]);
        }
        let mut private = Zeroizing::new(Vec::new());
        private.extend_from_slice(&check);
        private.extend_from_slice(&check);
        put_string(&mut private, b"ssh-ed25519");
        put_string(&mut private, &self.public);
        let mut sk = Zeroizing::new(Vec::with_capacity(64));
        sk.extend_from_slice(&self.seed[..]);
        sk.extend_from_slice(&self.public);
        put_string(&mut private, &sk);
        put_string(&mut private, self.comment.as_bytes());
        // Padding 1, 2, 3, … up to the cipher block size (8 for "none").
        let mut pad = 1u8;
        while private.len() % 8 != 0 {
            private.push(pad);
            pad += 1;
        }

        let mut public_blob = Vec::new();
        put_string(&mut public_blob, b"ssh-ed25519");
        put_string(&mut public_blob, &self.public);

        let mut blob = Zeroizing::new(Vec::new());
        blob.extend_from_slice(b"openssh-key-v1\0");
        put_string(&mut blob, b"none");
        put_string(&mut blob, b"none");
        put_string(&mut blob, b"");
        blob.extend_from_slice(&1u32.to_be_bytes());
        put_string(&mut blob, &public_blob);
        put_string(&mut blob, &private);

        let b64 = Zeroizing::new(B64.encode(&blob[..]));
        let mut out = Zeroizing::new(String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        // OpenSSH wraps at 70 columns.
        for chunk in b64.as_bytes().chunks(70) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END OPENSSH PRIVATE KEY-----\n");
        out
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The raw 32-byte key of the first `ssh-ed25519` line of a `.pub` / authorized_keys text.
pub fn parse_public_line(text: &str) -> Option<[u8; 32]> {
    let line = text.lines().map(str::trim).find(|l| l.starts_with("ssh-ed25519 "))?;
    let b64 = line.split_whitespace().nth(1)?;
    let blob = B64.decode(b64).ok()?;
    // string "ssh-ed25519" (4 + 11) then string key (4 + 32)
    if blob.len() != 51 || &blob[4..15] != b"ssh-ed25519" {
        return None;
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&blob[19..51]);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_key_round_trips_through_the_openssh_parser() {
        let key = HostKey::generate("root@web1").expect("rng");
        let pem = key.openssh_private();
        let again = HostKey::from_openssh(pem.as_bytes(), "root@web1").expect("parses");
        assert_eq!(again.public_line(), key.public_line());
        assert_eq!(parse_public_line(&key.public_line()), Some(*key.public_bytes()));
        // The age recipient of the public half is the one ssh-to-age gives for the .pub line.
        assert_eq!(
            key.age_recipient().expect("converts"),
            ssh_to_age::public_key_to_recipient(&key.public_line()).expect("converts")
        );
        assert!(pem.ends_with("-----END OPENSSH PRIVATE KEY-----\n"));
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 §7.1, TEST 1: secret key 9d61b1…7f60 gives public key d75a98…511a.
        let seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let mut seed = Zeroizing::new([0u8; 32]);
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&seed_hex[2 * i..2 * i + 2], 16).expect("hex");
        }
        let key = HostKey::from_seed(seed, "");
        let hex: String = key.public.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    }
}
