//! `stale-recipients`: a sops file encrypted for other keys than its creation rule names.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};
use crate::project::secrets::SecretsContent;
use nixpilot_sops::sops_config::RuleMatch;

crate::declare_rule! {
    /// ## What it does
    /// Compares the age recipients in each sops file's metadata with those of the
    /// `.sops.yaml` creation rule that matches it, and reports any difference (a missing host
    /// key is reported by `secrets-not-encrypted-for-host` and `sops-rule-missing-host-key`
    /// instead). With several key groups (Shamir), each group of the file is compared with the
    /// rule's group at the same place, and the file's threshold with the rule's
    /// `shamir_threshold` (by default the number of groups, as sops does).
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
            let (
                Some(RuleMatch::Rule(i)),
                SecretsContent::Encrypted {
                    age_key_groups,
                    shamir_threshold,
                    ..
                },
            ) = (&file.rule, &file.content)
            else {
                continue;
            };
            let rule = &config.creation_rules[*i];
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
            let differences = |wanted: &[String], have: &[String]| {
                let missing: Vec<&String> =
                    wanted.iter().filter(|w| !have.contains(w) && !host_keys.contains(w) && !host_ssh(w)).collect();
                let extra: Vec<&String> = have.iter().filter(|r| !wanted.contains(r) && !host_keys.contains(r)).collect();
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    parts.push(format!("not yet encrypted for {}", missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")));
                }
                if !extra.is_empty() {
                    parts.push(format!("still encrypted for {} (no longer in the rule)", extra.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")));
                }
                parts
            };
            let wanted_groups: Vec<Vec<String>> = rule.key_groups.iter().map(|g| g.age.clone()).collect();
            let mut parts = Vec::new();
            if wanted_groups.len() <= 1 && age_key_groups.len() <= 1 {
                let wanted = wanted_groups.concat();
                parts = differences(&wanted, &age_key_groups.concat());
            } else {
                // Several key groups: sops splits the data key, one share per group, so each
                // group is compared with the rule's group at the same place, and the threshold too.
                for g in 0..wanted_groups.len().max(age_key_groups.len()) {
                    let (wanted, have) = (wanted_groups.get(g).map_or(&[][..], |w| w), age_key_groups.get(g).map_or(&[][..], |h| h));
                    parts.extend(differences(wanted, have).into_iter().map(|p| format!("key group {}: {p}", g + 1)));
                }
                // sops's default threshold is the number of groups.
                let wanted_threshold = rule.shamir_threshold.filter(|t| *t > 0).unwrap_or(wanted_groups.len() as i64);
                let threshold = shamir_threshold.unwrap_or(age_key_groups.len() as i64);
                if wanted_threshold != threshold {
                    parts.push(format!("its Shamir threshold is {threshold}, the rule's is {wanted_threshold}"));
                }
            }
            if parts.is_empty() {
                continue;
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
