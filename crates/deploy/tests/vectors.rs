//! Interop with the public vectors in tests/vectors (see its README): ssh-to-age
//! conversions, and the sops-nix test file decrypted, re-emitted and tampered with.

use std::path::{Path, PathBuf};

use nixpilot_deploy::secrets::age_keys;
use nixpilot_deploy::secrets::cipher;
use nixpilot_deploy::secrets::{Identities, IdentityEnv, SecretsError, SopsFile};
use nixpilot_sops::ssh_to_age;
use nixpilot_sops::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn read(rel: &str) -> Vec<u8> {
    let p = vectors().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("vector {} missing: {e}", p.display()))
}

fn read_str(rel: &str) -> String {
    String::from_utf8(read(rel)).expect("vector is UTF-8")
}

/// A copy of the vector file in a temp dir, so the tests never change the vectors.
fn secrets_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("secrets.yaml");
    std::fs::write(&p, read("sops-nix/secrets.yaml")).expect("copy");
    (dir, p)
}

fn key_file_env(dir: &Path) -> IdentityEnv {
    let kf = dir.join("keys.txt");
    std::fs::write(&kf, read("sops-nix/age-keys.txt")).expect("write keys");
    IdentityEnv {
        sops_age_key_file: Some(kf),
        ..IdentityEnv::default()
    }
}

fn ssh_home_env(dir: &Path) -> IdentityEnv {
    let home = dir.join("home");
    std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
    std::fs::write(home.join(".ssh/id_ed25519"), read("sops-nix/ssh-ed25519-key")).expect("write key");
    IdentityEnv {
        home: Some(home),
        ..IdentityEnv::default()
    }
}

const DATA_KEY: &str = "b9152942b7105527fd1fb9e2d9a1ee9bd03a7bb8edea26d311fda1a2e85056b2";
const MAC: &str = "AF7CB2C2E17458555FC6A3F0E6FA3A8AF04EAF01E46217C09367E77BDEEBF3672D89F8E1F01A48E1D6C83E1FB4C958C783A7E073A45040330E08672C0BF15273";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------- ssh-to-age

#[test]
fn age_key_file_identity_gives_its_recipient() {
    let mut ids = Identities::default();
    ids.add_key_text("age-keys.txt", &read_str("sops-nix/age-keys.txt"), false);
    assert_eq!(ids.loaded.len(), 1);
    assert_eq!(
        ids.loaded[0].recipient.as_deref(),
        Some("age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw")
    );
}

#[test]
fn ssh_to_age_private_keys() {
    for (file, identity, recipient) in [
        (
            "sops-nix/ssh-ed25519-key",
            "AGE-SECRET-KEY-1D88T3T22862F5SWX0V7M7CG9Q5T9FA90CCN9NVLJRCQATZ3WGL3QMR7CN4",
            "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs",
        ),
        (
            "ssh-to-age/id_ed25519",
            "AGE-SECRET-KEY-1K3VN4N03PTHJWSJSCCMQCN33RY5FSKQPJ4KRRTG3JMQUYE0TUSEQEDH6V8",
            "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452",
        ),
    ] {
        let got = ssh_to_age::private_key_to_identity(&read(file)).expect("converts");
        assert_eq!(got.as_str(), identity, "{file}");
        let mut ids = Identities::default();
        ids.add_ssh_key(file, &read(file));
        assert_eq!(ids.loaded[0].recipient.as_deref(), Some(recipient), "{file}");
    }
}

#[test]
fn ssh_to_age_public_keys() {
    for (file, recipient) in [
        (
            "sops-nix/ssh-ed25519-key.pub",
            "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs",
        ),
        (
            "ssh-to-age/id_ed25519.pub",
            "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452",
        ),
        (
            "zero-to-odoo/ssh_host_ed25519_key.pub",
            "age1ngrn3qcw9e2ml6me96es9849n6xls0zrh8ews68uxspr9gme6shs3g2ez3",
        ),
        (
            "zero-to-odoo/authorized_keys",
            "age1jrh8yyq3swjru09s75s4mspu0mphh7h6z54z946raa9wx3pcdegq0x8t4h",
        ),
    ] {
        let (out, skipped) = ssh_to_age::convert_public_keys(&read_str(file));
        assert_eq!(out, vec![recipient.to_string()], "{file}");
        assert!(skipped.is_empty(), "{file}");
    }
}

#[test]
fn ssh_to_age_keyscan() {
    let (out, skipped) = ssh_to_age::convert_public_keys(&read_str("ssh-to-age/keyscan.txt"));
    assert_eq!(
        out,
        vec![
            "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp".to_string(),
            "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv".to_string(),
        ]
    );
    let lines: Vec<usize> = skipped.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![2, 6]);
    assert!(skipped
        .iter()
        .all(|(_, e)| matches!(e, ssh_to_age::SshToAgeError::UnsupportedKeyType(t) if t == "ssh-rsa")));
}

// ---------------------------------------------------------------- sops-nix secrets.yaml

fn check_plaintexts(file: &SopsFile, ids: &Identities) {
    let plain = file.decrypt(ids).expect("decrypts with MAC check");
    assert_eq!(plain.get("test_key").expect("key"), &Value::Str("test_value".into()));
    assert_eq!(plain.get("[\"a_list\"][0]").expect("key"), &Value::Str("e1".into()));
    assert_eq!(plain.get("[\"a_list\"][1]").expect("key"), &Value::Str("e3".into()));
    assert_eq!(
        plain.get("nested/test/file").expect("key"),
        &Value::Str("another value".into())
    );
}

#[test]
fn decrypts_with_age_key_file() {
    let (dir, path) = secrets_copy();
    let file = SopsFile::read(&path).expect("parses");
    let ids = Identities::load(&key_file_env(dir.path()));
    assert_eq!(hex(file.data_key(&ids).expect("opens").as_bytes()), DATA_KEY);
    check_plaintexts(&file, &ids);
}

#[test]
fn decrypts_with_inline_key_and_xdg_keys_txt() {
    let (dir, path) = secrets_copy();
    let file = SopsFile::read(&path).expect("parses");
    let inline = IdentityEnv {
        sops_age_key: Some(zeroize::Zeroizing::new(read_str("sops-nix/age-keys.txt"))),
        ..IdentityEnv::default()
    };
    check_plaintexts(&file, &Identities::load(&inline));

    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("sops/age")).expect("mkdir");
    std::fs::write(xdg.join("sops/age/keys.txt"), read("sops-nix/age-keys.txt")).expect("write");
    let env = IdentityEnv {
        xdg_config_home: Some(xdg),
        home: Some(dir.path().join("nohome")),
        ..IdentityEnv::default()
    };
    check_plaintexts(&file, &Identities::load(&env));

    // Without XDG_CONFIG_HOME the default is ~/.config/sops/age/keys.txt.
    let home = dir.path().join("h");
    std::fs::create_dir_all(home.join(".config/sops/age")).expect("mkdir");
    std::fs::write(home.join(".config/sops/age/keys.txt"), read("sops-nix/age-keys.txt")).expect("write");
    let env = IdentityEnv {
        home: Some(home),
        ..IdentityEnv::default()
    };
    check_plaintexts(&file, &Identities::load(&env));
}

#[test]
fn decrypts_with_ssh_key_converted_by_ssh_to_age() {
    let (dir, path) = secrets_copy();
    let file = SopsFile::read(&path).expect("parses");
    let ids = Identities::load(&ssh_home_env(dir.path()));
    assert_eq!(hex(file.data_key(&ids).expect("opens").as_bytes()), DATA_KEY);
    check_plaintexts(&file, &ids);
}

#[test]
fn negative_cases_from_the_readme() {
    let file = SopsFile::parse("secrets.yaml", &read("sops-nix/secrets.yaml")).expect("parses");
    let entries = file.metadata().age_entries();
    assert_eq!(entries.len(), 2);

    let mut age_only = Identities::default();
    age_only.add_key_text("k", &read_str("sops-nix/age-keys.txt"), false);
    assert!(age_keys::unwrap(&entries[0].enc, &age_only.as_age()).is_ok());
    assert!(age_keys::unwrap(&entries[1].enc, &age_only.as_age()).is_err());

    let mut ssh = Identities::default();
    ssh.add_ssh_key("k", &read("sops-nix/ssh-ed25519-key"));
    let converted: Vec<_> = ssh
        .loaded
        .iter()
        .filter(|l| l.kind == nixpilot_deploy::secrets::identity::IdentityKind::SshConverted)
        .count()
        .eq(&1)
        .then_some(())
        .into_iter()
        .collect();
    assert_eq!(converted.len(), 1);
    // The converted identity opens the second, not the first; the raw SSH
    // identity alone opens neither (both stanzas are X25519).
    let all = ssh.as_age();
    assert!(age_keys::unwrap(&entries[0].enc, &all).is_err());
    assert!(age_keys::unwrap(&entries[1].enc, &all).is_ok());
    let raw_only: Vec<&dyn age::Identity> = ssh
        .loaded
        .iter()
        .zip(all.iter())
        .filter(|(l, _)| l.kind == nixpilot_deploy::secrets::identity::IdentityKind::Ssh)
        .map(|(_, i)| *i)
        .collect();
    assert_eq!(raw_only.len(), 1);
    assert!(age_keys::unwrap(&entries[1].enc, &raw_only).is_err());
}

#[test]
fn value_aad_and_mac_are_as_documented() {
    let file = SopsFile::parse("secrets.yaml", &read("sops-nix/secrets.yaml")).expect("parses");
    let mut ids = Identities::default();
    ids.add_key_text("k", &read_str("sops-nix/age-keys.txt"), false);
    let key = file.data_key(&ids).expect("opens");
    let enc = file.branches()[0]
        .get("test_key")
        .and_then(Value::as_str)
        .expect("test_key")
        .to_string();
    let (pt, t, _) = cipher::decrypt_raw(&key, &enc, "test_key:").expect("right AAD");
    assert_eq!((&pt[..], t.as_str()), (&b"test_value"[..], "str"));
    assert!(
        cipher::decrypt_raw(&key, &enc, "test_key").is_err(),
        "wrong AAD must fail"
    );
    let mac_enc = file.metadata().mac().expect("mac");
    let (mac, _, _) = cipher::decrypt_raw(&key, &mac_enc, "2021-09-30T19:49:41Z").expect("mac decrypts");
    assert_eq!(std::str::from_utf8(&mac).expect("hex"), MAC);
    use sha2::Digest;
    let digest = sha2::Sha512::digest(b"test_valuee1e3another value");
    let upper: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(upper, MAC);
}

#[test]
fn metadata_is_read_as_listed() {
    let file = SopsFile::parse("secrets.yaml", &read("sops-nix/secrets.yaml")).expect("parses");
    let m = file.metadata();
    assert_eq!(m.version().as_deref(), Some("3.7.1"));
    assert_eq!(m.lastmodified().as_deref(), Some("2021-09-30T19:49:41Z"));
    assert_eq!(
        m.pgp_fingerprints(),
        vec![
            "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0".to_string(),
            "2504791468B153B8A3963CC97BA53D1919C5DFD4".to_string()
        ]
    );
    for e in m.age_entries() {
        let lines: Vec<usize> = e
            .enc
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::len)
            .collect();
        assert_eq!(lines, vec![64, 64, 64, 64, 56]);
    }
}

#[test]
fn unchanged_file_serializes_byte_identically() {
    let bytes = read("sops-nix/secrets.yaml");
    let file = SopsFile::parse("secrets.yaml", &bytes).expect("parses");
    let out = file.serialize().expect("serializes");
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&bytes));
}

// ---------------------------------------------------------------- tampering

fn tampered(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, SopsFile, Identities) {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = edit(&read_str("sops-nix/secrets.yaml"));
    let path = dir.path().join("tampered.yaml");
    std::fs::write(&path, &text).expect("write");
    let file = SopsFile::read(&path).expect("still parses");
    let ids = Identities::load(&key_file_env(dir.path()));
    (dir, file, ids)
}

#[test]
fn tampered_value_is_rejected_naming_the_file() {
    // Flip one byte of test_key's ciphertext (`2mP+` -> `3mP+`).
    let (_d, file, ids) = tampered(|t| t.replacen("data:2mP+", "data:3mP+", 1));
    let err = file.decrypt(&ids).expect_err("must fail");
    assert!(matches!(err, SecretsError::Value { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("tampered.yaml") && msg.contains("test_key"), "{msg}");
    assert!(!msg.contains("test_value"));
}

#[test]
fn tampered_mac_is_rejected() {
    let (_d, file, ids) = tampered(|t| t.replacen("mac: ENC[AES256_GCM,data:WQjp", "mac: ENC[AES256_GCM,data:XQjp", 1));
    let err = file.decrypt(&ids).expect_err("must fail");
    assert!(matches!(err, SecretsError::BadMac { .. }), "{err:?}");
    assert!(err.to_string().contains("tampered.yaml"));
}

#[test]
fn reordered_values_fail_the_mac() {
    // Both list items share the AAD `a_list:`, so each still decrypts; only
    // the MAC notices the swap.
    let (_d, file, ids) = tampered(|t| {
        let a = "ENC[AES256_GCM,data:oOQ=,iv:5P+1UQyIYOW8xXgsvTXC17msGcA6IGB3N8n+pstfqjo=,tag:ox4rgjbb8c0vYZ2XmwRgpg==,type:str]";
        let b = "ENC[AES256_GCM,data:mYU=,iv:LbGS8DjM6Vnr2nU7QokzQlg0gL+XMWhqbN+ypP7ZIZo=,tag:CFrhnZv6lYGJOVso+2YBFg==,type:str]";
        t.replace(a, "@@A@@").replace(b, a).replace("@@A@@", b)
    });
    let err = file.decrypt(&ids).expect_err("must fail");
    assert!(matches!(err, SecretsError::MacMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("MAC mismatch"));
}

#[test]
fn wrong_key_lists_recipients_and_places_looked_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = age::x25519::Identity::generate();
    use age::secrecy::ExposeSecret;
    let env = IdentityEnv {
        sops_age_key: Some(zeroize::Zeroizing::new(other.to_string().expose_secret().to_string())),
        home: Some(dir.path().to_path_buf()),
        ..IdentityEnv::default()
    };
    let file = SopsFile::parse("secrets.yaml", &read("sops-nix/secrets.yaml")).expect("parses");
    let err = file.decrypt(&Identities::load(&env)).expect_err("no identity");
    let msg = err.to_string();
    assert!(matches!(err, SecretsError::NoIdentity { .. }));
    assert!(
        msg.contains("age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw"),
        "{msg}"
    );
    assert!(msg.contains("SOPS_AGE_KEY") && msg.contains("id_ed25519"), "{msg}");
    assert!(!msg.contains("AGE-SECRET-KEY"), "{msg}");
}

#[test]
fn truncated_file_is_refused_with_the_file_named() {
    // Cutting anywhere before the end of the `mac:` line must fail, either
    // when parsing or when decrypting (MAC or data key missing or broken).
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = Identities::load(&key_file_env(dir.path()));
    let text = read_str("sops-nix/secrets.yaml");
    let mac_line = text.find("    mac: ").expect("mac line");
    let mac_end = mac_line + text[mac_line..].find('\n').expect("eol");
    for cut in (1..mac_end).step_by(23) {
        let bytes = &text.as_bytes()[..cut];
        let result = SopsFile::parse("cut.yaml", bytes).and_then(|f| f.decrypt(&ids));
        let err = result.expect_err(&format!("cut at {cut} must fail"));
        assert!(err.to_string().contains("cut.yaml"), "cut at {cut}: {err}");
    }
}

#[test]
fn set_on_the_vector_file_changes_only_that_value_lastmodified_and_mac() {
    let (dir, path) = secrets_copy();
    let ids = Identities::load(&key_file_env(dir.path()));
    let mut file = SopsFile::read(&path).expect("parses");
    file.set(&ids, "nested/test/file", Value::Str("changed".into()))
        .expect("sets");
    let lock = nixpilot_deploy::secrets::WriteLock::acquire(&path).expect("lock");
    file.write(&lock).expect("writes");
    drop(lock);
    let before = read_str("sops-nix/secrets.yaml");
    let after = std::fs::read_to_string(&path).expect("read back");
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(before.lines().count(), after.lines().count());
    let starts: Vec<&str> = changed
        .iter()
        .map(|(_, b)| b.trim_start().split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(starts, ["file", "lastmodified", "mac"], "{changed:#?}");
    // Both recipients still open it, and the MAC verifies.
    let reread = SopsFile::read(&path).expect("parses");
    let plain = reread.decrypt(&ids).expect("decrypts");
    assert_eq!(
        plain.get("nested/test/file").expect("key"),
        &Value::Str("changed".into())
    );
    assert_eq!(plain.get("test_key").expect("key"), &Value::Str("test_value".into()));
    let ssh = Identities::load(&ssh_home_env(dir.path()));
    assert!(reread.decrypt(&ssh).is_ok());
}

#[test]
fn identity_env_debug_hides_the_inline_key() {
    let env = IdentityEnv {
        sops_age_key: Some(zeroize::Zeroizing::new(read_str("sops-nix/age-keys.txt"))),
        ..IdentityEnv::default()
    };
    let dbg = format!("{env:?} {:?}", Identities::load(&env));
    assert!(!dbg.contains("AGE-SECRET-KEY"), "{dbg}");
}

#[test]
fn tampered_wrapped_key_is_reported_without_key_material() {
    // Corrupt the first recipient's armored age file (one base64 character).
    let (_d, file, ids) = tampered(|t| {
        t.replacen(
            "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBOcUlP",
            "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBOcUlQ",
            1,
        )
    });
    let err = file.decrypt(&ids).expect_err("the only key we hold no longer opens");
    let msg = err.to_string();
    assert!(matches!(err, SecretsError::NoIdentity { .. }), "{msg}");
    // age cannot tell a corrupted stanza from one for another key, so this
    // reads as "no identity", with the recipients and places listed.
    assert!(msg.contains("tampered.yaml") && msg.contains("age1yt3tfq"), "{msg}");
    assert!(!msg.contains("AGE-SECRET-KEY"), "{msg}");
}
