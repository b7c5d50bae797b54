//! The language server, spoken to over JSON-RPC on stdio of the real `nixpilot lsp` process.

mod common;

use std::time::Duration;

use serde_json::{json, Value};

use common::lsp_client::{codes, uri, Client, TIMEOUT};
use common::{copy_to_temp, fixture};

#[test]
fn diagnostics_quick_fix_and_they_clear() {
    let dir = copy_to_temp(&fixture("broken"));
    let path = dir.path().join("hosts/web1/configuration.nix");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    let init = c.initialize();
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"], 2,
        "incremental sync"
    );
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}),
    );
    let diags = c.diagnostics(&uri, Some(1));
    assert_eq!(codes(&diags), ["unused-let-binding", "unused-suppression"]);
    let unused = &diags[0];
    assert_eq!(unused["range"]["start"], json!({"line": 4, "character": 2}));
    assert_eq!(unused["source"], "nixpilot");
    assert!(unused["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .contains("#unused-let-binding"));

    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": unused["range"], "context": {"diagnostics": [unused]}}),
    );
    // Quick fixes first; the host's pipeline actions follow them.
    let actions: Vec<Value> = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "quickfix")
        .cloned()
        .collect();
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "Remove the unused binding `hostname`",
            "Allow `unused-let-binding` on this line"
        ]
    );
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(actions[0]["kind"], "quickfix");

    // Apply the quick fix the way an editor does and see the diagnostic go.
    let edits = actions[0]["edit"]["changes"][&uri].as_array().unwrap().clone();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": edits.iter().map(|e| json!({"range": e["range"], "text": e["newText"]})).collect::<Vec<_>>()}),
    );
    let after = c.diagnostics(&uri, Some(2));
    assert_eq!(codes(&after), ["unused-suppression"]);

    // Hover on a diagnostic explains the rule.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": after[0]["range"]["start"]}),
    );
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("**unused-suppression** (info)"), "{value}");

    // The suppression action inserts the comment; applying it clears the diagnostic too.
    let allow = &actions[1]["edit"]["changes"][&uri][0];
    assert_eq!(allow["newText"], "  # nixpilot: allow(unused-let-binding)\n");
}

#[test]
fn a_hundred_rapid_edits_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    let path = dir.path().join("a.nix");
    std::fs::write(&path, "").unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 0, "text": "let\nin\n{ }\n"}}),
    );
    // Each edit inserts before `in`, at the line that only exists once the previous edits are in.
    for i in 0..100 {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i + 1}, "contentChanges": [{
                "range": {"start": {"line": 1 + i, "character": 0}, "end": {"line": 1 + i, "character": 0}},
                "text": format!("  v{i} = {i};\n")
            }]}),
        );
    }
    let diags = c.diagnostics(&uri, Some(100));
    assert_eq!(diags.len(), 100, "{diags:?}");
    for (i, d) in diags.iter().enumerate() {
        assert_eq!(d["message"], format!("`v{i}` is bound here but never used"));
        assert_eq!(d["range"]["start"]["line"], i + 1);
    }
}

#[test]
fn bad_messages_get_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    std::fs::write(dir.path().join("binary.nix"), b"\xff\xfe\x00\x01").unwrap();
    let mut c = Client::start();
    c.initialize();
    c.send_raw(b"{ this is not json");
    let err = c.wait_for(|m| m.get("error").is_some());
    assert_eq!(err["error"]["code"], -32700, "parse error: {err}");
    let unknown = c.request("nixpilot/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // A code action for a file never opened: an empty answer, not an error.
    let never = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&dir.path().join("flake.nix"))}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}}),
    );
    assert!(never["error"].is_null(), "{never}");
    // Diagnostics still flow, and a non-UTF-8 Nix file on disk is reported, not fatal.
    let open = dir.path().join("flake.nix");
    let open_uri = uri(&open);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": open_uri, "languageId": "nix", "version": 1, "text": "let x = 1; in { }\n"}}),
    );
    assert_eq!(codes(&c.diagnostics(&open_uri, Some(1))), ["unused-let-binding"]);
    let shutdown = c.request("shutdown", json!(null));
    assert!(shutdown["error"].is_null(), "{shutdown}");
    c.notify("exit", json!(null));
    let status = c.wait_exit(TIMEOUT).expect("server did not exit");
    assert!(status.success(), "{status}");
}

#[test]
fn goto_definition_and_hover_follow_the_project_model() {
    let dir = copy_to_temp(&common::example("demo"));
    let root = dir.path();
    // A lock file so hover can say what the input is pinned to.
    std::fs::write(
        root.join("flake.lock"),
        r#"{"nodes":{"root":{"inputs":{"srvos":"srvos"}},"srvos":{"locked":{"type":"github","owner":"nix-community","repo":"srvos","rev":"0123456789abcdef0123456789abcdef01234567","lastModified":1700000000,"narHash":"sha256-x"},"original":{"type":"github","owner":"nix-community","repo":"srvos"}}},"root":"root","version":7}"#,
    )
    .unwrap();
    let path = root.join("hosts/web1/configuration.nix");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics(&uri, Some(1));
    let position_of = |needle: &str, extra: usize| {
        let at = text.find(needle).unwrap() + extra;
        let line = text[..at].matches('\n').count();
        let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
        json!({"line": line, "character": col})
    };
    let goto = |c: &mut Client, pos: Value| {
        c.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": pos}),
        )["result"]
            .clone()
    };
    let module = goto(&mut c, position_of("flake.nixosModules.server", 20));
    assert_eq!(module["uri"], self::uri(&root.join("modules/nixos/server.nix")));
    let disko = goto(&mut c, position_of("./disko.nix", 3));
    assert_eq!(disko["uri"], self::uri(&root.join("hosts/web1/disko.nix")));
    let input = goto(&mut c, position_of("inputs.srvos", 8));
    assert_eq!(input["uri"], self::uri(&root.join("flake.nix")));
    let flake = std::fs::read_to_string(root.join("flake.nix")).unwrap();
    let line = input["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(
        flake.lines().nth(line).unwrap().contains("srvos"),
        "points at the srvos input"
    );
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of("inputs.srvos", 8)}),
    );
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("github:nix-community/srvos"), "{value}");
    assert!(value.contains("0123456789abcdef"), "{value}");
    assert!(value.contains("2023-11-14"), "{value}");
    // Nothing to find on a plain string.
    let none = goto(&mut c, position_of("\"x86_64-linux\"", 2));
    assert!(none.is_null(), "{none}");
}

#[test]
fn completion_and_document_links() {
    let dir = copy_to_temp(&common::example("demo"));
    let root = dir.path();
    let path = root.join("hosts/web1/configuration.nix");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics(&uri, Some(1));
    // Type a new import line, unfinished, as a user would.
    let line = text.lines().position(|l| l.contains("./disko.nix")).unwrap() as u64;
    let typed = "    inputs.srvos.nixosModules.hardware-hetzner-online-i\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": typed}]}),
    );
    let _ = c.diagnostics(&uri, Some(2));
    let labels = |r: &Value| -> Vec<String> {
        r["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let at_end = json!({"line": line, "character": typed.len() - 1});
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": at_end}),
    );
    assert_eq!(labels(&r), ["hardware-hetzner-online-intel"]);
    let after_inputs = json!({"line": line, "character": "    inputs.s".len()});
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": after_inputs}),
    );
    assert_eq!(labels(&r), ["self", "sops-nix", "srvos"]);
    let after_flake = text.find("flake.nixosModules.").unwrap() + "flake.nixosModules.".len();
    let flake_line = text[..after_flake].matches('\n').count() as u64;
    let flake_col = after_flake - text[..after_flake].rfind('\n').map_or(0, |i| i + 1);
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": flake_line, "character": flake_col}}),
    );
    assert_eq!(labels(&r), ["server"]);

    let links = c.request("textDocument/documentLink", json!({"textDocument": {"uri": uri}}));
    let targets: Vec<&str> = links["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, [self::uri(&root.join("hosts/web1/disko.nix"))]);

    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let names: Vec<&str> = symbols["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"uplink") && names.contains(&"nixpkgs.hostPlatform") && names.contains(&"imports"),
        "{names:?}"
    );
}

#[test]
fn editor_settings_set_rule_levels_and_bad_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    let path = dir.path().join("a.nix");
    std::fs::write(&path, "").unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.settings = json!({"rules": {"unused-let-binding": "error", "manual-inherit": "off", "no-such-rule": "error"}});
    c.initialize();
    let warning = c.wait_for(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("no-such-rule"))
    });
    assert_eq!(warning["params"]["type"], 2, "a warning");
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": "pkgs: let x = 1; in { pkgs = pkgs; }\n"}}));
    let diags = c.diagnostics(&uri, Some(1));
    assert_eq!(codes(&diags), ["unused-let-binding"], "manual-inherit is off");
    assert_eq!(diags[0]["severity"], 1, "raised to error");
    // nixpilot.toml wins over the editor.
    std::fs::write(
        dir.path().join("nixpilot.toml"),
        "[rules]\nunused-let-binding = \"info\"\n",
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": self::uri(&dir.path().join("nixpilot.toml")), "type": 1}]}),
    );
    let diags = c.diagnostics(&uri, Some(1));
    assert_eq!(diags[0]["severity"], 3, "info from nixpilot.toml");
}

#[test]
fn bootstrap_runs_from_a_code_action_after_confirmation() {
    let dir = copy_to_temp(&common::example("demo"));
    let root = dir.path();
    let path = root.join("hosts/web1/configuration.nix");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics(&uri, Some(1));
    let zero = json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}});
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": zero, "context": {"diagnostics": []}}),
    );
    let bootstrap = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Bootstrap web1")
        .cloned()
        .expect("a Bootstrap web1 action");
    assert_eq!(bootstrap["kind"], "source.nixpilot.bootstrap");
    let command = &bootstrap["command"];
    let done = c.request(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert!(done["error"].is_null(), "{done}");
    // It asked first, reported progress, and wrote the host key and its secrets.
    let asked = c.wait_for(|m| m["method"] == "window/showMessageRequest");
    assert!(
        asked["params"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Bootstrap web1?"),
        "{asked}"
    );
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin");
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    let pubkey = std::fs::read_to_string(root.join("hosts/web1/ssh_host_ed25519_key.pub")).unwrap();
    assert!(pubkey.starts_with("ssh-ed25519 "), "{pubkey}");
    let secrets = std::fs::read_to_string(root.join("hosts/web1/secrets.yaml")).unwrap();
    assert!(
        secrets.contains("ENC[AES256_GCM,") && secrets.contains("sops:"),
        "{secrets}"
    );
    assert!(
        !root.join("hosts/web1/ssh_host_ed25519_key").exists(),
        "the private key only lives encrypted"
    );
    // Running it again has nothing to do and asks nothing.
    let again = c.request(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert!(again["error"].is_null(), "{again}");
    let shown = c.wait_for(|m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("nothing to do"))
    });
    assert_eq!(shown["params"]["type"], 3);
    // A bad argument is an error answer, not a crash.
    let bad = c.request(
        "workspace/executeCommand",
        json!({"command": "nixpilot.bootstrap", "arguments": []}),
    );
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
}

#[test]
fn exit_ends_the_server_even_with_a_request_of_its_own_unanswered() {
    let mut c = Client::start();
    c.answers = false;
    c.initialize();
    // The server asks to register file watchers; this client never answers.
    c.wait_for(|m| m["method"] == "client/registerCapability");
    let shutdown = c.request("shutdown", json!(null));
    assert!(shutdown["error"].is_null(), "{shutdown}");
    c.notify("exit", json!(null));
    let status = c
        .wait_exit(Duration::from_secs(10))
        .expect("server still running 10 s after exit");
    assert!(status.success(), "{status}");
}

#[test]
fn no_requests_the_client_did_not_declare() {
    let mut c = Client::start();
    let r = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert!(r["error"].is_null());
    c.notify("initialized", json!({}));
    // Give it time to misbehave, then check with a round trip.
    std::thread::sleep(Duration::from_millis(300));
    let _ = c.request("shutdown", json!(null));
    let asked: Vec<&Value> = c
        .backlog
        .iter()
        .filter(|m| m.get("id").is_some() && m.get("method").is_some())
        .collect();
    assert!(
        asked.is_empty(),
        "the server sent requests the client never declared: {asked:?}"
    );
}

#[test]
fn deploy_action_asks_streams_and_reports_failure_without_touching_anything_but_loopback() {
    let dir = copy_to_temp(&common::example("demo"));
    let root = dir.path();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sops-nix/ssh-ed25519-key.pub"),
        root.join("hosts/web1/ssh_host_ed25519_key.pub"),
    )
    .unwrap();
    // A closed loopback port: the connect step fails at once, nothing is built or copied.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        root.join("hosts/web1/deploy.toml"),
        format!("[deployment]\ntargetHost = \"127.0.0.1\"\ntargetPort = {port}\n"),
    )
    .unwrap();
    let path = root.join("hosts/web1/configuration.nix");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics(&uri, Some(1));
    let zero = json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}});
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": zero, "context": {"diagnostics": []}}),
    );
    let deploy = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Deploy web1")
        .cloned()
        .expect("Deploy web1");
    assert_eq!(deploy["kind"], "source.nixpilot.deploy");
    let command = &deploy["command"];
    let done = c.request(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    let asked = c.wait_for(|m| m["method"] == "window/showMessageRequest");
    let question = asked["params"]["message"].as_str().unwrap();
    assert!(
        question.starts_with("Deploy web1 → ") && question.contains("127.0.0.1"),
        "{question}"
    );
    assert!(done["error"]["message"].as_str().unwrap().contains("web1"), "{done}");
    // Progress lines were streamed as the pipeline ran.
    c.wait_for(|m| {
        m["method"] == "window/logMessage" && m["params"]["message"].as_str().is_some_and(|t| t.starts_with("[web1]"))
    });
}

/// Random incremental edits (multi-byte text, CRLF, U+2028, ranges past line ends)
/// published by the real server give the diagnostics a fresh open of the final text gives.
#[test]
fn random_incremental_edits_publish_what_a_fresh_open_of_the_final_text_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    let (a, b) = (dir.path().join("a.nix"), dir.path().join("b.nix"));
    std::fs::write(&a, "").unwrap();
    std::fs::write(&b, "").unwrap();
    let (uri_a, uri_b) = (uri(&a), uri(&b));
    let mut c = Client::start();
    c.initialize();
    let start = "let\n  x = 1;\nin\n{ y = x; }\n";
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri_a, "languageId": "nix", "version": 0, "text": start}}),
    );
    let pieces = [
        "  u𝔸 = 1;\r\n",
        "é",
        "\u{2028}",
        "z = z;",
        "\n",
        "# nixpilot: allow(manual-inherit)\n",
        "let w = 2; in ",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for version in 1..=40 {
        let (line, character) = (next(6), next(12));
        let end = (line + next(2), next(12));
        let text = pieces[next(pieces.len() as u64) as usize];
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri_a, "version": version}, "contentChanges": [{
                "range": {"start": {"line": line, "character": character}, "end": {"line": end.0, "character": end.1}},
                "text": text
            }]}),
        );
    }
    // The same edits replayed on the server's own buffer type give the final text; opened
    // whole in a second file, it must lint the same.
    let incremental = c.diagnostics(&uri_a, Some(40));
    let final_text = {
        let mut doc = nixpilot_lsp::documents::Document::new(start, 0);
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 1..=40 {
            let (line, character) = (next(6) as u32, next(12) as u32);
            let end = (line + next(2) as u32, next(12) as u32);
            let text = pieces[next(pieces.len() as u64) as usize];
            let change = json!({
                "range": {"start": {"line": line, "character": character}, "end": {"line": end.0, "character": end.1}},
                "text": text
            });
            let _ = doc.apply(&serde_json::from_value(change).unwrap());
        }
        doc.text()
    };
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri_b, "languageId": "nix", "version": 0, "text": final_text}}),
    );
    assert_ne!(final_text, start, "no edit applied");
    let fresh = c.diagnostics(&uri_b, Some(0));
    assert!(
        !fresh.is_empty(),
        "edits that leave nothing to report test little:\n{final_text}"
    );
    let strip = |ds: &[Value]| -> Vec<Value> {
        ds.iter()
            .map(|d| json!({"range": d["range"], "code": d["code"], "message": d["message"]}))
            .collect()
    };
    assert_eq!(strip(&incremental), strip(&fresh), "final text:\n{final_text}");
}

/// A buffer nested 100,000 deep gets an `analysis-limit` warning from the server,
/// whose analysis runs on a 2 MiB blocking thread; hover, definition, completion, symbols and
/// links on it (which parse the buffer themselves) answer, and the server keeps serving.
#[test]
fn a_buffer_nested_a_hundred_thousand_deep_is_refused_and_the_server_lives() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    let path = dir.path().join("deep.nix");
    std::fs::write(&path, "").unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    for (version, text) in [
        format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("f{}", " a".repeat(100_000)),
        format!("1{}", "+1".repeat(100_000)),
    ]
    .into_iter()
    .enumerate()
    {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "nix", "version": version, "text": text}}),
        );
        assert_eq!(codes(&c.diagnostics(&uri, Some(version as i64))), ["analysis-limit"]);
        // The requests that read the buffer's tree themselves.
        let at = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}});
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let r = c.request(method, at.clone());
            assert!(r.get("error").is_none(), "{method}: {r}");
        }
        for method in ["textDocument/documentSymbol", "textDocument/documentLink"] {
            let r = c.request(method, json!({"textDocument": {"uri": uri}}));
            assert!(r.get("error").is_none(), "{method}: {r}");
        }
        c.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }
    let r = c.request("shutdown", json!(null));
    assert!(r.get("error").is_none(), "{r}");
}

#[test]
fn style_findings_are_hints_and_the_rest_keep_their_severity() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    let path = dir.path().join("a.nix");
    std::fs::write(&path, "").unwrap();
    let uri = uri(&path);
    let mut c = Client::start();
    c.initialize();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": "{ pkgs }: { pkgs = pkgs; x = let y = 1; in 2; }\n"}}),
    );
    let diags = c.diagnostics(&uri, Some(1));
    let severity_of = |code: &str| diags.iter().find(|d| d["code"] == code).map(|d| d["severity"].clone());
    assert_eq!(
        severity_of("manual-inherit"),
        Some(json!(4)),
        "style is a hint: {diags:?}"
    );
    assert_eq!(
        severity_of("unused-let-binding"),
        Some(json!(2)),
        "still a warning: {diags:?}"
    );
}

#[test]
fn secret_values_in_the_clear_are_not_sent_to_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    std::fs::write(
        dir.path().join(".sops.yaml"),
        "creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("secrets")).unwrap();
    let secrets = dir.path().join("secrets/plain.yaml");
    std::fs::write(&secrets, "restic_password: hunter2-Zq9\n").unwrap();
    let flake = dir.path().join("flake.nix");
    let mut c = Client::start();
    c.initialize();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&flake), "languageId": "nix", "version": 1, "text": "{ }\n"}}),
    );
    let diags = c.diagnostics(&uri(&secrets), None);
    assert_eq!(codes(&diags), ["unencrypted-secrets-file"]);
    let sent = serde_json::to_string(&diags).unwrap();
    assert!(!sent.contains("hunter2-Zq9"), "{sent}");
    assert_eq!(diags[0]["range"]["start"]["line"], 0);
}
