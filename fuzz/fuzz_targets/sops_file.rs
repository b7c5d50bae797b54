//! Arbitrary bytes as a sops file in each store, opened with the sops-nix vector's age key;
//! and as a plain file, encrypted and decrypted again.
//! Oracles: no panic; what parses serializes and re-parses to the same text; a plain tree
//! that encrypts decrypts to itself; no error message repeats a decrypted value.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nixpilot_sops::{Format, Value};
use nixpilot_deploy::secrets::{EncryptOptions, Identities, PlainTree, Recipient, SopsFile};

const AGE_KEYS: &str = include_str!("../../tests/vectors/sops-nix/age-keys.txt");
const RECIPIENT: &str = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw";

fn identities() -> &'static Identities {
    static IDS: OnceLock<Identities> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut ids = Identities::default();
        ids.add_key_text("vector", AGE_KEYS, false);
        ids
    })
}

const FORMATS: [(Format, &str); 5] = [
    (Format::Yaml, "s.yaml"),
    (Format::Json, "s.json"),
    (Format::Dotenv, "s.env"),
    (Format::Ini, "s.ini"),
    (Format::Binary, "s.bin"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let (format, name) = FORMATS[selector as usize % FORMATS.len()];

    if let Ok(file) = SopsFile::parse_as(name, format, bytes) {
        if let Ok(text) = file.serialize() {
            let again = SopsFile::parse_as(name, format, &text).expect("serialized output re-parses");
            assert_eq!(
                again.serialize().expect("serializes again"),
                text,
                "serialization is stable"
            );
        }
        if let Ok(plain) = file.decrypt(identities()) {
            let _ = plain.to_bytes(4);
        }
    }

    // Plain files: encrypt for the vector's recipient, decrypt, compare.
    if selector & 0x80 != 0 {
        return;
    }
    let Ok(plain) = PlainTree::parse(std::path::Path::new(name), format, bytes) else {
        return;
    };
    let Ok(before) = plain.to_bytes(4) else { return };
    let recipient = Recipient::parse(RECIPIENT).expect("vector recipient");
    match SopsFile::encrypt(name, &plain, &[recipient], &EncryptOptions::default()) {
        Ok(file) => {
            // A store may refuse names or values it cannot write back (INI, dotenv).
            let Ok(text) = file.serialize() else { return };
            let reread = SopsFile::parse_as(name, format, &text).expect("an encrypted file re-parses");
            let opened = reread.decrypt(identities()).expect("decrypts with the recipient's key");
            let after = opened.to_bytes(4).expect("plain text");
            assert_eq!(&*after, &*before, "plain text round trip");
        }
        Err(e) => {
            let message = e.to_string();
            for (_, value) in plain.branches.iter().flat_map(|b| b.pairs()) {
                if let Value::Str(value) = value {
                    if value.len() > 12 {
                        assert!(!message.contains(value.as_str()), "a value in an error: {message}");
                    }
                }
            }
        }
    }
});
