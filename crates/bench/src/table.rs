//! `nixpilot-bench lint`: `nixpilot lint` side by side with the rnix parse floor, deadnix and
//! statix on the same directories, runs interleaved, medians, ratios and peak memory as Markdown.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::measure::{self, mib, Run};
use anyhow::{bail, Context};

#[derive(clap::Args)]
pub struct Args {
    /// The nixpilot binary to measure
    #[arg(long)]
    pub nixpilot: PathBuf,
    /// Measured runs per tool and case (after one warm-up run each)
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// A directory to lint, as LABEL=DIR (repeatable)
    #[arg(long = "case", required = true)]
    pub cases: Vec<String>,
    /// Also write the table to this file
    #[arg(long)]
    pub out: Option<PathBuf>,
}

struct Tool {
    name: &'static str,
    program: PathBuf,
    args: fn(&Path) -> Vec<String>,
}

pub fn run(mut args: Args) -> anyhow::Result<()> {
    args.nixpilot = crate::resolve_program(&args.nixpilot)?;
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let me = std::env::current_exe().context("finding nixpilot-bench itself")?;
    let mut tools = vec![
        Tool {
            name: "rnix parse+walk floor",
            program: me,
            args: |d| vec!["floor".into(), d.display().to_string()],
        },
        Tool {
            name: "nixpilot lint",
            program: args.nixpilot.clone(),
            args: |d| vec!["lint".into(), d.display().to_string(), "--color".into(), "never".into()],
        },
    ];
    if let Some(p) = crate::on_path("deadnix") {
        tools.push(Tool {
            name: "deadnix",
            program: p,
            args: |d| vec![d.display().to_string()],
        });
    } else {
        eprintln!("deadnix is not on PATH: skipped");
    }
    if let Some(p) = crate::on_path("statix") {
        tools.push(Tool {
            name: "statix check",
            program: p,
            args: |d| vec!["check".into(), d.display().to_string()],
        });
    } else {
        eprintln!("statix is not on PATH: skipped");
    }

    let mut md = String::new();
    for case in &args.cases {
        let (label, dir) = case
            .split_once('=')
            .with_context(|| format!("--case {case}: write LABEL=DIR"))?;
        let dir = PathBuf::from(dir);
        if !dir.is_dir() {
            bail!("--case {case}: {} is not a directory", dir.display());
        }
        let files = crate::floor::discover(&dir).with_context(|| format!("listing {}", dir.display()))?;
        let bytes: u64 = files.iter().filter_map(|f| f.metadata().ok()).map(|m| m.len()).sum();
        eprintln!("{label}: {} .nix files, {:.1} MB", files.len(), bytes as f64 / 1e6);
        let mut runs: Vec<Vec<Run>> = vec![Vec::new(); tools.len()];
        // One warm-up round fills the page cache for everyone; then rounds interleave the
        // tools, so a slow minute on a shared machine hits all of them alike.
        for round in 0..=args.runs {
            for (i, tool) in tools.iter().enumerate() {
                let run = measure::run(&tool.program, &(tool.args)(&dir), &dir, &[])?;
                eprintln!(
                    "  {label} {} round {round}: {:.3} s ({:.3} s CPU), {} MiB, exit {:?}",
                    tool.name,
                    run.wall.as_secs_f64(),
                    run.cpu.as_secs_f64(),
                    mib(run.max_rss),
                    run.code
                );
                if round > 0 {
                    runs[i].push(run);
                }
            }
        }
        let median_of = |i: usize| measure::median(&runs[i].iter().map(|r| r.wall.as_secs_f64()).collect::<Vec<_>>());
        let cpu_of = |i: usize| measure::median(&runs[i].iter().map(|r| r.cpu.as_secs_f64()).collect::<Vec<_>>());
        let floor = median_of(0);
        let nixpilot = median_of(1);
        let (floor_cpu, nixpilot_cpu) = (cpu_of(0), cpu_of(1));
        let _ = writeln!(
            md,
            "\n### {label}: {} files, {:.1} MB ({} runs each, interleaved, after a warm-up)\n",
            files.len(),
            bytes as f64 / 1e6,
            args.runs
        );
        md.push_str("| tool | wall median | min | max | × floor | nixpilot faster by | CPU median | CPU × floor | nixpilot faster by (CPU) | peak RSS (max) | exit codes |\n");
        md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (i, tool) in tools.iter().enumerate() {
            let walls: Vec<f64> = runs[i].iter().map(|r| r.wall.as_secs_f64()).collect();
            let median = median_of(i);
            let min = walls.iter().copied().fold(f64::INFINITY, f64::min);
            let max = walls.iter().copied().fold(0.0, f64::max);
            let rss = runs[i].iter().map(|r| r.max_rss).max().unwrap_or(0);
            let mut codes: Vec<String> = runs[i]
                .iter()
                .map(|r| r.code.map_or("signal".to_string(), |c| c.to_string()))
                .collect();
            codes.dedup();
            let cpu = cpu_of(i);
            let (faster, faster_cpu) = if i >= 2 {
                (
                    format!("{:.1}×", median / nixpilot),
                    format!("{:.1}×", cpu / nixpilot_cpu),
                )
            } else {
                (String::new(), String::new())
            };
            let _ = writeln!(
                md,
                "| {} | {:.3} s | {:.3} s | {:.3} s | {:.2} | {} | {:.3} s | {:.2} | {} | {} MiB | {} |",
                tool.name,
                median,
                min,
                max,
                median / floor,
                faster,
                cpu,
                cpu / floor_cpu,
                faster_cpu,
                mib(rss),
                codes.join(", ")
            );
        }
    }
    print!("{md}");
    if let Some(out) = &args.out {
        std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
