//! `nixpilot lsp`: the language server on stdin/stdout.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; stdio is the only transport
    #[arg(long)]
    pub stdio: bool,
}

impl LspArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if std::io::stdin().is_terminal() {
            eprintln!("nixpilot lsp speaks the Language Server Protocol on stdin/stdout; start it from an editor.");
        }
        let clean = nixpilot_lsp::run().context("starting the language server")?;
        Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(1) })
    }
}
