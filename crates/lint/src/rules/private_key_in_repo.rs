//! `private-key-in-repo`: private key material in a file of the repository.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity, Span};

crate::declare_rule! {
    /// ## What it does
    /// Reports OpenSSH, PEM (RSA, EC, DSA, PKCS#8), PGP private keys and `AGE-SECRET-KEY-1…`
    /// identities in any file of the repository that `.gitignore` does not exclude, found by
    /// content, not by file name. It is an error when git tracks the file, a warning when the
    /// file is only lying in the working tree. A block counts only when its body decodes as
    /// the key it claims to be (`openssh-key-v1`, a DER structure, a bech32 age identity with
    /// a valid checksum): placeholders in documentation (`<your key here>`, `...`) are not keys.
    /// A key protected by a passphrase (an OpenSSH key with a cipher, PEM `Proc-Type:
    /// 4,ENCRYPTED`, PKCS#8 `ENCRYPTED PRIVATE KEY`) is a warning with its own message: it is
    /// not compromised by the repository alone, but anyone with the repository can try
    /// passphrases offline, for as long as history exists. The snippet under the message shows
    /// the key's armour with its body replaced by `*`.
    ///
    /// ## Why is this bad?
    /// A host key or an admin's age key in git history is compromised for good: anyone with
    /// the repository can impersonate the host or decrypt every secret encrypted for it.
    ///
    /// ## Example
    /// ```text
    /// hosts/web1/ssh_host_ed25519_key      # -----BEGIN OPENSSH PRIVATE KEY-----
    /// ```
    ///
    /// ## Fix
    /// Move the key into the host's sops file
    /// (`nixpilot secrets set hosts/<h>/secrets.yaml ssh_host_ed25519_key --value-file <file>`),
    /// delete the file, and if it was ever pushed, replace the key.
    pub static PRIVATE_KEY_IN_REPO = { name: "private-key-in-repo", group: Secrets, severity: Error, fixable: false };
}

pub struct PrivateKeyInRepo;

impl ProjectRule for PrivateKeyInRepo {
    fn meta(&self) -> &'static RuleMeta {
        &PRIVATE_KEY_IN_REPO
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for finding in &project.secrets.private_keys {
            let file = &finding.file;
            // Where it belongs: the secrets file of the host whose directory holds it.
            let host = project.layout.hosts.iter().find(|h| file.starts_with(&format!("{}/", h.dir)));
            let (target, name) = match host {
                Some(h) => (format!("{}/secrets.yaml", h.dir), file.rsplit('/').next().unwrap_or(file).replace('.', "_")),
                None => ("secrets/secrets.yaml".to_string(), file.rsplit('/').next().unwrap_or(file).replace('.', "_")),
            };
            let tracked = finding.tracked == Some(true);
            let state = match (finding.protected, tracked) {
                (true, _) => " (protected by a passphrase, which can be guessed offline: keep it out of the repository)",
                (false, true) => " and git tracks it: treat the key as compromised",
                (false, false) => " (not tracked by git yet: keep it that way)",
            };
            let mut d = Diagnostic::new(
                &PRIVATE_KEY_IN_REPO,
                Span::new(file.clone(), finding.range),
                format!("{} is stored in `{file}`{state}", finding.kind),
            )
            .with_fix(Fix {
                title: format!(
                    "Move it into a sops file: `nixpilot secrets set {target} {name} --value-file {file}`, then delete `{file}`"
                ),
                applicability: Applicability::DisplayOnly,
                edits: Vec::new(),
            });
            if !tracked || finding.protected {
                d.severity = Severity::Warning;
            }
            cx.report(d);
        }
    }
}
