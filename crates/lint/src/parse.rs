//! Parsing a Nix text with bounded stack: files nested past `nesting::MAX_NESTING` are refused
//! before rnix sees them, and trees deeper than `MAX_TREE_DEPTH` are taken apart without recursion.
//!
//! Two things recurse on syntax depth outside our code: rnix's parser (see `nesting`) and the
//! `Drop` of rowan's green nodes, which frees a node's children before returning. Left-associative
//! chains (`1 + 1 + …`, `f a a a …`) are parsed by a loop but give a tree as deep as the chain
//! is long, and dropping such a tree of ten thousand levels overflows a 2 MiB thread stack.
//! Every tree this module hands out is at most `MAX_TREE_DEPTH` deep, so every later walk and
//! drop of it is bounded too.

use rowan::{GreenNode, NodeOrToken, TextSize};

use crate::nesting::{self, TooDeep};

/// The deepest tree handed out. Real code stays far below (see docs/reliability.md); a tree
/// of this depth drops in well under a 2 MiB stack even in a debug build.
pub const MAX_TREE_DEPTH: u32 = 2_000;

/// Estimates above this parse on a thread of their own with `PARSE_STACK`.
const INLINE_NESTING: u32 = 64;

/// Stack for parsing deep files: rnix needs about 1 KiB a level in a debug build.
pub const PARSE_STACK: usize = 64 << 20;

thread_local! {
    /// Whether this thread was started with at least `PARSE_STACK` of stack.
    static LARGE_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Declares that the calling thread was started with at least `PARSE_STACK` of stack, so deep
/// files parse on it instead of on a thread of their own. For the start hooks of thread pools
/// built with that stack size (`install_global_pool`, the language server's runtime); calling it
/// on any other thread is a stack overflow waiting to happen.
pub fn mark_large_stack_thread() {
    LARGE_STACK.with(|c| c.set(true));
}

/// A rayon pool whose threads have `PARSE_STACK` and are marked with `mark_large_stack_thread`.
pub fn pool_builder() -> rayon::ThreadPoolBuilder {
    rayon::ThreadPoolBuilder::new()
        .stack_size(PARSE_STACK)
        .start_handler(|_| mark_large_stack_thread())
}

/// Builds rayon's global pool with `pool_builder`. Without it every file whose estimate passes
/// `INLINE_NESTING` (most files of a real tree) parses on a thread spawned for it: measured on
/// 6,000 module files, that doubled the CPU time of `nixpilot lint`. An error if the pool
/// already exists.
pub fn install_global_pool() -> Result<(), rayon::ThreadPoolBuildError> {
    pool_builder().build_global()
}

/// The longest run of path characters (letters, digits, `.`, `+`, `-`, `_`, `/`) parsed. rnix's
/// tokenizer looks ahead to the end of such a run at every token that starts inside it (is
/// this a path?), so `a.a.a…` or `1+1+…` costs time quadratic in the run's length: four
/// million bytes of `1+1` took 12 s. Real files stay below a thousand (see docs/reliability.md).
pub const MAX_WORD: usize = 16 << 10;

/// The most the squares of all runs' lengths may add up to: about a second of lookahead.
const MAX_WORD_COST: u64 = 1 << 31;

/// Why a text was not given a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A run of path characters (or all of them together) would make tokenizing quadratic.
    Word { length: usize, offset: TextSize },
    /// The nesting estimate passed `limit` at `offset`.
    Nesting { limit: u32, offset: TextSize },
    /// The parsed tree was deeper than `limit`; `offset` is where it got that deep.
    TreeDepth { limit: u32, offset: TextSize },
}

impl Refused {
    pub fn offset(&self) -> TextSize {
        match self {
            Refused::Word { offset, .. } | Refused::Nesting { offset, .. } | Refused::TreeDepth { offset, .. } => {
                *offset
            }
        }
    }
}

/// A parse: the tree and rnix's errors, or why there is no tree (an empty root stands in).
pub struct Parsed {
    pub green: GreenNode,
    pub errors: Vec<rnix::ParseError>,
    pub refused: Option<Refused>,
}

/// Parses `text` within the limits above.
pub fn parse(text: &str) -> Parsed {
    if let Err(why) = word_cost(text) {
        return refused(why);
    }
    let estimate = match nesting::estimate(text, nesting::MAX_NESTING) {
        Ok(e) => e,
        Err(TooDeep { limit, offset }) => return refused(Refused::Nesting { limit, offset }),
    };
    let run = || {
        let lexed_as_nix = lone_carriage_returns_as_newlines(text);
        let parse = rnix::Root::parse(lexed_as_nix.as_deref().unwrap_or(text));
        let mut green = parse.syntax().green().to_owned();
        let errors = parse.errors().to_vec();
        drop(parse);
        if lexed_as_nix.is_some() {
            green = with_original_text(green, text);
        }
        match deeper_than(&green, MAX_TREE_DEPTH) {
            None => Parsed {
                green,
                errors,
                refused: None,
            },
            Some(offset) => {
                dismantle(green);
                refused(Refused::TreeDepth {
                    limit: MAX_TREE_DEPTH,
                    offset,
                })
            }
        }
    };
    if estimate <= INLINE_NESTING || LARGE_STACK.with(std::cell::Cell::get) {
        return run();
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("nixpilot-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, run);
        match worker {
            Ok(handle) => match handle.join() {
                Ok(parsed) => parsed,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            // No thread to be had: refusing is safer than risking this thread's stack.
            Err(_) => refused(Refused::Nesting {
                limit: INLINE_NESTING,
                offset: TextSize::from(0),
            }),
        }
    })
}

/// `text` with every `\r` not followed by `\n` turned into `\n`, or `None` when it has none.
///
/// Nix's lexer ends a `#` comment at `\r` or `\n` and reads a lone `\r` as a line break
/// (in strings too: it turns `\r` and `\r\n` into `\n`); rnix ends the comment at `\n`
/// only, so the line after `# text\r` would vanish into the comment. Both bytes are one
/// byte long, so every offset into the copy is the same offset into `text`.
fn lone_carriage_returns_as_newlines(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let is_lone = |i: usize| bytes.get(i + 1) != Some(&b'\n');
    if !memchr::memchr_iter(b'\r', bytes).any(is_lone) {
        return None;
    }
    let mut copy = bytes.to_vec();
    for i in memchr::memchr_iter(b'\r', bytes).filter(|&i| is_lone(i)) {
        copy[i] = b'\n';
    }
    // Only ASCII bytes were swapped for ASCII bytes.
    String::from_utf8(copy).ok()
}

/// The tree `green` (parsed from a copy of `text` with bytes swapped one for one) with every
/// token's text taken from `text` again, so the tree stays a lossless picture of the file:
/// fixes and messages quote what is written there. Iterative, so any depth is fine.
fn with_original_text(green: GreenNode, text: &str) -> GreenNode {
    let root = rnix::SyntaxNode::new_root(green.clone());
    let mut builder = rowan::GreenNodeBuilder::new();
    for event in root.preorder_with_tokens() {
        match event {
            rowan::WalkEvent::Enter(NodeOrToken::Node(node)) => builder.start_node(node.green().kind()),
            rowan::WalkEvent::Enter(NodeOrToken::Token(token)) => {
                let range = token.text_range();
                let original = text.get(usize::from(range.start())..usize::from(range.end()));
                builder.token(token.green().kind(), original.unwrap_or(token.text()));
            }
            rowan::WalkEvent::Leave(NodeOrToken::Node(_)) => builder.finish_node(),
            rowan::WalkEvent::Leave(NodeOrToken::Token(_)) => {}
        }
    }
    drop(root);
    let rebuilt = builder.finish();
    dismantle(green);
    rebuilt
}

/// Which bytes are path characters (`MAX_WORD`).
const PATH_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'_' | b'.' | b'+' | b'-');
        b += 1;
    }
    table
};

/// Checks the runs of path characters against `MAX_WORD` and `MAX_WORD_COST`, in one pass.
pub fn word_cost(text: &str) -> Result<(), Refused> {
    let bytes = text.as_bytes();
    let mut cost: u64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !PATH_BYTE[bytes[i] as usize] {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && PATH_BYTE[bytes[i] as usize] {
            i += 1;
        }
        let length = i - start;
        cost += (length as u64) * (length as u64);
        if length > MAX_WORD || cost > MAX_WORD_COST {
            return Err(Refused::Word {
                length,
                offset: TextSize::from(start as u32),
            });
        }
    }
    Ok(())
}

/// The tree of `text` for callers that walk a buffer themselves (the language server's hover,
/// goto, symbols, links); `None` for a text `parse` refuses.
pub fn syntax(text: &str) -> Option<rnix::SyntaxNode> {
    let parsed = parse(text);
    match parsed.refused {
        None => Some(rnix::SyntaxNode::new_root(parsed.green)),
        Some(_) => None,
    }
}

fn refused(why: Refused) -> Parsed {
    Parsed {
        green: rnix::Root::parse("").syntax().green().to_owned(),
        errors: Vec::new(),
        refused: Some(why),
    }
}

/// Where the tree first gets deeper than `limit` (as a text offset), if it does; without recursion.
pub fn deeper_than(root: &GreenNode, limit: u32) -> Option<TextSize> {
    let mut stack = vec![(root.children(), TextSize::from(0))];
    while let Some((children, offset)) = stack.last_mut() {
        match children.next() {
            Some(NodeOrToken::Node(node)) => {
                let start = *offset;
                *offset += node.text_len();
                if stack.len() as u32 >= limit {
                    return Some(start);
                }
                stack.push((node.children(), start));
            }
            Some(NodeOrToken::Token(token)) => *offset += token.text_len(),
            None => {
                stack.pop();
            }
        }
    }
    None
}

/// Frees a tree of any depth: every inner node is kept alive by a handle of its own, so
/// dropping the handles root first frees one node at a time instead of recursing.
pub fn dismantle(root: GreenNode) {
    let mut handles = vec![root];
    let mut next = 0;
    while next < handles.len() {
        let children: Vec<GreenNode> = handles[next]
            .children()
            .filter_map(|c| c.into_node().map(|n| n.to_owned()))
            .filter(|n| n.children().len() > 0)
            .collect();
        handles.extend(children);
        next += 1;
    }
    for handle in handles {
        drop(handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(f)
            .expect("thread")
            .join()
            .expect("no overflow")
    }

    #[test]
    fn left_deep_chains_are_refused_without_overflowing_a_small_stack() {
        for text in [
            format!("1{}", " + 1".repeat(200_000)),
            format!("f{}", " a".repeat(200_000)),
            format!("a{}", " && a".repeat(200_000)),
        ] {
            let parsed = on_small_stack(move || {
                let p = parse(&text);
                (p.refused, p.green.children().len())
            });
            assert!(parsed.0.is_some(), "{parsed:?}");
        }
    }

    #[test]
    fn long_runs_of_path_characters_are_refused_before_tokenizing() {
        for text in [
            format!("1{}", "+1".repeat(1_000_000)),
            format!("x{}", ".a".repeat(100_000)),
        ] {
            let started = std::time::Instant::now();
            let p = parse(&text);
            assert!(matches!(p.refused, Some(Refused::Word { .. })), "{:?}", p.refused);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{:?}",
                started.elapsed()
            );
        }
        // Many short words are fine, however many.
        let text = format!("[ {}]", "pkgs.lib.mkIf ".repeat(200_000));
        assert_eq!(word_cost(&text), Ok(()));
    }

    #[test]
    fn right_deep_nesting_is_refused_before_parsing() {
        for text in [
            format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
            format!("{}1", "1 ++ ".repeat(100_000)),
            format!("{}1", "- ".repeat(100_000)),
        ] {
            let refused = on_small_stack(move || parse(&text).refused);
            assert!(matches!(refused, Some(Refused::Nesting { .. })), "{refused:?}");
        }
    }

    #[test]
    fn deep_but_allowed_files_parse_on_a_small_calling_stack() {
        // 900 nested lists: under the limit, parsed on the parse thread, handed back whole.
        let text = format!("{}1{}", "[ ".repeat(900), " ]".repeat(900));
        let (refused, errors) = on_small_stack(move || {
            let p = parse(&text);
            (p.refused, p.errors.len())
        });
        assert_eq!((refused, errors), (None, 0));
    }

    #[test]
    fn marked_pool_threads_parse_the_deepest_allowed_files_inline() {
        // The pool `install_global_pool` builds: files just under the nesting limit parse on the
        // pool's own (marked) threads, without a thread spawned per parse, and do not overflow
        // (in a debug build too); the result is the one the spawned parse gives.
        let pool = pool_builder().num_threads(1).build().expect("pool");
        let levels = nesting::MAX_NESTING as usize / 2 - 10;
        let text = format!("{}1{}", "[ ".repeat(levels), " ]".repeat(levels));
        let inline = pool.install(|| {
            assert!(
                LARGE_STACK.with(std::cell::Cell::get),
                "the start handler marked the thread"
            );
            let p = parse(&text);
            (p.refused, p.errors.len(), p.green.text_len())
        });
        assert!(!LARGE_STACK.with(std::cell::Cell::get), "other threads stay unmarked");
        let text2 = text.clone();
        let spawned = on_small_stack(move || {
            let p = parse(&text2);
            (p.refused, p.errors.len(), p.green.text_len())
        });
        assert_eq!(inline, spawned);
        assert_eq!(inline.0, None);
    }

    #[test]
    fn a_lone_carriage_return_ends_a_comment_as_in_nix_and_the_tree_keeps_the_text() {
        for text in ["[ 1 # one\r2 ]", "[ 1 # one\r\r2\r]\r", "{ a = \"x\ry\"; # c\rb = 2; }"] {
            let parsed = parse(text);
            assert!(parsed.errors.is_empty(), "{text:?}: {:?}", parsed.errors);
            let root = rnix::SyntaxNode::new_root(parsed.green);
            assert_eq!(root.text().to_string(), text);
            let last_comment = root
                .descendants_with_tokens()
                .filter_map(|e| e.into_token())
                .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_COMMENT)
                .last()
                .expect("a comment");
            assert!(!last_comment.text().contains('\r'), "{last_comment:?}");
        }
        // `\r\n` is an ordinary line break: nothing is copied.
        assert_eq!(lone_carriage_returns_as_newlines("a # c\r\nb"), None);
        assert_eq!(
            lone_carriage_returns_as_newlines("a # c\rb\r").as_deref(),
            Some("a # c\nb\n")
        );
    }

    #[test]
    fn the_depth_offset_is_where_the_tree_got_too_deep() {
        let text = format!("x{}", " + 1".repeat(10));
        let green = rnix::Root::parse(&text).syntax().green().to_owned();
        assert_eq!(deeper_than(&green, 100), None);
        // Root, then nested BIN_OPs all starting at 0.
        assert_eq!(deeper_than(&green, 3), Some(TextSize::from(0)));
    }
}
