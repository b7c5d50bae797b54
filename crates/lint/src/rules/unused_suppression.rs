//! `unused-suppression`: a `# nixpilot: allow(…)` comment that suppresses nothing.
//! The engine produces it while applying suppressions; this file holds its metadata and docs.

crate::declare_rule! {
    /// ## What it does
    /// Reports `# nixpilot: allow(rule)` comments that did not suppress any diagnostic, and
    /// names in them that are not nixpilot rules.
    ///
    /// ## Why is this bad?
    /// A stale suppression hides the next real problem on that line, and a misspelled rule
    /// name suppresses nothing while looking as if it did.
    ///
    /// ## Example
    /// ```nix
    /// # nixpilot: allow(unused-let-binding)
    /// let port = 80; in { networking.firewall.allowedTCPPorts = [ port ]; }
    /// ```
    ///
    /// ## Fix
    /// Removes the comment, or the unused names from it (safe). Suppressions of rules that
    /// are switched off in `nixpilot.toml` are not reported.
    pub static UNUSED_SUPPRESSION = { name: "unused-suppression", group: Meta, severity: Info, fixable: true };
}
