//! `.sops.yaml`: creation rules (which recipients and crypt rule a new file
//! gets) and store settings, parsed without matching or IO (see `secrets::config`).

use super::tree::{Map, Value};
use super::{CryptRule, CryptRuleKind};

#[derive(Debug, thiserror::Error)]
pub enum SopsConfigError {
    #[error(transparent)]
    Yaml(#[from] super::yaml::YamlError),
    #[error(".sops.yaml: {0}")]
    Shape(String),
    #[error(".sops.yaml creation rule {rule}: cannot use more than one of {}", .fields.join(", "))]
    ConflictingRules { rule: usize, fields: Vec<&'static str> },
}

/// One group of master keys; sops splits the data key across groups (Shamir).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyGroup {
    pub age: Vec<String>,
    pub pgp: Vec<String>,
    /// Key services we do not implement (kms, gcp_kms, …), by field name.
    pub unsupported: Vec<String>,
}

/// What one compiled regex from a repository may cost (its compiled program): regex's own
/// default, which patterns such as `\w{1,40}` need. A hostile pattern past it (`(a{1000}){1000}`)
/// is an error, like a syntax error, instead of seconds and gigabytes of compiling.
pub const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// What the `path_regex`es of one `.sops.yaml` may cost together: without it, ten thousand
/// rules each just under `REGEX_SIZE_LIMIT` would hold 100 GB.
pub const PATH_REGEXES_TOTAL_LIMIT: usize = 256 << 20;

/// Sizes a regex is tried at, smallest first; it is charged the first that fits. Most
/// patterns fit the first, so hundreds of rules cost little of the total.
const REGEX_SIZE_TIERS: [usize; 3] = [64 << 10, 1 << 20, REGEX_SIZE_LIMIT];

/// The lazy DFA's cache per regex (regex's default).
const REGEX_DFA_LIMIT: usize = 2 << 20;

fn regex_within(pattern: &str, size: usize) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(size)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
}

/// Compiles a regex written in a repository (`encrypted_regex`, …) within `REGEX_SIZE_LIMIT`.
pub fn bounded_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex_within(pattern, REGEX_SIZE_LIMIT)
}

/// Why a repository's regex does not compile, in one line: regex's own message repeats
/// the pattern (which may be megabytes long) with a caret under it.
pub fn regex_error_reason(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(limit) => format!("it compiles to more than {limit} bytes"),
        regex::Error::Syntax(text) => text
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or("invalid syntax")
            .to_string(),
        other => other.to_string().lines().next().unwrap_or("invalid").to_string(),
    }
}

/// A creation rule's `path_regex`, compiled once when `.sops.yaml` is read: it is matched
/// against every file of the tree, and compiling per match cost seconds per lint.
#[derive(Debug, Clone)]
pub struct PathRegex(Result<regex::Regex, String>);

impl PathRegex {
    /// Compiles `pattern`, charging what it takes to `budget` (see `REGEX_SIZE_TIERS`).
    fn compile(pattern: &str, budget: &mut usize) -> PathRegex {
        for size in REGEX_SIZE_TIERS {
            if size > *budget {
                return PathRegex(Err(format!(
                    "the path_regexes before it already take the {} MiB all of them may",
                    PATH_REGEXES_TOTAL_LIMIT >> 20
                )));
            }
            match regex_within(pattern, size) {
                Ok(re) => {
                    *budget -= size;
                    return PathRegex(Ok(re));
                }
                Err(regex::Error::CompiledTooBig(_)) if size < REGEX_SIZE_LIMIT => continue,
                Err(e) => return PathRegex(Err(regex_error_reason(&e))),
            }
        }
        PathRegex(Err(format!("it compiles to more than {REGEX_SIZE_LIMIT} bytes")))
    }

    /// The compiled regex, or why the pattern does not compile.
    pub fn compiled(&self) -> Result<&regex::Regex, &str> {
        self.0.as_ref().map_err(String::as_str)
    }
}

/// Equal when compiled from the same pattern (the rules compare by what they say).
impl PartialEq for PathRegex {
    fn eq(&self, other: &PathRegex) -> bool {
        match (&self.0, &other.0) {
            (Ok(a), Ok(b)) => a.as_str() == b.as_str(),
            (Err(a), Err(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for PathRegex {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreationRule {
    /// Position in the file (0-based), for messages.
    pub index: usize,
    pub path_regex: Option<String>,
    /// `path_regex` compiled.
    pub path_matcher: Option<PathRegex>,
    /// The 1-based line of `.sops.yaml` where `path_regex` is written, when it can be told.
    pub path_regex_line: Option<usize>,
    pub key_groups: Vec<KeyGroup>,
    pub shamir_threshold: Option<i64>,
    pub crypt_rule: Option<CryptRule>,
    pub mac_only_encrypted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SopsConfig {
    pub creation_rules: Vec<CreationRule>,
    /// `stores.yaml.indent`.
    pub yaml_indent: Option<usize>,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        // The shortcut fields take a comma-separated string, too.
        Value::Str(s) => s
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        Value::List(l) => l.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = Vec::new();
    v.retain(|x| {
        if seen.contains(x) {
            false
        } else {
            seen.push(x.clone());
            true
        }
    });
}

const OTHER_KEYS: [&str; 7] = [
    "kms",
    "gcp_kms",
    "hckms",
    "azure_keyvault",
    "hc_vault",
    "hc_vault_transit_uri",
    "azure_kv",
];

fn group_from(m: &Map) -> KeyGroup {
    let mut g = KeyGroup {
        age: m.get("age").map(strings).unwrap_or_default(),
        pgp: m.get("pgp").map(strings).unwrap_or_default(),
        unsupported: OTHER_KEYS
            .iter()
            .filter(|k| {
                m.get(k)
                    .is_some_and(|v| !strings(v).is_empty() || matches!(v, Value::List(l) if !l.is_empty()))
            })
            .map(|k| k.to_string())
            .collect(),
    };
    dedup(&mut g.age);
    dedup(&mut g.pgp);
    g
}

/// The lines (1-based) that write a `path_regex` key in block style, in order: the n-th
/// rule with a `path_regex` is written on the n-th of them. A file that writes them
/// otherwise (flow style, aliases) gets lines that may be off, so only messages use them.
fn path_regex_key_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let item = line.trim_start_matches(' ');
            let item = item
                .strip_prefix("- ")
                .map_or(item, |rest| rest.trim_start_matches(' '));
            item.strip_prefix("path_regex")
                .is_some_and(|rest| rest.trim_start_matches(' ').starts_with(':'))
        })
        .map(|(i, _)| i + 1)
        .collect()
}

pub fn parse(text: &str) -> Result<SopsConfig, SopsConfigError> {
    let docs = super::yaml::parse(text)?;
    let Some(root) = docs.into_iter().next() else {
        return Ok(SopsConfig::default());
    };
    let mut cfg = SopsConfig {
        yaml_indent: match root.get("stores") {
            Some(Value::Map(stores)) => match stores.get("yaml") {
                Some(Value::Map(y)) => match y.get("indent") {
                    Some(Value::Int(n)) if *n > 0 => Some(*n as usize),
                    Some(Value::Int(_)) => {
                        return Err(SopsConfigError::Shape("stores.yaml.indent must be positive".into()))
                    }
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        },
        ..SopsConfig::default()
    };
    let rules = match root.get("creation_rules") {
        None | Some(Value::Null) => return Ok(cfg),
        Some(Value::List(l)) => l,
        Some(_) => return Err(SopsConfigError::Shape("creation_rules must be a list".into())),
    };
    let mut path_regex_lines = path_regex_key_lines(text).into_iter();
    let mut regex_budget = PATH_REGEXES_TOTAL_LIMIT;
    for (index, r) in rules.iter().filter(|v| !matches!(v, Value::Comment(_))).enumerate() {
        let Value::Map(m) = r else {
            return Err(SopsConfigError::Shape(format!(
                "creation rule {index} is not a mapping"
            )));
        };
        let key_groups = match m.get("key_groups") {
            Some(Value::List(groups)) if !groups.is_empty() => groups
                .iter()
                .filter_map(|g| match g {
                    Value::Map(gm) => Some(group_from(gm)),
                    _ => None,
                })
                .collect(),
            _ => {
                let g = group_from(m);
                if g == KeyGroup::default() {
                    Vec::new()
                } else {
                    vec![g]
                }
            }
        };
        let set: Vec<CryptRule> = CryptRuleKind::ALL
            .iter()
            .filter_map(|kind| match m.get(kind.key()) {
                Some(Value::Str(p)) if !p.is_empty() => Some(CryptRule {
                    kind: *kind,
                    pattern: p.clone(),
                }),
                _ => None,
            })
            .collect();
        if set.len() > 1 {
            return Err(SopsConfigError::ConflictingRules {
                rule: index,
                fields: set.iter().map(|r| r.kind.key()).collect(),
            });
        }
        let path_regex = m.get("path_regex").and_then(Value::as_str).map(str::to_string);
        cfg.creation_rules.push(CreationRule {
            index,
            path_matcher: path_regex.as_deref().map(|p| PathRegex::compile(p, &mut regex_budget)),
            path_regex_line: path_regex.as_ref().and_then(|_| path_regex_lines.next()),
            path_regex,
            key_groups,
            shamir_threshold: match m.get("shamir_threshold") {
                Some(Value::Int(n)) => Some(*n),
                _ => None,
            },
            crypt_rule: set.into_iter().next(),
            mac_only_encrypted: matches!(m.get("mac_only_encrypted"), Some(Value::Bool(true))),
        });
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn anchors_and_aliases_as_in_the_sops_readme() {
        let text = "keys:\n  - &admin age1admin\n  - &host_a age1hosta # the host\ncreation_rules:\n  - path_regex: ^hosts/a/\n    key_groups:\n      - age:\n          - *admin\n          - *host_a # comment\n";
        let config = parse(text).unwrap();
        assert_eq!(config.creation_rules[0].key_groups[0].age, ["age1admin", "age1hosta"]);
        let err = parse("creation_rules:\n  - age: *nobody\n").unwrap_err();
        assert!(err.to_string().contains("*nobody"), "{err}");
    }

    use super::*;

    #[test]
    fn aliases_in_flow_lists_and_anchored_key_lists() {
        let flow = "keys:\n  - &admin age1admin\n  - &web age1web\ncreation_rules:\n  - path_regex: ^secrets/\n    key_groups:\n      - age: [*admin, *web]\n  - key_groups: [{age: [*admin]}]\n";
        let config = parse(flow).unwrap();
        assert_eq!(config.creation_rules[0].key_groups[0].age, ["age1admin", "age1web"]);
        assert_eq!(config.creation_rules[1].key_groups[0].age, ["age1admin"]);
        let grouped = "keys:\n  - &people:\n    - &alice age1alice\n  - &hosts:\n    - &web age1web\ncreation_rules:\n  - key_groups:\n    - age:\n      - *alice\n      - *web\n";
        let config = parse(grouped).unwrap();
        assert_eq!(config.creation_rules[0].key_groups[0].age, ["age1alice", "age1web"]);
    }

    #[test]
    fn path_regexes_are_compiled_once_within_a_size_limit() {
        let text = "creation_rules:\n  - path_regex: ^hosts/a/\n    age: age1a\n  # a comment\n  - path_regex : (a{1000}){1000}\n    age: age1b\n  - path_regex: '(unclosed'\n";
        let cfg = parse(text).expect("parses");
        let rules = &cfg.creation_rules;
        assert_eq!(
            rules.iter().map(|r| r.path_regex_line).collect::<Vec<_>>(),
            [Some(2), Some(5), Some(7)]
        );
        assert!(rules[0].path_matcher.as_ref().is_some_and(|m| m.compiled().is_ok()));
        let started = std::time::Instant::now();
        assert_eq!(cfg.rule_for("hosts/a/secrets.yaml"), RuleMatch::Rule(0));
        match cfg.rule_for("other.yaml") {
            RuleMatch::BadRegex { rule: 1, reason } => {
                assert!(reason.starts_with("it compiles to more than"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let mut unlimited = usize::MAX;
        let reason = PathRegex::compile(&format!("({}", "x".repeat(100_000)), &mut unlimited)
            .0
            .unwrap_err();
        assert_eq!(reason, "unclosed group", "one line, without the pattern");
        // What a real pattern may need still compiles; many heavy ones together do not.
        let mut budget = PATH_REGEXES_TOTAL_LIMIT;
        assert!(PathRegex::compile(r"^hosts/\w{1,40}/secrets\.yaml$", &mut budget)
            .0
            .is_ok());
        assert!(budget >= PATH_REGEXES_TOTAL_LIMIT - REGEX_SIZE_LIMIT);
        let mut budget = 3 << 20;
        let heavy = r"^\w{1,40}$";
        assert!(PathRegex::compile(heavy, &mut budget).0.is_err(), "over the total");
        let mut budget = PATH_REGEXES_TOTAL_LIMIT;
        let light = (0..5000).filter(|i| PathRegex::compile(&format!("^hosts/h{i}/"), &mut budget).0.is_ok());
        assert_eq!(light.count(), 4096, "light rules are charged 64 KiB each");
    }

    #[test]
    fn zero_to_odoo_style_rules() {
        let text = "creation_rules:\n  - path_regex: ^hosts/odoo1/secrets.yaml$\n    key_groups:\n      - age:\n        - age1ngrn   # host\n        - age1jrh8   # admin\n        - age1ngrn\n  - path_regex: \\.env$\n    age: age1a, age1b\n    encrypted_regex: ^pass\n  - pgp: ABC\nstores:\n  yaml:\n    indent: 2\n";
        let cfg = parse(text).expect("parses");
        assert_eq!(cfg.yaml_indent, Some(2));
        assert_eq!(cfg.creation_rules.len(), 3);
        let r0 = &cfg.creation_rules[0];
        assert_eq!(r0.path_regex.as_deref(), Some("^hosts/odoo1/secrets.yaml$"));
        assert_eq!(r0.key_groups[0].age, vec!["age1ngrn", "age1jrh8"]);
        let r1 = &cfg.creation_rules[1];
        assert_eq!(r1.key_groups[0].age, vec!["age1a", "age1b"]);
        assert_eq!(
            r1.crypt_rule.as_ref().map(|r| r.kind),
            Some(CryptRuleKind::EncryptedRegex)
        );
        assert_eq!(cfg.creation_rules[2].key_groups[0].pgp, vec!["ABC"]);
        let bad = "creation_rules:\n  - encrypted_regex: a\n    unencrypted_suffix: b\n";
        assert!(matches!(parse(bad), Err(SopsConfigError::ConflictingRules { .. })));
    }
}

/// The outcome of matching a path against the creation rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleMatch {
    /// Index into `creation_rules` of the first rule that matches.
    Rule(usize),
    NoMatch,
    /// A `path_regex` before any match does not compile (sops fails the same way), or would
    /// compile past `REGEX_SIZE_LIMIT`.
    BadRegex {
        rule: usize,
        reason: String,
    },
}

impl SopsConfig {
    /// The creation rule sops would use for `path`, given relative to the directory holding
    /// `.sops.yaml` (`/`-separated): first match wins, a rule without `path_regex` matches all,
    /// the regex is unanchored unless written with `^…$` (Go RE2 `MatchString`).
    pub fn rule_for(&self, path: &str) -> RuleMatch {
        for (i, rule) in self.creation_rules.iter().enumerate() {
            let Some(matcher) = &rule.path_matcher else {
                return RuleMatch::Rule(i);
            };
            match matcher.compiled() {
                Ok(re) if re.is_match(path) => return RuleMatch::Rule(i),
                Ok(_) => {}
                Err(reason) => {
                    return RuleMatch::BadRegex {
                        rule: i,
                        reason: reason.to_string(),
                    }
                }
            }
        }
        RuleMatch::NoMatch
    }
}
