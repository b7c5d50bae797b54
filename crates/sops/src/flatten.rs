//! Flattening of nested metadata into single keys (`age__list_0__map_enc`), which
//! sops uses to keep its `sops` metadata in dotenv and INI files.

use super::tree::{Map, MapItem, Value};

const MAP_SEP: &str = "__map_";
const LIST_SEP: &str = "__list_";

pub fn flatten(map: &Map, prefix: &str) -> Map {
    let mut out = Map::new();
    for (k, v) in map.pairs() {
        descend(v, &format!("{prefix}{k}"), &mut out);
    }
    out
}

fn descend(v: &Value, key: &str, out: &mut Map) {
    match v {
        Value::Map(m) => {
            for (k, v) in m.pairs() {
                descend(v, &format!("{key}{MAP_SEP}{k}"), out);
            }
        }
        Value::List(l) => {
            for (i, v) in l.iter().filter(|x| !matches!(x, Value::Comment(_))).enumerate() {
                descend(v, &format!("{key}{LIST_SEP}{i}"), out);
            }
        }
        other => out.0.push(MapItem::Pair(key.to_string(), other.clone())),
    }
}

enum Tok {
    Map(String),
    List(usize),
}

fn tokenize(key: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut rest = key;
    let first_end = [rest.find(MAP_SEP), rest.find(LIST_SEP)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    toks.push(Tok::Map(rest[..first_end].to_string()));
    rest = &rest[first_end..];
    while !rest.is_empty() {
        let (is_map, body) = if let Some(b) = rest.strip_prefix(MAP_SEP) {
            (true, b)
        } else if let Some(b) = rest.strip_prefix(LIST_SEP) {
            (false, b)
        } else {
            toks.push(Tok::Map(rest.to_string()));
            break;
        };
        let end = [body.find(MAP_SEP), body.find(LIST_SEP)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(body.len());
        let part = &body[..end];
        if is_map {
            toks.push(Tok::Map(part.to_string()));
        } else {
            toks.push(Tok::List(part.parse().unwrap_or(0)));
        }
        rest = &body[end..];
    }
    toks
}

/// Rebuilds the nested metadata map from flattened keys.
pub fn unflatten(flat: &Map) -> Map {
    let mut root = Value::Map(Map::new());
    for (k, v) in flat.pairs() {
        let toks = tokenize(k);
        place(&mut root, &toks, v.clone());
    }
    match root {
        Value::Map(m) => m,
        _ => Map::new(),
    }
}

fn place(node: &mut Value, toks: &[Tok], v: Value) {
    let Some((first, rest)) = toks.split_first() else {
        *node = v;
        return;
    };
    let fresh = |rest: &[Tok]| match rest.first() {
        Some(Tok::List(_)) => Value::List(Vec::new()),
        Some(Tok::Map(_)) => Value::Map(Map::new()),
        None => Value::Null,
    };
    match first {
        Tok::Map(k) => {
            if !matches!(node, Value::Map(_)) {
                *node = Value::Map(Map::new());
            }
            if let Value::Map(m) = node {
                if m.get(k).is_none() {
                    m.0.push(MapItem::Pair(k.clone(), fresh(rest)));
                }
                if let Some(child) = m.get_mut(k) {
                    place(child, rest, v);
                }
            }
        }
        Tok::List(i) => {
            if !matches!(node, Value::List(_)) {
                *node = Value::List(Vec::new());
            }
            if let Value::List(l) = node {
                while l.len() <= *i {
                    l.push(fresh(rest));
                }
                place(&mut l[*i], rest, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_then_unflatten_is_identity() {
        let text = "age:\n    - enc: x\n      recipient: r\n    - enc: y\n      recipient: s\nlastmodified: t\n";
        let m = super::super::yaml::parse(text).expect("parses").remove(0);
        let flat = flatten(&m, "sops_");
        let keys: Vec<_> = flat.pairs().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys[0], "sops_age__list_0__map_enc");
        let stripped = Map(flat
            .0
            .iter()
            .filter_map(|i| match i {
                MapItem::Pair(k, v) => Some(MapItem::Pair(k.trim_start_matches("sops_").to_string(), v.clone())),
                _ => None,
            })
            .collect());
        assert_eq!(unflatten(&stripped), m);
    }
}
