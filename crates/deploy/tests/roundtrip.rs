//! Encrypt → serialize → parse → decrypt for every store, value type and
//! operation (set, updatekeys, rotate), with freshly generated age keys.

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use nixpilot_deploy::secrets::{EncryptOptions, Identities, PlainTree, Recipient, SecretsError, SopsFile, WriteLock};
use nixpilot_sops::{self as sops, CryptRule, CryptRuleKind, Format, Map, Value};

struct Key {
    identity: age::x25519::Identity,
}

impl Key {
    fn new() -> Key {
        Key {
            identity: age::x25519::Identity::generate(),
        }
    }
    fn recipient(&self) -> Recipient {
        Recipient::parse(&self.identity.to_public().to_string()).expect("valid recipient")
    }
    fn ids(&self) -> Identities {
        let mut ids = Identities::default();
        ids.add_key_text("test", self.identity.to_string().expose_secret(), false);
        ids
    }
}

fn encrypt(name: &str, fmt: Format, text: &[u8], key: &Key, opts: &EncryptOptions) -> SopsFile {
    let path = PathBuf::from(name);
    let plain = PlainTree::parse(&path, fmt, text).expect("plain parses");
    SopsFile::encrypt(path, &plain, &[key.recipient()], opts).expect("encrypts")
}

/// Encrypts, serializes, re-parses and decrypts; returns the file and its text.
fn round_trip(name: &str, fmt: Format, text: &[u8]) -> (SopsFile, Vec<u8>) {
    let key = Key::new();
    let file = encrypt(name, fmt, text, &key, &EncryptOptions::default());
    let bytes = file.serialize().expect("serializes");
    let reread = SopsFile::parse_as(name, fmt, &bytes).expect("re-parses");
    assert_eq!(reread.serialize().expect("serializes"), bytes, "{name}: stable");
    let plain = reread.decrypt(&key.ids()).expect("decrypts");
    let out = plain.to_bytes(4).expect("plain text");
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(text),
        "{name}: plain text round trip"
    );
    (reread, bytes)
}

const YAML: &str = "\
# a head comment
str: hello world
int: 42
neg: -7
float: 1.5
bool: true
nothing: null
empty: \"\"
unicode: ünïcødé ✓ 日本
quoted: \"123\"
multi: |
    line one
    line two
nested:
    deeper:
        list:
            - a
            - 2
            - false
        maps:
            # inline note
            - name: x
              value: \"y\"
            - name: z
              value: w
    empty_map: {}
    empty_list: []
plain_unencrypted: visible
restic:
    password: s3cr3t
";

#[test]
fn yaml_round_trip_keeps_order_types_and_comments() {
    let (file, bytes) = round_trip("s.yaml", Format::Yaml, YAML.as_bytes());
    let text = String::from_utf8(bytes).expect("utf8");
    assert!(text.contains("plain_unencrypted: visible\n"), "suffix rule honoured");
    assert!(!text.contains("s3cr3t") && !text.contains("hello world"));
    assert!(text.contains("#ENC[AES256_GCM,"), "comments are encrypted like sops");
    assert!(text.contains("int: ENC[AES256_GCM,") && text.contains(",type:int]"));
    assert!(text.contains(",type:float]") && text.contains(",type:bool]"));
    assert!(text.contains("empty: \"\"\n"), "empty strings stay clear");
    assert!(text.contains("nothing: null\n"));
    // sops ≥3.10 layout: metadata last, keys sorted, enc before recipient.
    let meta = &text[text.find("\nsops:\n").expect("sops key")..];
    let keys: Vec<&str> = meta
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .map(|l| l.trim().split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(keys, ["age", "lastmodified", "mac", "unencrypted_suffix", "version"]);
    assert!(meta.contains("        - enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n"));
    // The age crate adds one random "grease" stanza that Go age and sops
    // ignore, so the block is longer than sops's 5 lines; the armor itself
    // has sops's shape: 64-char lines, the last shorter, trailing newline.
    let enc = &file.metadata().age_entries()[0].enc;
    assert!(enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    assert!(enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
    let lines: Vec<usize> = enc.lines().filter(|l| !l.starts_with("-----")).map(str::len).collect();
    let (last, full) = lines.split_last().expect("body");
    assert!(full.iter().all(|n| *n == 64) && *last <= 64, "{lines:?}");
    use base64::Engine;
    let body: String = enc.lines().filter(|l| !l.starts_with("-----")).collect();
    let raw = base64::engine::general_purpose::STANDARD.decode(body).expect("base64");
    let header = String::from_utf8_lossy(&raw);
    assert_eq!(header.matches("\n-> X25519 ").count(), 1, "one X25519 stanza");
}

#[test]
fn json_round_trip() {
    let text = "{\n\t\"a\": \"b\",\n\t\"n\": {\n\t\t\"x\": 1,\n\t\t\"y\": [\n\t\t\t1.5,\n\t\t\ttrue,\n\t\t\tnull,\n\t\t\t\"\"\n\t\t]\n\t},\n\t\"u\": \"ü<>\"\n}\n";
    let want = text.replace("<>", "\\u003c\\u003e");
    let (_, bytes) = round_trip("s.json", Format::Json, want.as_bytes());
    let s = String::from_utf8(bytes).expect("utf8");
    assert!(s.contains("\t\"sops\": {"));
}

#[test]
fn dotenv_round_trip() {
    let text = "#comment\nDB_PASSWORD=secret\nMULTI=a\\nb\nEMPTY=\nX_unencrypted=plain\n";
    let (_, bytes) = round_trip("s.env", Format::Dotenv, text.as_bytes());
    let s = String::from_utf8(bytes).expect("utf8");
    assert!(s.contains("X_unencrypted=plain\n"));
    assert!(s.contains("\nsops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\n"));
    assert!(s.contains("\nsops_mac=ENC[AES256_GCM,"));
}

#[test]
fn ini_round_trip() {
    let text = "[db]\nuser     = admin\npassword = `p#ss`\n\n[other]\nk = v\n";
    let (_, bytes) = round_trip("s.ini", Format::Ini, text.as_bytes());
    let s = String::from_utf8(bytes).expect("utf8");
    assert!(s.contains("[sops]\n"));
}

#[test]
fn binary_round_trip_including_non_utf8() {
    let mut data: Vec<u8> = (0u8..=255).collect();
    data.extend_from_slice(b"\n-----BEGIN OPENSSH PRIVATE KEY-----\n");
    let (file, bytes) = round_trip("key.bin", Format::Binary, &data);
    let s = String::from_utf8(bytes).expect("the wrapper is JSON text");
    assert!(s.starts_with("{\n\t\"data\": \"ENC[AES256_GCM,"));
    assert_eq!(file.format(), Format::Binary);
    let text = b"plain text file\n";
    round_trip("note.txt", Format::Binary, text);
}

#[test]
fn one_megabyte_value() {
    let big: String = "abcdefghij".repeat(100_000);
    let text = format!("big: {big}\nsmall: x\n");
    round_trip("big.yaml", Format::Yaml, text.as_bytes());
}

#[test]
fn several_yaml_documents_share_one_mac() {
    let text = "a: 1\n---\nb: two\n";
    let (_, bytes) = round_trip("multi.yaml", Format::Yaml, text.as_bytes());
    let s = String::from_utf8(bytes).expect("utf8");
    assert_eq!(s.matches("\nsops:\n").count(), 2, "metadata in every document, as sops");
}

#[test]
fn set_keeps_unchanged_ciphertext_and_updates_mac() {
    let key = Key::new();
    let mut file = encrypt(
        "s.yaml",
        Format::Yaml,
        b"a: one\nb: two\n",
        &key,
        &EncryptOptions::default(),
    );
    let before = file.branches()[0].clone();
    let ids = key.ids();
    file.set(&ids, "b", Value::Str("TWO".into())).expect("set");
    file.set(&ids, "restic/password", Value::Str("pw".into()))
        .expect("set nested");
    file.set(&ids, "[\"list\"][0]", Value::Int(5)).expect("set list");
    let after = &file.branches()[0];
    assert_eq!(
        after.get("a"),
        before.get("a"),
        "unchanged value keeps its IV and ciphertext"
    );
    assert_ne!(after.get("b"), before.get("b"));
    let bytes = file.serialize().expect("serializes");
    let plain = SopsFile::parse("s.yaml", &bytes)
        .expect("parses")
        .decrypt(&ids)
        .expect("MAC ok");
    assert_eq!(plain.get("b").expect("b"), &Value::Str("TWO".into()));
    assert_eq!(plain.get("restic/password").expect("pw"), &Value::Str("pw".into()));
    assert_eq!(plain.get("[\"list\"][0]").expect("l"), &Value::Int(5));
    let err = file.set(&ids, "a/x", Value::Null).expect_err("a is a string");
    assert!(matches!(err, SecretsError::KeyPath { .. }));
    let err = file.set(&ids, "[\"a\"", Value::Null).expect_err("malformed");
    assert!(err.to_string().contains("malformed key path"));
}

#[test]
fn updatekeys_rewraps_without_touching_values() {
    let a = Key::new();
    let b = Key::new();
    let mut file = encrypt("s.yaml", Format::Yaml, b"k: v\n", &a, &EncryptOptions::default());
    let values = file.branches().to_vec();
    let mac = file.metadata().mac();
    let changes = file
        .updatekeys(&a.ids(), &[a.recipient(), b.recipient()])
        .expect("adds b");
    assert_eq!(changes.added, vec![b.recipient().text]);
    assert!(changes.removed.is_empty());
    assert_eq!(file.branches(), &values[..]);
    assert_eq!(file.metadata().mac(), mac);
    assert!(file.decrypt(&b.ids()).is_ok());
    let changes = file.updatekeys(&b.ids(), &[b.recipient()]).expect("drops a");
    assert_eq!(changes.removed, vec![a.recipient().text]);
    assert!(matches!(file.decrypt(&a.ids()), Err(SecretsError::NoIdentity { .. })));
    assert!(file.decrypt(&b.ids()).is_ok());
}

#[test]
fn rotate_changes_the_data_key_and_every_ciphertext() {
    let a = Key::new();
    let mut file = encrypt("s.yaml", Format::Yaml, b"k: v\nl: w\n", &a, &EncryptOptions::default());
    let old_key = file.data_key(&a.ids()).expect("key");
    let old = file.branches().to_vec();
    file.rotate(&a.ids()).expect("rotates");
    let new_key = file.data_key(&a.ids()).expect("key");
    assert_ne!(old_key.as_bytes(), new_key.as_bytes());
    assert_ne!(file.branches()[0].get("k"), old[0].get("k"));
    let plain = file.decrypt(&a.ids()).expect("decrypts");
    assert_eq!(plain.get("l").expect("l"), &Value::Str("w".into()));
}

#[test]
fn crypt_rules_and_mac_only_encrypted() {
    let key = Key::new();
    let opts = EncryptOptions {
        rule: CryptRule {
            kind: CryptRuleKind::EncryptedRegex,
            pattern: "^(data|stringData)$".into(),
        },
        mac_only_encrypted: true,
        ..EncryptOptions::default()
    };
    let text = "kind: Secret\ndata:\n    token: abc\nmetadata:\n    name: x\n";
    let file = encrypt("k8s.yaml", Format::Yaml, text.as_bytes(), &key, &opts);
    let bytes = file.serialize().expect("serializes");
    let s = String::from_utf8(bytes.clone()).expect("utf8");
    assert!(s.contains("kind: Secret\n") && s.contains("    name: x\n"));
    assert!(s.contains("    token: ENC[AES256_GCM,"));
    assert!(s.contains("    encrypted_regex: ^(data|stringData)$\n"));
    assert!(s.contains("    mac_only_encrypted: true\n"));
    let mut reread = SopsFile::parse("k8s.yaml", &bytes).expect("parses");
    let plain = reread.decrypt(&key.ids()).expect("decrypts");
    assert_eq!(plain.to_bytes(4).expect("text").as_slice(), text.as_bytes());
    // With mac_only_encrypted, clear values are outside the MAC.
    let edited = s.replace("    name: x\n", "    name: y\n");
    reread = SopsFile::parse("k8s.yaml", edited.as_bytes()).expect("parses");
    assert!(reread.decrypt(&key.ids()).is_ok());
    // Without it, editing a clear value breaks the MAC.
    let plain_file = encrypt(
        "p.yaml",
        Format::Yaml,
        b"a: 1\nb_unencrypted: 2\n",
        &key,
        &EncryptOptions::default(),
    );
    let s = String::from_utf8(plain_file.serialize().expect("ser")).expect("utf8");
    let edited = s.replace("b_unencrypted: 2\n", "b_unencrypted: 3\n");
    let err = SopsFile::parse("p.yaml", edited.as_bytes())
        .expect("parses")
        .decrypt(&key.ids())
        .expect_err("MAC");
    assert!(matches!(err, SecretsError::MacMismatch { .. }));
}

#[test]
fn conflicting_rules_are_an_error() {
    let key = Key::new();
    let file = encrypt("s.yaml", Format::Yaml, b"a: 1\n", &key, &EncryptOptions::default());
    let s = String::from_utf8(file.serialize().expect("ser")).expect("utf8");
    let bad = s.replace(
        "    unencrypted_suffix: _unencrypted\n",
        "    unencrypted_suffix: _u\n    encrypted_regex: x\n",
    );
    let err = SopsFile::parse("s.yaml", bad.as_bytes())
        .expect("parses")
        .decrypt(&key.ids())
        .expect_err("two rules");
    assert!(err.to_string().contains("more than one crypt rule"), "{err}");
}

#[test]
fn ssh_ed25519_recipient_opens_with_the_ssh_key() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let pubkey = std::fs::read_to_string(vectors.join("sops-nix/ssh-ed25519-key.pub")).expect("pub");
    let recipient = Recipient::parse(pubkey.trim()).expect("ssh recipient");
    let path = PathBuf::from("s.yaml");
    let plain = PlainTree::parse(&path, Format::Yaml, b"k: v\n").expect("plain");
    let file = SopsFile::encrypt(path, &plain, &[recipient], &EncryptOptions::default()).expect("enc");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".ssh")).expect("mkdir");
    std::fs::copy(
        vectors.join("sops-nix/ssh-ed25519-key"),
        dir.path().join(".ssh/id_ed25519"),
    )
    .expect("copy");
    let env = nixpilot_deploy::secrets::IdentityEnv {
        home: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let plain = file
        .decrypt(&Identities::load(&env))
        .expect("opens with the raw SSH identity");
    assert_eq!(plain.get("k").expect("k"), &Value::Str("v".into()));
}

#[test]
fn written_file_is_0600_and_reads_back() {
    use std::os::unix::fs::PermissionsExt;
    let key = Key::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("secrets.yaml");
    let plain = PlainTree::parse(&path, Format::Yaml, b"k: v\n").expect("plain");
    let file = SopsFile::encrypt(&path, &plain, &[key.recipient()], &EncryptOptions::default()).expect("enc");
    let lock = WriteLock::acquire(&path).expect("lock");
    file.write(&lock).expect("writes");
    drop(lock);
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let back = SopsFile::read(&path).expect("reads");
    assert!(back.decrypt(&key.ids()).is_ok());
}

#[test]
fn secrets_never_show_in_debug_output() {
    let key = Key::new();
    let file = encrypt(
        "s.yaml",
        Format::Yaml,
        b"password: hunter2-secret\n",
        &key,
        &EncryptOptions::default(),
    );
    let plain = file.decrypt(&key.ids()).expect("decrypts");
    let dk = file.data_key(&key.ids()).expect("key");
    let dbg = format!("{plain:?} {dk:?} {:?} {file:?}", key.ids());
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(!dbg.contains("AGE-SECRET-KEY"), "{dbg}");
    let hex: String = dk.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert!(!dbg.contains(&hex));
}

#[test]
fn encrypting_an_encrypted_file_is_refused() {
    let key = Key::new();
    let file = encrypt("s.yaml", Format::Yaml, b"k: v\n", &key, &EncryptOptions::default());
    let bytes = file.serialize().expect("ser");
    let err = PlainTree::parse(Path::new("s.yaml"), Format::Yaml, &bytes).expect_err("already encrypted");
    assert!(err.to_string().contains("already has sops metadata"));
    let _: Map = sops::read_plain(Format::Yaml, b"k: v\n").expect("plain").remove(0);
}

#[test]
fn edit_flow_re_encrypts_only_changed_values() {
    // What `secrets edit` does: decrypt to text, let the user change it,
    // parse the text again and store it with the same data key.
    let key = Key::new();
    let text = "a: one\nb: two\nl:\n    - x\n    - y\n";
    let mut file = encrypt(
        "s.yaml",
        Format::Yaml,
        text.as_bytes(),
        &key,
        &EncryptOptions::default(),
    );
    let before = file.branches()[0].clone();
    let mut opened = file.open(&key.ids()).expect("opens");
    let shown = opened.plain.to_bytes(4).expect("text");
    let edited = String::from_utf8_lossy(&shown).replace("b: two", "b: TWO");
    opened.plain = PlainTree::parse(Path::new("s.yaml"), Format::Yaml, edited.as_bytes()).expect("parses");
    file.store(&opened).expect("stores");
    let after = &file.branches()[0];
    assert_eq!(after.get("a"), before.get("a"));
    assert_eq!(after.get("l"), before.get("l"));
    assert_ne!(after.get("b"), before.get("b"));
    let plain = file.decrypt(&key.ids()).expect("MAC ok");
    assert_eq!(plain.get("b").expect("b"), &Value::Str("TWO".into()));
}

/// Found by the `sops_file` fuzz target: an empty YAML file encrypted to a file that decrypted
/// to `{}`. sops refuses such files ("File cannot be completely empty", or EOF for blank and
/// comment-only ones), and so does this; `{}` itself is a document and stays one.
#[test]
fn a_completely_empty_file_is_refused_not_turned_into_a_mapping() {
    let key = Key::new();
    for text in ["", "\n", "# only a comment\n\n  # another\n"] {
        let path = PathBuf::from("empty.yaml");
        let plain = PlainTree::parse(&path, Format::Yaml, text.as_bytes()).expect("plain parses");
        let err =
            SopsFile::encrypt(&path, &plain, &[key.recipient()], &EncryptOptions::default()).expect_err("refused");
        assert!(matches!(err, SecretsError::Empty { .. }), "{err}");
        assert!(
            err.to_string().starts_with("empty.yaml: the file is completely empty"),
            "{err}"
        );
    }
    round_trip("empty.yaml", Format::Yaml, b"{}\n");
    round_trip("empty.yaml", Format::Yaml, b"# c\n{}\n");
}

/// Found by the `sops_file` fuzz target (CI, 2026-12-03): a plain multi-document YAML file whose
/// second document has a top-level `sops` key encrypted to a file with `sops` twice in that
/// document, which no reader accepts. sops writes its metadata into every document, so the key
/// is refused in any of them, with the document named; and `set`/edits cannot add it either.
#[test]
fn a_sops_key_in_any_document_is_refused_before_encrypting() {
    let key = Key::new();
    let path = PathBuf::from("multi.yaml");
    let text = b"a: 1\n---\nb: 2\nsops:\n  kms: x\n";
    let err = PlainTree::parse(&path, Format::Yaml, text).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "multi.yaml: document 2 has a top-level key `sops`, which sops keeps for its metadata; rename it"
    );
    // The first document keeps the "already encrypted" wording.
    let err = PlainTree::parse(&path, Format::Yaml, b"sops: {}\n---\nb: 2\n").expect_err("refused");
    assert!(err.to_string().contains("already has sops metadata"), "{err}");
    // The dotenv store keeps metadata in `sops_` keys.
    let err = PlainTree::parse(Path::new("s.env"), Format::Dotenv, b"A=1\nsops_version=1\n").expect_err("refused");
    assert!(err.to_string().contains("already has sops metadata"), "{err}");

    // `set` of a reserved key: refused, the file as it was.
    let mut file = encrypt("s.yaml", Format::Yaml, b"k: v\n", &key, &EncryptOptions::default());
    let before = file.serialize().expect("ser");
    let err = file
        .set(&key.ids(), "[\"sops\"]", Value::Str("x".into()))
        .expect_err("refused");
    assert!(err.to_string().contains("top-level key `sops`"), "{err}");
    assert_eq!(file.serialize().expect("ser"), before);
    // A nested `sops` key is an ordinary key.
    file.set(&key.ids(), "[\"k2\"][\"sops\"]", Value::Str("x".into()))
        .expect("nested is fine");
    let again = SopsFile::parse_as("s.yaml", Format::Yaml, &file.serialize().expect("ser")).expect("re-parses");
    assert!(again.decrypt(&key.ids()).is_ok());
}
