//! dotenv sops files: `KEY=value` lines and `#` comments, newlines written as `\n`,
//! metadata flattened into `sops_…` keys, exactly as sops's dotenv store.

use super::tree::{Comment, Map, MapItem, Value};

#[derive(Debug, thiserror::Error)]
pub enum DotenvError {
    #[error("dotenv line {0} has no `=`")]
    NoEquals(usize),
    #[error("dotenv files hold only flat string values; key `{0}` is a map or list")]
    ComplexValue(String),
    #[error("a dotenv key cannot be empty, hold `=` or a line break, or start with `#`: {0:?}")]
    BadKey(String),
}

pub fn parse(text: &str) -> Result<Map, DotenvError> {
    let mut map = Map::new();
    for (i, line) in text.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            map.0.push(MapItem::Comment(Comment {
                text: c.to_string(),
                inline: false,
            }));
            continue;
        }
        let Some(pos) = line.find('=') else {
            return Err(DotenvError::NoEquals(i + 1));
        };
        map.0.push(MapItem::Pair(
            line[..pos].to_string(),
            Value::Str(line[pos + 1..].replace("\\n", "\n")),
        ));
    }
    Ok(map)
}

pub fn emit(map: &Map) -> Result<String, DotenvError> {
    let mut out = String::new();
    for item in &map.0 {
        match item {
            MapItem::Comment(c) => {
                out.push('#');
                out.push_str(&c.text);
                out.push('\n');
            }
            MapItem::Pair(k, v) => {
                // Such a key reads back as another key or a comment (as in sops's own store).
                if k.is_empty() || k.contains(['=', '\n']) || k.starts_with('#') {
                    return Err(DotenvError::BadKey(k.clone()));
                }
                let text = match v {
                    Value::Str(s) => s.replace('\n', "\\n"),
                    Value::Map(_) | Value::List(_) => return Err(DotenvError::ComplexValue(k.clone())),
                    other => value_to_string(other),
                };
                out.push_str(k);
                out.push('=');
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// sops's `ValToString` for scalars written into flat formats.
pub fn value_to_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => super::yaml::go_format_g(*x),
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Comment(c) => c.text.clone(),
        Value::Map(_) | Value::List(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_comments_and_newlines() {
        let text = "#comment\nA=1\nB=two\\nlines\nC=\n";
        let m = parse(text).expect("parses");
        assert_eq!(m.get("B"), Some(&Value::Str("two\nlines".into())));
        assert_eq!(emit(&m).expect("emits"), text);
        assert!(matches!(parse("novalue\n"), Err(DotenvError::NoEquals(1))));
    }

    #[test]
    fn keys_that_would_read_back_differently_are_refused() {
        for key in ["", "a=b", "a\nb", "#a"] {
            let mut m = Map::new();
            m.insert(key, Value::Str("v".into()));
            assert!(matches!(emit(&m), Err(DotenvError::BadKey(k)) if k == key), "{key:?}");
        }
    }
}
