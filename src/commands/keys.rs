//! `nixpilot keys …`: key conversions (today ssh-to-age). Parsing and printing only; the
//! conversion is `nixpilot_deploy::secrets::commands::age_from_ssh`.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use nixpilot_deploy::secrets::commands;
use zeroize::Zeroizing;

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Convert SSH ed25519 keys to age keys (like ssh-to-age): one line per key
    AgeFromSsh(AgeFromSshArgs),
}

#[derive(Args)]
struct AgeFromSshArgs {
    /// Convert an OpenSSH private key to its AGE-SECRET-KEY-1… identity
    /// (without it: public keys to age1… recipients)
    #[arg(long)]
    private: bool,
    /// authorized_keys, *.pub, known_hosts or `ssh-keyscan` output (or a private key
    /// with --private); `-` reads standard input
    file: PathBuf,
}

impl KeysArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            KeysCommand::AgeFromSsh(args) => {
                let mut input = Zeroizing::new(Vec::new());
                if args.file.as_os_str() == "-" {
                    io::stdin()
                        .lock()
                        .read_to_end(&mut input)
                        .context("cannot read standard input")?;
                } else {
                    std::fs::File::open(&args.file)
                        .and_then(|mut f| f.read_to_end(&mut input))
                        .with_context(|| format!("{}: cannot read", args.file.display()))?;
                }
                let converted = commands::age_from_ssh(&args.file, &input, args.private)
                    .map_err(|e| anyhow::Error::msg(e.to_string()))?;
                for (line, why) in &converted.skipped {
                    eprintln!("nixpilot: warning: {} line {line}: skipped: {why}", args.file.display());
                }
                let mut out = io::stdout().lock();
                for line in &converted.lines {
                    writeln!(out, "{}", line.as_str()).context("writing to stdout")?;
                }
                out.flush().context("writing to stdout")?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
