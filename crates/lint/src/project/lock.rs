//! `flake.lock` (version 7): the node graph, root inputs, follows paths and locked info,
//! with the ranges of node and input keys so diagnostics can point into the file.

use std::collections::BTreeMap;

use rowan::{TextRange, TextSize};
use serde_json::Value as Json;

use super::catalogue::github_repo;
use crate::diagnostic::FilePath;
use crate::source::SourceFile;

/// A parsed lock file.
#[derive(Debug, Clone, Default)]
pub struct Lock {
    pub file: FilePath,
    pub version: u64,
    pub root: String,
    pub nodes: BTreeMap<String, LockNode>,
}

/// One node of the graph.
#[derive(Debug, Clone, Default)]
pub struct LockNode {
    pub inputs: BTreeMap<String, LockInput>,
    pub locked: Option<Locked>,
    /// What `flake.nix` asked for (`original`), as far as it names a source.
    pub original: Option<Locked>,
    pub is_flake: bool,
    /// The node's key in `"nodes"`.
    pub range: Option<TextRange>,
    /// Each input's key in the node's `"inputs"`.
    pub input_ranges: BTreeMap<String, TextRange>,
}

/// Where a node's input points: another node, or a follows path from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockInput {
    Node(String),
    Follows(Vec<String>),
}

/// The `locked` attributes that identify a source.
#[derive(Debug, Clone, Default)]
pub struct Locked {
    pub kind: String,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub url: Option<String>,
    pub rev: Option<String>,
    pub last_modified: Option<i64>,
    pub nar_hash: Option<String>,
}

/// `flake.lock` could not be read; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LockError {
    pub file: FilePath,
    pub line: usize,
    pub message: String,
}

/// Follows chains longer than this are taken as cycles (Nix rejects those too).
const MAX_FOLLOWS_DEPTH: usize = 64;

/// Input steps one resolution may take. A follows path whose segments are follows again
/// branches at every level: ten segments over 30 levels are 10³⁰ steps although each chain
/// ends. Real locks take a few steps.
const MAX_RESOLVE_STEPS: usize = 10_000;

impl Lock {
    pub fn parse(file: &SourceFile) -> Result<Lock, LockError> {
        let error = |line: usize, message: String| LockError {
            file: file.path.clone(),
            line: line.max(1),
            message,
        };
        let json: Json = serde_json::from_str(&file.text).map_err(|e| {
            // The position is in the diagnostic already; keep serde's sentence only.
            let text = e.to_string();
            let message = text
                .rfind(" at line ")
                .map_or(text.as_str(), |i| &text[..i])
                .to_string();
            error(e.line(), message)
        })?;
        let Json::Object(top) = &json else {
            return Err(error(1, "a lock file is a JSON object".into()));
        };
        let version = top.get("version").and_then(Json::as_u64).unwrap_or(0);
        let root = match top.get("root") {
            Some(Json::String(r)) => r.clone(),
            None => "root".to_string(),
            Some(_) => return Err(error(1, "`root` is not a string".into())),
        };
        let Some(Json::Object(nodes_json)) = top.get("nodes") else {
            return Err(error(1, "the lock file has no `nodes` object".into()));
        };
        let spans = key_spans(&file.text);
        let mut nodes = BTreeMap::new();
        for (key, node) in nodes_json {
            let node_path = ["nodes".to_string(), key.clone()];
            let line_of = || spans.get(&node_path[..]).map_or(1, |r| file.line_index(r.start()) + 1);
            let Json::Object(node) = node else {
                return Err(error(line_of(), format!("node `{key}` is not an object")));
            };
            let mut inputs = BTreeMap::new();
            let mut input_ranges = BTreeMap::new();
            if let Some(Json::Object(map)) = node.get("inputs") {
                for (name, target) in map {
                    let input = match target {
                        Json::String(k) => LockInput::Node(k.clone()),
                        Json::Array(path) => LockInput::Follows(
                            path.iter()
                                .map(|p| p.as_str().map(str::to_string))
                                .collect::<Option<Vec<_>>>()
                                .ok_or_else(|| {
                                    error(line_of(), format!("input `{name}` of `{key}` has a bad follows path"))
                                })?,
                        ),
                        _ => {
                            return Err(error(
                                line_of(),
                                format!("input `{name}` of `{key}` is neither a node nor a path"),
                            ))
                        }
                    };
                    inputs.insert(name.clone(), input);
                    let input_path = ["nodes".to_string(), key.clone(), "inputs".to_string(), name.clone()];
                    if let Some(r) = spans.get(&input_path[..]) {
                        input_ranges.insert(name.clone(), *r);
                    }
                }
            }
            nodes.insert(
                key.clone(),
                LockNode {
                    inputs,
                    locked: node.get("locked").and_then(locked),
                    original: node.get("original").and_then(locked),
                    is_flake: node.get("flake").and_then(Json::as_bool).unwrap_or(true),
                    range: spans.get(&node_path[..]).copied(),
                    input_ranges,
                },
            );
        }
        if !nodes.contains_key(&root) {
            return Err(error(1, format!("the root node `{root}` is missing")));
        }
        Ok(Lock {
            file: file.path.clone(),
            version,
            root,
            nodes,
        })
    }

    pub fn root_node(&self) -> Option<&LockNode> {
        self.nodes.get(&self.root)
    }

    /// The root's inputs: what `flake.nix` declared when the lock was written.
    pub fn root_inputs(&self) -> impl Iterator<Item = (&String, &LockInput)> {
        self.root_node().into_iter().flat_map(|n| n.inputs.iter())
    }

    /// The node key an input path from the root leads to (`["sops-nix", "nixpkgs"]`),
    /// following `follows` paths. `None` when the path leads nowhere (or into a cycle).
    pub fn resolve(&self, path: &[String]) -> Option<&str> {
        self.resolve_from(&self.root, path, 0, &mut 0)
    }

    /// The node key that input `name` of node `node` leads to.
    pub fn input_node(&self, node: &str, name: &str) -> Option<&str> {
        self.resolve_from(node, std::slice::from_ref(&name.to_string()), 0, &mut 0)
    }

    fn resolve_from(&self, start: &str, path: &[String], depth: usize, steps: &mut usize) -> Option<&str> {
        if depth > MAX_FOLLOWS_DEPTH {
            return None;
        }
        let mut current = self.nodes.get_key_value(start)?.0.as_str();
        for segment in path {
            *steps += 1;
            if *steps > MAX_RESOLVE_STEPS {
                return None;
            }
            current = match self.nodes.get(current)?.inputs.get(segment)? {
                LockInput::Node(key) => self.nodes.get_key_value(key)?.0.as_str(),
                LockInput::Follows(target) => self.resolve_from(&self.root, target, depth + 1, steps)?,
            };
        }
        Some(current)
    }

    /// What a node is a copy of, to tell two copies of one flake apart from two flakes:
    /// `github:owner/repo` (lower case, whatever the fetcher), else the URL without its query.
    pub fn identity(&self, key: &str) -> Option<String> {
        self.nodes.get(key)?.locked.as_ref().and_then(Locked::identity)
    }
}

impl Locked {
    pub fn identity(&self) -> Option<String> {
        match self.kind.as_str() {
            "github" | "gitlab" | "sourcehut" => {
                let (owner, repo) = (self.owner.as_ref()?, self.repo.as_ref()?);
                let host = if self.kind == "sourcehut" {
                    "sourcehut"
                } else {
                    self.kind.as_str()
                };
                Some(format!("{host}:{}/{}", owner.to_lowercase(), repo.to_lowercase()))
            }
            // Paths are relative to something we do not know; never the same as anything.
            "path" => None,
            _ => {
                let url = self.url.as_ref()?;
                if let Some(repo) = github_repo(url) {
                    return Some(format!("github:{repo}"));
                }
                // Channel tarballs are nixpkgs too (nixos-hardware's own nixpkgs is one).
                let channel = [
                    "https://channels.nixos.org/",
                    "https://releases.nixos.org/",
                    "https://nixos.org/channels/",
                ];
                if channel.iter().any(|c| url.starts_with(c)) {
                    return Some("github:nixos/nixpkgs".into());
                }
                // FlakeHub serves GitHub repositories under the same owner/repo.
                if let Some(rest) = url.strip_prefix("https://api.flakehub.com/f/pinned/") {
                    let mut parts = rest.split('/');
                    if let (Some(owner), Some(repo)) = (parts.next(), parts.next()) {
                        return Some(format!("github:{}/{}", owner.to_lowercase(), repo.to_lowercase()));
                    }
                }
                let bare = url.split(['?', '#']).next().unwrap_or(url);
                Some(bare.trim_end_matches('/').trim_end_matches(".git").to_string())
            }
        }
    }
}

fn locked(json: &Json) -> Option<Locked> {
    let Json::Object(map) = json else { return None };
    let text = |key: &str| map.get(key).and_then(Json::as_str).map(str::to_string);
    Some(Locked {
        kind: text("type")?,
        owner: text("owner"),
        repo: text("repo"),
        url: text("url"),
        rev: text("rev"),
        last_modified: map.get("lastModified").and_then(Json::as_i64),
        nar_hash: text("narHash"),
    })
}

/// Keys are recorded down to this depth (`nodes.<node>.inputs.<name>`).
const SPAN_DEPTH: usize = 4;

/// The range of every object key down to `SPAN_DEPTH`, by path. Only run on text that
/// serde_json accepted (so nesting is bounded by its recursion limit); still never panics.
fn key_spans(text: &str) -> BTreeMap<Vec<String>, TextRange> {
    let mut scanner = KeyScanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        spans: BTreeMap::new(),
    };
    let _ = scanner.value(&mut Vec::new());
    scanner.spans
}

struct KeyScanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    spans: BTreeMap<Vec<String>, TextRange>,
}

impl KeyScanner<'_> {
    fn skip_ws(&mut self) {
        while self.bytes.get(self.pos).is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn string(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => self.pos += 1,
            }
        }
    }

    fn value(&mut self, path: &mut Vec<String>) -> Option<()> {
        self.skip_ws();
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip_ws();
                    let start = self.pos;
                    self.string()?;
                    let key: String = serde_json::from_str(self.text.get(start..self.pos)?).ok()?;
                    path.push(key);
                    if path.len() <= SPAN_DEPTH {
                        let range = TextRange::new(TextSize::from(start as u32), TextSize::from(self.pos as u32));
                        self.spans.insert(path.clone(), range);
                    }
                    self.expect(b':')?;
                    self.value(path)?;
                    path.pop();
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                self.skip_ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    // Array elements have no key; their inner keys are not wanted.
                    let mut inner = vec![String::new(); SPAN_DEPTH + 1];
                    self.value(&mut inner)?;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string(),
            _ => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b']' | b'}') && !b.is_ascii_whitespace())
                {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
  "nodes": {
    "nixpkgs": {
      "locked": {
        "lastModified": 1720000000,
        "narHash": "sha256-AAAA",
        "owner": "NixOS",
        "repo": "nixpkgs",
        "rev": "0123456789abcdef0123456789abcdef01234567",
        "type": "github"
      },
      "original": { "owner": "NixOS", "ref": "nixos-unstable", "repo": "nixpkgs", "type": "github" }
    },
    "nixpkgs_2": {
      "locked": { "type": "git", "url": "https://github.com/nixos/nixpkgs?shallow=1", "rev": "abc" }
    },
    "sops-nix": {
      "inputs": { "nixpkgs": "nixpkgs_2" },
      "locked": { "owner": "Mic92", "repo": "sops-nix", "type": "github", "rev": "x" }
    },
    "disko": {
      "inputs": { "nixpkgs": ["nixpkgs"] },
      "locked": { "owner": "nix-community", "repo": "disko", "type": "github", "rev": "y" }
    },
    "secrets": {
      "flake": false,
      "locked": { "type": "path", "path": "/x" }
    },
    "root": {
      "inputs": { "disko": "disko", "nixpkgs": "nixpkgs", "sops-nix": "sops-nix", "np": ["nixpkgs"] }
    }
  },
  "root": "root",
  "version": 7
}
"#;

    fn parse(text: &str) -> Result<Lock, LockError> {
        Lock::parse(&SourceFile::new("flake.lock", text))
    }

    #[test]
    fn reads_the_graph() {
        let lock = parse(LOCK).unwrap();
        assert_eq!(lock.version, 7);
        let names: Vec<&String> = lock.root_inputs().map(|(n, _)| n).collect();
        assert_eq!(names, ["disko", "nixpkgs", "np", "sops-nix"]);
        assert_eq!(lock.resolve(&["np".into()]), Some("nixpkgs"));
        assert_eq!(lock.resolve(&["disko".into(), "nixpkgs".into()]), Some("nixpkgs"));
        assert_eq!(lock.resolve(&["sops-nix".into(), "nixpkgs".into()]), Some("nixpkgs_2"));
        assert_eq!(lock.resolve(&["nope".into()]), None);
        assert_eq!(lock.input_node("sops-nix", "nixpkgs"), Some("nixpkgs_2"));
        assert_eq!(lock.identity("nixpkgs").as_deref(), Some("github:nixos/nixpkgs"));
        assert_eq!(lock.identity("nixpkgs_2").as_deref(), Some("github:nixos/nixpkgs"));
        assert_eq!(lock.identity("secrets"), None);
        let tarball = |url: &str| Locked {
            kind: "tarball".into(),
            url: Some(url.into()),
            ..Locked::default()
        };
        let channel = tarball("https://releases.nixos.org/nixos/unstable/nixos-26.11pre1/nixexprs.tar.xz?narHash=x");
        assert_eq!(channel.identity().as_deref(), Some("github:nixos/nixpkgs"));
        let flakehub = tarball("https://api.flakehub.com/f/pinned/NixOS/nixpkgs/0.2511.1/0195.tar.gz");
        assert_eq!(flakehub.identity().as_deref(), Some("github:nixos/nixpkgs"));
        let other = tarball("https://example.com/a.tar.gz?rev=1");
        assert_eq!(other.identity().as_deref(), Some("https://example.com/a.tar.gz"));
        assert!(!lock.nodes["secrets"].is_flake);
        assert!(lock.nodes["disko"].is_flake);
        let locked = lock.nodes["nixpkgs"].locked.as_ref().unwrap();
        assert_eq!(locked.last_modified, Some(1720000000));
        assert_eq!(
            lock.nodes["root"].inputs["np"],
            LockInput::Follows(vec!["nixpkgs".into()])
        );
        let range = lock.nodes["root"].input_ranges["sops-nix"];
        assert_eq!(&LOCK[range], "\"sops-nix\"");
        assert_eq!(&LOCK[lock.nodes["secrets"].range.unwrap()], "\"secrets\"");
    }

    #[test]
    fn follows_cycles_end() {
        let lock = parse(r#"{"nodes":{"root":{"inputs":{"a":["b"],"b":["a"]}}},"root":"root","version":7}"#).unwrap();
        assert_eq!(lock.resolve(&["a".into()]), None);
    }

    #[test]
    fn follows_that_branch_at_every_level_end_quickly() {
        // `k{i}` follows `k{i-1}` and then ten inputs of node `n` that each follow `k{i-1}`
        // again: every chain ends, but there are 10^30 of them.
        let mut root = vec![r#""k0":"n""#.to_string()];
        for i in 1..30 {
            let mut path = vec![format!("\"k{}\"", i - 1)];
            path.extend(std::iter::repeat_n(format!("\"t{}\"", i - 1), 10));
            root.push(format!("\"k{i}\":[{}]", path.join(",")));
        }
        let n_inputs: Vec<String> = (0..30).map(|i| format!("\"t{i}\":[\"k{i}\"]")).collect();
        let text = format!(
            r#"{{"nodes":{{"root":{{"inputs":{{{}}}}},"n":{{"inputs":{{{}}}}}}},"root":"root","version":7}}"#,
            root.join(","),
            n_inputs.join(",")
        );
        let lock = parse(&text).unwrap();
        assert_eq!(lock.resolve(&["k2".into()]), Some("n"), "short chains still resolve");
        let started = std::time::Instant::now();
        assert_eq!(lock.resolve(&["k29".into()]), None);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn malformed_files_give_the_line() {
        let err = parse("{\n  \"nodes\": {\n    \"root\": { , }\n  }\n}\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(parse("").unwrap_err().line, 1);
        assert!(parse("[]").is_err());
        assert!(parse(r#"{"nodes":{},"root":"root"}"#).is_err());
        assert!(parse(r#"{"nodes":{"root":{"inputs":{"a":1}}}}"#).is_err());
        for (end, _) in LOCK.char_indices() {
            let _ = parse(&LOCK[..end]);
        }
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
    }
}
