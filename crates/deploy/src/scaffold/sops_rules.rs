//! Edits of `.sops.yaml` as text, so the user's comments and layout survive: a host's rule
//! is put first under `creation_rules` (replacing an earlier rule for exactly that file).
//!
//! Every edited text is parsed back with the lint crate's `.sops.yaml` reader and must give
//! the host's file exactly the wanted recipients, or nothing is written.

use std::fmt::Write as _;

use nixpilot_sops::sops_config::{self, RuleMatch};

#[derive(Debug, thiserror::Error)]
pub enum SopsYamlError {
    #[error(".sops.yaml: {0}; add this rule by hand as the first creation rule:\n{1}")]
    CannotEdit(String, String),
    #[error(".sops.yaml: cannot be read: {0}")]
    Parse(String),
}

/// The `path_regex` nixpilot writes for a host's secrets file.
pub fn host_path_regex(host: &str) -> String {
    format!("^hosts/{host}/secrets\\.yaml$")
}

/// The secrets file of a host, relative to the repository (and to `.sops.yaml`).
pub fn host_secrets_path(host: &str) -> String {
    format!("hosts/{host}/secrets.yaml")
}

/// One recipient line: the `age1…` key and a comment saying whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub key: String,
    pub comment: String,
}

fn render_rule(host: &str, recipients: &[Recipient], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let _ = writeln!(out, "{pad}- path_regex: {}", host_path_regex(host));
    let _ = writeln!(out, "{pad}  key_groups:");
    let _ = writeln!(out, "{pad}    - age:");
    for r in recipients {
        let _ = writeln!(out, "{pad}        - {} # {}", r.key, r.comment);
    }
    out
}

/// The recipients `.sops.yaml` gives the host's secrets file today (None: no rule matches).
pub fn current_recipients(text: &str, host: &str) -> Result<Option<Vec<String>>, SopsYamlError> {
    let config = sops_config::parse(text).map_err(|e| SopsYamlError::Parse(e.to_string()))?;
    match config.rule_for(&host_secrets_path(host)) {
        RuleMatch::Rule(i) => Ok(Some(
            config.creation_rules[i]
                .key_groups
                .iter()
                .flat_map(|g| g.age.iter().cloned())
                .collect(),
        )),
        RuleMatch::NoMatch => Ok(None),
        RuleMatch::BadRegex { rule, reason } => Err(SopsYamlError::Parse(format!("creation rule {rule}: {reason}"))),
    }
}

/// `text` with the host's rule first under `creation_rules` (an existing rule with the same
/// `path_regex` is removed), or a new file when `text` is empty.
pub fn upsert_host_rule(text: &str, host: &str, recipients: &[Recipient]) -> Result<String, SopsYamlError> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let header = lines.iter().position(|l| {
        l.trim_end() == "creation_rules:" || l.starts_with("creation_rules:") && l[15..].trim_start().starts_with('#')
    });
    let out = match header {
        None => {
            if lines.iter().any(|l| l.starts_with("creation_rules")) {
                return Err(SopsYamlError::CannotEdit(
                    "`creation_rules` is not a block list".into(),
                    render_rule(host, recipients, 2),
                ));
            }
            let mut out = text.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("creation_rules:\n");
            out.push_str(&render_rule(host, recipients, 2));
            out
        }
        Some(h) => {
            let indent_of = |l: &str| l.len() - l.trim_start_matches(' ').len();
            let is_content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
            // The list runs until a content line indented less than its items (or a key at 0).
            let first_item = lines[h + 1..]
                .iter()
                .position(|l| is_content(l))
                .map(|p| p + h + 1)
                .filter(|&p| lines[p].trim_start().starts_with("- ") || lines[p].trim() == "-");
            let item_indent = first_item.map_or(2, |p| indent_of(lines[p]));
            let mut items: Vec<(usize, usize)> = Vec::new();
            if let Some(first) = first_item {
                let mut i = first;
                while i < lines.len() {
                    let l = lines[i];
                    if is_content(l) {
                        let ind = indent_of(l);
                        let starts_item = ind == item_indent && l.trim_start().starts_with('-');
                        if starts_item {
                            items.push((i, i + 1));
                        } else if ind <= item_indent {
                            break;
                        } else if let Some(last) = items.last_mut() {
                            last.1 = i + 1;
                        }
                    }
                    i += 1;
                }
            }
            let ours = host_path_regex(host);
            let plain = ours.replace("\\.", ".");
            let existing = items.iter().find(|(s, e)| {
                lines[*s..*e].iter().any(|l| {
                    let t = l.trim_start().trim_start_matches("- ").trim();
                    t.strip_prefix("path_regex:").is_some_and(|v| {
                        let v = v
                            .split(" #")
                            .next()
                            .unwrap_or("")
                            .trim()
                            .trim_matches(|c| c == '"' || c == '\'');
                        v == ours || v == plain || v.replace("\\\\", "\\") == ours
                    })
                })
            });
            let mut out = String::new();
            for l in &lines[..=h] {
                out.push_str(l);
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&render_rule(host, recipients, item_indent));
            for (i, l) in lines.iter().enumerate().skip(h + 1) {
                if existing.is_some_and(|(s, e)| i >= *s && i < *e) {
                    continue;
                }
                out.push_str(l);
            }
            out
        }
    };
    // Never write a config that does not say what we meant.
    let wanted: Vec<String> = recipients.iter().map(|r| r.key.clone()).collect();
    match current_recipients(&out, host) {
        Ok(Some(got)) if got == wanted => Ok(out),
        Ok(_) => Err(SopsYamlError::CannotEdit(
            "the edited file would not give the host's rule first place".into(),
            render_rule(host, recipients, 2),
        )),
        Err(e) => Err(SopsYamlError::CannotEdit(
            e.to_string(),
            render_rule(host, recipients, 2),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "age1ngrn3qcw9e2ml6me96es9849n6xls0zrh8ews68uxspr9gme6shs3g2ez3";
    const ADMIN: &str = "age1jrh8yyq3swjru09s75s4mspu0mphh7h6z54z946raa9wx3pcdegq0x8t4h";

    fn recipients() -> Vec<Recipient> {
        vec![
            Recipient {
                key: HOST.into(),
                comment: "host odoo1".into(),
            },
            Recipient {
                key: ADMIN.into(),
                comment: "admin alice".into(),
            },
        ]
    }

    #[test]
    fn new_file_and_idempotent_update() {
        let text = upsert_host_rule("", "odoo1", &recipients()).expect("edits");
        assert!(text.starts_with("creation_rules:\n  - path_regex: ^hosts/odoo1/secrets\\.yaml$\n"));
        let again = upsert_host_rule(&text, "odoo1", &recipients()).expect("edits");
        assert_eq!(again, text);
    }

    #[test]
    fn keeps_comments_and_other_rules_and_replaces_zero_to_odoo_rule() {
        let before = format!(
            "# top comment\ncreation_rules:\n  # shared\n  - path_regex: ^secrets/.*\\.yaml$\n    age: {ADMIN}\n  - path_regex: ^hosts/odoo1/secrets.yaml$\n    key_groups:\n      - age:\n        - {ADMIN}\nstores:\n  yaml:\n    indent: 2\n"
        );
        let after = upsert_host_rule(&before, "odoo1", &recipients()).expect("edits");
        assert!(after.starts_with("# top comment\ncreation_rules:\n  - path_regex: ^hosts/odoo1/"));
        assert!(after.contains("  # shared\n  - path_regex: ^secrets/.*\\.yaml$\n"));
        assert!(after.ends_with("stores:\n  yaml:\n    indent: 2\n"));
        assert_eq!(after.matches("hosts/odoo1").count(), 1, "{after}");
        let config = sops_config::parse(&after).expect("parses");
        assert_eq!(config.yaml_indent, Some(2));
        assert_eq!(config.creation_rules.len(), 2);
    }

    #[test]
    fn flow_list_is_refused_with_the_rule_to_add() {
        let err = upsert_host_rule("creation_rules: []\n", "odoo1", &recipients()).expect_err("refused");
        assert!(err.to_string().contains("add this rule by hand"));
    }
}
