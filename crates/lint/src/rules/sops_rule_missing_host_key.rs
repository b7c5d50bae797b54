//! `sops-rule-missing-host-key`: the creation rule for a host's secrets lacks the host's key.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};
use nixpilot_sops::sops_config::RuleMatch;

crate::declare_rule! {
    /// ## What it does
    /// For every host with `hosts/<h>/ssh_host_ed25519_key.pub`, converts the key with
    /// ssh-to-age and checks that the `.sops.yaml` creation rule of each secrets file the host
    /// uses (under `hosts/<h>/`, or named by its `sops.*File` options) lists that `age1…`
    /// recipient. Also reports a host key file that cannot be read as an ed25519 key.
    ///
    /// ## Why is this bad?
    /// sops-nix decrypts with the host's SSH key converted by ssh-to-age. If the rule does not
    /// name it, the next `sops updatekeys` or edit encrypts the file without it, and
    /// activation fails with "Failed to decrypt … 0 successful groups required, got 0".
    ///
    /// ## Example
    /// ```yaml
    /// creation_rules:
    ///   - path_regex: ^hosts/web1/secrets.yaml$
    ///     key_groups:
    ///       - age: [ age1admin… ]          # the host's key is missing
    /// ```
    ///
    /// ## Fix
    /// Add the recipient shown in the message to the rule's `age` list, then run
    /// `nixpilot secrets updatekeys FILE`.
    pub static SOPS_RULE_MISSING_HOST_KEY = { name: "sops-rule-missing-host-key", group: Secrets, severity: Error, fixable: false };
}

pub struct SopsRuleMissingHostKey;

impl ProjectRule for SopsRuleMissingHostKey {
    fn meta(&self) -> &'static RuleMeta {
        &SOPS_RULE_MISSING_HOST_KEY
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let secrets = &project.secrets;
        let config = secrets.config.as_ref().and_then(|c| c.parsed.as_ref().ok().map(|p| (c, p)));
        for host in &project.layout.hosts {
            let Some(key) = secrets.host_keys.get(&host.name) else { continue };
            let recipient = match &key.recipient {
                Ok(r) => r,
                Err(reason) => {
                    cx.report(Diagnostic::new(
                        &SOPS_RULE_MISSING_HOST_KEY,
                        Span::new(key.file.clone(), project.line_range(&key.file, 1)),
                        format!("`{}` is not a usable host key ({reason}); sops-nix needs an ssh-ed25519 host key", key.file),
                    ));
                    continue;
                }
            };
            let Some((config_file, config)) = config else { continue };
            let mut reported: Vec<usize> = Vec::new();
            for file in secrets.files_of_host(&host.dir) {
                let Some(RuleMatch::Rule(i)) = file.rule else { continue };
                let rule = &config.creation_rules[i];
                // Written as an SSH recipient instead: `ssh-recipient-for-host` says so.
                let material = key.public_key.split_whitespace().nth(1).unwrap_or("-");
                let has = rule.key_groups.iter().any(|g| g.age.iter().any(|a| a == recipient || a.contains(material)));
                if has || reported.contains(&i) {
                    continue;
                }
                reported.push(i);
                let anchor = match &rule.path_regex {
                    Some(re) => project.find_text(&config_file.file, re),
                    None => project.line_range(&config_file.file, 1),
                };
                cx.report(
                    Diagnostic::new(
                        &SOPS_RULE_MISSING_HOST_KEY,
                        Span::new(config_file.file.clone(), anchor),
                        format!(
                            "creation rule {} (for `{}`) does not list host `{}`'s key `{recipient}` (ssh-to-age of `{}`)",
                            i + 1,
                            file.path,
                            host.name,
                            key.file
                        ),
                    )
                    .with_fix(Fix {
                        title: format!("Add `{recipient}` to the rule's age keys, then `nixpilot secrets updatekeys {}`", file.path),
                        applicability: Applicability::DisplayOnly,
                        edits: Vec::new(),
                    }),
                );
            }
        }
    }
}
