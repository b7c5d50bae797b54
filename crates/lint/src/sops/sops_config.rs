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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreationRule {
    /// Position in the file (0-based), for messages.
    pub index: usize,
    pub path_regex: Option<String>,
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
        cfg.creation_rules.push(CreationRule {
            index,
            path_regex: m.get("path_regex").and_then(Value::as_str).map(str::to_string),
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
    /// A `path_regex` before any match does not compile (sops fails the same way).
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
            let Some(pattern) = &rule.path_regex else {
                return RuleMatch::Rule(i);
            };
            match regex::Regex::new(pattern) {
                Ok(re) if re.is_match(path) => return RuleMatch::Rule(i),
                Ok(_) => {}
                Err(e) => {
                    return RuleMatch::BadRegex {
                        rule: i,
                        reason: e.to_string(),
                    }
                }
            }
        }
        RuleMatch::NoMatch
    }
}
