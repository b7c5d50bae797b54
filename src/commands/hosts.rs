//! `nixpilot hosts [PATH]`: what the project model makes of each host, to see why a host
//! rule fired (or did not).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use nixpilot_lint::project::disko::Field;
use nixpilot_lint::project::{FileSource, HostView, Lookup, ModuleOrigin, Project, Value};
use nixpilot_lint::vfs;

#[derive(Args)]
pub struct HostsArgs {
    /// A path inside the project (default: the current directory)
    pub path: Option<PathBuf>,
    /// Also list every option definition the model read
    #[arg(long)]
    pub definitions: bool,
}

fn show(lookup: Lookup<'_>) -> String {
    match lookup {
        Lookup::Absent => "(not set)".into(),
        Lookup::Maybe => "(unknown: set by something nixpilot cannot read?)".into(),
        Lookup::Defined(defs) => defs
            .iter()
            .map(|d| match &d.value {
                Value::Str(s) => format!("\"{s}\""),
                Value::Bool(b) => b.to_string(),
                Value::Int(i) => i.to_string(),
                _ => "(computed)".into(),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The disko layout as the model reads it: disks, what is mounted where, which devices make
/// each pool. `(unknown)` where a value is computed beyond what the evaluator can see.
fn show_disko(host: &HostView) {
    let disko = host.disko();
    if !disko.defined {
        return;
    }
    let note = if disko.complete() {
        ""
    } else {
        " (partly unknown: rules treat what is not shown as maybe there)"
    };
    println!("  disko:{note}");
    for (name, disk) in disko.devices.entries(&["disk"]).0 {
        let device = match disk.field(&["device"]) {
            Field::Set(Value::Str(s), _) => s.clone(),
            Field::Absent => "(no device)".into(),
            _ => "(unknown)".into(),
        };
        println!("    disk {name:12} {device}");
    }
    for m in disko.mounts() {
        println!("    mount {:11} {}", m.mountpoint, m.what);
    }
    for (pool, _) in disko.devices.entries(&["zpool"]).0 {
        let members: Vec<String> = disko
            .contents()
            .iter()
            .filter(|c| c.kind == Some("zfs") && c.node.field(&["pool"]).str() == Some(pool))
            .map(|c| c.path.join("."))
            .collect();
        let members = if members.is_empty() {
            "no devices".to_string()
        } else {
            members.join(", ")
        };
        println!("    zpool {pool:11} {members}");
    }
}

impl HostsArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let path = self.path.unwrap_or_else(|| PathBuf::from("."));
        let root = vfs::find_project_root(&path)?;
        let config = vfs::load_config(&root)?;
        let source = vfs::DiskSource::new(&root, &config);
        let project = Project::build(&source as &dyn FileSource, &[]);
        for (path, why) in source.unread() {
            eprintln!("nixpilot: warning: {path}: {why}");
        }
        if project.hosts.is_empty() {
            println!("no NixOS hosts under {}/hosts", root.display());
        }
        for host in &project.hosts {
            println!("{} ({})", host.name, host.entry.file);
            if host.unknown {
                println!("  note: some imports or module bodies cannot be read statically; rules treat unset options as maybe set");
            }
            for (label, option) in [
                ("hostName", &["networking", "hostName"][..]),
                ("hostPlatform", &["nixpkgs", "hostPlatform"]),
                ("stateVersion", &["system", "stateVersion"]),
                ("hostId", &["networking", "hostId"]),
            ] {
                println!("  {label:13} {}", show(host.lookup(option)));
            }
            println!("  modules:");
            for m in &host.modules {
                match m {
                    ModuleOrigin::File(f) => println!("    {f}"),
                    ModuleOrigin::External { input, name, facts } => println!(
                        "    inputs.{input}.nixosModules.{name}{}",
                        if facts.is_some() { "" } else { " (not in nixpilot's catalogue)" }
                    ),
                }
            }
            show_disko(host);
            if self.definitions {
                println!("  definitions:");
                for d in &host.definitions {
                    let path: Vec<&str> = d.path.iter().map(|s| s.as_deref().unwrap_or("<computed>")).collect();
                    println!("    {} ({})", path.join("."), d.file);
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
