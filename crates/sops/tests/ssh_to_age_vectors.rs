//! The ssh-to-age conversions the secrets rules rely on, checked against every public
//! conversion listed in tests/vectors/README.md.

use std::path::PathBuf;

use nixpilot_sops::ssh_to_age::{convert_public_keys, public_key_to_recipient};

fn vector(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn public_keys_convert_like_ssh_to_age() {
    assert_eq!(
        public_key_to_recipient(vector("sops-nix/ssh-ed25519-key.pub").trim()).unwrap(),
        "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs"
    );
    assert_eq!(
        public_key_to_recipient(vector("ssh-to-age/id_ed25519.pub").trim()).unwrap(),
        "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452"
    );
    let (recipients, skipped) = convert_public_keys(&vector("ssh-to-age/keyscan.txt"));
    assert_eq!(
        recipients,
        [
            "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp",
            "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv"
        ]
    );
    assert_eq!(skipped.len(), 2, "the two ssh-rsa lines are skipped");
}

#[test]
fn bad_keys_are_errors_not_panics() {
    for line in [
        "",
        "x",
        "ssh-ed25519",
        "ssh-ed25519 !!!!",
        "ssh-ed25519 AAAA",
        "ssh-rsa AAAAB3NzaC1yc2E",
    ] {
        assert!(public_key_to_recipient(line).is_err(), "{line:?}");
    }
}
