//! `no-sops-rule`: a sops file no `.sops.yaml` creation rule matches (or no usable `.sops.yaml`).

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};
use nixpilot_sops::sops_config::RuleMatch;

crate::declare_rule! {
    /// ## What it does
    /// Reports secrets files that no creation rule of `.sops.yaml` matches (first match wins,
    /// `path_regex` relative to the directory of `.sops.yaml`), secrets files in a repository
    /// without `.sops.yaml`, and a `.sops.yaml` that cannot be read (bad YAML, bad regex).
    /// In a flake that uses clan-core, sops files under `sops/` and `vars/` are clan's own:
    /// clan keeps their recipients in `sops/users`/`sops/machines` and re-keys them with
    /// `clan secrets`/`clan vars`, not through `.sops.yaml`, so they are not reported.
    ///
    /// ## Why is this bad?
    /// The file still decrypts, but nobody can re-key it: `sops updatekeys` and
    /// `nixpilot secrets updatekeys` fail with "no matching creation rules found", so a new
    /// host or admin can never be added to it.
    ///
    /// ## Example
    /// ```yaml
    /// creation_rules:
    ///   - path_regex: ^hosts/web1/secrets.yaml$   # but the file is hosts/web1/secrets.yml
    /// ```
    ///
    /// ## Fix
    /// Add or correct a creation rule whose `path_regex` matches the file.
    pub static NO_SOPS_RULE = { name: "no-sops-rule", group: Secrets, severity: Warning, fixable: false };
}

pub struct NoSopsRule;

impl ProjectRule for NoSopsRule {
    fn meta(&self) -> &'static RuleMeta {
        &NO_SOPS_RULE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let secrets = &project.secrets;
        if let Some(config) = &secrets.config {
            if let Err((line, reason)) = &config.parsed {
                cx.report(Diagnostic::new(
                    &NO_SOPS_RULE,
                    Span::new(config.file.clone(), project.line_range(&config.file, *line)),
                    format!("`.sops.yaml` cannot be read: {reason}"),
                ));
                return;
            }
        }
        let mut bad_regex_reported = false;
        let clan = project.flake.as_ref().is_some_and(|f| f.inputs.iter().any(is_clan_core));
        for file in secrets.files.values() {
            let clan_managed = clan && (file.path.starts_with("sops/") || file.path.starts_with("vars/"));
            if clan_managed && matches!(file.rule, None | Some(RuleMatch::NoMatch)) {
                continue;
            }
            let span = Span::new(file.path.clone(), project.line_range(&file.path, 1));
            let message = match &file.rule {
                None => format!("`{}` is a sops file but the repository has no `.sops.yaml`: it cannot be re-keyed", file.path),
                Some(RuleMatch::NoMatch) => format!(
                    "no creation rule in `.sops.yaml` matches `{}`: `updatekeys` fails with \"no matching creation rules found\"",
                    file.path
                ),
                Some(RuleMatch::BadRegex { rule, reason }) => {
                    if std::mem::replace(&mut bad_regex_reported, true) {
                        continue;
                    }
                    let config = secrets.config.as_ref().map(|c| c.file.clone()).unwrap_or_else(|| ".sops.yaml".into());
                    let line = secrets
                        .config
                        .as_ref()
                        .and_then(|c| c.parsed.as_ref().ok())
                        .and_then(|p| p.creation_rules.get(*rule))
                        .and_then(|r| r.path_regex_line);
                    let range = match line {
                        Some(line) => project.line_range(&config, line),
                        None => project.find_text(".sops.yaml", "path_regex"),
                    };
                    cx.report(Diagnostic::new(
                        &NO_SOPS_RULE,
                        Span::new(config, range),
                        format!("creation rule {} has a `path_regex` that cannot be used: {reason}", rule + 1),
                    ));
                    continue;
                }
                Some(RuleMatch::Rule(_)) => continue,
            };
            cx.report(Diagnostic::new(&NO_SOPS_RULE, span, message));
        }
    }
}

/// clan-core by name or by where it comes from (its own forge or the GitHub mirror).
fn is_clan_core(input: &crate::project::flake::FlakeInput) -> bool {
    input.name == "clan-core"
        || input
            .url
            .as_deref()
            .is_some_and(|u| u.contains("git.clan.lol/clan/clan-core") || u.contains("clan-lol/clan-core"))
}
