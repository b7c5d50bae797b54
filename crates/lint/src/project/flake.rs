//! `flake.nix` read statically: every input (both the `x.url = …` and the `x = { url = …; }`
//! forms), `flake = false`, each `follows` with its range, and blueprint's `prefix`.

use rowan::TextRange;

use super::ParsedFile;
use crate::diagnostic::FilePath;

/// The inputs of `flake.nix` and how outputs call blueprint.
#[derive(Debug, Clone, Default)]
pub struct Flake {
    pub file: FilePath,
    pub inputs: Vec<FlakeInput>,
    /// The `inputs = { … }` attribute set, when there is one (for inserting lines).
    pub inputs_set: Option<TextRange>,
    /// `prefix` passed to blueprint (`inputs.blueprint { inherit inputs; prefix = "nix/"; }`).
    pub blueprint_prefix: Option<String>,
    /// Whether outputs are made by blueprint.
    pub uses_blueprint: bool,
    /// Something about the inputs could not be read statically; rules must not conclude
    /// that an input is absent.
    pub unknown: bool,
}

/// One input.
#[derive(Debug, Clone, Default)]
pub struct FlakeInput {
    pub name: String,
    /// The first place the input is named, where diagnostics point.
    pub name_range: TextRange,
    pub url: Option<String>,
    pub url_range: Option<TextRange>,
    /// `flake = false`.
    pub is_flake: bool,
    /// `x.follows = "y"`: the whole input is another one.
    pub follows: Option<Follows>,
    /// `x.inputs.<dep>.follows = "<target>"` overrides.
    pub overrides: Vec<Follows>,
    /// `x = { … }` form: the set's range (to insert `inputs.<dep>.follows` lines into).
    pub block: Option<TextRange>,
    /// Every entry that defines part of this input.
    pub entries: Vec<TextRange>,
}

/// A `follows` declaration.
#[derive(Debug, Clone, Default)]
pub struct Follows {
    /// The overridden nested input path below this input (`["nixpkgs"]`), empty for `x.follows`.
    pub dep: Vec<String>,
    /// The target, as written (`"nixpkgs"`, `"a/b"`; `""` means "no input").
    pub target: String,
    /// The whole `… = "…";` entry.
    pub entry: TextRange,
    /// The string value.
    pub value: TextRange,
}

impl Flake {
    pub fn from_file(file: &ParsedFile) -> Flake {
        Flake {
            file: file.path().clone(),
            unknown: true,
            ..Flake::default()
        }
    }

    pub fn input(&self, name: &str) -> Option<&FlakeInput> {
        self.inputs.iter().find(|i| i.name == name)
    }
}
