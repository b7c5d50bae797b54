//! `invalid-host-id`: `networking.hostId` that NixOS will reject.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};
use crate::project::Value;

crate::declare_rule! {
    /// ## What it does
    /// Reports `networking.hostId` values that are not exactly 8 hexadecimal digits.
    ///
    /// ## Why is this bad?
    /// NixOS rejects the configuration: "Invalid value given to the networking.hostId option."
    /// A common slip is pasting `head -c4 /dev/urandom | od` output or a 0x prefix.
    ///
    /// ## Example
    /// ```nix
    /// { networking.hostId = "0xdeadbeef"; }
    /// ```
    ///
    /// ## Fix
    /// Use 8 hex digits, e.g. from `head -c4 /dev/urandom | od -A none -t x4 | tr -d ' '`.
    /// There is no automatic fix.
    pub static INVALID_HOST_ID = { name: "invalid-host-id", group: Host, severity: Error, fixable: false };
}

pub struct InvalidHostId;

impl ProjectRule for InvalidHostId {
    fn meta(&self) -> &'static RuleMeta {
        &INVALID_HOST_ID
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        for summary in cx.project.modules.values() {
            for d in &summary.definitions {
                let is_host_id = d.path.len() == 2
                    && d.path[0].as_deref() == Some("networking")
                    && d.path[1].as_deref() == Some("hostId");
                let Value::Str(id) = &d.value else { continue };
                if !is_host_id || (id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit())) {
                    continue;
                }
                cx.report(Diagnostic::new(
                    &INVALID_HOST_ID,
                    Span::new(d.file.clone(), d.value_range),
                    format!("`{id}` is not a valid hostId: NixOS needs exactly 8 hexadecimal digits"),
                ));
            }
        }
    }
}
