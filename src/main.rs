//! The `nixpilot` binary: argument parsing and wiring only; the work lives in the crates.

use std::process::ExitCode;

use clap::Parser;

mod commands;

/// Exit code for usage and I/O errors (diagnostics use 0 and 1).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // rnix's recursive-descent parser needs more stack than rayon's default on deeply nested files.
    let _ = rayon::ThreadPoolBuilder::new().stack_size(64 << 20).build_global();
    let cli = commands::Cli::parse();
    match cli.command.run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("nixpilot: error: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
