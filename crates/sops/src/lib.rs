//! nixpilot-sops: the sops file format without any cryptography (the five stores YAML, JSON,
//! dotenv, INI and binary, the ordered tree, the `sops` metadata as a typed view, `.sops.yaml`)
//! and ssh-to-age key conversion.
//!
//! A crate of its own because two layers use it and neither owns it: the lint crate reads
//! recipients and key names from encrypted files without any key, and `nixpilot-deploy`
//! adds the crypto to read and write them.

pub mod crypt;
pub mod dotenv;
pub mod flatten;
pub mod ini;
pub mod json;
pub mod keypath;
pub mod metadata;
pub mod redact;
pub mod sops_config;
pub mod ssh_to_age;
pub mod tree;
pub mod yaml;

pub use metadata::{AgeEntry, CryptRule, CryptRuleKind, Metadata};
pub use tree::{Comment, Map, MapItem, Value};

use std::path::Path;

/// The top-level key (or key prefix in flat stores) holding sops's metadata.
pub const METADATA_KEY: &str = "sops";

/// The store a file is read and written with, chosen like sops does: by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Dotenv,
    Ini,
    Binary,
}

impl Format {
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml") | Some("yml") => Format::Yaml,
            Some("json") => Format::Json,
            Some("env") => Format::Dotenv,
            Some("ini") => Format::Ini,
            _ => Format::Binary,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "dotenv",
            Format::Ini => "ini",
            Format::Binary => "binary",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(transparent)]
    Yaml(#[from] yaml::YamlError),
    #[error(transparent)]
    Json(#[from] json::JsonError),
    #[error(transparent)]
    Dotenv(#[from] dotenv::DotenvError),
    #[error(transparent)]
    Ini(#[from] ini::IniError),
    #[error("the file is not valid UTF-8")]
    NotUtf8,
    #[error("no sops metadata: the file is not sops-encrypted")]
    NoMetadata,
    #[error("the `sops` metadata is not a mapping")]
    BadMetadata,
    #[error("the file already has sops metadata (key `{0}`)")]
    AlreadyEncrypted(String),
    #[error(
        "document {} has a top-level key `{key}`, which sops keeps for its metadata; rename it",
        document + 1
    )]
    ReservedKey { document: usize, key: String },
    #[error("a {0} file holds exactly one document")]
    OneDocument(&'static str),
}

/// An encrypted file split into its data documents and its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct EncryptedDocument {
    pub format: Format,
    pub branches: Vec<Map>,
    pub metadata: Metadata,
    /// For dotenv and INI: the metadata as loaded and its flat keys in file
    /// order, so an unchanged file is written back byte for byte (older sops
    /// versions did not write flat keys in sorted order).
    pub flat_original: Option<(Map, Map)>,
}

fn utf8(bytes: &[u8]) -> Result<&str, FormatError> {
    std::str::from_utf8(bytes).map_err(|_| FormatError::NotUtf8)
}

/// Reads the documents of a plain (not yet encrypted) file. A binary file
/// becomes `{data: <contents>}`, as in sops.
pub fn read_plain(format: Format, bytes: &[u8]) -> Result<Vec<Map>, FormatError> {
    let branches = match format {
        Format::Binary => {
            let v = match std::str::from_utf8(bytes) {
                Ok(s) => Value::Str(s.to_string()),
                Err(_) => Value::Bytes(bytes.to_vec()),
            };
            return Ok(vec![Map(vec![MapItem::Pair("data".into(), v)])]);
        }
        Format::Yaml => yaml::parse(utf8(bytes)?)?,
        Format::Json => vec![json::parse(utf8(bytes)?)?],
        Format::Dotenv => vec![dotenv::parse(utf8(bytes)?)?],
        Format::Ini => vec![ini::parse(utf8(bytes)?)?],
    };
    match reserved_key(format, &branches) {
        Some((0, key)) => Err(FormatError::AlreadyEncrypted(key)),
        Some((document, key)) => Err(FormatError::ReservedKey { document, key }),
        None => Ok(branches),
    }
}

/// The first top-level key that sops keeps for its metadata (`sops`, or a `sops_` key in
/// dotenv), with the index of its document. sops writes its metadata into every document of
/// a file, so a plain tree with such a key in any document cannot be encrypted: the key
/// would be written twice, or read back as metadata.
pub fn reserved_key(format: Format, branches: &[Map]) -> Option<(usize, String)> {
    branches.iter().enumerate().find_map(|(i, doc)| {
        let key = match format {
            Format::Dotenv => doc
                .pairs()
                .map(|(k, _)| k)
                .find(|k| k.starts_with("sops_"))?
                .to_string(),
            Format::Binary => return None,
            _ => doc.get(METADATA_KEY).map(|_| METADATA_KEY.to_string())?,
        };
        Some((i, key))
    })
}

/// Writes plain documents (decrypted output). A binary file gives back the raw `data`.
pub fn write_plain(format: Format, branches: &[Map], yaml_indent: usize) -> Result<Vec<u8>, FormatError> {
    Ok(match format {
        Format::Binary => {
            let [only] = branches else {
                return Err(FormatError::OneDocument("binary"));
            };
            match only.get("data") {
                Some(Value::Str(s)) => s.as_bytes().to_vec(),
                Some(Value::Bytes(b)) => b.clone(),
                _ => return Err(json::JsonError::NoData.into()),
            }
        }
        Format::Yaml => yaml::emit(branches, yaml_indent).into_bytes(),
        Format::Json => json::emit(one(branches, "json")?).into_bytes(),
        Format::Dotenv => dotenv::emit(one(branches, "dotenv")?)?.into_bytes(),
        Format::Ini => ini::emit(one(branches, "ini")?)?.into_bytes(),
    })
}

fn one<'a>(branches: &'a [Map], name: &'static str) -> Result<&'a Map, FormatError> {
    match branches {
        [only] => Ok(only),
        [] => Err(FormatError::OneDocument(name)),
        _ => Err(FormatError::OneDocument(name)),
    }
}

/// Reads an encrypted file and takes its metadata out of the data tree.
pub fn read_encrypted(format: Format, bytes: &[u8]) -> Result<EncryptedDocument, FormatError> {
    let text = utf8(bytes)?;
    let mut branches = match format {
        Format::Yaml => yaml::parse(text)?,
        Format::Json => vec![json::parse(text)?],
        Format::Binary => vec![json::parse_binary_wrapper(text)?],
        Format::Dotenv => vec![dotenv::parse(text)?],
        Format::Ini => vec![ini::parse(text)?],
    };
    let first = branches.first_mut().ok_or(FormatError::NoMetadata)?;
    let mut flat_original = None;
    let raw = match format {
        Format::Yaml | Format::Json | Format::Binary => match first.remove(METADATA_KEY) {
            Some(Value::Map(m)) => m,
            Some(_) => return Err(FormatError::BadMetadata),
            None => return Err(FormatError::NoMetadata),
        },
        Format::Dotenv => {
            let mut flat = Map::new();
            first.0.retain(|item| match item {
                MapItem::Pair(k, v) if k.starts_with("sops_") => {
                    flat.0.push(MapItem::Pair(k["sops_".len()..].to_string(), v.clone()));
                    false
                }
                _ => true,
            });
            if flat.0.is_empty() {
                return Err(FormatError::NoMetadata);
            }
            let nested = flatten::unflatten(&flat);
            flat_original = Some((nested.clone(), flat));
            nested
        }
        Format::Ini => match first.remove(METADATA_KEY) {
            Some(Value::Map(m)) => {
                let unescaped = Map(m
                    .0
                    .into_iter()
                    .map(|item| match item {
                        MapItem::Pair(k, Value::Str(s)) => MapItem::Pair(k, Value::Str(s.replace("\\n", "\n"))),
                        other => other,
                    })
                    .collect());
                let nested = flatten::unflatten(&unescaped);
                flat_original = Some((nested.clone(), unescaped));
                nested
            }
            Some(_) => return Err(FormatError::BadMetadata),
            None => return Err(FormatError::NoMetadata),
        },
    };
    // Later YAML documents carry a copy of the metadata; the first one counts.
    for b in branches.iter_mut().skip(1) {
        b.remove(METADATA_KEY);
    }
    Ok(EncryptedDocument {
        format,
        branches,
        metadata: Metadata { raw },
        flat_original,
    })
}

/// Writes an encrypted file: the data documents with the metadata last.
pub fn write_encrypted(doc: &EncryptedDocument, yaml_indent: usize) -> Result<Vec<u8>, FormatError> {
    let mut branches = doc.branches.clone();
    let meta = doc.metadata.raw.clone();
    match doc.format {
        Format::Yaml | Format::Json | Format::Binary => {
            if branches.is_empty() {
                branches.push(Map::new());
            }
            // sops writes the metadata into every document it emits.
            for b in &mut branches {
                b.0.push(MapItem::Pair(METADATA_KEY.into(), Value::Map(meta.clone())));
            }
            match doc.format {
                Format::Yaml => Ok(yaml::emit(&branches, yaml_indent).into_bytes()),
                _ => Ok(json::emit(one(&branches, "json")?).into_bytes()),
            }
        }
        Format::Dotenv => {
            let mut b = one(&branches, "dotenv")?.clone();
            let flat = match &doc.flat_original {
                Some((nested, flat)) if *nested == meta => flat.clone(),
                _ => flatten::flatten(&meta, ""),
            };
            b.0.extend(flat.0.into_iter().map(|item| match item {
                MapItem::Pair(k, v) => MapItem::Pair(format!("sops_{k}"), v),
                other => other,
            }));
            Ok(dotenv::emit(&b)?.into_bytes())
        }
        Format::Ini => {
            let mut b = one(&branches, "ini")?.clone();
            let flat = match &doc.flat_original {
                Some((nested, flat)) if *nested == meta => flat.clone(),
                _ => flatten::flatten(&meta, ""),
            };
            let escaped = Map(flat
                .0
                .into_iter()
                .map(|item| match item {
                    MapItem::Pair(k, Value::Str(s)) => MapItem::Pair(k, Value::Str(s.replace('\n', "\\n"))),
                    other => other,
                })
                .collect());
            b.0.push(MapItem::Pair(METADATA_KEY.into(), Value::Map(escaped)));
            Ok(ini::emit(&b)?.into_bytes())
        }
    }
}
