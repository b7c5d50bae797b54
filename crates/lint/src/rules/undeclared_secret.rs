//! `undeclared-secret`: `sops.secrets.<name>` whose key is not in the sops file.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};
use crate::project::secrets::SecretsContent;
use crate::project::{Definition, HostView, Value};
use nixpilot_sops::Format;

crate::declare_rule! {
    /// ## What it does
    /// Reports `sops.secrets.<name>` declarations whose key (`key`, else the name; `/`
    /// separates nested keys) does not exist in their sops file (`sopsFile`, else
    /// `sops.defaultSopsFile`). Key names are plaintext in sops files, so no key is needed.
    /// Only YAML and JSON files are checked, as sops-nix does.
    ///
    /// ## Why is this bad?
    /// sops-nix checks this when building the system: "secret <name> in <file> is not valid:
    /// the key '<key>' cannot be found", so `nixos-rebuild` fails.
    ///
    /// ## Example
    /// ```nix
    /// { sops.secrets."restic/password" = { }; }   # secrets.yaml has only restic/repository
    /// ```
    ///
    /// ## Fix
    /// Add the value: `nixpilot secrets set FILE KEY --value-stdin`, or correct the name.
    pub static UNDECLARED_SECRET = { name: "undeclared-secret", group: Secrets, severity: Error, fixable: false };
}

pub struct UndeclaredSecret;

/// The value of `sops.<option>` or `sops.secrets.<name>.<option>` as the host defines it.
fn option<'a>(host: &'a HostView, path: &[&str]) -> Option<&'a Definition> {
    host.definitions.iter().find(|d| d.path.len() == path.len() && d.path.iter().zip(path).all(|(a, b)| a.as_deref() == Some(*b)))
}

impl ProjectRule for UndeclaredSecret {
    fn meta(&self) -> &'static RuleMeta {
        &UNDECLARED_SECRET
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen: Vec<(crate::diagnostic::FilePath, rowan::TextRange)> = Vec::new();
        for host in &project.hosts {
            let default_file = option(host, &["sops", "defaultSopsFile"]).map(|d| d.value.clone());
            let mut names: Vec<(&str, &Definition)> = Vec::new();
            for d in host.definitions_under(&["sops", "secrets"]) {
                if let Some(Some(name)) = d.path.get(2) {
                    if !names.iter().any(|(n, _)| n == name) {
                        names.push((name.as_str(), d));
                    }
                }
            }
            for (name, first) in names {
                let file = match option(host, &["sops", "secrets", name, "sopsFile"]).map(|d| &d.value).or(default_file.as_ref()) {
                    Some(Value::Path(Some(p))) => p.clone(),
                    _ => continue,
                };
                let key = match option(host, &["sops", "secrets", name, "key"]).map(|d| &d.value) {
                    Some(Value::Str(k)) => k.clone(),
                    Some(_) => continue,
                    None => name.to_string(),
                };
                let format = option(host, &["sops", "secrets", name, "format"])
                    .or_else(|| option(host, &["sops", "defaultSopsFormat"]))
                    .map(|d| d.value.clone());
                if !matches!(format, None | Some(Value::Str(_))) || matches!(&format, Some(Value::Str(f)) if f != "yaml" && f != "json") {
                    continue;
                }
                let Some(secrets_file) = project.secrets.files.get(file.as_str()) else { continue };
                if !matches!(secrets_file.format, Format::Yaml | Format::Json) || key.is_empty() {
                    continue;
                }
                let SecretsContent::Encrypted { key_paths, .. } = &secrets_file.content else { continue };
                if key_paths.contains(&key) {
                    continue;
                }
                let span = (first.file.clone(), first.range);
                if seen.contains(&span) {
                    continue;
                }
                seen.push(span);
                let is_map = key_paths.iter().any(|k| k.starts_with(&format!("{key}/")));
                let message = if is_map {
                    format!("secret `{name}`: key `{key}` in `{file}` is a map, not a value; sops-nix needs a leaf (e.g. `{key}/…`)")
                } else {
                    format!("secret `{name}`: `{file}` has no key `{key}`; sops-nix fails the build (\"the key '{key}' cannot be found\")")
                };
                cx.report(Diagnostic::new(&UNDECLARED_SECRET, Span::new(first.file.clone(), first.range), message).with_fix(Fix {
                    title: format!("Add it: `nixpilot secrets set {file} {key} --value-stdin`"),
                    applicability: Applicability::DisplayOnly,
                    edits: Vec::new(),
                }));
            }
        }
    }
}
