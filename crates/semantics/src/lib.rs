//! nixpilot-semantics: what Nix code means, from its syntax tree alone. Sits between the
//! syntax (rnix) and the project model; reads no file and runs nothing.

pub mod builtins;
pub mod scope;
