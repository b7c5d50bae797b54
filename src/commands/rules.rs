//! `nixpilot rules`: the rule catalogue as a table.

use std::process::ExitCode;

use clap::Args;
use nixpilot_lint::rules;

#[derive(Args)]
pub struct RulesArgs {}

impl RulesArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let all = rules::all();
        let width = all.iter().map(|m| m.name.len()).max().unwrap_or(4).max(4);
        println!("{:width$}  {:8}  {:12}  {:7}  SUMMARY", "RULE", "SEVERITY", "GROUP", "FIXABLE");
        for m in all {
            println!(
                "{:width$}  {:8}  {:12}  {:7}  {}",
                m.name,
                m.default_severity.as_str(),
                m.group.as_str(),
                if m.fixable { "yes" } else { "no" },
                m.summary()
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
