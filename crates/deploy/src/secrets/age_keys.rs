//! The data key wrapped per age recipient, as sops does: one armored age file
//! with one stanza per recipient, for X25519 `age1…` and `ssh-ed25519` recipients.

use std::io::{Read, Write};
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use zeroize::Zeroizing;

use super::cipher::DataKey;

#[derive(Debug, thiserror::Error)]
pub enum AgeError {
    #[error("invalid age recipient `{recipient}`: {reason}")]
    Recipient { recipient: String, reason: String },
    #[error("age encryption failed: {0}")]
    Encrypt(String),
    #[error("the wrapped data key is not an age file: {0}")]
    Format(String),
    #[error("no identity opens this recipient's stanza")]
    NoMatch,
    #[error("the unwrapped data key is not 32 bytes")]
    KeyLength,
}

/// A parsed recipient, with the text it came from (kept verbatim in metadata).
pub struct Recipient {
    pub text: String,
    inner: Box<dyn age::Recipient + Send + Sync>,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recipient({})", self.text)
    }
}

impl Recipient {
    /// Parses like sops's `parseRecipient`: `age1…` X25519 or `ssh-…`; the
    /// post-quantum and plugin forms are recognised and refused.
    pub fn parse(text: &str) -> Result<Recipient, AgeError> {
        let t = text.trim();
        let bad = |reason: &str| AgeError::Recipient {
            recipient: t.to_string(),
            reason: reason.to_string(),
        };
        let inner: Box<dyn age::Recipient + Send + Sync> = if t.starts_with("age1pq1") {
            return Err(bad("post-quantum hybrid recipients are not supported yet"));
        } else if let Some(rest) = t.strip_prefix("age1") {
            if rest.contains('1') {
                return Err(bad("age plugin recipients are not supported"));
            }
            Box::new(age::x25519::Recipient::from_str(t).map_err(bad)?)
        } else if t.starts_with("ssh-") {
            Box::new(age::ssh::Recipient::from_str(t).map_err(|e| bad(&format!("{e:?}")))?)
        } else {
            return Err(bad("unknown recipient type"));
        };
        Ok(Recipient {
            text: t.to_string(),
            inner,
        })
    }
}

/// Wraps the data key for one recipient: an ASCII-armored age file.
pub fn wrap(key: &DataKey, recipient: &Recipient) -> Result<String, AgeError> {
    let enc = age::Encryptor::with_recipients(std::iter::once(&*recipient.inner as &dyn age::Recipient))
        .map_err(|e| AgeError::Encrypt(e.to_string()))?;
    let mut out = Vec::new();
    let io = |e: std::io::Error| AgeError::Encrypt(e.to_string());
    let armored = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(io)?;
    let mut w = enc.wrap_output(armored).map_err(io)?;
    w.write_all(key.as_bytes()).map_err(io)?;
    w.finish().and_then(|a| a.finish()).map_err(io)?;
    String::from_utf8(out).map_err(|e| AgeError::Encrypt(e.to_string()))
}

/// Unwraps an `enc` entry with any of `identities`.
pub fn unwrap(enc: &str, identities: &[&dyn age::Identity]) -> Result<DataKey, AgeError> {
    let reader = ArmoredReader::new(enc.as_bytes());
    let dec = age::Decryptor::new(reader).map_err(|e| AgeError::Format(e.to_string()))?;
    let mut r = match dec.decrypt(identities.iter().copied()) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys) => return Err(AgeError::NoMatch),
        Err(e) => return Err(AgeError::Format(e.to_string())),
    };
    let mut buf = Zeroizing::new(Vec::new());
    r.read_to_end(&mut buf).map_err(|e| AgeError::Format(e.to_string()))?;
    DataKey::from_bytes(&buf).ok_or(AgeError::KeyLength)
}
