//! nixpilot's pipeline library: keys, SOPS files, scaffolding and deploy steps.
//! The SOPS file format with age keys (`secrets`), repository scaffolding (`scaffold`) and the
//! install/deploy steps (`pipeline`).

pub mod pipeline;
pub mod scaffold;
pub mod secrets;
