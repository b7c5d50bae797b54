//! INI sops files: `[section]` blocks of `key = value` (go-ini's pretty layout),
//! with `;`/`#` comments, and the metadata flattened into a `[sops]` section.

use super::tree::{Comment, Map, MapItem, Value};

#[derive(Debug, thiserror::Error)]
pub enum IniError {
    #[error("INI line {0}: expected `[section]`, `key = value` or a comment")]
    Syntax(usize),
    #[error("INI values must be scalars inside sections; `{0}` is not")]
    Shape(String),
    #[error(
        "INI cannot hold `{0}` as it is: names with `[`, `]`, `=`, `:`, `;`, `#`, line breaks or \
         spaces at their ends, or values with line breaks or wrapped in quotes, do not read back"
    )]
    Unrepresentable(String),
}

fn strip_comment_char(c: &str) -> String {
    // sops strips the marker and the spaces after it.
    let t = c.trim_start_matches([';', '#']);
    t.trim_start_matches([' ', ';', '#']).to_string()
}

pub fn parse(text: &str) -> Result<Map, IniError> {
    let mut root = Map::new();
    let mut current: Option<(String, Map)> = None;
    let mut pending: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with(';') || line.starts_with('#') {
            pending.push(strip_comment_char(line));
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if let Some((n, m)) = current.take() {
                root.0.push(MapItem::Pair(n, Value::Map(m)));
            }
            let mut m = Map::new();
            if !pending.is_empty() {
                m.0.push(MapItem::Comment(Comment {
                    text: pending.join("\n"),
                    inline: false,
                }));
                pending.clear();
            }
            current = Some((name.trim().to_string(), m));
            continue;
        }
        let Some(eq) = line.find(['=', ':']) else {
            return Err(IniError::Syntax(i + 1));
        };
        let key = line[..eq].trim().to_string();
        let mut value = line[eq + 1..].trim().to_string();
        for q in ["\"\"\"", "`", "\""] {
            if value.len() >= 2 * q.len() && value.starts_with(q) && value.ends_with(q) {
                value = value[q.len()..value.len() - q.len()].to_string();
                break;
            }
        }
        let section = current.get_or_insert_with(|| ("DEFAULT".to_string(), Map::new()));
        section.1 .0.push(MapItem::Pair(key, Value::Str(value)));
        // go-ini keeps the comment above a key with that key; sops lists it after.
        if !pending.is_empty() {
            section.1 .0.push(MapItem::Comment(Comment {
                text: pending.join("\n"),
                inline: false,
            }));
            pending.clear();
        }
    }
    if let Some((n, m)) = current.take() {
        root.0.push(MapItem::Pair(n, Value::Map(m)));
    }
    Ok(root)
}

fn quote_value(v: &str) -> String {
    if v.contains('`') {
        format!("\"\"\"{v}\"\"\"")
    } else if v.contains(['#', ';']) || v.starts_with(' ') || v.ends_with(' ') {
        format!("`{v}`")
    } else {
        v.to_string()
    }
}

pub fn emit(map: &Map) -> Result<String, IniError> {
    let mut out = String::new();
    for (i, (name, value)) in map.pairs().enumerate() {
        // go-ini puts a blank line between sections, not after the last.
        if i > 0 {
            out.push('\n');
        }
        let Value::Map(section) = value else {
            return Err(IniError::Shape(name.to_string()));
        };
        let mut items = section.0.iter().peekable();
        if let Some(MapItem::Comment(c)) = items.peek() {
            for l in c.text.split('\n') {
                out.push_str(&format!("; {l}\n"));
            }
            items.next();
        }
        out.push_str(&format!("[{name}]\n"));
        // go-ini aligns the `=` of a section's keys (PrettyFormat).
        let width = section.pairs().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
        let rest: Vec<&MapItem> = items.collect();
        for (i, item) in rest.iter().enumerate() {
            let MapItem::Pair(k, v) = item else { continue };
            if let Some(MapItem::Comment(c)) = rest.get(i + 1) {
                for l in c.text.split('\n') {
                    out.push_str(&format!("; {l}\n"));
                }
            }
            let text = match v {
                Value::Map(_) | Value::List(_) => return Err(IniError::Shape(k.clone())),
                other => super::dotenv::value_to_string(other),
            };
            let pad = width - k.chars().count();
            out.push_str(&format!("{k}{} = {}\n", " ".repeat(pad), quote_value(&text)));
        }
    }
    // What does not read back would be a different file (and its values would no longer
    // decrypt: their key path is their AAD); found by the sops_file fuzz target.
    let back = parse(&out).map_err(|_| IniError::Unrepresentable(first_name(map)))?;
    reads_back(map, &back)?;
    Ok(out)
}

fn first_name(map: &Map) -> String {
    map.pairs().next().map_or_else(String::new, |(k, _)| k.to_string())
}

/// Names the first section or `section.key` that `back` (the emitted text, parsed) lost or changed.
fn reads_back(map: &Map, back: &Map) -> Result<(), IniError> {
    let mut got = back.pairs();
    for (name, value) in map.pairs() {
        let Some((back_name, Value::Map(back_section))) = got.next() else {
            return Err(IniError::Unrepresentable(name.to_string()));
        };
        let Value::Map(section) = value else {
            return Err(IniError::Shape(name.to_string()));
        };
        if back_name != name {
            return Err(IniError::Unrepresentable(name.to_string()));
        }
        let mut keys = back_section.pairs();
        for (k, v) in section.pairs() {
            let same = match keys.next() {
                Some((bk, Value::Str(bv))) => bk == k && *bv == super::dotenv::value_to_string(v),
                _ => false,
            };
            if !same {
                return Err(IniError::Unrepresentable(format!("{name}.{k}")));
            }
        }
        if keys.next().is_some() {
            return Err(IniError::Unrepresentable(name.to_string()));
        }
    }
    if got.next().is_some() {
        return Err(IniError::Unrepresentable(first_name(map)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sections_and_comments() {
        let text = "; about db\n[db]\n; the user\nuser     = admin\npassword = `a#b`\n\n[x]\ny = z\n";
        let m = parse(text).expect("parses");
        let Some(Value::Map(db)) = m.get("db") else {
            panic!("db section")
        };
        assert_eq!(db.get("password"), Some(&Value::Str("a#b".into())));
        assert_eq!(emit(&m).expect("emits"), text);
        assert!(matches!(parse("[a]\nnope\n"), Err(IniError::Syntax(2))));
    }

    #[test]
    fn names_and_values_that_would_not_read_back_are_refused() {
        // Found by the sops_file fuzz target: a section name holding `[`…`=` was written as
        // is, read back as something else, and its values no longer decrypted.
        let section = |name: &str, key: &str, value: &str| {
            let mut s = Map::new();
            s.insert(key, Value::Str(value.into()));
            let mut m = Map::new();
            m.insert(name, Value::Map(s));
            m
        };
        for (m, named) in [
            (section("a\nb", "k", "v"), "a\nb"),
            (section("s", "k=x", "v"), "s.k=x"),
            (section("s", ";k", "v"), "s.;k"),
            (section("s", " k", "v"), "s. k"),
            (section("s", "k", "\"quoted\""), "s.k"),
            (section("s", "k", "two\nlines"), "s"),
        ] {
            match emit(&m) {
                Err(IniError::Unrepresentable(n)) => assert_eq!(n, named),
                other => panic!("{named}: {other:?}"),
            }
        }
        let ok = section("db", "user", "a b = c");
        assert_eq!(parse(&emit(&ok).expect("emits")).expect("parses"), ok);
    }
}
