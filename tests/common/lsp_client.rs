//! A JSON-RPC client for the real `nixpilot lsp` process over stdio: requests, notifications,
//! and the server's own requests answered (settings, confirmations: yes).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Client {
    pub child: Child,
    /// `None` once closed (`close_stdin`), as when the editor dies.
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    /// Notifications seen while waiting for something else.
    pub backlog: Vec<Value>,
    next_id: i64,
    /// What this client answers to `workspace/configuration` for the `nixpilot` section.
    pub settings: Value,
    /// Whether the client answers the server's requests at all.
    pub answers: bool,
    /// The button this client presses on a confirmation (`window/showMessageRequest`);
    /// `None`: it never answers one.
    pub confirm_with: Option<&'static str>,
    /// The server's HOME: empty, so no real key or config of this machine is used.
    _home: Option<tempfile::TempDir>,
    /// Every message the server sent, as received (for tests that search the stream).
    pub log: Vec<String>,
}

impl Client {
    /// `nixpilot lsp` with an empty HOME and no SOPS keys from this machine's environment.
    pub fn start() -> Client {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
        cmd.arg("lsp")
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_KEY_FILE");
        Client::spawn(cmd, Some(home))
    }

    /// The server as `cmd` starts it (its environment is the caller's choice).
    pub fn spawn(mut cmd: Command, home: Option<tempfile::TempDir>) -> Client {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nixpilot lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if tx
                    .send(serde_json::from_slice(&body).expect("server sent valid JSON"))
                    .is_err()
                {
                    return;
                }
            }
        });
        Client {
            child,
            stdin: Some(stdin),
            messages,
            backlog: Vec::new(),
            next_id: 1,
            settings: json!({}),
            answers: true,
            confirm_with: Some("Apply"),
            _home: home,
            log: Vec::new(),
        }
    }

    pub fn send_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin();
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(body).unwrap();
        stdin.flush().unwrap();
    }

    /// The server's input, for tests that frame (or misframe) messages themselves.
    pub fn stdin(&mut self) -> &mut ChildStdin {
        self.stdin.as_mut().expect("stdin is open")
    }

    /// Ends the server's input without `exit`, as an editor that dies does.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The server's exit status, if it ends within `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send_raw(
            json!({"jsonrpc": "2.0", "method": method, "params": params})
                .to_string()
                .as_bytes(),
        );
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.answer(id)
    }

    /// Sends a request without waiting for its answer; returns its id for `answer`.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send_raw(
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
                .to_string()
                .as_bytes(),
        );
        id
    }

    /// The server's answer to the request `id`.
    pub fn answer(&mut self, id: i64) -> Value {
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
    }

    /// The next message matching `pred`, answering the server's own requests on the way.
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(m) = self.messages.recv_timeout(left) else {
                let seen: Vec<String> = self.backlog.iter().map(|m| m["method"].to_string()).collect();
                panic!("timed out waiting for the server; messages seen meanwhile: {seen:?}");
            };
            self.log.push(m.to_string());
            if m.get("id").is_some() && m.get("method").is_some() {
                // client/registerCapability and friends: accept; configuration: our settings;
                // confirmation questions: yes. Kept in the backlog so tests can see them.
                let is_question = m["method"] == "window/showMessageRequest";
                let result = match m["method"].as_str() {
                    Some("workspace/configuration") => json!([self.settings]),
                    Some("window/showMessageRequest") => json!({"title": self.confirm_with}),
                    _ => json!(null),
                };
                if self.answers && !(is_question && self.confirm_with.is_none()) {
                    let reply = json!({"jsonrpc": "2.0", "id": m["id"], "result": result});
                    self.send_raw(reply.to_string().as_bytes());
                }
                if pred(&m) {
                    return m;
                }
                self.backlog.push(m);
                continue;
            }
            if pred(&m) {
                return m;
            }
            self.backlog.push(m);
        }
    }

    /// The diagnostics published for `uri` at document `version` (or any version when `None`).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let m = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && version.is_none_or(|v| m["params"]["version"] == v)
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }

    pub fn initialize(&mut self) -> Value {
        self.initialize_with(json!({"processId": null, "rootUri": null}))
    }

    /// `initialize` with `folder` as the one workspace folder.
    pub fn initialize_in(&mut self, folder: &std::path::Path) -> Value {
        let folder_uri = uri(folder);
        self.initialize_with(json!({
            "processId": null,
            "rootUri": folder_uri,
            "workspaceFolders": [{"uri": folder_uri, "name": "workspace"}]
        }))
    }

    fn initialize_with(&mut self, mut params: Value) -> Value {
        params["capabilities"] = json!({
            "workspace": {"configuration": true, "didChangeWatchedFiles": {"dynamicRegistration": true}},
            "window": {"workDoneProgress": true}
        });
        let r = self.request("initialize", params);
        self.notify("initialized", json!({}));
        r
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The `file://` URI of an existing path, as editors send it (canonical).
pub fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

/// The rule names (`code`) of published diagnostics, in order.
pub fn codes(diags: &[Value]) -> Vec<String> {
    diags.iter().map(|d| d["code"].as_str().unwrap().to_string()).collect()
}
