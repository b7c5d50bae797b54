//! A secrets file's text with its values masked, for showing it: diagnostics point at keys,
//! and a snippet of the line must not echo a value that is in the clear.
//!
//! Every masked byte becomes `*`, so the masked text has the same length and line breaks as the
//! original and every range computed on one is valid on the other (the editor shows the real
//! file). Keys, structure, `ENC[…]` values and the `sops` metadata stay as they are.

use super::Format;

const MASK: u8 = b'*';

/// The text with every value that is not `ENC[…]` masked, outside the `sops` metadata.
pub fn redact_values(text: &str, format: Format) -> String {
    let mut bytes = text.as_bytes().to_vec();
    match format {
        Format::Yaml => yaml(text, &mut bytes),
        Format::Json => json(text, &mut bytes),
        Format::Binary if text.trim_start().starts_with('{') => json(text, &mut bytes),
        Format::Binary => mask(&mut bytes, 0, text.len()),
        Format::Dotenv => flat(text, &mut bytes, '=', &["#"]),
        Format::Ini => flat(text, &mut bytes, '=', &["#", ";"]),
    }
    // Only ASCII bytes were written over whole characters, so this cannot fail; the fallback
    // masks everything rather than show anything.
    String::from_utf8(bytes).unwrap_or_else(|_| text.chars().map(|c| if c.is_whitespace() { c } else { '*' }).collect())
}

/// Masks every non-whitespace byte of `bytes[start..end]` (whole characters: UTF-8
/// continuation bytes are masked with the byte that starts them).
fn mask(bytes: &mut [u8], start: usize, end: usize) {
    for b in &mut bytes[start..end] {
        if !b.is_ascii_whitespace() {
            *b = MASK;
        }
    }
}

/// Lines with their start offsets (without the line break).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = at;
        at += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

/// Masks a value (the text after a key) unless it is ciphertext or empty.
fn mask_value(bytes: &mut [u8], line_start: usize, line: &str, value_from: usize) {
    let value = &line[value_from..];
    if value.trim_start().starts_with("ENC[") {
        return;
    }
    mask(bytes, line_start + value_from, line_start + line.len());
}

fn yaml(text: &str, bytes: &mut [u8]) {
    let mut in_metadata = false;
    for (start, line) in lines(text) {
        let indent = line.len() - line.trim_start().len();
        let content = &line[indent..];
        // A top-level key ends the previous top-level value.
        if indent == 0 && !content.is_empty() && !content.starts_with('#') && content != "---" && content != "..." {
            in_metadata = content.starts_with("sops:");
        }
        if in_metadata || content.is_empty() || content == "---" || content == "..." {
            continue;
        }
        if content.starts_with('#') {
            mask(bytes, start + indent + 1, start + line.len());
            continue;
        }
        // `- - key: value`: sequence markers, then maybe a key.
        let mut at = indent;
        while line[at..].starts_with("- ") || &line[at..] == "-" {
            at += 1;
            at += line[at..].len() - line[at..].trim_start().len();
        }
        match yaml_key_end(&line[at..]) {
            Some(key_end) => {
                let value_from = at + key_end;
                let value = line[value_from..].trim();
                // A block scalar's indicator (`|`, `>-`) is no value; its lines follow, keyless.
                let block = !value.is_empty() && value.chars().all(|c| matches!(c, '|' | '>' | '-' | '+' | '0'..='9'));
                if !block {
                    mask_value(bytes, start, line, value_from);
                }
            }
            None => mask_value(bytes, start, line, at),
        }
    }
}

/// The end of `key:` at the start of `s` (just after the colon), for plain and quoted keys.
fn yaml_key_end(s: &str) -> Option<usize> {
    let after_key = match s.chars().next()? {
        quote @ ('"' | '\'') => s[1..].find(quote)? + 2,
        _ => {
            let colon = s.find(": ").or_else(|| s.strip_suffix(':').map(|k| k.len()))?;
            // `a: b` inside a flow collection or a value with a colon is not a key.
            if s[..colon].contains(['{', '[', '#']) {
                return None;
            }
            colon
        }
    };
    s[after_key..].starts_with(':').then_some(after_key + 1)
}

/// `KEY=value` lines (dotenv, INI); sops's own keys (`sops_…`, the `[sops]` section) are kept.
fn flat(text: &str, bytes: &mut [u8], separator: char, comments: &[&str]) {
    let mut in_metadata = false;
    for (start, line) in lines(text) {
        let indent = line.len() - line.trim_start().len();
        let content = &line[indent..];
        if content.starts_with('[') {
            in_metadata = content.trim_end() == "[sops]";
            continue;
        }
        if in_metadata || content.is_empty() {
            continue;
        }
        if comments.iter().any(|c| content.starts_with(c)) {
            mask(bytes, start + indent + 1, start + line.len());
            continue;
        }
        match content.find(separator) {
            Some(i) if !content[..i].trim().starts_with("sops_") => mask_value(bytes, start, line, indent + i + 1),
            Some(_) => {}
            None => mask(bytes, start, start + line.len()),
        }
    }
}

/// JSON: strings that are values and scalars are masked; keys, punctuation, `ENC[…]` strings
/// and the top-level `"sops"` value are kept.
fn json(text: &str, bytes: &mut [u8]) {
    let src = text.as_bytes();
    let mut containers: Vec<u8> = Vec::new();
    // Depth of the container holding the metadata while inside it.
    let mut metadata_depth: Option<usize> = None;
    let mut metadata_next = false;
    let mut i = 0;
    while i < src.len() {
        let keep = metadata_depth.is_some();
        match src[i] {
            b'{' | b'[' => {
                containers.push(src[i]);
                if std::mem::take(&mut metadata_next) {
                    metadata_depth = Some(containers.len());
                }
                i += 1;
            }
            b'}' | b']' => {
                if metadata_depth == Some(containers.len()) {
                    metadata_depth = None;
                }
                containers.pop();
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < src.len() && src[i] != b'"' {
                    i += if src[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(src.len());
                i = (i + 1).min(src.len());
                let rest = text[i..].trim_start();
                let is_key = containers.last() == Some(&b'{') && rest.starts_with(':');
                if is_key {
                    metadata_next = containers.len() == 1 && &text[start + 1..end] == "sops";
                    continue;
                }
                metadata_next = false;
                if !keep && !text[start + 1..end].starts_with("ENC[") {
                    mask(bytes, start + 1, end);
                }
            }
            b if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' => {
                let start = i;
                while i < src.len() && (src[i].is_ascii_alphanumeric() || matches!(src[i], b'-' | b'+' | b'.')) {
                    i += 1;
                }
                if !keep {
                    mask(bytes, start, i);
                }
                metadata_next = false;
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(format: Format, text: &str, expected: &str) {
        let redacted = redact_values(text, format);
        assert_eq!(redacted, expected);
        assert_eq!(redacted.len(), text.len());
    }

    #[test]
    fn yaml_values_are_masked_and_keys_metadata_and_ciphertext_kept() {
        check(
            Format::Yaml,
            "# db\nrestic_password: hunter2\nnested:\n    api: \"k3y\"\n    list:\n        - s3cr3t\n        - user: bob\ncert: |\n    -----BEGIN X-----\ntoken: ENC[AES256_GCM,data:AA==]\nsops:\n    age:\n        - recipient: age1xyz\n    version: 3.10.2\n",
            "# **\nrestic_password: *******\nnested:\n    api: *****\n    list:\n        - ******\n        - user: ***\ncert: |\n    ********** ******\ntoken: ENC[AES256_GCM,data:AA==]\nsops:\n    age:\n        - recipient: age1xyz\n    version: 3.10.2\n",
        );
    }

    #[test]
    fn non_ascii_values_keep_their_byte_length() {
        check(Format::Yaml, "pw: пароль\n", "pw: ************\n");
    }

    #[test]
    fn json_values_are_masked_outside_the_metadata() {
        check(
            Format::Json,
            "{\n\t\"db\": {\"pw\": \"hun\\\"ter2\", \"port\": 5432, \"on\": true},\n\t\"list\": [\"a\", 1],\n\t\"enc\": \"ENC[AES256_GCM,x]\",\n\t\"sops\": {\"version\": \"3.10.2\", \"age\": [{\"recipient\": \"age1x\"}]}\n}\n",
            "{\n\t\"db\": {\"pw\": \"*********\", \"port\": ****, \"on\": ****},\n\t\"list\": [\"*\", *],\n\t\"enc\": \"ENC[AES256_GCM,x]\",\n\t\"sops\": {\"version\": \"3.10.2\", \"age\": [{\"recipient\": \"age1x\"}]}\n}\n",
        );
    }

    #[test]
    fn dotenv_and_ini_values_are_masked() {
        check(
            Format::Dotenv,
            "# c\nPW=hunter2\nsops_version=3.10.2\n",
            "# *\nPW=*******\nsops_version=3.10.2\n",
        );
        check(
            Format::Ini,
            "[db]\npw = hunter2\n[sops]\nversion = 3.10.2\n",
            "[db]\npw = *******\n[sops]\nversion = 3.10.2\n",
        );
    }
}
