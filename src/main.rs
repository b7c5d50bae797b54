//! The `nixpilot` binary: argument parsing and wiring only; the work lives in the crates.

use std::process::ExitCode;

use clap::Parser;

mod commands;

/// Exit code for usage and I/O errors (diagnostics use 0 and 1).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // rnix's recursive-descent parser needs more stack than rayon's default on deeply nested
    // files; on the pool's marked threads they parse without a thread of their own.
    let _ = nixpilot_lint::parse::install_global_pool();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(hint) = commands::misspelled(&args) {
        eprintln!("nixpilot: error: {hint}");
        return ExitCode::from(EXIT_USAGE);
    }
    let cli = commands::Cli::parse_from(args);
    if cli.command.may_hold_private_keys() {
        // Only fails on a kernel without prctl; the run is no worse than before then.
        let _ = nixpilot_deploy::pipeline::process::forbid_dumps();
    }
    match cli.command.run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("nixpilot: error: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
