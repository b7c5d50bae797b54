//! How deep a text could drive rnix's recursive-descent parser, measured on its tokens
//! before parsing, so that a file nested past a limit is refused instead of overflowing the stack.
//!
//! rnix bounds its own recursion only through `parse_expr` (512 levels); lists, `++`, `//`, `->`,
//! `<|`, unary `-` and `!` and `… or …` recurse without that check, so `[[[[…` or
//! `1 ++ 1 ++ …` a few ten thousand times long aborts the process. Left-associative chains
//! (`1+1+…`, `f a a …`, `a?b?…`) are parsed by a loop, but rowan re-hashes the nodes it
//! deduplicates recursively, so their depth counts too. The estimate is an upper bound of both:
//! every token that can open a recursion level or a level of the tree counts one (an operand
//! right after an operand counts as the application it is), and a level is only closed by the
//! token that closes it in rnix's grammar (a bracket, `;` after `=`/`with`/`assert`/`inherit`,
//! `in` after `let`, `then`/`else` after `if`). Malformed input can keep a level open longer
//! than rnix does, never shorter, so the estimate errs on the high side.

use rnix::SyntaxKind::*;
use rowan::TextSize;

/// The deepest estimate a file may reach and still be parsed. Real code stays far below (the
/// deepest file of the corpus run in docs/reliability.md); the parse of a file at this depth
/// fits in `PARSE_STACK` and its tree (at most about twice as deep) in every walk we do.
pub const MAX_NESTING: u32 = 2_000;

/// A file whose estimate went past the limit, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub limit: u32,
    /// Byte offset of the token that went past the limit.
    pub offset: TextSize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Paren,
    Bracket,
    Brace,
    Interpolation,
    Str,
    /// After `=`: the value, up to its `;`.
    Binding,
    /// After `with`/`assert`: the expression up to its `;`.
    Semicolon,
    /// After `let`: the bindings, up to `in`.
    Let,
    /// After `inherit`: names up to `;` (juxtaposed, but not an application).
    Inherit,
    /// After `if`: the condition, up to `then`.
    Condition,
    /// After `then`: up to `else`.
    Then,
}

/// The largest depth estimate over the text, or where it first passed `limit`.
pub fn estimate(text: &str, limit: u32) -> Result<u32, TooDeep> {
    // Every level costs at least one byte of input.
    if text.len() <= limit as usize {
        return Ok(text.len() as u32);
    }
    scan(text, limit)
}

/// `estimate` without the shortcut for short texts.
pub fn scan(text: &str, limit: u32) -> Result<u32, TooDeep> {
    // Each open level with the recursions counted inside it; `depth` is their sum.
    let mut stack: Vec<(Level, u32)> = vec![(Level::Paren, 0)];
    let mut depth: u32 = 1;
    let mut deepest = depth;
    let mut offset = TextSize::from(0);
    let mut after_operand = false;
    for (kind, token) in rnix::tokenize(text) {
        let at = offset;
        offset += TextSize::of(token);
        if matches!(kind, TOKEN_WHITESPACE | TOKEN_COMMENT) {
            continue;
        }
        let operand_start = matches!(
            kind,
            TOKEN_IDENT
                | TOKEN_INTEGER
                | TOKEN_FLOAT
                | TOKEN_URI
                | TOKEN_PATH_ABS
                | TOKEN_PATH_REL
                | TOKEN_PATH_HOME
                | TOKEN_PATH_SEARCH
                | TOKEN_STRING_START
                | TOKEN_L_PAREN
                | TOKEN_L_BRACK
                | TOKEN_L_BRACE
                | TOKEN_REC
        );
        // List items and inherited names sit side by side without nesting.
        let juxtaposed = after_operand
            && operand_start
            && !stack
                .last()
                .is_some_and(|(l, _)| matches!(l, Level::Bracket | Level::Inherit));
        after_operand = matches!(
            kind,
            TOKEN_IDENT
                | TOKEN_INTEGER
                | TOKEN_FLOAT
                | TOKEN_URI
                | TOKEN_PATH_ABS
                | TOKEN_PATH_REL
                | TOKEN_PATH_HOME
                | TOKEN_PATH_SEARCH
                | TOKEN_STRING_END
                | TOKEN_R_PAREN
                | TOKEN_R_BRACK
                | TOKEN_R_BRACE
        );
        let close = |stack: &mut Vec<(Level, u32)>, depth: &mut u32, level: Level| {
            if stack.len() > 1 && stack.last().is_some_and(|(l, _)| *l == level) {
                if let Some((_, inner)) = stack.pop() {
                    *depth -= 1 + inner;
                }
                true
            } else {
                false
            }
        };
        let opened = match kind {
            TOKEN_L_PAREN => Some(Level::Paren),
            TOKEN_L_BRACK => Some(Level::Bracket),
            TOKEN_L_BRACE => Some(Level::Brace),
            TOKEN_INTERPOL_START => Some(Level::Interpolation),
            TOKEN_STRING_START => Some(Level::Str),
            TOKEN_ASSIGN => Some(Level::Binding),
            TOKEN_LET => Some(Level::Let),
            TOKEN_INHERIT => Some(Level::Inherit),
            TOKEN_WITH | TOKEN_ASSERT => Some(Level::Semicolon),
            TOKEN_IF => Some(Level::Condition),
            TOKEN_R_PAREN => {
                close(&mut stack, &mut depth, Level::Paren);
                None
            }
            TOKEN_R_BRACK => {
                close(&mut stack, &mut depth, Level::Bracket);
                None
            }
            TOKEN_R_BRACE => {
                close(&mut stack, &mut depth, Level::Brace);
                None
            }
            TOKEN_INTERPOL_END => {
                close(&mut stack, &mut depth, Level::Interpolation);
                None
            }
            TOKEN_STRING_END => {
                close(&mut stack, &mut depth, Level::Str);
                None
            }
            TOKEN_SEMICOLON => {
                let _ = close(&mut stack, &mut depth, Level::Binding)
                    || close(&mut stack, &mut depth, Level::Semicolon)
                    || close(&mut stack, &mut depth, Level::Inherit);
                None
            }
            TOKEN_IN => {
                close(&mut stack, &mut depth, Level::Let);
                None
            }
            TOKEN_THEN => close(&mut stack, &mut depth, Level::Condition).then_some(Level::Then),
            TOKEN_ELSE => {
                close(&mut stack, &mut depth, Level::Then);
                None
            }
            _ => None,
        };
        // The body after `let … in`, `with …;`, `assert …;`, `if … else` and a lambda's `:`
        // nests inside the level the keyword started in; so does each operator of a chain.
        let counts = juxtaposed
            || matches!(
                kind,
                TOKEN_LET
                    | TOKEN_WITH
                    | TOKEN_ASSERT
                    | TOKEN_IF
                    | TOKEN_COLON
                    | TOKEN_CONCAT
                    | TOKEN_UPDATE
                    | TOKEN_IMPLICATION
                    | TOKEN_PIPE_LEFT
                    | TOKEN_PIPE_RIGHT
                    | TOKEN_INVERT
                    | TOKEN_SUB
                    | TOKEN_ADD
                    | TOKEN_MUL
                    | TOKEN_DIV
                    | TOKEN_AND_AND
                    | TOKEN_OR_OR
                    | TOKEN_QUESTION
                    | TOKEN_OR
            );
        if counts {
            if let Some((_, inner)) = stack.last_mut() {
                *inner += 1;
                depth += 1;
            }
        }
        if let Some(level) = opened {
            stack.push((level, 0));
            depth += 1;
        }
        if depth > limit {
            return Err(TooDeep { limit, offset: at });
        }
        deepest = deepest.max(depth);
    }
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, middle: &str, close: &str, n: usize) -> String {
        format!("{}{middle}{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn every_unbounded_recursion_is_counted() {
        for text in [
            nested("[", "1", "]", 3000),
            nested("(", "1", ")", 3000),
            nested("1 ++ ", "1", "", 3000),
            nested("a // ", "a", "", 3000),
            nested("a -> ", "a", "", 3000),
            nested("a <| ", "a", "", 3000),
            nested("-", "1", "", 3000),
            nested("!", "true", "", 3000),
            nested("a.b or ", "a", "", 3000),
            nested("x: ", "x", "", 3000),
            nested("{ a = ", "1", "; }", 3000),
            nested("\"${", "x", "}\"", 3000),
            nested("let a = 1; in ", "a", "", 3000),
            nested("if a then ", "1", " else 2", 3000),
            nested("", "f", " a", 3000),
            nested("", "1", "+1", 3000),
            nested("", "a", "?b", 3000),
            nested("", "a", " && a", 3000),
        ] {
            assert!(estimate(&text, MAX_NESTING).is_err(), "not refused: {}", &text[..40]);
        }
    }

    #[test]
    fn flat_code_stays_shallow_however_long() {
        let mut set = String::from("{\n  l = [ a b c d e f g h i j k l m n o p q r s t u v w x y z ];\n");
        for i in 0..20_000 {
            set.push_str(&format!(
                "  a{i} = if x then [ y ] ++ z // {{ w = -1; }} else with p; q: !r;\n  b{i} = let u = 1; in f u v;\n  inherit a b c d;\n"
            ));
        }
        set.push('}');
        let depth = estimate(&set, MAX_NESTING).expect("flat set");
        assert!(depth <= 12, "{depth}");
    }

    #[test]
    fn the_offset_points_at_the_token_past_the_limit() {
        let text = nested("[ ", "1", " ]", 1500);
        let err = estimate(&text, 1000).unwrap_err();
        // The stack starts with the top level, so the 1000th `[` (at byte 2 * 999) is past it.
        assert_eq!(err.offset, TextSize::from(2 * 999));
    }
}
