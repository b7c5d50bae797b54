//! `syntax-error`: the file is not valid Nix (or not UTF-8), as rnix's parser reports it.

use rnix::{ParseError, SyntaxKind};
use rowan::{TextRange, TextSize};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::Diagnostic;

crate::declare_rule! {
    /// ## What it does
    /// Reports text that does not parse as Nix, and files that are not valid UTF-8.
    ///
    /// ## Why is this bad?
    /// Nix refuses to evaluate the file, so every host importing it fails to build;
    /// other rules only see the parts of the file the parser could recover.
    ///
    /// ## Example
    /// ```nix
    /// { networking.hostName = "web1" }
    /// ```
    /// (missing `;` after the value).
    ///
    /// ## Fix
    /// Correct the syntax at the reported place. There is no automatic fix.
    pub static SYNTAX_ERROR = { name: "syntax-error", group: Syntax, severity: Error, fixable: false };
}

pub struct SyntaxError;

impl FileRule for SyntaxError {
    fn meta(&self) -> &'static RuleMeta {
        &SYNTAX_ERROR
    }

    fn check_file(&self, errors: &[ParseError], cx: &mut FileContext<'_>) {
        let end = TextSize::of(&*cx.file.text);
        if let Some(at) = cx.file.invalid_utf8_at {
            let start = TextSize::from(at as u32);
            // The lossy text has U+FFFD (3 bytes) where the bad byte was.
            let range = TextRange::new(start, (start + TextSize::from(3)).min(end));
            cx.report(Diagnostic::new(
                &SYNTAX_ERROR,
                cx.span(range),
                format!(
                    "file is not valid UTF-8 (first invalid byte at offset {at}); \
                     Nix files must be UTF-8 text — is this a binary file named .nix?"
                ),
            ));
            // Parse errors in a binary file are noise after this one.
            return;
        }
        // An early error makes the parser run off the end of the file; those follow-on
        // end-of-file errors only repeat it.
        let has_located = errors.iter().any(|e| !is_eof(e));
        for error in errors.iter().filter(|e| !(has_located && is_eof(e))) {
            let (range, message) = describe(error, end);
            cx.report(Diagnostic::new(&SYNTAX_ERROR, cx.span(range), message));
        }
    }
}

fn is_eof(error: &ParseError) -> bool {
    matches!(error, ParseError::UnexpectedEOF | ParseError::UnexpectedEOFWanted(_))
}

fn describe(error: &ParseError, end: TextSize) -> (TextRange, String) {
    let eof = TextRange::empty(end);
    match error {
        ParseError::Unexpected(range) => (*range, "unexpected input: this is not valid Nix here".into()),
        ParseError::UnexpectedExtra(range) => {
            (*range, "unexpected text after the end of the expression (a file holds exactly one expression)".into())
        }
        ParseError::UnexpectedWanted(got, range, wanted) => {
            (*range, format!("expected {}, found {}", wanted_list(wanted), kind_name(*got)))
        }
        ParseError::UnexpectedDoubleBind(range) => {
            (*range, "the argument pattern is bound to a name twice (`@` on both sides)".into())
        }
        ParseError::UnexpectedEOF => (eof, "unexpected end of file: an expression is not finished".into()),
        ParseError::UnexpectedEOFWanted(wanted) => {
            (eof, format!("unexpected end of file, expected {}", wanted_list(wanted)))
        }
        ParseError::DuplicatedArgs(range, name) => {
            (*range, format!("argument `{name}` is declared more than once in this pattern"))
        }
        ParseError::RecursionLimitExceeded => (
            TextRange::empty(TextSize::from(0)),
            "the file nests too deeply to parse (parser recursion limit reached)".into(),
        ),
        // rnix's error type is non-exhaustive in spirit: future variants still become diagnostics.
        #[allow(unreachable_patterns)]
        other => (eof, other.to_string()),
    }
}

fn wanted_list(wanted: &[SyntaxKind]) -> String {
    let names: Vec<&str> = wanted.iter().map(|k| kind_name(*k)).collect();
    match names.as_slice() {
        [] => "more input".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// Human names for the tokens the parser may ask for.
fn kind_name(kind: SyntaxKind) -> &'static str {
    use SyntaxKind::*;
    match kind {
        TOKEN_ASSIGN => "`=`",
        TOKEN_SEMICOLON => "`;`",
        TOKEN_COLON => "`:`",
        TOKEN_COMMA => "`,`",
        TOKEN_DOT => "`.`",
        TOKEN_AT => "`@`",
        TOKEN_QUESTION => "`?`",
        TOKEN_ELLIPSIS => "`...`",
        TOKEN_L_BRACE => "`{`",
        TOKEN_R_BRACE => "`}`",
        TOKEN_L_BRACK => "`[`",
        TOKEN_R_BRACK => "`]`",
        TOKEN_L_PAREN => "`(`",
        TOKEN_R_PAREN => "`)`",
        TOKEN_IN => "`in`",
        TOKEN_THEN => "`then`",
        TOKEN_ELSE => "`else`",
        TOKEN_IDENT | NODE_IDENT => "an identifier",
        TOKEN_STRING_START | TOKEN_STRING_END | NODE_STRING => "a string",
        TOKEN_INTERPOL_START => "`${`",
        TOKEN_INTERPOL_END => "`}` closing the interpolation",
        TOKEN_ERROR => "an invalid token",
        TOKEN_COMMENT => "a comment",
        TOKEN_INTEGER | TOKEN_FLOAT => "a number",
        TOKEN_URI => "a URI",
        TOKEN_PATH_ABS | TOKEN_PATH_REL | TOKEN_PATH_HOME | TOKEN_PATH_SEARCH => "a path",
        TOKEN_LET => "`let`",
        TOKEN_REC => "`rec`",
        TOKEN_INHERIT => "`inherit`",
        TOKEN_WITH => "`with`",
        TOKEN_ASSERT => "`assert`",
        TOKEN_IF => "`if`",
        TOKEN_OR => "`or`",
        NODE_ATTRPATH => "an attribute path",
        NODE_ATTRPATH_VALUE => "an attribute definition",
        NODE_PATTERN | NODE_PAT_ENTRY => "an argument pattern",
        NODE_ERROR => "invalid syntax",
        _ if (kind as u16) < (NODE_APPLY as u16) => "a token",
        _ => "an expression",
    }
}
