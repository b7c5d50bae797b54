//! The table of Nix's builtins and global constants: every member of `builtins`, its arity, a
//! short description, and whether (and under which name) it is reachable without `builtins.`.
//!
//! Nix puts a builtin in the global scope either under its own name (`map`, `import`, `true`)
//! or with two underscores in front (`__attrNames` for `builtins.attrNames`); the table records
//! which. Names added after Nix 2.8 carry the first version that has them when that is certain;
//! a name without a version was already in Nix 2.8. The parser itself turns `__curPos` into a
//! position, and desugars `a - b`, `a < b`, `a * b`, `a / b` into `__sub`, `__lessThan`, … calls.

use std::collections::HashMap;
use std::sync::OnceLock;

/// How a builtin can be named without `builtins.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalName {
    /// Under its own name: `map`, `import`, `true`.
    Bare,
    /// Only as `__name`: `__attrNames` for `builtins.attrNames`.
    Underscored,
}

/// One builtin or global constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// Its name as a member of `builtins`.
    pub name: &'static str,
    /// How many arguments it takes before it does its work; 0 for constants.
    pub arity: u8,
    pub global: GlobalName,
    /// How it is called, e.g. `map f list`.
    pub signature: &'static str,
    /// What it does, in a sentence or two.
    pub doc: &'static str,
    /// The first Nix release that has it, when later than 2.8 and known for certain.
    pub since: Option<&'static str>,
    /// The experimental feature or setting it needs, if any.
    pub requires: Option<&'static str>,
}

impl Builtin {
    /// The name it answers to in the global scope (`map`, `__attrNames`).
    pub fn global_name(&self) -> String {
        match self.global {
            GlobalName::Bare => self.name.to_string(),
            GlobalName::Underscored => format!("__{}", self.name),
        }
    }

    /// Whether it is a value rather than a function.
    pub fn is_constant(&self) -> bool {
        self.arity == 0
    }
}

/// Names the parser gives a meaning of their own; valid anywhere, never in `builtins`.
const PARSER_NAMES: &[&str] = &["__curPos"];

/// Every member of `builtins`, sorted by name.
pub fn all() -> &'static [Builtin] {
    BUILTINS
}

/// `builtins.<name>`: the member of that name.
pub fn member(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.name.cmp(name))
        .ok()
        .map(|i| &BUILTINS[i])
}

/// The builtin a bare name reads when nothing in the file binds it (`map`, `__attrNames`,
/// `builtins`); `None` for `__curPos`, which is no builtin, and for unknown names.
pub fn global(name: &str) -> Option<&'static Builtin> {
    global_index().get(name).copied()
}

/// Whether every Nix since 2.8 reads `name` as its global, whatever `with`s are around it:
/// a global of the table that needs no later version and no setting.
pub fn is_stable_global(name: &str) -> bool {
    global(name).is_some_and(|b| b.since.is_none() && b.requires.is_none())
}

/// Whether a name nothing in the file binds is still defined: a global builtin or constant,
/// or a name the parser handles itself.
pub fn is_global(name: &str) -> bool {
    global(name).is_some() || PARSER_NAMES.contains(&name)
}

/// Every global name with its builtin, for completion (unordered).
pub fn globals() -> impl Iterator<Item = (&'static str, &'static Builtin)> {
    global_index().iter().map(|(name, b)| (name.as_str(), *b))
}

fn global_index() -> &'static HashMap<String, &'static Builtin> {
    static INDEX: OnceLock<HashMap<String, &'static Builtin>> = OnceLock::new();
    INDEX.get_or_init(|| BUILTINS.iter().map(|b| (b.global_name(), b)).collect())
}

const fn builtin(
    name: &'static str,
    arity: u8,
    global: GlobalName,
    signature: &'static str,
    doc: &'static str,
) -> Builtin {
    Builtin {
        name,
        arity,
        global,
        signature,
        doc,
        since: None,
        requires: None,
    }
}

const fn since(b: Builtin, version: &'static str) -> Builtin {
    Builtin {
        since: Some(version),
        ..b
    }
}

const fn requires(b: Builtin, what: &'static str) -> Builtin {
    Builtin {
        requires: Some(what),
        ..b
    }
}

use GlobalName::{Bare, Underscored as Under};

#[rustfmt::skip]
static BUILTINS: &[Builtin] = &[
    builtin("abort", 1, Bare, "abort message", "Stops evaluation at once with `message` as the error; unlike `throw`, `tryEval` cannot catch it."),
    builtin("add", 2, Under, "add a b", "The sum of two numbers; what `a + b` means for integers and floats."),
    since(builtin("addDrvOutputDependencies", 1, Under, "addDrvOutputDependencies s", "Turns a string's context on a `.drv` file into a dependency on all of that derivation's outputs."), "2.19"),
    builtin("addErrorContext", 2, Under, "addErrorContext message value", "Returns `value`, adding `message` to the trace of any error raised while evaluating it."),
    builtin("all", 2, Under, "all pred list", "True when `pred` holds for every element of `list` (and for an empty list)."),
    builtin("any", 2, Under, "any pred list", "True when `pred` holds for at least one element of `list`."),
    builtin("appendContext", 2, Under, "appendContext s context", "Returns `s` with extra string context, given in the shape `getContext` produces."),
    builtin("attrNames", 1, Under, "attrNames set", "The names of an attribute set, as a list sorted alphabetically."),
    builtin("attrValues", 1, Under, "attrValues set", "The values of an attribute set, in the alphabetical order of their names."),
    builtin("baseNameOf", 1, Bare, "baseNameOf s", "The part of a path or string after its last `/`, ignoring one trailing `/`."),
    builtin("bitAnd", 2, Under, "bitAnd a b", "Bitwise AND of two integers."),
    builtin("bitOr", 2, Under, "bitOr a b", "Bitwise OR of two integers."),
    builtin("bitXor", 2, Under, "bitXor a b", "Bitwise exclusive OR of two integers."),
    since(builtin("break", 1, Bare, "break value", "Returns `value`; when the debugger is enabled, evaluation pauses here first."), "2.9"),
    builtin("builtins", 0, Bare, "builtins", "The attribute set holding every builtin function and constant, including itself."),
    builtin("catAttrs", 2, Under, "catAttrs name sets", "From a list of attribute sets, the values of attribute `name` in those that have it."),
    builtin("ceil", 1, Under, "ceil x", "The smallest integer not below the number `x`."),
    builtin("compareVersions", 2, Under, "compareVersions a b", "Compares two version strings component by component: -1, 0 or 1."),
    builtin("concatLists", 1, Under, "concatLists lists", "Joins a list of lists into one list."),
    builtin("concatMap", 2, Under, "concatMap f list", "Applies `f` (which returns lists) to each element and joins the results."),
    builtin("concatStringsSep", 2, Under, "concatStringsSep sep strings", "Joins a list of strings with `sep` between each pair."),
    since(builtin("convertHash", 1, Under, "convertHash { hash, hashAlgo ?, toHashFormat }", "Re-encodes a hash in another format (base16, nix32, base64, sri)."), "2.19"),
    builtin("currentSystem", 0, Under, "currentSystem", "The platform string of the machine evaluating, such as `x86_64-linux`; impure, unavailable in pure evaluation."),
    builtin("currentTime", 0, Under, "currentTime", "Seconds since the Unix epoch when evaluation started; impure."),
    builtin("deepSeq", 2, Under, "deepSeq a b", "Forces `a` completely, nested values included, then returns `b`."),
    builtin("derivation", 1, Bare, "derivation { name, system, builder, … }", "Describes a build: the attributes become the builder's environment, and the result is an attribute set with `outPath`, `drvPath` and one attribute per output."),
    builtin("derivationStrict", 1, Bare, "derivationStrict attrs", "The primitive under `derivation`: writes the `.drv` and returns its output paths."),
    builtin("dirOf", 1, Bare, "dirOf s", "Everything before the last `/` of a path or string."),
    builtin("div", 2, Under, "div a b", "The quotient of two numbers; what `a / b` means."),
    builtin("elem", 2, Under, "elem x list", "True when `x` equals some element of `list`."),
    builtin("elemAt", 2, Under, "elemAt list n", "Element `n` of `list`, counting from 0; an error when out of range."),
    requires(builtin("exec", 1, Under, "exec argv", "Runs a program at evaluation time and parses its output as Nix."), "allow-unsafe-native-code-during-evaluation"),
    builtin("false", 0, Bare, "false", "The boolean false."),
    requires(builtin("fetchClosure", 1, Under, "fetchClosure { fromStore, fromPath, … }", "Copies a store path and its closure from a binary cache during evaluation."), "experimental feature fetch-closure"),
    builtin("fetchGit", 1, Bare, "fetchGit url-or-attrs", "Fetches a Git repository at evaluation time and returns its store path with revision metadata."),
    builtin("fetchMercurial", 1, Bare, "fetchMercurial url-or-attrs", "Fetches a Mercurial repository at evaluation time."),
    builtin("fetchTarball", 1, Bare, "fetchTarball url-or-{ url, sha256 }", "Downloads and unpacks a tarball at evaluation time; without a hash the result is impure."),
    builtin("fetchTree", 1, Bare, "fetchTree input", "Fetches any source a flake input can name (git, github, tarball, path…) and returns its store path with metadata."),
    builtin("fetchurl", 1, Under, "fetchurl url", "Downloads a file at evaluation time into the store."),
    builtin("filter", 2, Under, "filter pred list", "The elements of `list` for which `pred` returns true, in order."),
    builtin("filterSource", 2, Under, "filterSource pred path", "Copies `path` into the store, keeping only files for which `pred path type` is true."),
    builtin("findFile", 2, Under, "findFile searchPath name", "Resolves a `<name>` lookup against a search path; what angle-bracket paths desugar to."),
    since(builtin("flakeRefToString", 1, Under, "flakeRefToString attrs", "Turns a flake reference given as attributes into its URL form."), "2.18"),
    builtin("floor", 1, Under, "floor x", "The largest integer not above the number `x`."),
    builtin("foldl'", 3, Under, "foldl' op init list", "Folds `list` from the left with `op`, forcing the accumulator at each step."),
    builtin("fromJSON", 1, Under, "fromJSON s", "Parses a JSON string into a Nix value."),
    builtin("fromTOML", 1, Bare, "fromTOML s", "Parses a TOML string into a Nix value."),
    builtin("functionArgs", 1, Under, "functionArgs f", "For a function with a `{ … }` pattern, its formal names mapped to whether each has a default."),
    builtin("genList", 2, Under, "genList f n", "The list `[ (f 0) … (f (n - 1)) ]`."),
    builtin("genericClosure", 1, Under, "genericClosure { startSet, operator }", "The closure of `startSet` under `operator`, with items told apart by their `key` attribute."),
    builtin("getAttr", 2, Under, "getAttr name set", "Attribute `name` of `set`; `set.${name}` as a function."),
    builtin("getContext", 1, Under, "getContext s", "The string context of `s` as an attribute set keyed by store path."),
    builtin("getEnv", 1, Under, "getEnv name", "The value of an environment variable of the evaluating process, or \"\"; impure."),
    requires(builtin("getFlake", 1, Under, "getFlake ref", "Evaluates the flake a reference names and returns its outputs with metadata."), "experimental feature flakes"),
    builtin("groupBy", 2, Under, "groupBy f list", "Groups the elements of `list` into an attribute set keyed by the string `f` returns for each."),
    builtin("hasAttr", 2, Under, "hasAttr name set", "Whether `set` has attribute `name`; `set ? ${name}` as a function."),
    builtin("hasContext", 1, Under, "hasContext s", "Whether the string `s` carries any string context."),
    builtin("hashFile", 2, Under, "hashFile algo path", "The hash of a file's contents in base-16, with algorithm md5, sha1, sha256 or sha512."),
    builtin("hashString", 2, Under, "hashString algo s", "The hash of a string in base-16, with algorithm md5, sha1, sha256 or sha512."),
    builtin("head", 1, Under, "head list", "The first element of a list; an error for an empty list."),
    builtin("import", 1, Bare, "import path", "Evaluates the Nix file at `path` (or `path/default.nix`) and returns its value."),
    requires(builtin("importNative", 2, Under, "importNative path symbol", "Loads a plugin function from a shared library."), "allow-unsafe-native-code-during-evaluation"),
    builtin("intersectAttrs", 2, Under, "intersectAttrs a b", "The attributes of `b` whose names also appear in `a`."),
    builtin("isAttrs", 1, Under, "isAttrs x", "Whether `x` is an attribute set."),
    builtin("isBool", 1, Under, "isBool x", "Whether `x` is a boolean."),
    builtin("isFloat", 1, Under, "isFloat x", "Whether `x` is a float."),
    builtin("isFunction", 1, Under, "isFunction x", "Whether `x` is a function."),
    builtin("isInt", 1, Under, "isInt x", "Whether `x` is an integer."),
    builtin("isList", 1, Under, "isList x", "Whether `x` is a list."),
    builtin("isNull", 1, Bare, "isNull x", "Whether `x` is null; `x == null` says the same."),
    builtin("isPath", 1, Under, "isPath x", "Whether `x` is a path value."),
    builtin("isString", 1, Under, "isString x", "Whether `x` is a string."),
    builtin("langVersion", 0, Under, "langVersion", "An integer naming the version of the Nix language the evaluator speaks."),
    builtin("length", 1, Under, "length list", "The number of elements of a list."),
    builtin("lessThan", 2, Under, "lessThan a b", "Whether `a < b`, for numbers or strings."),
    builtin("listToAttrs", 1, Under, "listToAttrs [ { name, value } … ]", "Builds an attribute set from a list of name/value pairs; the first of two equal names wins."),
    builtin("map", 2, Bare, "map f list", "The list of `f` applied to each element of `list`."),
    builtin("mapAttrs", 2, Under, "mapAttrs f set", "A set with the same names, each value replaced by `f name value`."),
    builtin("match", 2, Under, "match regex s", "Matches `s` in full against a POSIX extended regex: null if no match, else the list of capture groups."),
    builtin("mul", 2, Under, "mul a b", "The product of two numbers; what `a * b` means."),
    builtin("nixPath", 0, Under, "nixPath", "The search path used for `<name>` lookups, as a list of `{ prefix, path }` sets."),
    builtin("nixVersion", 0, Under, "nixVersion", "The version of the evaluating Nix as a string."),
    builtin("null", 0, Bare, "null", "The null value."),
    requires(builtin("outputOf", 2, Under, "outputOf drv output", "A placeholder for an output of a derivation that is itself produced by a build."), "experimental feature dynamic-derivations"),
    builtin("parseDrvName", 1, Under, "parseDrvName s", "Splits a package name like `hello-2.1` into `{ name, version }`."),
    since(builtin("parseFlakeRef", 1, Under, "parseFlakeRef s", "Parses a flake reference URL into its attribute form."), "2.18"),
    builtin("partition", 2, Under, "partition pred list", "Splits `list` into `{ right, wrong }` by whether `pred` holds."),
    builtin("path", 1, Under, "path { path, name ?, filter ?, recursive ?, sha256 ? }", "Copies a path into the store with control over its name, filtering and expected hash."),
    builtin("pathExists", 1, Under, "pathExists path", "Whether something exists at `path`."),
    builtin("placeholder", 1, Bare, "placeholder output", "A string that stands for the output path `output` of the derivation being built, replaced at build time."),
    builtin("readDir", 1, Under, "readDir path", "The entries of a directory mapped to their type: regular, directory, symlink or unknown."),
    builtin("readFile", 1, Under, "readFile path", "The contents of a file as a string."),
    since(builtin("readFileType", 1, Under, "readFileType path", "The type of one file system entry, as `readDir` would report it."), "2.14"),
    builtin("removeAttrs", 2, Bare, "removeAttrs set names", "`set` without the attributes listed in `names`; missing names are ignored."),
    builtin("replaceStrings", 3, Under, "replaceStrings from to s", "Replaces, left to right, each occurrence of a string of `from` by the string at the same place in `to`."),
    builtin("scopedImport", 2, Bare, "scopedImport scope path", "Like `import`, with the names of `scope` added to the global scope of the imported file."),
    builtin("seq", 2, Under, "seq a b", "Forces `a` to its outermost constructor, then returns `b`."),
    builtin("sort", 2, Under, "sort lessThan list", "Sorts a list stably with the given strict-order comparison."),
    builtin("split", 2, Under, "split regex s", "Splits `s` at each match of a POSIX extended regex; the result alternates strings and lists of capture groups."),
    builtin("splitVersion", 1, Under, "splitVersion s", "The components of a version string, split the way `compareVersions` sees them."),
    builtin("storeDir", 0, Under, "storeDir", "The path of the Nix store, usually `/nix/store`."),
    builtin("storePath", 1, Under, "storePath path", "Takes a path already in the store as a dependency without copying it."),
    builtin("stringLength", 1, Under, "stringLength s", "The length of a string in bytes."),
    builtin("sub", 2, Under, "sub a b", "The difference of two numbers; what `a - b` means."),
    builtin("substring", 3, Under, "substring start len s", "The part of `s` from byte `start` of at most `len` bytes."),
    builtin("tail", 1, Under, "tail list", "The list without its first element; an error for an empty list. Copies the list."),
    builtin("throw", 1, Bare, "throw message", "Raises an error with `message`; `tryEval` can catch it, unlike `abort`."),
    builtin("toFile", 2, Under, "toFile name contents", "Writes a string to a file in the store and returns its path."),
    builtin("toJSON", 1, Under, "toJSON x", "Serialises a value as a JSON string; derivations become their output path."),
    builtin("toPath", 1, Under, "toPath s", "Deprecated: checks that a string is an absolute path and returns it unchanged as a string."),
    builtin("toString", 1, Bare, "toString x", "Converts strings, paths, numbers, booleans, null, lists and sets with `outPath` or `__toString` to a string."),
    builtin("toXML", 1, Under, "toXML x", "Serialises a value as an XML document string."),
    builtin("trace", 2, Under, "trace message value", "Prints `message` on standard error when evaluated, then returns `value`."),
    since(builtin("traceVerbose", 2, Under, "traceVerbose message value", "Like `trace`, but prints only when the `trace-verbose` setting is on."), "2.10"),
    builtin("true", 0, Bare, "true", "The boolean true."),
    builtin("tryEval", 1, Under, "tryEval x", "Evaluates `x` shallowly: `{ success = true; value = x; }`, or `success = false` when it throws or fails an assertion."),
    builtin("typeOf", 1, Under, "typeOf x", "The type of `x` as a string: int, bool, string, path, null, set, list, lambda or float."),
    builtin("unsafeDiscardOutputDependency", 1, Under, "unsafeDiscardOutputDependency s", "Turns a dependency on all outputs of a `.drv` in the context of `s` into one on the `.drv` file alone."),
    builtin("unsafeDiscardStringContext", 1, Under, "unsafeDiscardStringContext s", "`s` with its string context removed, so using it adds no build dependency."),
    builtin("unsafeGetAttrPos", 2, Under, "unsafeGetAttrPos name set", "Where attribute `name` of `set` was defined: `{ file, line, column }`, or null."),
    since(builtin("warn", 2, Under, "warn message value", "Prints `message` as an evaluation warning, then returns `value`."), "2.23"),
    requires(builtin("wasm", 2, Under, "wasm { path, function } arg", "Calls a function of a WebAssembly module on a Nix value; a builtin of Determinate Nix, not of NixOS/nix 2.24."), "experimental feature wasm-builtin"),
    builtin("zipAttrsWith", 2, Under, "zipAttrsWith f sets", "Merges a list of sets: each name maps to `f name [ values of that name … ]`."),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The output of `builtins.attrNames builtins` on Nix 2.8.0 with the experimental features
    /// `flakes` and `fetch-closure` enabled (which add `getFlake` and `fetchClosure`).
    const NIX_2_8: &[&str] = &[
        "abort",
        "add",
        "addErrorContext",
        "all",
        "any",
        "appendContext",
        "attrNames",
        "attrValues",
        "baseNameOf",
        "bitAnd",
        "bitOr",
        "bitXor",
        "builtins",
        "catAttrs",
        "ceil",
        "compareVersions",
        "concatLists",
        "concatMap",
        "concatStringsSep",
        "currentSystem",
        "currentTime",
        "deepSeq",
        "derivation",
        "derivationStrict",
        "dirOf",
        "div",
        "elem",
        "elemAt",
        "false",
        "fetchClosure",
        "fetchGit",
        "fetchMercurial",
        "fetchTarball",
        "fetchTree",
        "fetchurl",
        "filter",
        "filterSource",
        "findFile",
        "floor",
        "foldl'",
        "fromJSON",
        "fromTOML",
        "functionArgs",
        "genList",
        "genericClosure",
        "getAttr",
        "getContext",
        "getEnv",
        "getFlake",
        "groupBy",
        "hasAttr",
        "hasContext",
        "hashFile",
        "hashString",
        "head",
        "import",
        "intersectAttrs",
        "isAttrs",
        "isBool",
        "isFloat",
        "isFunction",
        "isInt",
        "isList",
        "isNull",
        "isPath",
        "isString",
        "langVersion",
        "length",
        "lessThan",
        "listToAttrs",
        "map",
        "mapAttrs",
        "match",
        "mul",
        "nixPath",
        "nixVersion",
        "null",
        "parseDrvName",
        "partition",
        "path",
        "pathExists",
        "placeholder",
        "readDir",
        "readFile",
        "removeAttrs",
        "replaceStrings",
        "scopedImport",
        "seq",
        "sort",
        "split",
        "splitVersion",
        "storeDir",
        "storePath",
        "stringLength",
        "sub",
        "substring",
        "tail",
        "throw",
        "toFile",
        "toJSON",
        "toPath",
        "toString",
        "toXML",
        "trace",
        "true",
        "tryEval",
        "typeOf",
        "unsafeDiscardOutputDependency",
        "unsafeDiscardStringContext",
        "unsafeGetAttrPos",
        "zipAttrsWith",
    ];

    /// The names of `builtins` that Nix 2.8.0's `nix-instantiate --parse` accepts bare, found by
    /// parsing each name and each `__`-prefixed name alone.
    const NIX_2_8_BARE_GLOBALS: &[&str] = &[
        "abort",
        "baseNameOf",
        "builtins",
        "derivation",
        "derivationStrict",
        "dirOf",
        "false",
        "fetchGit",
        "fetchMercurial",
        "fetchTarball",
        "fetchTree",
        "fromTOML",
        "import",
        "isNull",
        "map",
        "null",
        "placeholder",
        "removeAttrs",
        "scopedImport",
        "throw",
        "toString",
        "true",
    ];

    #[test]
    fn every_nix_2_8_builtin_is_in_the_table_and_later_ones_say_so() {
        for name in NIX_2_8 {
            let b = member(name).unwrap_or_else(|| panic!("builtins.{name} missing from the table"));
            assert_eq!(b.since, None, "{name} was in Nix 2.8 already");
        }
        for b in all() {
            let in_2_8 = NIX_2_8.contains(&b.name);
            let gated = b.requires.is_some();
            assert!(
                in_2_8 || b.since.is_some() || gated,
                "{} is neither in Nix 2.8 nor dated nor gated",
                b.name
            );
        }
    }

    #[test]
    fn global_names_match_nix_2_8() {
        for name in NIX_2_8 {
            let b = member(name).expect("in the table");
            let bare = NIX_2_8_BARE_GLOBALS.contains(name);
            let expected = if bare {
                GlobalName::Bare
            } else {
                GlobalName::Underscored
            };
            assert_eq!(b.global, expected, "global form of {name}");
            assert!(is_global(&b.global_name()));
            if bare {
                assert!(!is_global(&format!("__{name}")), "__{name} is no global");
            } else {
                assert!(!is_global(name), "{name} needs `builtins.` or `__`");
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(member("attrNames").map(|b| b.arity), Some(1));
        assert_eq!(member("foldl'").map(|b| b.arity), Some(3));
        assert_eq!(member("currentSystem").map(|b| b.is_constant()), Some(true));
        assert_eq!(global("__attrNames").map(|b| b.name), Some("attrNames"));
        assert_eq!(global("map").map(|b| b.name), Some("map"));
        assert!(is_global("__curPos") && global("__curPos").is_none());
        assert!(member("attrNamez").is_none() && !is_global("pkgs") && !is_global("attrNames"));
        assert_eq!(globals().count(), all().len());
    }

    #[test]
    fn the_table_is_sorted_without_duplicates_and_documented() {
        for pair in all().windows(2) {
            assert!(pair[0].name < pair[1].name, "{} before {}", pair[0].name, pair[1].name);
        }
        for b in all() {
            assert!(b.signature.starts_with(b.name), "signature of {}", b.name);
            assert!(b.doc.ends_with('.') && !b.doc.is_empty(), "doc of {}", b.name);
            assert_eq!(b.arity == 0, !b.signature.contains(' '), "arity of {}", b.name);
        }
    }
}
