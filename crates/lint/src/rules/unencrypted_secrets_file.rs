//! `unencrypted-secrets-file`: a file meant to hold secrets that holds them in the clear.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity, Span};
use crate::project::secrets::SecretsContent;

crate::declare_rule! {
    /// ## What it does
    /// Reports files that a `.sops.yaml` creation rule or a `sops.defaultSopsFile` /
    /// `sops.secrets.<name>.sopsFile` option marks as secrets, when they have no sops
    /// metadata, contain values that are not encrypted (other than those the file's
    /// `unencrypted_suffix`/`*_regex` keep in the clear), or cannot be read as their format.
    /// An empty file (only whitespace and comments) has nothing in the clear: it is only
    /// an info. A `.sops.yaml` is configuration, never a secrets file. A creation rule whose
    /// `path_regex` would take `flake.nix` too (`.*`) is a default for whatever gets encrypted,
    /// like a rule without `path_regex`: the `package.json` and CI files it matches are not
    /// secrets files unless they carry sops metadata or a Nix option names them. Empty strings
    /// are not "in the clear": sops itself leaves them unencrypted.
    ///
    /// ## Why is this bad?
    /// Whatever is committed in the clear is public to everyone with the repository, and
    /// sops-nix cannot decrypt a file without metadata ("sops metadata not found").
    ///
    /// ## Example
    /// ```yaml
    /// # hosts/web1/secrets.yaml
    /// restic_password: hunter2
    /// ```
    ///
    /// ## Fix
    /// Encrypt it where it is: `nixpilot secrets encrypt --in-place FILE` (then rotate any
    /// secret that was pushed).
    pub static UNENCRYPTED_SECRETS_FILE = { name: "unencrypted-secrets-file", group: Secrets, severity: Error, fixable: false };
}

pub struct UnencryptedSecretsFile;

impl ProjectRule for UnencryptedSecretsFile {
    fn meta(&self) -> &'static RuleMeta {
        &UNENCRYPTED_SECRETS_FILE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for file in project.secrets.files.values() {
            let (range, message) = match &file.content {
                SecretsContent::Plaintext => (
                    project.line_range(&file.path, 1),
                    format!("`{}` is used as a secrets file but has no sops metadata: its values are in the clear", file.path),
                ),
                SecretsContent::Encrypted { plaintext_values, .. } if !plaintext_values.is_empty() => {
                    let first = plaintext_values[0].rsplit('/').next().unwrap_or(&plaintext_values[0]).to_string();
                    (
                        project.find_text(&file.path, &format!("{first}:")),
                        format!(
                            "`{}` has values in the clear: {} (a hand edit? sops would have encrypted them)",
                            file.path,
                            plaintext_values.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                        ),
                    )
                }
                SecretsContent::Unreadable { line, reason } => (
                    project.line_range(&file.path, *line),
                    format!("`{}` cannot be read as a {} sops file: {reason}", file.path, file.format.name()),
                ),
                SecretsContent::Encrypted { .. } => continue,
                // Nothing is in the clear; worth knowing only because sops-nix cannot read it.
                SecretsContent::Empty => {
                    let mut d = Diagnostic::new(
                        &UNENCRYPTED_SECRETS_FILE,
                        Span::new(file.path.clone(), project.line_range(&file.path, 1)),
                        format!("`{}` is used as a secrets file but is empty: sops-nix cannot read it until secrets are added with `nixpilot secrets set`", file.path),
                    );
                    d.severity = Severity::Info;
                    cx.report(d);
                    continue;
                }
            };
            cx.report(Diagnostic::new(&UNENCRYPTED_SECRETS_FILE, Span::new(file.path.clone(), range), message).with_fix(Fix {
                title: format!("Encrypt it in place with `nixpilot secrets encrypt --in-place {}`", file.path),
                applicability: Applicability::DisplayOnly,
                edits: Vec::new(),
            }));
        }
    }
}
