//! `analysis-limit`: a file nixpilot stopped analysing (nested too deeply to parse safely, or
//! slower than the per-file time limit). The engine produces it; this file holds its docs.

crate::declare_rule! {
    /// ## What it does
    /// Reports a file that nixpilot did not analyse to the end: one nested or chained more
    /// than 2,000 levels deep (brackets, `++`, `+`, `//`, function arguments, lambdas, `let`s
    /// and the like), or one whose analysis took longer than the per-file time limit
    /// (`file-time-limit` in `nixpilot.toml`, 20 seconds unless set).
    ///
    /// ## Why is this bad?
    /// No other rule reports anything in that file, so problems in it go unseen. The limits
    /// exist so that one pathological file (generated, or hostile) cannot crash or hang a lint
    /// run or the language server; real code stays far below them.
    ///
    /// ## Example
    /// ```nix
    /// [[[[[[[[[[ … two thousand levels … ]]]]]]]]]]
    /// ```
    ///
    /// ## Fix
    /// Flatten the expression (a `let` binding for the inner part, `lib.concatLists` instead of
    /// a long `++` chain), split the file, or raise `file-time-limit`. There is no automatic fix.
    pub static ANALYSIS_LIMIT = { name: "analysis-limit", group: Meta, severity: Warning, fixable: false };
}
