//! The ordered document tree that every sops store reads into and writes from.
//! It mirrors sops's `TreeBranch`: mappings keep key order and comments are items.

use zeroize::Zeroize;

/// A comment line as sops keeps it: the text after the `#`, and whether it
/// stood at the end of a value's line (`key: value # note`).
#[derive(Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub inline: bool,
}

/// One value. Encrypted leaves are `Str("ENC[…]")`; comments appear in lists
/// as `Value::Comment` and in mappings as `MapItem::Comment`, as in sops.
#[derive(Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Raw bytes, from `type:bytes` values; emitted as text when valid UTF-8.
    Bytes(Vec<u8>),
    Map(Map),
    List(Vec<Value>),
    Comment(Comment),
}

/// An entry of a mapping, in document order.
#[derive(Clone, PartialEq)]
pub enum MapItem {
    Pair(String, Value),
    Comment(Comment),
}

/// An ordered mapping; duplicate keys are rejected by the parsers, not here.
#[derive(Clone, PartialEq, Default)]
pub struct Map(pub Vec<MapItem>);

// Debug never prints leaf contents: trees hold decrypted secrets.
impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(_) => f.write_str("<bool>"),
            Value::Int(_) => f.write_str("<int>"),
            Value::Float(_) => f.write_str("<float>"),
            Value::Str(_) => f.write_str("<str>"),
            Value::Bytes(_) => f.write_str("<bytes>"),
            Value::Comment(_) => f.write_str("<comment>"),
            Value::Map(m) => m.fmt(f),
            Value::List(l) => f.debug_list().entries(l).finish(),
        }
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for item in &self.0 {
            match item {
                MapItem::Pair(k, v) => m.entry(k, v),
                MapItem::Comment(_) => m.entry(&"#", &"<comment>"),
            };
        }
        m.finish()
    }
}

impl std::fmt::Debug for Comment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<comment>")
    }
}

impl Map {
    pub fn new() -> Self {
        Map(Vec::new())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find_map(|item| match item {
            MapItem::Pair(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find_map(|item| match item {
            MapItem::Pair(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    /// Replaces the value under `key` in place (keeping its position), or appends it.
    pub fn insert(&mut self, key: &str, value: Value) {
        match self.get_mut(key) {
            Some(slot) => *slot = value,
            None => self.0.push(MapItem::Pair(key.to_string(), value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self
            .0
            .iter()
            .position(|item| matches!(item, MapItem::Pair(k, _) if k == key))?;
        match self.0.remove(pos) {
            MapItem::Pair(_, v) => Some(v),
            MapItem::Comment(_) => None,
        }
    }

    /// The key/value pairs, comments left out.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().filter_map(|item| match item {
            MapItem::Pair(k, v) => Some((k.as_str(), v)),
            MapItem::Comment(_) => None,
        })
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Overwrites every string and byte buffer in the tree before it is freed.
    pub fn wipe(&mut self) {
        match self {
            Value::Str(s) => s.zeroize(),
            Value::Bytes(b) => b.zeroize(),
            Value::Comment(c) => c.text.zeroize(),
            Value::Int(i) => *i = 0,
            Value::Float(x) => *x = 0.0,
            Value::Bool(b) => *b = false,
            Value::Map(m) => m.wipe(),
            Value::List(l) => l.iter_mut().for_each(Value::wipe),
            Value::Null => {}
        }
    }
}

impl Map {
    pub fn wipe(&mut self) {
        for item in &mut self.0 {
            match item {
                MapItem::Pair(k, v) => {
                    k.zeroize();
                    v.wipe();
                }
                MapItem::Comment(c) => c.text.zeroize(),
            }
        }
    }
}

/// Formats a float the way Go's `strconv.FormatFloat(f, 'f', -1, 64)` does,
/// which sops uses for the plaintext (and so the MAC) of `type:float`.
pub fn go_format_float_f(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    // Rust's Display is the shortest round-trip representation without an
    // exponent, which is what Go's 'f' with precision -1 produces.
    let s = format!("{x}");
    if s == "-0" {
        return "-0".into();
    }
    s
}
