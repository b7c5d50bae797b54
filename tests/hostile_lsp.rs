//! The language server against hostile input and clients, over JSON-RPC on stdio of the real
//! `nixpilot lsp`: huge buffers and messages, a client that dies mid-question, commands naming
//! paths outside the workspace, loose files outside any project.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::copy_to_temp;
use common::lsp_client::{codes, uri, Client};

const AGE_RECIPIENT: &str = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw";
const SSH_RECIPIENT: &str = "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs";
/// A recipient a pull request slips into `.sops.yaml` (a valid age recipient nobody here holds).
const NEW_RECIPIENT: &str = "age1jrh8yyq3swjru09s75s4mspu0mphh7h6z54z946raa9wx3pcdegq0x8t4h";

fn open(c: &mut Client, uri: &str, version: i64, text: &str) {
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": version, "text": text}}),
    );
}

/// One framed message, for tests that write several in one go.
fn framed(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

fn symbol_names(answer: &Value) -> Vec<String> {
    answer["result"]
        .as_array()
        .unwrap_or_else(|| panic!("symbols: {answer}"))
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

/// The process's peak resident memory so far, in KiB.
#[cfg(target_os = "linux")]
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// A project with one open file; returns the client, the project and the file's URI.
fn project_with_open_file(text: &str) -> (Client, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    let path = dir.path().join("big.nix");
    std::fs::write(&path, "").unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize_in(dir.path());
    open(&mut c, &uri, 1, text);
    (c, dir, uri)
}

#[test]
#[cfg(target_os = "linux")]
fn document_symbols_of_a_7_8_mb_buffer_come_back_bounded_and_quickly() {
    let mut text = String::from("{\n");
    let mut i = 0;
    while text.len() < 7_800_000 {
        text.push_str(&format!("  attribute{i} = {i};\n"));
        i += 1;
    }
    text.push_str("}\n");
    let (mut c, _dir, uri) = project_with_open_file(&text);
    let started = Instant::now();
    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let took = started.elapsed();
    let names = symbol_names(&symbols);
    assert_eq!(names.len(), nixpilot_lsp::navigation::MAX_SYMBOLS, "capped");
    assert_eq!(names[0], "attribute0");
    // Unbounded, this took 39.5 s and 2.1 GB (half a million symbols). The bounds are loose for
    // a debug build on a loaded machine, with the analysis of the same buffer running meanwhile.
    let peak = peak_memory_kib(c.child.id());
    assert!(took < Duration::from_secs(60), "documentSymbol took {took:?}");
    assert!(peak < 1 << 20, "peak memory {peak} KiB");
    // The server was not held up: another request on a small buffer answers at once.
    let small = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "file:///nowhere.nix"}}),
    );
    assert!(small["result"].is_null(), "{small}");
}

#[test]
fn a_request_right_after_an_edit_answers_from_the_edited_text() {
    let (mut c, _dir, uri) = project_with_open_file("{ first = 0; }\n");
    for version in 2..40 {
        let name = format!("renamed{version}");
        let change = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": format!("{{ {name} = {version}; }}\n")}]
        }});
        let id = 1000 + version;
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/documentSymbol",
                             "params": {"textDocument": {"uri": uri}}});
        // Both in one write: the request arrives while the edit may still be queued.
        let mut both = framed(&change);
        both.extend(framed(&request));
        c.stdin().write_all(&both).unwrap();
        c.stdin().flush().unwrap();
        let answer = c.answer(id);
        assert_eq!(symbol_names(&answer), [name], "version {version}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_message_over_256_mib_is_skipped_and_the_next_request_answered() {
    let mut c = Client::start();
    c.initialize();
    let length: u64 = 257 << 20;
    let stdin = c.stdin();
    write!(stdin, "Content-Length: {length}\r\n\r\n").unwrap();
    // Streamed in chunks: neither side holds the body.
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..257 {
        stdin.write_all(&chunk).unwrap();
    }
    let answer = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "file:///nowhere.nix"}}),
    );
    assert!(answer.get("error").is_none(), "{answer}");
    let skipped = c.wait_for(|m| m["id"].is_null() && m.get("error").is_some());
    assert_eq!(skipped["error"]["code"], -32600, "{skipped}");
    assert!(
        skipped["error"]["message"]
            .as_str()
            .unwrap()
            .contains("269484032 bytes"),
        "{skipped}"
    );
    // One error for the one message, not one per piece of it read as headers.
    let errors = c.log.iter().filter(|m| m.contains("\"error\"")).count();
    assert_eq!(errors, 1, "{:?}", &c.log[..c.log.len().min(5)]);
    let peak_kib = peak_memory_kib(c.child.id());
    assert!(peak_kib < 128 << 10, "peak memory {peak_kib} KiB");
}

#[test]
fn the_server_exits_when_its_input_closes_during_a_confirmation() {
    let dir = copy_to_temp(&common::example("demo"));
    let root = dir.path();
    let path = root.join("hosts/web1/configuration.nix");
    let uri = uri(&path);
    let mut c = Client::start();
    c.confirm_with = None;
    c.initialize_in(root);
    open(&mut c, &uri, 1, &std::fs::read_to_string(&path).unwrap());
    let _ = c.diagnostics(&uri, Some(1));
    let root_arg = root.canonicalize().unwrap().display().to_string();
    c.send_request(
        "workspace/executeCommand",
        json!({"command": "nixpilot.bootstrap", "arguments": [root_arg, "web1"]}),
    );
    c.wait_for(|m| m["method"] == "window/showMessageRequest");
    // The editor dies: its end of the pipe closes, the question stays unanswered.
    c.close_stdin();
    let status = c.wait_exit(Duration::from_secs(5));
    assert!(status.is_some(), "the server still runs 5 s after its input closed");
    assert!(
        !root.join("hosts/web1/ssh_host_ed25519_key.pub").exists(),
        "nothing was bootstrapped"
    );
}

/// The demo project as the workspace, with the sops-nix test file as web1's secrets and a
/// `.sops.yaml` whose rule now lists `extra` recipients too.
fn workspace_with_secrets(extra: &[&str]) -> tempfile::TempDir {
    let dir = copy_to_temp(&common::example("demo"));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sops-nix/secrets.yaml"),
        dir.path().join("hosts/web1/secrets.yaml"),
    )
    .unwrap();
    let mut recipients = vec![AGE_RECIPIENT, SSH_RECIPIENT];
    recipients.extend(extra);
    std::fs::write(
        dir.path().join(".sops.yaml"),
        format!(
            "creation_rules:\n  - path_regex: hosts/web1/secrets\\.yaml$\n    age: {}\n",
            recipients.join(",")
        ),
    )
    .unwrap();
    dir
}

fn execute(c: &mut Client, command: &str, arguments: Value) -> Value {
    c.request(
        "workspace/executeCommand",
        json!({"command": command, "arguments": arguments}),
    )
}

fn asked(c: &Client) -> bool {
    c.backlog.iter().any(|m| m["method"] == "window/showMessageRequest")
}

#[test]
fn update_keys_on_a_file_outside_the_workspace_is_refused_unread() {
    let dir = workspace_with_secrets(&[]);
    let root = dir.path().canonicalize().unwrap();
    let outside = tempfile::tempdir().unwrap();
    // Reading a FIFO blocks until someone writes: a test that hangs means it was opened.
    let fifo = outside.path().join("secrets.yaml");
    mkfifo(&fifo);
    std::os::unix::fs::symlink(&fifo, root.join("hosts/web1/linked.yaml")).unwrap();
    mkfifo(&root.join("hosts/web1/fifo.yaml"));
    let mut c = Client::start();
    c.initialize_in(&root);
    let root_arg = root.display().to_string();
    let escape = format!(
        "../{}/secrets.yaml",
        outside.path().file_name().unwrap().to_str().unwrap()
    ); // standalone: outside on purpose
    for file in [
        fifo.display().to_string(),
        escape,
        "hosts/web1/linked.yaml".to_string(),
        "hosts/web1/fifo.yaml".to_string(),
        "/etc/passwd".to_string(),
    ] {
        let started = Instant::now();
        let answer = execute(&mut c, "nixpilot.updateKeys", json!([root_arg, file]));
        assert_eq!(answer["error"]["code"], -32602, "{file}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("is not a file inside"),
            "{file}: {answer}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{file}");
    }
    assert!(!asked(&c), "no question for a refused command");
}

#[test]
fn commands_with_a_root_or_host_outside_the_workspace_are_refused_before_any_read() {
    let dir = copy_to_temp(&common::example("demo"));
    let root = dir.path().canonicalize().unwrap();
    // A would-be project outside the workspace whose flake.nix blocks whoever reads it.
    let outside = tempfile::tempdir().unwrap();
    mkfifo(&outside.path().join("flake.nix"));
    std::fs::create_dir_all(outside.path().join("hosts/web1")).unwrap();
    let mut c = Client::start();
    c.initialize_in(&root);
    let elsewhere = outside.path().display().to_string();
    for (command, arguments) in [
        ("nixpilot.deploy", json!([elsewhere, "web1"])),
        ("nixpilot.deployAll", json!([elsewhere])),
        ("nixpilot.install", json!([elsewhere, "web1", "127.0.0.1"])),
        ("nixpilot.bootstrap", json!([elsewhere, "web1"])),
        (
            "nixpilot.deploy",
            json!([root.join("..").display().to_string(), "web1"]),
        ), // standalone: outside on purpose
        ("nixpilot.bootstrap", json!([root.display().to_string(), "../escape"])),
        ("nixpilot.deploy", json!([root.display().to_string(), "/etc"])),
    ] {
        let started = Instant::now();
        let answer = execute(&mut c, command, arguments.clone());
        assert_eq!(answer["error"]["code"], -32602, "{command} {arguments}: {answer}");
        assert!(started.elapsed() < Duration::from_secs(5), "{command} {arguments}");
    }
    assert!(!asked(&c), "no question for a refused command");
    assert!(!root.join("../escape").exists()); // standalone: outside on purpose
}

#[test]
fn update_keys_shows_the_recipients_it_would_add_and_cancel_changes_nothing() {
    let dir = workspace_with_secrets(&[NEW_RECIPIENT]);
    let root = dir.path().canonicalize().unwrap();
    let secrets = root.join("hosts/web1/secrets.yaml");
    let before = std::fs::read(&secrets).unwrap();
    let mut c = Client::start();
    c.confirm_with = Some("Cancel");
    c.initialize_in(&root);
    let answer = execute(
        &mut c,
        "nixpilot.updateKeys",
        json!([root.display().to_string(), "hosts/web1/secrets.yaml"]),
    );
    assert!(answer.get("error").is_none(), "{answer}");
    let question = c.wait_for(|m| m["method"] == "window/showMessageRequest");
    let text = question["params"]["message"].as_str().unwrap();
    assert!(text.contains("key group 1:\n"), "{text}");
    assert!(text.contains(&format!("  + {NEW_RECIPIENT}\n")), "{text}");
    assert!(text.contains(&format!("    {AGE_RECIPIENT}\n")), "{text}");
    assert!(!text.contains("  - "), "nothing removed: {text}");
    c.wait_for(|m| {
        m["method"] == "window/showMessage" && m["params"]["message"].as_str().is_some_and(|t| t.contains("cancelled"))
    });
    assert_eq!(
        std::fs::read(&secrets).unwrap(),
        before,
        "cancelled: the file is unchanged"
    );
}

/// The bytes the process has read with `read` and friends, from files and pipes alike.
#[cfg(target_os = "linux")]
fn bytes_read(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
#[cfg(target_os = "linux")]
fn a_loose_file_beside_ten_thousand_others_is_analysed_alone() {
    let dir = tempfile::tempdir().unwrap();
    let marked = dir.path().ancestors().find(|d| {
        ["flake.nix", "nixpilot.toml", ".git"]
            .iter()
            .any(|m| d.join(m).exists())
    });
    assert!(
        marked.is_none(),
        "the temporary directory is inside a project: {marked:?}"
    );
    // 10,000 files of 2 KiB, half of them not Nix: a project's model reads those whole (looking
    // for private keys), 10 MiB the server would read if it took the directory for a project.
    let other = format!("{}let unused = 1; in {{ }}\n", "# padding\n".repeat(200));
    for i in 0..10_000 {
        let name = if i % 2 == 0 {
            format!("other{i}.nix")
        } else {
            format!("other{i}.txt")
        };
        std::fs::write(dir.path().join(name), &other).unwrap();
    }
    let path = dir.path().join("loose.nix");
    std::fs::write(&path, "").unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    let started = Instant::now();
    open(&mut c, &uri, 1, "let x = 1; in { }\n");
    assert_eq!(codes(&c.diagnostics(&uri, Some(1))), ["unused-let-binding"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    // A round trip, then: nothing published for the files beside it, and none of them read.
    let _ = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let others: Vec<&Value> = c
        .backlog
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] != uri.as_str())
        .collect();
    assert!(others.is_empty(), "{others:?}");
    let read = bytes_read(c.child.id());
    assert!(read < 4 << 20, "the server read {read} bytes");
}
