//! `secrets-not-encrypted-for-host`: a host's secrets file the host cannot decrypt.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};
use crate::project::secrets::SecretsContent;

crate::declare_rule! {
    /// ## What it does
    /// Checks that every sops file a host uses (under `hosts/<h>/`, or named by its
    /// `sops.*File` options) is encrypted for the host: its `sops.age` recipients include
    /// the ssh-to-age conversion of `hosts/<h>/ssh_host_ed25519_key.pub`. Read from the
    /// file's metadata; no key is needed.
    ///
    /// ## Why is this bad?
    /// Activation fails on the host: "Failed to decrypt '…': Error getting data key: 0
    /// successful groups required, got 0", and every service needing a secret stays down.
    ///
    /// ## Example
    /// A host key added to `.sops.yaml` after the file was created, without re-keying it.
    ///
    /// ## Fix
    /// `nixpilot secrets updatekeys FILE` (re-wraps the data key for the rule's recipients).
    pub static SECRETS_NOT_ENCRYPTED_FOR_HOST = { name: "secrets-not-encrypted-for-host", group: Secrets, severity: Error, fixable: false };
}

pub struct SecretsNotEncryptedForHost;

impl ProjectRule for SecretsNotEncryptedForHost {
    fn meta(&self) -> &'static RuleMeta {
        &SECRETS_NOT_ENCRYPTED_FOR_HOST
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let secrets = &project.secrets;
        for host in &project.layout.hosts {
            let Some(Ok(recipient)) = secrets.host_keys.get(&host.name).map(|k| &k.recipient) else { continue };
            for file in secrets.files_of_host(&host.dir) {
                let SecretsContent::Encrypted { age_recipients, .. } = &file.content else { continue };
                if age_recipients.contains(recipient) {
                    continue;
                }
                cx.report(
                    Diagnostic::new(
                        &SECRETS_NOT_ENCRYPTED_FOR_HOST,
                        Span::new(file.path.clone(), project.find_text(&file.path, "sops:")),
                        format!(
                            "`{}` is not encrypted for host `{}` (`{recipient}`): activation on the host will fail to decrypt it",
                            file.path, host.name
                        ),
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
}
