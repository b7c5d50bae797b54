//! `nixpilot secrets …`: SOPS files with age keys. Argument parsing and printing only;
//! the operations are `nixpilot_deploy::secrets::commands`.

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use nixpilot_deploy::secrets::commands::{self, CommandError, Context, EditOptions, EditOutcome, SetOutcome};
use nixpilot_deploy::scaffold::GitAdded;
use nixpilot_deploy::secrets::password;
use zeroize::Zeroizing;

#[derive(Args)]
pub struct SecretsArgs {
    #[command(subcommand)]
    command: SecretsCommand,
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Set one value (creates the file from .sops.yaml when it does not exist)
    Set(SetArgs),
    /// Print one decrypted value, as is (no newline added)
    Get(GetArgs),
    /// Edit the decrypted file in $EDITOR; only changed values are re-encrypted
    Edit(FileArg),
    /// Wrap the data key for the recipients .sops.yaml now gives each file
    Updatekeys(UpdatekeysArgs),
    /// Encrypt a plain file for the recipients of its .sops.yaml rule
    Encrypt(EncryptArgs),
    /// Print the decrypted file
    Decrypt(FileArg),
    /// Re-encrypt every value with a new data key (same recipients)
    Rotate(FileArg),
}

#[derive(Args)]
struct FileArg {
    /// The sops file (its extension picks the format: .yaml, .json, .env, .ini, else binary)
    file: PathBuf,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("value").required(true).multiple(false))]
struct SetArgs {
    /// The sops file
    file: PathBuf,
    /// Where to put the value: `restic/password` or `["restic"]["password"]` (`[0]` for a list item)
    key_path: String,
    /// Read the value from standard input, byte for byte (a trailing newline is kept)
    #[arg(long, group = "value")]
    value_stdin: bool,
    /// Read the value from a file, byte for byte
    #[arg(long, group = "value", value_name = "FILE")]
    value_file: Option<PathBuf>,
    /// Generate an N-character password from the OS random generator; letters and digits
    /// without look-alikes (0 O o 1 I l), ~5.8 bits per character
    #[arg(long, group = "value", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=password::MAX_LEN as i64))]
    generate: Option<u16>,
}

#[derive(Args)]
struct GetArgs {
    /// The sops file
    file: PathBuf,
    /// `restic/password` or `["restic"]["password"]`
    key_path: String,
}

#[derive(Args)]
struct UpdatekeysArgs {
    /// The sops files
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Apply the shown change of recipients without asking (required when standard input is
    /// not a terminal)
    #[arg(short, long)]
    yes: bool,
}

#[derive(Args)]
struct EncryptArgs {
    /// The plain file
    file: PathBuf,
    /// Replace the file with its encrypted form instead of printing it
    #[arg(short, long)]
    in_place: bool,
}

/// Library errors carry their own file names and hints; anyhow must not repeat their sources.
fn fail(e: CommandError) -> anyhow::Error {
    anyhow::Error::msg(e.to_string())
}

fn context() -> anyhow::Result<Context> {
    Context::from_process().context("cannot read the current directory")
}

fn print_raw(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn read_value(args: &SetArgs) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    if let Some(n) = args.generate {
        return commands::generate_password(usize::from(n)).map_err(fail);
    }
    let mut buf = Zeroizing::new(Vec::new());
    match &args.value_file {
        Some(path) => {
            let mut f = std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
            f.read_to_end(&mut buf)
                .with_context(|| format!("{}: cannot read", path.display()))?;
        }
        None => {
            if io::stdin().is_terminal() {
                eprintln!("nixpilot: type the value and end it with Ctrl-D (kept byte for byte, a final newline too)");
            }
            io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .context("cannot read the value from standard input")?;
        }
    }
    Ok(buf)
}

impl SecretsArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            SecretsCommand::Set(args) => {
                let value = read_value(&args)?;
                let ctx = context()?;
                match commands::set(&ctx, &args.file, &args.key_path, value).map_err(fail)? {
                    SetOutcome::Updated => eprintln!("nixpilot: set {} in {}", args.key_path, args.file.display()),
                    SetOutcome::Created(rule, added) => {
                        eprintln!(
                            "nixpilot: created {} with {} (by {rule})",
                            args.file.display(),
                            args.key_path
                        );
                        match added {
                            GitAdded::Added => eprintln!("nixpilot: ran git add on it (flakes only see files git tracks)"),
                            GitAdded::NoGit => eprintln!(
                                "nixpilot: warning: git was not found on PATH: `git add {}` yourself (flakes only see files git tracks)",
                                args.file.display()
                            ),
                            GitAdded::NotARepository => {}
                        }
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            SecretsCommand::Get(args) => {
                let value = commands::get(&context()?, &args.file, &args.key_path).map_err(fail)?;
                print_raw(&value)
            }
            SecretsCommand::Decrypt(args) => {
                let plain = commands::decrypt(&context()?, &args.file).map_err(fail)?;
                print_raw(&plain)
            }
            SecretsCommand::Encrypt(args) => {
                let out = commands::encrypt(&context()?, &args.file, args.in_place).map_err(fail)?;
                match out.bytes {
                    Some(bytes) => print_raw(&bytes),
                    None => {
                        eprintln!("nixpilot: encrypted {} (by {})", args.file.display(), out.rule);
                        Ok(ExitCode::SUCCESS)
                    }
                }
            }
            SecretsCommand::Edit(args) => {
                match commands::edit(&context()?, &args.file, &EditOptions::from_process()).map_err(fail)? {
                    EditOutcome::Unchanged => eprintln!("nixpilot: no changes; {} left as it was", args.file.display()),
                    EditOutcome::Saved => eprintln!("nixpilot: saved {}", args.file.display()),
                    EditOutcome::Created(rule) => eprintln!("nixpilot: created {} (by {rule})", args.file.display()),
                }
                Ok(ExitCode::SUCCESS)
            }
            SecretsCommand::Updatekeys(args) => {
                let ctx = context()?;
                let mut failures = Vec::new();
                for file in &args.files {
                    if let Err(e) = updatekeys_one(&ctx, file, args.yes) {
                        failures.push(e);
                    }
                }
                match failures.len() {
                    0 => Ok(ExitCode::SUCCESS),
                    1 => Err(anyhow::Error::msg(failures.remove(0))),
                    n => Err(anyhow::anyhow!(
                        "{n} of {} files were not updated:\n{}",
                        args.files.len(),
                        failures.join("\n")
                    )),
                }
            }
            SecretsCommand::Rotate(args) => {
                commands::rotate(&context()?, &args.file).map_err(fail)?;
                eprintln!("nixpilot: rotated the data key of {}", args.file.display());
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// `updatekeys` for one file: shows the change of recipients per key group, asks on a terminal
/// (or takes `--yes`), then applies exactly that change. A new recipient can read every value,
/// so nothing changes without consent.
fn updatekeys_one(ctx: &Context, file: &std::path::Path, yes: bool) -> Result<(), String> {
    let name = file.display();
    let diff = commands::updatekeys_diff(ctx, file).map_err(|e| e.to_string())?;
    if diff.is_empty() {
        println!("{name}: already up to date");
        return Ok(());
    }
    print!("{name}: {} gives these recipients:\n{diff}", diff.rule);
    let _ = io::stdout().flush();
    if !yes {
        if !io::stdin().is_terminal() {
            return Err(format!(
                "{name}: not changed: standard input is not a terminal to confirm on\n  hint: review the change above and run again with --yes"
            ));
        }
        eprint!("Re-wrap the data key of {name} for these recipients? [y/N] ");
        let mut answer = String::new();
        io::stdin()
            .read_line(&mut answer)
            .map_err(|e| format!("{name}: reading the answer: {e}"))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("{name}: left as it was");
            return Ok(());
        }
    }
    let updated = commands::updatekeys(ctx, file, &diff).map_err(|e| e.to_string())?;
    println!("{name}: updated");
    if !updated.pgp_kept.is_empty() {
        eprintln!(
            "nixpilot: warning: {name}: PGP entries ({}) were left as they are; nixpilot manages age recipients only",
            updated.pgp_kept.join(", ")
        );
    }
    Ok(())
}
