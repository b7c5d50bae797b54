//! `nixpilot-bench`: the programs behind `bench/run` — corpus generation, the parse floor,
//! the lint comparison table, the language-server latency harness and the secrets timing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use nixpilot_bench::{floor, generate, lsp, secrets, table};

#[derive(Parser)]
#[command(
    name = "nixpilot-bench",
    about = "nixpilot's benchmark harnesses (run through bench/run)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the deterministic synthetic corpus into OUT (emptied first)
    Generate {
        out: PathBuf,
        /// A tiny corpus that only exercises the generator
        #[arg(long)]
        quick: bool,
    },
    /// The rnix parse floor: discover, read, parse and walk every .nix file under DIR
    Floor { dir: PathBuf },
    /// `nixpilot lint` against the floor, deadnix and statix, interleaved; a Markdown table
    Lint(table::Args),
    /// Edit-to-diagnostics latency of `nixpilot lsp` (and nil when on PATH) over stdio
    Lsp(lsp::Args),
    /// `nixpilot secrets` decrypt and rotate (decrypt + re-encrypt) on a file of N values
    Secrets(secrets::Args),
}

fn main() -> ExitCode {
    // As in nixpilot: rnix's recursive descent needs more stack than rayon's default.
    let _ = rayon::ThreadPoolBuilder::new().stack_size(64 << 20).build_global();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nixpilot-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Generate { out, quick } => {
            let scale = if quick {
                generate::Scale::QUICK
            } else {
                generate::Scale::FULL
            };
            let g = generate::generate(&out, &scale).with_context(|| format!("generating into {}", out.display()))?;
            println!(
                "generated {} files, {:.1} MB in {}",
                g.files,
                g.bytes as f64 / 1e6,
                out.display()
            );
            Ok(())
        }
        Command::Floor { dir } => {
            let files = floor::discover(&dir).with_context(|| format!("listing {}", dir.display()))?;
            let count = floor::parse_and_walk(&files);
            println!(
                "{} files, {} bytes, {} elements walked, {} with parse errors",
                count.files, count.bytes, count.elements, count.files_with_errors
            );
            Ok(())
        }
        Command::Lint(args) => table::run(args),
        Command::Lsp(args) => lsp::run(args),
        Command::Secrets(args) => secrets::run(args),
    }
}
