//! `acme-terms-not-accepted`: ACME certificates without `security.acme.acceptTerms`.

use super::insert_definition::{host_anchor, into_host_entry};
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Label, Span};
use crate::project::{Lookup, Value};

crate::declare_rule! {
    /// ## What it does
    /// Reports hosts that request ACME (Let's Encrypt) certificates — `enableACME = true` on a
    /// virtual host, `useACMEHost`, or `security.acme.certs.<name>` — while no module sets
    /// `security.acme.acceptTerms = true`.
    ///
    /// ## Why is this bad?
    /// NixOS refuses to build: "You must accept the CA's terms of service before using the
    /// ACME module by setting `security.acme.acceptTerms` to `true`".
    ///
    /// ## Example
    /// ```nix
    /// { services.nginx.virtualHosts."example.org".enableACME = true; }
    /// ```
    ///
    /// ## Fix
    /// Adds `security.acme.acceptTerms = true;` (unsafe: you are accepting the CA's terms;
    /// also set `security.acme.defaults.email`).
    pub static ACME_TERMS_NOT_ACCEPTED = { name: "acme-terms-not-accepted", group: Host, severity: Error, fixable: true };
}

pub struct AcmeTermsNotAccepted;

impl ProjectRule for AcmeTermsNotAccepted {
    fn meta(&self) -> &'static RuleMeta {
        &ACME_TERMS_NOT_ACCEPTED
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            let evidence = host.definitions.iter().find(|d| {
                let p: Vec<Option<&str>> = d.path.iter().map(|s| s.as_deref()).collect();
                let enabled = matches!(d.value, Value::Bool(true));
                match p.as_slice() {
                    [Some("services"), _, Some("virtualHosts"), _, Some("enableACME")] => enabled,
                    [Some("services"), _, Some("virtualHosts"), _, Some("useACMEHost")] => true,
                    [Some("security"), Some("acme"), Some("certs"), ..] => true,
                    _ => false,
                }
            });
            let Some(evidence) = evidence else { continue };
            match host.lookup(&["security", "acme", "acceptTerms"]) {
                Lookup::Absent => {}
                Lookup::Maybe => continue,
                Lookup::Defined(defs) => {
                    if defs.iter().any(|d| d.value != Value::Bool(false)) {
                        continue;
                    }
                }
            }
            let line = "security.acme.acceptTerms = true;";
            let mut d = Diagnostic::new(
                &ACME_TERMS_NOT_ACCEPTED,
                host_anchor(project, host),
                format!(
                    "host `{}` requests ACME certificates but does not set `security.acme.acceptTerms = true`; NixOS refuses to build",
                    host.name
                ),
            );
            d.labels.push(Label { span: Span::new(evidence.file.clone(), evidence.range), message: "certificates requested here".into() });
            if let Some(edit) = into_host_entry(project, host, line) {
                d = d.with_fix(Fix::unsafe_(format!("Set `{line}` (accepts the CA's terms)"), vec![edit]));
            }
            cx.report(d);
        }
    }
}
