//! Key paths into a sops tree: sops's `["a"][0]` syntax and sops-nix's `a/b/c`,
//! parsed into steps, plus lookup and insertion on a `Map`.

use super::tree::{Map, MapItem, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyPathError {
    #[error("malformed key path: {0} (use `a/b` or `[\"a\"][0]`)")]
    Malformed(&'static str),
    #[error("key path step {0} does not exist")]
    Missing(usize),
    #[error("key path step {0} goes through a value that is not a map or list")]
    NotContainer(usize),
}

/// Parses `["a"][0]["b"]` (sops) or `a/b` (sops-nix, no list indices).
pub fn parse(path: &str) -> Result<Vec<Step>, KeyPathError> {
    if path.is_empty() {
        return Err(KeyPathError::Malformed("empty path"));
    }
    if !path.starts_with('[') {
        if path.split('/').any(str::is_empty) {
            return Err(KeyPathError::Malformed("empty component"));
        }
        return Ok(path.split('/').map(|s| Step::Key(s.to_string())).collect());
    }
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        let Some(body) = rest.strip_prefix('[') else {
            return Err(KeyPathError::Malformed("expected `[`"));
        };
        if let Some(q) = body.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let inner = &body[1..];
            let Some(end) = inner.find(q) else {
                return Err(KeyPathError::Malformed("unterminated quote"));
            };
            let key = &inner[..end];
            let after = &inner[end + 1..];
            let Some(next) = after.strip_prefix(']') else {
                return Err(KeyPathError::Malformed("expected `]` after a quoted key"));
            };
            steps.push(Step::Key(key.to_string()));
            rest = next;
        } else {
            let Some(end) = body.find(']') else {
                return Err(KeyPathError::Malformed("expected `]`"));
            };
            let idx = body[..end]
                .trim()
                .parse::<usize>()
                .map_err(|_| KeyPathError::Malformed("an unquoted step must be a list index"))?;
            steps.push(Step::Index(idx));
            rest = &body[end + 1..];
        }
    }
    Ok(steps)
}

pub fn get<'a>(map: &'a Map, steps: &[Step]) -> Result<&'a Value, KeyPathError> {
    let mut cur: Option<&Value> = None;
    for (i, step) in steps.iter().enumerate() {
        let next = match (cur, step) {
            (None, Step::Key(k)) => map.get(k),
            (Some(Value::Map(m)), Step::Key(k)) => m.get(k),
            (Some(Value::List(l)), Step::Index(n)) => l.iter().filter(|v| !matches!(v, Value::Comment(_))).nth(*n),
            (None, Step::Index(_)) => return Err(KeyPathError::NotContainer(i + 1)),
            _ => return Err(KeyPathError::NotContainer(i + 1)),
        };
        cur = Some(next.ok_or(KeyPathError::Missing(i + 1))?);
    }
    cur.ok_or(KeyPathError::Malformed("empty path"))
}

/// Sets a value, creating maps along the way (like `sops set`); an index may
/// point one past the end of a list to append.
pub fn set(map: &mut Map, steps: &[Step], value: Value) -> Result<(), KeyPathError> {
    let Some((first, rest)) = steps.split_first() else {
        return Err(KeyPathError::Malformed("empty path"));
    };
    let Step::Key(k) = first else {
        return Err(KeyPathError::NotContainer(1));
    };
    if map.get(k).is_none() {
        map.0.push(MapItem::Pair(k.clone(), Value::Null));
    }
    let slot = map.get_mut(k).ok_or(KeyPathError::Missing(1))?;
    set_in(slot, rest, value, 2)
}

fn set_in(slot: &mut Value, steps: &[Step], value: Value, depth: usize) -> Result<(), KeyPathError> {
    let Some((first, rest)) = steps.split_first() else {
        // The old value may be a secret: overwrite it before it is freed.
        slot.wipe();
        *slot = value;
        return Ok(());
    };
    match first {
        Step::Key(k) => {
            if !matches!(slot, Value::Map(_)) {
                if matches!(slot, Value::Null) {
                    *slot = Value::Map(Map::new());
                } else {
                    return Err(KeyPathError::NotContainer(depth));
                }
            }
            let Value::Map(m) = slot else {
                return Err(KeyPathError::NotContainer(depth));
            };
            if m.get(k).is_none() {
                m.0.push(MapItem::Pair(k.clone(), Value::Null));
            }
            let child = m.get_mut(k).ok_or(KeyPathError::Missing(depth))?;
            set_in(child, rest, value, depth + 1)
        }
        Step::Index(n) => {
            if matches!(slot, Value::Null) {
                *slot = Value::List(Vec::new());
            }
            let Value::List(l) = slot else {
                return Err(KeyPathError::NotContainer(depth));
            };
            let positions: Vec<usize> = l
                .iter()
                .enumerate()
                .filter(|(_, v)| !matches!(v, Value::Comment(_)))
                .map(|(i, _)| i)
                .collect();
            if *n == positions.len() {
                l.push(Value::Null);
                let last = l.len() - 1;
                return set_in(&mut l[last], rest, value, depth + 1);
            }
            let pos = *positions.get(*n).ok_or(KeyPathError::Missing(depth))?;
            set_in(&mut l[pos], rest, value, depth + 1)
        }
    }
}

/// Every leaf reachable through mappings only, as sops-nix `key` paths
/// (`a/b/c`); lists are leaves because sops-nix cannot index into them.
/// Works on encrypted files too: key names are never encrypted.
pub fn leaf_paths(map: &Map) -> Vec<String> {
    leaves(map).into_iter().map(|(path, _)| path).collect()
}

/// Every leaf (a value that is not a map) with its `/`-joined key path, in document order.
pub fn leaves(map: &Map) -> Vec<(String, &Value)> {
    fn walk<'a>(map: &'a Map, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
        for (k, v) in map.pairs() {
            let path = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}/{k}")
            };
            match v {
                Value::Map(m) => walk(m, &path, out),
                _ => out.push((path, v)),
            }
        }
    }
    let mut out = Vec::new();
    walk(map, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_syntaxes() {
        assert_eq!(
            parse("[\"a\"][0]['b']").expect("ok"),
            vec![Step::Key("a".into()), Step::Index(0), Step::Key("b".into())]
        );
        assert_eq!(
            parse("restic/password").expect("ok"),
            vec![Step::Key("restic".into()), Step::Key("password".into())]
        );
        assert!(parse("[\"a\"").is_err());
        assert!(parse("[x]").is_err());
        assert!(parse("a//b").is_err());
    }

    #[test]
    fn leaf_paths_follow_maps() {
        let m = super::super::yaml::parse("a: 1\nn:\n    t:\n        f: x\n    l: [1]\n# c\n")
            .expect("parses")
            .remove(0);
        assert_eq!(leaf_paths(&m), ["a", "n/t/f", "n/l"]);
    }

    #[test]
    fn set_creates_and_get_finds() {
        let mut m = Map::new();
        set(&mut m, &parse("a/b").expect("ok"), Value::Str("v".into())).expect("set");
        set(&mut m, &parse("[\"l\"][0]").expect("ok"), Value::Int(1)).expect("set");
        assert_eq!(
            get(&m, &parse("[\"a\"][\"b\"]").expect("ok")),
            Ok(&Value::Str("v".into()))
        );
        assert_eq!(get(&m, &parse("[\"l\"][0]").expect("ok")), Ok(&Value::Int(1)));
        assert_eq!(get(&m, &parse("a/c").expect("ok")), Err(KeyPathError::Missing(2)));
    }
}
