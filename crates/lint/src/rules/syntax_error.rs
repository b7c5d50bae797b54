//! `syntax-error`: the file is not valid Nix (or not UTF-8), as rnix's parser reports it.

use rnix::ast::{self, HasEntry};
use rnix::{ParseError, SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::{TextRange, TextSize};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::constant_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports text that does not parse as Nix, and files with bytes that are not UTF-8
    /// outside strings and comments. Beyond what the parser itself finds, it reports what
    /// Nix's parser rejects too: a dynamic name in `let` (`let ${x} = 1;`) or in `inherit`
    /// (`inherit ${x};`), an integer above 9223372036854775807, a float out of range
    /// (`1.0e-400`), a formal argument declared twice, a no-break space or other Unicode blank
    /// between tokens (Nix takes only space, tab and line breaks), and `or` used as a variable (it is one
    /// only as an argument, `f or`, or an attribute name). An empty
    /// file (nothing but whitespace and comments) is reported as such, with the places that
    /// import it when the project model knows them.
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
    /// Correct the syntax at the reported place. The one automatic fix replaces a Unicode
    /// blank between tokens with a space (safe: Nix rejects the file as written, and a space
    /// is what the blank was read as).
    pub static SYNTAX_ERROR = { name: "syntax-error", group: Syntax, severity: Error, fixable: true };
}

pub struct SyntaxError;

/// The message for a `.nix` file without an expression; the engine adds the places that
/// import such a file as labels.
pub const EMPTY_FILE_MESSAGE: &str = "empty file: not a Nix expression";

impl FileRule for SyntaxError {
    fn meta(&self) -> &'static RuleMeta {
        &SYNTAX_ERROR
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[
            SyntaxKind::NODE_PATTERN,
            SyntaxKind::NODE_LET_IN,
            SyntaxKind::NODE_INHERIT,
            SyntaxKind::NODE_LITERAL,
        ]
    }

    /// What Nix's parser rejects and rnix's accepts: see each check.
    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        match node.kind() {
            SyntaxKind::NODE_PATTERN => duplicate_formals(node, cx),
            SyntaxKind::NODE_LET_IN => dynamic_let_names(node, cx),
            SyntaxKind::NODE_INHERIT => dynamic_inherit_names(node, cx),
            SyntaxKind::NODE_LITERAL => number_out_of_range(node, cx),
            _ => {}
        }
    }

    fn check_file(&self, errors: &[ParseError], cx: &mut FileContext<'_>) {
        let end = TextSize::of(&*cx.file.text);
        // Nix reads the bytes of strings and comments as they are: only elsewhere are bytes
        // that are not UTF-8 an error (and a sign of a binary file). A file that does not
        // parse either is most likely binary, and told so.
        let outside_text = |at: usize| {
            if !errors.is_empty() {
                return true;
            }
            let token = cx.root.token_at_offset(TextSize::from(at as u32)).right_biased();
            !token.is_some_and(|t| matches!(t.kind(), SyntaxKind::TOKEN_STRING_CONTENT | SyntaxKind::TOKEN_COMMENT))
        };
        if let Some(at) = cx.file.invalid_utf8_at.filter(|&at| outside_text(at)) {
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
        // A file with nothing but whitespace and comments is no expression at all; what the
        // parser expected next says nothing useful. (The engine labels who imports it.)
        let only_trivia = cx.root.descendants_with_tokens().all(|e| {
            e.as_token()
                .is_none_or(|t| matches!(t.kind(), SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT))
        });
        if only_trivia {
            cx.report(Diagnostic::new(&SYNTAX_ERROR, cx.span(TextRange::empty(end)), EMPTY_FILE_MESSAGE));
            return;
        }
        foreign_whitespace(cx);
        // An early error makes the parser run off the end of the file; those follow-on
        // end-of-file errors only repeat it.
        // With no located error, one end-of-file error says all there is to say.
        // The one kept prefers an error that says what was expected.
        let has_located = errors.iter().any(|e| !is_eof(e));
        let best_eof = errors
            .iter()
            .find(|e| matches!(e, ParseError::UnexpectedEOFWanted(_)))
            .or_else(|| errors.iter().find(|e| is_eof(e)));
        for error in errors {
            if is_eof(error) && (has_located || !best_eof.is_some_and(|b| std::ptr::eq(b, error))) {
                continue;
            }
            let (range, message) = describe(error, end);
            let mut diagnostic = Diagnostic::new(&SYNTAX_ERROR, cx.span(range), message);
            // A missing `;` is best shown where it belongs: right after the previous token.
            if let ParseError::UnexpectedWanted(got, _, wanted) = error {
                if wanted.contains(&SyntaxKind::TOKEN_SEMICOLON) {
                    if let Some(prev_end) = previous_significant_end(cx.root, range.start()) {
                        diagnostic.span = cx.span(TextRange::empty(prev_end));
                        diagnostic = diagnostic.with_label(cx.span(range), format!("found {} here", kind_name(*got)));
                    }
                }
            }
            cx.report(diagnostic);
        }
    }
}

/// Nix's parser rejects a formal argument declared twice (`{ a, a }:` or `{ a }@a:`).
fn duplicate_formals(node: &SyntaxNode, cx: &mut FileContext<'_>) {
    let Some(pattern) = ast::Pattern::cast(node.clone()) else { return };
    let mut seen: Vec<(String, TextRange)> = Vec::new();
    let bind = pattern.pat_bind().and_then(|b| b.ident()).and_then(|i| i.ident_token());
    let entries = pattern.pat_entries().filter_map(|e| e.ident()).filter_map(|i| i.ident_token());
    for token in entries.chain(bind) {
        let name = token.text().to_string();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            let diagnostic = Diagnostic::new(
                &SYNTAX_ERROR,
                cx.span(token.text_range()),
                format!("duplicate formal function argument `{name}`"),
            )
            .with_label(cx.span(*first), "first declared here");
            cx.report(diagnostic);
        } else {
            seen.push((name, token.text_range()));
        }
    }
}

/// "dynamic attributes not allowed in let": a `let` binding whose first name is computed
/// (`${x} = …;`, `"${x}" = …;`); `a.${x} = …;` is fine, and so is `${"a"}`, a fixed name.
fn dynamic_let_names(node: &SyntaxNode, cx: &mut FileContext<'_>) {
    let Some(let_in) = ast::LetIn::cast(node.clone()) else { return };
    for entry in let_in.entries() {
        let ast::Entry::AttrpathValue(binding) = entry else { continue };
        let Some(first) = binding.attrpath().and_then(|p| p.attrs().next()) else { continue };
        if constant_name(&first).is_none() && !crate::scope::has_parse_error(first.syntax()) {
            cx.report(Diagnostic::new(
                &SYNTAX_ERROR,
                cx.span(first.syntax().text_range()),
                "dynamic attributes are not allowed in `let`: a `let` binds names known before evaluation; \
                 build an attribute set instead (`{ ${name} = …; }`)",
            ));
        }
    }
}

/// "dynamic attributes not allowed in inherit": `inherit ${x};` or `inherit "${x}";`.
fn dynamic_inherit_names(node: &SyntaxNode, cx: &mut FileContext<'_>) {
    let Some(inherit) = ast::Inherit::cast(node.clone()) else { return };
    for attr in inherit.attrs() {
        if constant_name(&attr).is_none() && !crate::scope::has_parse_error(attr.syntax()) {
            cx.report(Diagnostic::new(
                &SYNTAX_ERROR,
                cx.span(attr.syntax().text_range()),
                "dynamic attributes are not allowed in `inherit`: it copies names known before evaluation; \
                 write `${name} = x.${name};` in an attribute set instead",
            ));
        }
    }
}

/// Nix reads integers as 64-bit signed numbers and floats with C's `strtod`, and refuses
/// a literal that does not fit ("invalid integer", "invalid float"): an integer above
/// 9223372036854775807 (`-9223372036854775808` too, being `-` applied to it), a float that
/// overflows, or one so small that it underflows (below about 2.2e-308, other than zero).
fn number_out_of_range(node: &SyntaxNode, cx: &mut FileContext<'_>) {
    let Some(token) = node.first_token() else { return };
    let text = token.text();
    let problem = match token.kind() {
        SyntaxKind::TOKEN_INTEGER => text
            .parse::<i64>()
            .is_err()
            .then(|| format!("invalid integer `{text}`: Nix integers are 64-bit, at most 9223372036854775807")),
        SyntaxKind::TOKEN_FLOAT => {
            let value: f64 = text.parse().unwrap_or(0.0);
            let has_digits = text
                .split(['e', 'E'])
                .next()
                .is_some_and(|mantissa| mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)));
            let out_of_range = value.is_infinite() || (has_digits && value.abs() < f64::MIN_POSITIVE);
            out_of_range.then(|| format!("invalid float `{text}`: out of the range of a 64-bit float"))
        }
        _ => None,
    };
    if let Some(message) = problem {
        cx.report(Diagnostic::new(&SYNTAX_ERROR, cx.span(token.text_range()), message));
    }
}

/// Nix's lexer knows four blanks: space, tab, `\r` and `\n`. rnix takes every Unicode
/// space as a blank, so a no-break space pasted from a web page (or a form feed) between
/// tokens parses for rnix and is "unexpected invalid token" for Nix. Scans the text, not
/// the tree, and only texts that hold such a byte at all.
fn foreign_whitespace(cx: &mut FileContext<'_>) {
    let text = cx.file.text.clone();
    if !text.bytes().any(|b| b >= 0x80 || b == 0x0b || b == 0x0c) {
        return;
    }
    for (at, c) in text.char_indices() {
        if !c.is_whitespace() || matches!(c, ' ' | '\t' | '\r' | '\n') {
            continue;
        }
        let start = TextSize::from(at as u32);
        let in_blank = cx
            .root
            .token_at_offset(start)
            .right_biased()
            .is_some_and(|t| t.kind() == SyntaxKind::TOKEN_WHITESPACE);
        if in_blank {
            let range = TextRange::at(start, TextSize::of(c));
            let fix = Fix::safe(
                "Replace it with a space",
                vec![Edit {
                    span: cx.span(range),
                    new_text: " ".into(),
                }],
            );
            cx.report(
                Diagnostic::new(
                    &SYNTAX_ERROR,
                    cx.span(range),
                    format!(
                        "U+{:04X} is not a blank to Nix (only space, tab and line breaks are): \
                         replace it with a space",
                        c as u32
                    ),
                )
                .with_fix(fix),
            );
        }
    }
}

/// End of the last token before `offset` that is not whitespace or a comment.
fn previous_significant_end(root: &SyntaxNode, offset: TextSize) -> Option<TextSize> {
    let mut token = root.token_at_offset(offset).right_biased()?.prev_token();
    while let Some(t) = token {
        if !matches!(t.kind(), SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT) {
            return Some(t.text_range().end());
        }
        token = t.prev_token();
    }
    None
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
        ParseError::UnexpectedWanted(SyntaxKind::TOKEN_OR, range, _) => (
            *range,
            "`or` is a keyword here: Nix takes it as a name only in attribute names (`x.or`, `{ or = 1; }`) \
             and as a function's argument (`f or`)"
                .into(),
        ),
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
    let mut names: Vec<&str> = Vec::new();
    for name in wanted.iter().map(|k| kind_name(*k)) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
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
        TOKEN_STRING_START | NODE_STRING => "a string",
        TOKEN_STRING_END => "the end of the string",
        TOKEN_STRING_CONTENT => "string text",
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
