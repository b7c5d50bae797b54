//! `ssh-recipient-for-host`: a host's key used as an `ssh-ed25519` recipient.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix, Span};
use crate::project::secrets::SecretsContent;

crate::declare_rule! {
    /// ## What it does
    /// Reports a host's SSH key (`hosts/<h>/ssh_host_ed25519_key.pub`) written as an
    /// `ssh-ed25519 …` recipient in `.sops.yaml` or in a sops file's metadata, instead of its
    /// ssh-to-age conversion `age1…`.
    ///
    /// ## Why is this bad?
    /// age accepts SSH recipients, but they produce an `ssh-ed25519` stanza. sops-nix converts
    /// the host key to an X25519 identity with ssh-to-age, which can only open X25519
    /// stanzas — the host cannot decrypt the file.
    ///
    /// ## Example
    /// ```yaml
    /// creation_rules:
    ///   - age: ssh-ed25519 AAAAC3Nz… root@web1
    /// ```
    ///
    /// ## Fix
    /// Replaces the SSH key in `.sops.yaml` with its `age1…` conversion (unsafe: re-key the
    /// files afterwards with `nixpilot secrets updatekeys`).
    pub static SSH_RECIPIENT_FOR_HOST = { name: "ssh-recipient-for-host", group: Secrets, severity: Error, fixable: true };
}

pub struct SshRecipientForHost;

/// The base64 key material of an OpenSSH public key line.
fn key_material(line: &str) -> Option<&str> {
    let mut parts = line.split_whitespace();
    (parts.next()? == "ssh-ed25519").then_some(())?;
    parts.next()
}

impl ProjectRule for SshRecipientForHost {
    fn meta(&self) -> &'static RuleMeta {
        &SSH_RECIPIENT_FOR_HOST
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let secrets = &project.secrets;
        for key in secrets.host_keys.values() {
            let (Ok(recipient), Some(material)) = (&key.recipient, key_material(&key.public_key)) else { continue };
            if let Some(config) = &secrets.config {
                if let Ok(parsed) = &config.parsed {
                    let written = parsed.creation_rules.iter().flat_map(|r| r.key_groups.iter()).flat_map(|g| g.age.iter());
                    for ssh in written.filter(|a| key_material(a) == Some(material)) {
                        let span = Span::new(config.file.clone(), project.find_text(&config.file, ssh));
                        cx.report(
                            Diagnostic::new(
                                &SSH_RECIPIENT_FOR_HOST,
                                span.clone(),
                                format!(
                                    "host `{}`'s key is written as an SSH recipient; sops-nix can only open files encrypted for its ssh-to-age conversion `{recipient}`",
                                    key.host
                                ),
                            )
                            .with_fix(Fix::unsafe_(format!("Use `{recipient}`"), vec![Edit { span, new_text: recipient.clone() }])),
                        );
                    }
                }
            }
            for file in secrets.files.values() {
                let SecretsContent::Encrypted { age_recipients, .. } = &file.content else { continue };
                if age_recipients.iter().any(|a| key_material(a) == Some(material)) {
                    cx.report(Diagnostic::new(
                        &SSH_RECIPIENT_FOR_HOST,
                        Span::new(file.path.clone(), project.find_text(&file.path, material)),
                        format!(
                            "`{}` is encrypted for host `{}`'s key as an SSH recipient, which sops-nix cannot open; re-key it for `{recipient}`",
                            file.path, key.host
                        ),
                    ));
                }
            }
        }
    }
}
