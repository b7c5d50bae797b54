//! JSON and binary sops files: an order-keeping JSON reader and the writer sops
//! uses (Go `json.Marshal` text re-indented with a tab), plus the `{"data": …}` wrapping.

use super::tree::{Map, MapItem, Value};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// serde_json's message names a line and column, not the input text.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    #[error("sops only supports JSON files with a top-level object")]
    NotAnObject,
    /// serde_json stops at 128 levels, as the YAML reader does (`yaml::MAX_DEPTH`): every
    /// reader and writer of the tree recurses.
    #[error("invalid JSON: values nested deeper than 128 levels at line {line} column {column}")]
    TooDeep { line: usize, column: usize },
    #[error("binary file wrapper has no string `data` key")]
    NoData,
}

struct Node(Value);

impl<'de> de::Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor).map(Node)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        // sops normalises numbers to int when they fit, else float.
        Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Node(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::List(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // serde_json hands entries over in document order, which keeps key order.
        let mut out = Map::new();
        while let Some((k, Node(v))) = map.next_entry::<String, Node>()? {
            out.0.push(MapItem::Pair(k, v));
        }
        Ok(Value::Map(out))
    }
}

pub fn parse(text: &str) -> Result<Map, JsonError> {
    let node: Node = serde_json::from_str(text).map_err(|e| {
        // The only message looked at: others may quote the input.
        if e.to_string().starts_with("recursion limit exceeded") {
            JsonError::TooDeep {
                line: e.line(),
                column: e.column(),
            }
        } else {
            JsonError::Syntax(format!("line {} column {}", e.line(), e.column()))
        }
    })?;
    match node.0 {
        Value::Map(m) => Ok(m),
        _ => Err(JsonError::NotAnObject),
    }
}

/// Reads the JSON wrapping of a binary file and returns the map (with `data`
/// and `sops`); `data` must be a string.
pub fn parse_binary_wrapper(text: &str) -> Result<Map, JsonError> {
    let m = parse(text)?;
    match m.get("data") {
        Some(Value::Str(_)) => Ok(m),
        _ => Err(JsonError::NoData),
    }
}

/// The text sops writes: tab indentation, `": "` separators, trailing newline.
pub fn emit(map: &Map) -> String {
    let mut out = String::new();
    value(&Value::Map(map.clone()), 0, &mut out);
    out.push('\n');
    out
}

/// One value as sops's JSON `EmitValue` writes it (no trailing newline).
pub fn emit_value(v: &Value) -> String {
    let mut out = String::new();
    value(v, 0, &mut out);
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.push_str(&"\t".repeat(depth));
}

fn value(v: &Value, depth: usize, out: &mut String) {
    match v {
        Value::Map(m) => {
            let pairs: Vec<_> = m.pairs().collect();
            if pairs.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                string(k, out);
                out.push_str(": ");
                value(v, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
        Value::List(l) => {
            let items: Vec<_> = l.iter().filter(|x| !matches!(x, Value::Comment(_))).collect();
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                value(v, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Null | Value::Comment(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(x) => out.push_str(&go_json_float(*x)),
        Value::Str(s) => string(s, out),
        Value::Bytes(b) => string(&String::from_utf8_lossy(b), out),
    }
}

/// Go's `json.Marshal` for float64.
fn go_json_float(x: f64) -> String {
    if !x.is_finite() {
        // Go refuses these; null keeps the output valid JSON.
        return "null".into();
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{x:e}");
        let (m, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs())
            .replace("e-0", "e-")
            .replace("e+0", "e+");
    }
    format!("{x}")
}

/// Go's `json.Marshal` for strings, HTML-safe escaping included.
fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_bounded_and_said_so() {
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&deep).expect_err("too deep");
        assert!(matches!(e, JsonError::TooDeep { line: 1, .. }), "{e}");
        assert!(e.to_string().contains("nested deeper than 128 levels"), "{e}");
        let fine = format!("{{\"a\": {}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn keeps_order_and_writes_like_sops() {
        let text =
            "{\n\t\"z\": 1,\n\t\"a\": [\n\t\t1.5,\n\t\ttrue,\n\t\tnull\n\t],\n\t\"m\": {},\n\t\"s\": \"<&>\\n\"\n}\n";
        let m = parse(text).expect("parses");
        let keys: Vec<_> = m.pairs().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["z", "a", "m", "s"]);
        assert_eq!(emit(&m), text.replace("<&>", "\\u003c\\u0026\\u003e"));
    }

    #[test]
    fn rejects_non_objects_without_echoing_input() {
        assert!(matches!(parse("[1]"), Err(JsonError::NotAnObject)));
        let e = parse("{\"a\": \"secret").expect_err("bad");
        assert!(!e.to_string().contains("secret"));
    }
}
