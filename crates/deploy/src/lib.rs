//! nixpilot's pipeline library: keys, SOPS files, scaffolding and deploy steps.
//! Today it holds the SOPS file format with age keys (`secrets`); the pipeline steps follow.

pub mod scaffold;
pub mod secrets;
