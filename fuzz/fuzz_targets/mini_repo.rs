//! A whole blueprint repository built from structured fuzz input: flake.nix with inputs and
//! follows, flake.lock, .sops.yaml, a sops file and hosts with configuration and disko files;
//! each file either generated from the input's choices or replaced by raw fuzz text.
//! Oracles: the project model and every rule run without panic; fixes keep files parsing.
#![no_main]

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nixpilot_lint::engine::{self, Scope};
use nixpilot_lint::fix::{fix_until_stable, FixMode};
use nixpilot_lint::project::{FileSource, MemorySource};
use nixpilot_lint::{Config, SourceFile};

#[derive(Arbitrary, Debug)]
enum Text<T> {
    Made(T),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Repo {
    flake: Text<Flake>,
    lock: Text<Lock>,
    sops_yaml: Text<SopsYaml>,
    secrets: Text<Vec<(String, String)>>,
    hosts: Vec<(Name, Text<Host>)>,
    modules: Vec<(Name, String)>,
    config: Option<String>,
}

#[derive(Arbitrary, Debug)]
struct Name(u8);

impl Name {
    fn get(&self) -> String {
        [
            "web1",
            "db",
            "a",
            "nixpkgs",
            "srvos",
            "disko",
            "sops-nix",
            "blueprint",
            "x-y",
            "0",
        ][self.0 as usize % 10]
            .into()
    }
}

#[derive(Arbitrary, Debug)]
struct Flake {
    inputs: Vec<(Name, String, Vec<(Name, Name)>)>,
    blueprint: bool,
    prefix: Option<String>,
}

#[derive(Arbitrary, Debug)]
struct Lock {
    nodes: Vec<(Name, Vec<(Name, LockInput)>)>,
    version: u8,
}

#[derive(Arbitrary, Debug)]
enum LockInput {
    Node(Name),
    Follows(Vec<Name>),
}

#[derive(Arbitrary, Debug)]
struct SopsYaml {
    rules: Vec<(String, Vec<u8>)>,
}

#[derive(Arbitrary, Debug)]
struct Host {
    host_name: Option<String>,
    state_version: Option<String>,
    platform: Option<String>,
    host_id: Option<String>,
    zfs: bool,
    imports: Vec<Import>,
    secrets: Vec<String>,
    disks: Vec<(Name, String, Vec<(String, String, String)>)>,
    extra: String,
}

#[derive(Arbitrary, Debug)]
enum Import {
    Module(Name),
    Input(Name, String),
    Path(String),
}

/// A Nix string literal holding `s`.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const KEYS: [&str; 3] = [
    "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw",
    "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs",
    "age1notakey",
];

const SECRETS_VECTOR: &str = include_str!("../../tests/vectors/sops-nix/secrets.yaml");

fn text<T>(t: &Text<T>, make: impl Fn(&T) -> String) -> String {
    match t {
        Text::Made(x) => make(x),
        Text::Raw(s) => s.clone(),
    }
}

fn flake(f: &Flake) -> String {
    let mut s = String::from("{\n  inputs = {\n");
    for (name, url, follows) in &f.inputs {
        let _ = writeln!(s, "    {}.url = {};", name.get(), q(url));
        for (input, target) in follows {
            let _ = writeln!(
                s,
                "    {}.inputs.{}.follows = {};",
                name.get(),
                input.get(),
                q(&target.get())
            );
        }
    }
    s.push_str("  };\n");
    match (&f.prefix, f.blueprint) {
        (Some(p), true) => {
            let _ = writeln!(
                s,
                "  outputs = inputs: inputs.blueprint {{ inherit inputs; prefix = {}; }};",
                q(p)
            );
        }
        (None, true) => s.push_str("  outputs = inputs: inputs.blueprint { inherit inputs; };\n"),
        _ => s.push_str("  outputs = _: { };\n"),
    }
    s.push_str("}\n");
    s
}

fn lock(l: &Lock) -> String {
    let mut nodes = Vec::new();
    for (name, inputs) in &l.nodes {
        let inputs: Vec<String> = inputs
            .iter()
            .map(|(n, i)| match i {
                LockInput::Node(t) => format!("{:?}: {:?}", n.get(), t.get()),
                LockInput::Follows(path) => format!(
                    "{:?}: [{}]",
                    n.get(),
                    path.iter()
                        .map(|p| format!("{:?}", p.get()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect();
        nodes.push(format!(
            "{:?}: {{ \"inputs\": {{ {} }}, \"locked\": {{ \"type\": \"github\", \"owner\": \"o\", \"repo\": \"r\", \"rev\": \"0\", \"narHash\": \"sha256-x\" }} }}",
            name.get(),
            inputs.join(", ")
        ));
    }
    format!(
        "{{ \"nodes\": {{ {} }}, \"root\": \"a\", \"version\": {} }}",
        nodes.join(", "),
        l.version
    )
}

fn sops_yaml(y: &SopsYaml) -> String {
    let mut s = String::from("creation_rules:\n");
    for (regex, keys) in &y.rules {
        let _ = writeln!(s, "  - path_regex: {regex:?}\n    key_groups:\n      - age:");
        for k in keys {
            let _ = writeln!(s, "          - {}", KEYS[*k as usize % KEYS.len()]);
        }
    }
    s
}

fn host(h: &Host) -> String {
    let mut s = String::from("{ config, lib, pkgs, inputs, flake, ... }:\n{\n  imports = [\n");
    for i in &h.imports {
        let _ = match i {
            Import::Module(m) => writeln!(s, "    flake.nixosModules.{}", m.get()),
            Import::Input(n, m) => writeln!(s, "    inputs.{}.nixosModules.{}", n.get(), q(m)),
            Import::Path(p) => writeln!(s, "    ./{}", p.replace([' ', ';', '[', ']', '{', '}', '"'], "")),
        };
    }
    s.push_str("  ];\n");
    if let Some(v) = &h.host_name {
        let _ = writeln!(s, "  networking.hostName = {};", q(v));
    }
    if let Some(v) = &h.state_version {
        let _ = writeln!(s, "  system.stateVersion = {};", q(v));
    }
    if let Some(v) = &h.platform {
        let _ = writeln!(s, "  nixpkgs.hostPlatform = {};", q(v));
    }
    if let Some(v) = &h.host_id {
        let _ = writeln!(s, "  networking.hostId = {};", q(v));
    }
    if h.zfs {
        s.push_str("  boot.supportedFilesystems = [ \"zfs\" ];\n");
    }
    for secret in &h.secrets {
        let _ = writeln!(s, "  sops.secrets.{} = {{ }};", q(secret));
    }
    s.push_str("  disko.devices.disk = {\n");
    for (name, device, parts) in &h.disks {
        let _ = writeln!(
            s,
            "    {} = {{ device = {}; content.type = \"gpt\"; content.partitions = {{",
            name.get(),
            q(device)
        );
        for (part, size, fs) in parts {
            let _ = writeln!(
                s,
                "      {} = {{ size = {}; content = {{ type = \"filesystem\"; format = {}; mountpoint = \"/\"; }}; }};",
                q(part),
                q(size),
                q(fs)
            );
        }
        s.push_str("    }; };\n");
    }
    s.push_str("  };\n");
    s.push_str(&h.extra);
    s.push_str("\n}\n");
    s
}

fuzz_target!(|repo: Repo| {
    let mut source = MemorySource::new();
    source.insert("flake.nix", &text(&repo.flake, flake));
    source.insert("flake.lock", &text(&repo.lock, lock));
    source.insert(".sops.yaml", &text(&repo.sops_yaml, sops_yaml));
    let secrets = text(&repo.secrets, |edits| {
        let mut s = SECRETS_VECTOR.to_string();
        for (from, to) in edits {
            if !from.is_empty() {
                s = s.replacen(from.as_str(), to, 1);
            }
        }
        s
    });
    for (name, h) in repo.hosts.iter().take(4) {
        let dir = format!("hosts/{}", name.get());
        source.insert(&format!("{dir}/configuration.nix"), &text(h, host));
        source.insert(&format!("{dir}/secrets.yaml"), &secrets);
    }
    for (name, body) in repo.modules.iter().take(4) {
        source.insert(&format!("modules/nixos/{}.nix", name.get()), body);
    }
    let config = match &repo.config {
        Some(text) => match Config::parse("nixpilot.toml", text) {
            Ok(c) => c,
            Err(_) => return,
        },
        None => Config::default(),
    };
    let files: Vec<SourceFile> = source.nix_files().iter().filter_map(|p| source.read(p)).collect();
    let result = engine::lint(&files, Some(&source), &Scope::whole(), &config, &|| {});
    let broken_before: Vec<&str> = result
        .diagnostics
        .iter()
        .filter(|d| d.rule == "syntax-error" || d.rule == "analysis-limit")
        .map(|d| &*d.span.file)
        .collect();
    let mut fixed = files.clone();
    let outcome = fix_until_stable(
        &mut fixed,
        Some(&source),
        &Scope::whole(),
        &config,
        FixMode::SafeAndUnsafe,
        &|| {},
    );
    for d in &outcome.result.diagnostics {
        if d.rule == "syntax-error" {
            assert!(
                broken_before.contains(&&*d.span.file),
                "fixes broke {}: {}",
                d.span.file,
                d.message
            );
        }
    }
});
