//! `nixpilot explain RULE`: a rule's documentation, from its doc comment.

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use nixpilot_lint::rules;

#[derive(Args)]
pub struct ExplainArgs {
    /// The rule's name, as shown in diagnostics (e.g. `unused-let-binding`)
    pub rule: String,
}

impl ExplainArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let Some(meta) = rules::by_name(&self.rule) else {
            let near: Vec<&str> = rules::all()
                .into_iter()
                .map(|m| m.name)
                .filter(|n| n.contains(self.rule.as_str()) || self.rule.contains(n))
                .collect();
            if near.is_empty() {
                bail!("unknown rule `{}`; run `nixpilot rules` to list them", self.rule);
            }
            bail!("unknown rule `{}`; did you mean {}?", self.rule, near.join(", "));
        };
        println!("# {}\n", meta.name);
        println!(
            "Default severity: {}. Group: {}. Fixable: {}.\n",
            meta.default_severity,
            meta.group.as_str(),
            if meta.fixable { "yes" } else { "no" }
        );
        print!("{}", meta.documentation());
        Ok(ExitCode::SUCCESS)
    }
}
