//! Whether the text after a private-key marker is a key: its body must decode to the format
//! the marker names, so documentation placeholders (`<your key here>`, `...`) are not keys.

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// The kinds of armour a marker opens, each checked by what its body decodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Armour {
    /// `openssh-key-v1\0` after base64.
    OpenSsh,
    /// A DER `SEQUENCE` (RSA, EC, DSA, PKCS#8), or ciphertext under `Proc-Type`/`DEK-Info`.
    PemDer,
    /// An OpenPGP packet stream.
    Pgp,
}

/// Base64 as keys are written: standard alphabet, padding present or not.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Fewer bytes than this cannot hold any private key (an Ed25519 PKCS#8 key is 48).
const MIN_KEY_BYTES: usize = 40;

/// The body of a PEM-style block that starts right after `-----BEGIN <label>-----` in `after`:
/// the text up to its `-----END` line (or the end of the text).
fn block_body(after: &str) -> &str {
    &after[..after.find("-----END").unwrap_or(after.len())]
}

/// Decodes the base64 of a block body written in any of the ways keys are embedded: lines
/// with indentation (Nix `''` strings, YAML `|` blocks, comments) or joined by `\n` escapes
/// (JSON, Nix `"…"`). `None` when anything else is in it, which is what placeholders have.
fn decode_body(lines: &[&str]) -> Option<Vec<u8>> {
    let mut base64 = String::new();
    for line in lines {
        for piece in line.split("\\n") {
            // A key commented out (`# b3Bl…`) is still a key; `#` is no base64 letter.
            let piece = piece.trim().trim_start_matches('#').trim();
            let piece = piece.strip_suffix("\\r").unwrap_or(piece).trim();
            if !piece
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            {
                return None;
            }
            base64.push_str(piece);
        }
    }
    LENIENT_BASE64.decode(base64.trim_end_matches('=')).ok()
}

/// Whether `der` is exactly one DER `SEQUENCE` (how every unencrypted PEM key starts).
fn is_der_sequence(der: &[u8]) -> bool {
    let [0x30, first, rest @ ..] = der else { return false };
    let (length, header) = match *first {
        n if n < 0x80 => (usize::from(n), 2),
        0x81 => match rest {
            [n, ..] => (usize::from(*n), 3),
            _ => return false,
        },
        0x82 => match rest {
            [hi, lo, ..] => (usize::from(*hi) << 8 | usize::from(*lo), 4),
            _ => return false,
        },
        _ => return false,
    };
    header + length == der.len()
}

/// Whether the block after a marker of `armour` holds a key; `after` starts right after the
/// marker.
pub fn block_is_key(armour: Armour, after: &str) -> bool {
    let body = block_body(after);
    let lines: Vec<&str> = body.lines().collect();
    // Armour headers (`Proc-Type: 4,ENCRYPTED`, `Version: GnuPG`) end at the first blank line.
    let has_headers = lines.iter().any(|l| {
        let l = l.trim();
        l.contains(": ") && !l.contains("\\n")
    });
    let data: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            let t = l.trim();
            !(t.contains(": ") || armour == Armour::Pgp && t.starts_with('=') && t.len() == 5)
        })
        .collect();
    let Some(decoded) = decode_body(&data) else {
        return false;
    };
    if decoded.len() < MIN_KEY_BYTES {
        return false;
    }
    match armour {
        Armour::OpenSsh => decoded.starts_with(b"openssh-key-v1\0"),
        // Traditional PEM encryption (`Proc-Type: 4,ENCRYPTED`) leaves CBC ciphertext.
        Armour::PemDer if has_headers => decoded.len() % 8 == 0,
        Armour::PemDer => is_der_sequence(&decoded),
        // Every OpenPGP packet header has its top bit set.
        Armour::Pgp => decoded[0] & 0x80 != 0,
    }
}

/// Whether `token` (starting with `AGE-SECRET-KEY-1`) is a bech32 age identity with a valid
/// checksum and a 32-byte key.
pub fn is_age_identity(token: &str) -> bool {
    match bech32::decode(token) {
        Ok((hrp, data)) => hrp.as_str().eq_ignore_ascii_case("age-secret-key-") && data.len() == 32,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A public test key: the ssh-to-age project's test asset.
    const OPENSSH: &str = include_str!("../../../../tests/vectors/ssh-to-age/id_ed25519");

    fn after_marker(text: &str, marker: &str) -> String {
        text[text.find(marker).unwrap() + marker.len()..].to_string()
    }

    #[test]
    fn a_real_openssh_key_decodes_in_every_embedding() {
        let after = after_marker(OPENSSH, "-----BEGIN OPENSSH PRIVATE KEY-----");
        assert!(block_is_key(Armour::OpenSsh, &after));
        let indented: String = after.lines().map(|l| format!("      {l}\n")).collect();
        assert!(block_is_key(Armour::OpenSsh, &indented));
        let escaped = after.replace('\n', "\\n");
        assert!(block_is_key(Armour::OpenSsh, &escaped));
    }

    #[test]
    fn placeholders_are_not_keys() {
        for body in [
            "\nYOUR_BUILD_FARM_PRIVATE_KEY_HERE_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            "\n<your key here>\n-----END OPENSSH PRIVATE KEY-----\n",
            "\n...\n-----END OPENSSH PRIVATE KEY-----\n",
            "\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ...\n-----END OPENSSH PRIVATE KEY-----\n",
            "\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            "",
        ] {
            assert!(!block_is_key(Armour::OpenSsh, body), "{body}");
            assert!(!block_is_key(Armour::PemDer, body), "{body}");
        }
    }

    #[test]
    fn der_must_be_one_whole_sequence() {
        let mut der = vec![0x30, 0x2e];
        der.extend([0x02; 0x2e]);
        assert!(is_der_sequence(&der));
        assert!(!is_der_sequence(&der[..der.len() - 1]));
        let body = format!("\n{}\n-----END PRIVATE KEY-----\n", LENIENT_BASE64.encode(&der));
        assert!(block_is_key(Armour::PemDer, &body));
        let zeros = format!("\n{}\n-----END PRIVATE KEY-----\n", LENIENT_BASE64.encode([0u8; 48]));
        assert!(!block_is_key(Armour::PemDer, &zeros));
    }

    #[test]
    fn age_identities_need_a_valid_checksum() {
        assert!(is_age_identity(
            "AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6"
        ));
        assert!(!is_age_identity(
            "AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M7"
        ));
        assert!(!is_age_identity(
            "AGE-SECRET-KEY-1XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
        ));
    }
}
