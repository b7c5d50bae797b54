//! Interop with the real `age` command (Debian package `age`): data keys we wrap
//! open with `age -d`, and files `age -e` writes open with our identity code.
//! Without `age` on PATH these tests skip, except under CI (`CI` set), where they fail.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use age::secrecy::ExposeSecret;
use nixpilot_deploy::secrets::age_keys;
use nixpilot_deploy::secrets::cipher::DataKey;
use nixpilot_deploy::secrets::{Identities, IdentityEnv, Recipient};
use nixpilot_sops::ssh_to_age;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// The `age` binary, or `None` (test skipped) outside CI.
fn age_bin() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("age"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the `age` command is not on PATH; install the Debian package `age` (.ci/packages)"
        );
        eprintln!("skipping: `age` is not on PATH");
    }
    found
}

fn run(cmd: &mut Command, input: &[u8]) -> Vec<u8> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("age runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("age finishes");
    assert!(
        out.status.success(),
        "age failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn private_file(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    p
}

#[test]
fn data_key_wrapped_by_us_opens_with_age_cli() {
    let Some(age) = age_bin() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let id = age::x25519::Identity::generate();
    let id_file = private_file(dir.path(), "id.txt", id.to_string().expose_secret().as_bytes());
    let key = DataKey::generate().expect("rng");
    let recipient = Recipient::parse(&id.to_public().to_string()).expect("recipient");
    let enc = age_keys::wrap(&key, &recipient).expect("wraps");
    let out = run(Command::new(&age).arg("-d").arg("-i").arg(&id_file), enc.as_bytes());
    assert_eq!(out, key.as_bytes());
}

#[test]
fn data_key_wrapped_for_ssh_recipient_opens_with_age_cli() {
    let Some(age) = age_bin() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let sk = private_file(
        dir.path(),
        "id_ed25519",
        &std::fs::read(vectors().join("ssh-to-age/id_ed25519")).expect("vector"),
    );
    let pubkey = std::fs::read_to_string(vectors().join("ssh-to-age/id_ed25519.pub")).expect("vector");
    let key = DataKey::generate().expect("rng");
    let enc = age_keys::wrap(&key, &Recipient::parse(pubkey.trim()).expect("ssh recipient")).expect("wraps");
    let out = run(Command::new(&age).arg("-d").arg("-i").arg(&sk), enc.as_bytes());
    assert_eq!(out, key.as_bytes());
}

#[test]
fn file_encrypted_by_age_cli_opens_with_our_identities() {
    let Some(age) = age_bin() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let id = age::x25519::Identity::generate();
    let payload = [0x5au8; 32];
    let enc = run(
        Command::new(&age).arg("-a").arg("-r").arg(id.to_public().to_string()),
        &payload,
    );
    // Through the same path sops uses: SOPS_AGE_KEY_FILE.
    let kf = private_file(dir.path(), "keys.txt", id.to_string().expose_secret().as_bytes());
    let ids = Identities::load(&IdentityEnv {
        sops_age_key_file: Some(kf),
        ..IdentityEnv::default()
    });
    let got = age_keys::unwrap(std::str::from_utf8(&enc).expect("armored"), &ids.as_age()).expect("opens");
    assert_eq!(got.as_bytes(), &payload);
}

#[test]
fn ssh_to_age_pair_round_trips_through_age_cli() {
    let Some(age) = age_bin() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let pubkey = std::fs::read_to_string(vectors().join("ssh-to-age/id_ed25519.pub")).expect("vector");
    let recipient = ssh_to_age::public_key_to_recipient(pubkey.trim()).expect("converts");
    let payload = [7u8; 32];
    let enc = run(Command::new(&age).arg("-a").arg("-r").arg(&recipient), &payload);
    // Our converted identity (from ~/.ssh/id_ed25519) opens the X25519 stanza.
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
    private_file(
        &home.join(".ssh"),
        "id_ed25519",
        &std::fs::read(vectors().join("ssh-to-age/id_ed25519")).expect("vector"),
    );
    let ids = Identities::load(&IdentityEnv {
        home: Some(home),
        ..IdentityEnv::default()
    });
    let got = age_keys::unwrap(std::str::from_utf8(&enc).expect("armored"), &ids.as_age()).expect("opens");
    assert_eq!(got.as_bytes(), &payload);
    // And age itself opens it with the converted identity we print.
    let identity =
        ssh_to_age::private_key_to_identity(&std::fs::read(vectors().join("ssh-to-age/id_ed25519")).expect("vector"))
            .expect("converts");
    let id_file = private_file(dir.path(), "conv.txt", identity.as_bytes());
    let out = run(Command::new(&age).arg("-d").arg("-i").arg(&id_file), &enc);
    assert_eq!(out, payload);
}

#[test]
fn age_cli_agrees_on_the_sops_nix_data_key() {
    let Some(age) = age_bin() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let kf = private_file(
        dir.path(),
        "keys.txt",
        &std::fs::read(vectors().join("sops-nix/age-keys.txt")).expect("vector"),
    );
    let text = std::fs::read(vectors().join("sops-nix/secrets.yaml")).expect("vector");
    let file = nixpilot_deploy::secrets::SopsFile::parse("secrets.yaml", &text).expect("parses");
    let enc = &file.metadata().age_entries()[0].enc;
    let out = run(Command::new(&age).arg("-d").arg("-i").arg(&kf), enc.as_bytes());
    let ids = Identities::load(&IdentityEnv {
        sops_age_key_file: Some(kf),
        ..IdentityEnv::default()
    });
    assert_eq!(out, file.data_key(&ids).expect("opens").as_bytes());
}
