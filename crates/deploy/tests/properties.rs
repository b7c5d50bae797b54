//! Property tests of the sops stores: any tree that encrypts decrypts to itself after a trip
//! through the file's text, in every store (or is refused with an error, never changed).

use std::path::PathBuf;
use std::sync::OnceLock;

use age::secrecy::ExposeSecret;
use nixpilot_deploy::secrets::{EncryptOptions, Identities, PlainTree, Recipient, SopsFile};
use nixpilot_sops::{Format, Map, MapItem, Value};
use proptest::prelude::*;

struct Key {
    recipient: String,
    ids: Identities,
}

/// One key for every case: age key generation is not what is under test.
fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let identity = age::x25519::Identity::generate();
        let mut ids = Identities::default();
        ids.add_key_text("test", identity.to_string().expose_secret(), false);
        Key {
            recipient: identity.to_public().to_string(),
            ids,
        }
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        // Strings YAML and JSON must quote or escape: indicators, newlines, unicode, look-alikes.
        "[ -~]{0,20}",
        "\\PC{0,12}",
        prop::sample::select(vec![
            "",
            " ",
            "true",
            "null",
            "~",
            "0x1F",
            "1e3",
            "-",
            "- a",
            "a: b",
            "#",
            "'",
            "\"",
            "\\",
            "\n",
            "a\n b",
            "\t",
            "ENC[AES256_GCM,data:x]",
            "sops",
            "0755",
            "yes",
            "@x",
            "`x",
            "%x",
            "&a",
            "*a",
            "!tag",
            "|",
            ">",
        ])
        .prop_map(str::to_string),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        prop::num::f64::NORMAL.prop_map(Value::Float),
        prop::sample::select(vec![0.0, -0.0, 0.5, 1e21, 1.0e-7, 123456789.0]).prop_map(Value::Float),
        text().prop_map(Value::Str),
    ]
}

fn key_name() -> impl Strategy<Value = String> {
    text().prop_filter("keys are not empty", |k| !k.is_empty())
}

fn map_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map> {
    prop::collection::vec((key_name(), values), 1..5).prop_map(|pairs| {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.insert(&k, v);
        }
        map
    })
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Value::List),
            map_of(inner).prop_map(Value::Map),
        ]
    })
}

/// A top-level document: a mapping without sops's own key.
fn document(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map> {
    map_of(values).prop_filter("`sops` is the metadata key", |m| m.get("sops").is_none())
}

/// Flat stores hold one level of string values under plain names.
fn flat_document() -> impl Strategy<Value = Map> {
    prop::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,8}", "[ -~]{0,20}"), 1..5).prop_map(|pairs| {
        let mut map = Map::new();
        for (k, v) in pairs {
            if !k.starts_with("sops") {
                map.insert(&k, Value::Str(v));
            }
        }
        map
    })
}

/// Encrypts `branches`, writes the file's text, reads it back and decrypts it.
fn round_trip(name: &str, format: Format, branches: Vec<Map>) -> Result<(), TestCaseError> {
    let plain = PlainTree {
        format,
        branches: branches.clone(),
    };
    let path = PathBuf::from(name);
    let Ok(file) = SopsFile::encrypt(
        &path,
        &plain,
        &[Recipient::parse(&key().recipient).expect("recipient")],
        &EncryptOptions::default(),
    ) else {
        // Refusing a tree is allowed; changing it is not.
        return Ok(());
    };
    let Ok(bytes) = file.serialize() else { return Ok(()) };
    let reread = SopsFile::parse_as(&path, format, &bytes).map_err(|e| {
        TestCaseError::fail(format!(
            "the written file does not parse: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        ))
    })?;
    let decrypted = reread
        .decrypt(&key().ids)
        .map_err(|e| TestCaseError::fail(format!("the written file does not decrypt: {e}")))?;
    prop_assert_eq!(
        without_comments(&decrypted.branches),
        without_comments(&branches),
        "{} changed on the way through:\n{}",
        name,
        String::from_utf8_lossy(&bytes)
    );
    Ok(())
}

/// Comparable form: floats by bit pattern (so -0.0 and 0.0 differ), comments dropped.
fn without_comments(branches: &[Map]) -> String {
    fn value(v: &Value, out: &mut String) {
        match v {
            Value::Float(f) => out.push_str(&format!("F{:x}", f.to_bits())),
            Value::Map(m) => map(m, out),
            Value::List(items) => {
                out.push('[');
                for i in items.iter().filter(|i| !matches!(i, Value::Comment(_))) {
                    value(i, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(&format!("B{b}")),
            Value::Int(i) => out.push_str(&format!("I{i}")),
            Value::Str(s) => out.push_str(&format!("S{s:?}")),
            Value::Bytes(b) => out.push_str(&format!("Y{b:?}")),
            Value::Comment(_) => {}
        }
    }
    fn map(m: &Map, out: &mut String) {
        out.push('{');
        for item in &m.0 {
            if let MapItem::Pair(k, v) = item {
                out.push_str(&format!("{k:?}:"));
                value(v, out);
                out.push(',');
            }
        }
        out.push('}');
    }
    let mut out = String::new();
    for b in branches {
        map(b, &mut out);
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn yaml_trees_survive_encryption(docs in prop::collection::vec(document(tree()), 1..3)) {
        round_trip("s.yaml", Format::Yaml, docs)?;
    }

    #[test]
    fn json_trees_survive_encryption(doc in document(tree())) {
        round_trip("s.json", Format::Json, vec![doc])?;
    }

    #[test]
    fn dotenv_files_survive_encryption(doc in flat_document()) {
        round_trip("s.env", Format::Dotenv, vec![doc])?;
    }

    #[test]
    fn ini_files_survive_encryption(section in flat_document(), name in "[a-z]{1,8}") {
        let mut doc = Map::new();
        doc.insert(&name, Value::Map(section));
        round_trip("s.ini", Format::Ini, vec![doc])?;
    }

    #[test]
    fn binary_files_survive_encryption(data in prop::collection::vec(any::<u8>(), 0..64)) {
        let value = match String::from_utf8(data.clone()) {
            Ok(s) => Value::Str(s),
            Err(_) => Value::Bytes(data),
        };
        let mut doc = Map::new();
        doc.insert("data", value);
        round_trip("s.bin", Format::Binary, vec![doc])?;
    }
}
