//! `stale-recipients`: a sops file encrypted for other keys than its creation rule names.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};
use crate::project::secrets::SecretsContent;
use crate::sops::sops_config::RuleMatch;

crate::declare_rule! {
    /// ## What it does
    /// Compares the age recipients in each sops file's metadata with those of the
    /// `.sops.yaml` creation rule that matches it, and reports any difference (a missing host
    /// key is reported by `secrets-not-encrypted-for-host` and `sops-rule-missing-host-key`
    /// instead).
    ///
    /// ## Why is this bad?
    /// A recipient in the rule but not in the file cannot decrypt it yet (a new admin or
    /// host); a recipient in the file but not in the rule can still decrypt it (a departed
    /// admin, a retired host).
    ///
    /// ## Example
    /// Alice's key was removed from `.sops.yaml`, but the files still carry her stanza.
    ///
    /// ## Fix
    /// `nixpilot secrets updatekeys FILE` (and rotate the data key with
    /// `nixpilot secrets rotate FILE` when a recipient was removed).
    pub static STALE_RECIPIENTS = { name: "stale-recipients", group: Secrets, severity: Warning, fixable: false };
}

pub struct StaleRecipients;

impl ProjectRule for StaleRecipients {
    fn meta(&self) -> &'static RuleMeta {
        &STALE_RECIPIENTS
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let secrets = &project.secrets;
        let Some(config) = secrets.config.as_ref().and_then(|c| c.parsed.as_ref().ok()) else { return };
        for file in secrets.files.values() {
            let (Some(RuleMatch::Rule(i)), SecretsContent::Encrypted { age_recipients, .. }) = (&file.rule, &file.content)
            else {
                continue;
            };
            let rule = &config.creation_rules[*i];
            let wanted: Vec<&String> = rule.key_groups.iter().flat_map(|g| g.age.iter()).collect();
            // Host keys missing from the file have their own rule.
            let host_keys: Vec<&String> = project
                .layout
                .hosts
                .iter()
                .filter(|h| file.path.starts_with(&format!("{}/", h.dir)) || file.references.iter().any(|(r, _)| r.starts_with(&format!("{}/", h.dir))))
                .filter_map(|h| secrets.host_keys.get(&h.name).and_then(|k| k.recipient.as_ref().ok()))
                .collect();
            // A host key written as an SSH recipient is `ssh-recipient-for-host`'s business.
            let host_ssh = |w: &str| {
                secrets.host_keys.values().any(|k| k.public_key.split_whitespace().nth(1).is_some_and(|m| w.contains(m)))
            };
            let missing: Vec<&&String> =
                wanted.iter().filter(|w| !age_recipients.contains(w) && !host_keys.contains(w) && !host_ssh(w)).collect();
            let extra: Vec<&String> = age_recipients.iter().filter(|r| !wanted.contains(r) && !host_keys.contains(r)).collect();
            if missing.is_empty() && extra.is_empty() {
                continue;
            }
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("not yet encrypted for {}", missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")));
            }
            if !extra.is_empty() {
                parts.push(format!("still encrypted for {} (no longer in the rule)", extra.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")));
            }
            cx.report(
                Diagnostic::new(
                    &STALE_RECIPIENTS,
                    Span::new(file.path.clone(), project.find_text(&file.path, "sops:")),
                    format!("`{}` differs from creation rule {}: {}", file.path, i + 1, parts.join("; ")),
                )
                .with_fix(Fix {
                    title: format!("Run `nixpilot secrets updatekeys {}`", file.path),
                    applicability: Applicability::DisplayOnly,
                    edits: Vec::new(),
                }),
            );
        }
    }
}
