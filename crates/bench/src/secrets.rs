//! `nixpilot-bench secrets`: a sops file of N values encrypted for a fresh age key, then
//! `nixpilot secrets decrypt` and `rotate` (every value decrypted and re-encrypted) timed.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::generate::Rng;
use crate::measure::{self, mib};
use anyhow::{bail, Context};
use bech32::{Bech32, Hrp};
use curve25519_dalek::MontgomeryPoint;

#[derive(clap::Args)]
pub struct Args {
    /// The nixpilot binary to measure
    #[arg(long)]
    pub nixpilot: PathBuf,
    /// Values in the file
    #[arg(long, default_value_t = 10_000)]
    pub values: usize,
    /// Measured runs of each command
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Working directory (emptied first)
    #[arg(long)]
    pub dir: PathBuf,
    /// Also write the table to this file
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// An age X25519 identity and its recipient, from fixed bytes (this key guards nothing).
fn age_key(rng: &mut Rng) -> anyhow::Result<(String, String)> {
    let mut secret = [0u8; 32];
    for chunk in secret.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    let public = MontgomeryPoint::mul_base_clamped(secret);
    let recipient = bech32::encode::<Bech32>(Hrp::parse("age")?, public.as_bytes())?;
    let identity = bech32::encode::<Bech32>(Hrp::parse("age-secret-key-")?, &secret)?.to_uppercase();
    Ok((identity, recipient))
}

pub fn run(mut args: Args) -> anyhow::Result<()> {
    args.nixpilot = crate::resolve_program(&args.nixpilot)?;
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let dir = &args.dir;
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rng = Rng::new(0x5345_4352);
    let (identity, recipient) = age_key(&mut rng)?;
    let keys = dir.join("keys.txt");
    std::fs::write(&keys, format!("{identity}\n")).with_context(|| format!("writing {}", keys.display()))?;
    std::fs::write(
        dir.join(".sops.yaml"),
        format!("creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: {recipient}\n"),
    )
    .context("writing .sops.yaml")?;
    // Values grouped by service, as a host's secrets file is: `service/key: value`.
    let mut plain = String::new();
    let per_group = 50;
    for g in 0..args.values.div_ceil(per_group) {
        let _ = writeln!(plain, "service{g:04}:");
        for k in 0..per_group.min(args.values - g * per_group) {
            let _ = writeln!(plain, "    key{k:02}: {:016x}{:016x}", rng.next_u64(), rng.next_u64());
        }
    }
    let file = dir.join("secrets.yaml");
    std::fs::write(&file, &plain).with_context(|| format!("writing {}", file.display()))?;

    let home = dir.join("home");
    std::fs::create_dir_all(&home).context("creating the bench HOME")?;
    let envs = vec![
        ("SOPS_AGE_KEY_FILE".to_string(), keys.display().to_string()),
        ("HOME".to_string(), home.display().to_string()),
        (
            "XDG_CONFIG_HOME".to_string(),
            home.join(".config").display().to_string(),
        ),
    ];
    let encrypt = measure::run(
        &args.nixpilot,
        &["secrets".into(), "encrypt".into(), "-i".into(), "secrets.yaml".into()],
        dir,
        &envs,
    )?;
    if encrypt.code != Some(0) {
        bail!(
            "nixpilot secrets encrypt -i failed (exit {:?}) in {}",
            encrypt.code,
            dir.display()
        );
    }
    let mut md = format!(
        "\n`nixpilot secrets` on a YAML file of {} values ({} runs each; the file was encrypted in {:.0} ms)\n\n| command | median | min | max | peak RSS |\n|---|---:|---:|---:|---:|\n",
        args.values,
        args.runs,
        encrypt.wall.as_secs_f64() * 1e3
    );
    for command in ["decrypt", "rotate"] {
        let argv = vec!["secrets".to_string(), command.to_string(), "secrets.yaml".to_string()];
        let mut walls = Vec::new();
        let mut rss = 0;
        for _ in 0..args.runs {
            let run = measure::run(&args.nixpilot, &argv, dir, &envs)?;
            if run.code != Some(0) {
                bail!(
                    "nixpilot secrets {command} failed (exit {:?}) in {}",
                    run.code,
                    dir.display()
                );
            }
            walls.push(run.wall.as_secs_f64() * 1e3);
            rss = rss.max(run.max_rss);
        }
        let _ = writeln!(
            md,
            "| `secrets {command}`{} | {:.0} ms | {:.0} ms | {:.0} ms | {} MiB |",
            if command == "rotate" {
                " (decrypt + re-encrypt + write)"
            } else {
                ""
            },
            measure::median(&walls),
            walls.iter().copied().fold(f64::INFINITY, f64::min),
            walls.iter().copied().fold(0.0, f64::max),
            mib(rss)
        );
    }
    print!("{md}");
    if let Some(out) = &args.out {
        std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
