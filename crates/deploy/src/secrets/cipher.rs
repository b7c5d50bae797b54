//! sops value encryption: AES-256-GCM with a 32-byte IV over the value's text,
//! written as `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` (getsops/sops `aes/cipher.go`).

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{AesGcm, Nonce, Tag};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use zeroize::{Zeroize, Zeroizing};

use nixpilot_sops::tree::{go_format_float_f, Comment, Value};

type Aes256Gcm32 = AesGcm<aes::Aes256, U32>;

pub const IV_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// The 32-byte key every value of a file is encrypted with.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<DataKey, getrandom::Error> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut k[..])?;
        Ok(DataKey(k))
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<DataKey> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(DataKey(Zeroizing::new(arr)))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("not a sops encrypted value")]
    Malformed,
    #[error("authentication failed (wrong key, wrong key path or tampered value)")]
    Auth,
    #[error("unknown value type `{0}`")]
    UnknownType(String),
    #[error("decrypted value does not parse as its `{0}` type")]
    BadPlaintext(&'static str),
    #[error("the system random number generator failed")]
    Random,
}

/// A parsed `ENC[…]` string.
pub struct EncValue {
    pub data: Vec<u8>,
    pub iv: Vec<u8>,
    pub tag: Vec<u8>,
    pub vtype: String,
}

/// Parses `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` like sops's regex
/// (fields in that order, standard base64).
pub fn parse_enc(s: &str) -> Result<EncValue, CipherError> {
    let body = s
        .strip_prefix("ENC[AES256_GCM,data:")
        .and_then(|b| b.strip_suffix(']'))
        .ok_or(CipherError::Malformed)?;
    let (data, rest) = body.split_once(",iv:").ok_or(CipherError::Malformed)?;
    let (iv, rest) = rest.split_once(",tag:").ok_or(CipherError::Malformed)?;
    let (tag, vtype) = rest.split_once(",type:").ok_or(CipherError::Malformed)?;
    let dec = |x: &str| B64.decode(x).map_err(|_| CipherError::Malformed);
    let v = EncValue {
        data: dec(data)?,
        iv: dec(iv)?,
        tag: dec(tag)?,
        vtype: vtype.to_string(),
    };
    if v.iv.len() != IV_LEN || v.tag.len() != TAG_LEN {
        return Err(CipherError::Malformed);
    }
    Ok(v)
}

pub fn is_encrypted(s: &str) -> bool {
    s.starts_with("ENC[AES256_GCM,")
}

/// The text sops encrypts for a value, and its `type:` tag. Comments are
/// handled by the caller; bytes are stored as `str`, because sops cannot
/// encrypt a `bytes` value and reads `str` back as raw bytes.
pub fn plaintext_of(v: &Value) -> Option<(Zeroizing<Vec<u8>>, &'static str)> {
    let (bytes, t) = match v {
        Value::Str(s) => (s.as_bytes().to_vec(), "str"),
        Value::Bytes(b) => (b.clone(), "str"),
        Value::Int(n) => (n.to_string().into_bytes(), "int"),
        Value::Float(x) => (go_format_float_f(*x).into_bytes(), "float"),
        Value::Bool(b) => ((if *b { "True" } else { "False" }).as_bytes().to_vec(), "bool"),
        Value::Comment(c) => (c.text.as_bytes().to_vec(), "comment"),
        Value::Null | Value::Map(_) | Value::List(_) => return None,
    };
    Some((Zeroizing::new(bytes), t))
}

/// Encrypts one leaf. `iv` lets an unchanged value keep its ciphertext.
pub fn encrypt(
    key: &DataKey,
    plaintext: &[u8],
    vtype: &str,
    aad: &str,
    iv: Option<[u8; IV_LEN]>,
) -> Result<String, CipherError> {
    let iv = match iv {
        Some(iv) => iv,
        None => {
            let mut iv = [0u8; IV_LEN];
            getrandom::fill(&mut iv).map_err(|_| CipherError::Random)?;
            iv
        }
    };
    let cipher = Aes256Gcm32::new_from_slice(key.as_bytes()).map_err(|_| CipherError::Malformed)?;
    let mut buf = Zeroizing::new(plaintext.to_vec());
    let tag = cipher
        .encrypt_in_place_detached(Nonce::<U32>::from_slice(&iv), aad.as_bytes(), &mut buf)
        .map_err(|_| CipherError::Auth)?;
    Ok(format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{}]",
        B64.encode(&buf[..]),
        B64.encode(iv),
        B64.encode(tag),
        vtype
    ))
}

/// A decrypted leaf: plaintext bytes, its `type:` tag, and the IV it used.
pub type Decrypted = (Zeroizing<Vec<u8>>, String, [u8; IV_LEN]);

/// Decrypts one `ENC[…]` string into its raw plaintext bytes, type and IV.
pub fn decrypt_raw(key: &DataKey, s: &str, aad: &str) -> Result<Decrypted, CipherError> {
    let mut v = parse_enc(s)?;
    let cipher = Aes256Gcm32::new_from_slice(key.as_bytes()).map_err(|_| CipherError::Malformed)?;
    let mut buf = Zeroizing::new(std::mem::take(&mut v.data));
    cipher
        .decrypt_in_place_detached(
            Nonce::<U32>::from_slice(&v.iv),
            aad.as_bytes(),
            &mut buf,
            Tag::from_slice(&v.tag),
        )
        .map_err(|_| CipherError::Auth)?;
    let mut iv = [0u8; IV_LEN];
    iv.copy_from_slice(&v.iv);
    Ok((buf, v.vtype, iv))
}

/// Turns decrypted bytes back into a typed value, as sops's `Decrypt` does.
pub fn typed_value(bytes: &[u8], vtype: &str) -> Result<Value, CipherError> {
    let text = || std::str::from_utf8(bytes).ok();
    Ok(match vtype {
        "str" => match text() {
            Some(s) => Value::Str(s.to_string()),
            None => Value::Bytes(bytes.to_vec()),
        },
        "bytes" => Value::Bytes(bytes.to_vec()),
        "int" => Value::Int(
            text()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or(CipherError::BadPlaintext("int"))?,
        ),
        "float" => Value::Float(
            text()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or(CipherError::BadPlaintext("float"))?,
        ),
        "bool" => Value::Bool(match text() {
            Some("1" | "t" | "T" | "TRUE" | "true" | "True") => true,
            Some("0" | "f" | "F" | "FALSE" | "false" | "False") => false,
            _ => return Err(CipherError::BadPlaintext("bool")),
        }),
        // sops keeps RFC 3339 times as text for us; the MAC uses the same text.
        "time" => Value::Str(text().ok_or(CipherError::BadPlaintext("time"))?.to_string()),
        "comment" => Value::Comment(Comment {
            text: text().ok_or(CipherError::BadPlaintext("comment"))?.to_string(),
            inline: false,
        }),
        other => return Err(CipherError::UnknownType(other.to_string())),
    })
}

/// Wipes a byte vector that held plaintext.
pub fn wipe(mut v: Vec<u8>) {
    v.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_bytes(&[7u8; 32]).expect("32 bytes")
    }

    #[test]
    fn round_trip_and_aad_binding() {
        let enc = encrypt(&key(), b"hello", "str", "a:b:", None).expect("enc");
        assert!(enc.starts_with("ENC[AES256_GCM,data:"));
        let (pt, t, _) = decrypt_raw(&key(), &enc, "a:b:").expect("dec");
        assert_eq!((&pt[..], t.as_str()), (&b"hello"[..], "str"));
        assert_eq!(decrypt_raw(&key(), &enc, "a:b").err(), Some(CipherError::Auth));
        let other = DataKey::from_bytes(&[8u8; 32]).expect("32 bytes");
        assert_eq!(decrypt_raw(&other, &enc, "a:b:").err(), Some(CipherError::Auth));
    }

    #[test]
    fn fixed_iv_is_deterministic() {
        let iv = [1u8; IV_LEN];
        let a = encrypt(&key(), b"x", "str", "k:", Some(iv)).expect("enc");
        let b = encrypt(&key(), b"x", "str", "k:", Some(iv)).expect("enc");
        assert_eq!(a, b);
    }

    #[test]
    fn types_round_trip() {
        for v in [
            Value::Int(-42),
            Value::Float(1.25),
            Value::Bool(true),
            Value::Str("ünï".into()),
        ] {
            let (pt, t) = plaintext_of(&v).expect("leaf");
            assert_eq!(typed_value(&pt, t).expect("typed"), v);
        }
        assert_eq!(
            plaintext_of(&Value::Bool(false)).map(|p| p.0.to_vec()),
            Some(b"False".to_vec())
        );
        assert!(parse_enc("ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]").is_err());
    }
}
