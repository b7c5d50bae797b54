//! `nixpilot-bench lsp`: opens a file in a language server over stdio, makes N small edits
//! one after the other, and times each edit to the `publishDiagnostics` for its version.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::measure::{self, mib};
use anyhow::{bail, Context};
use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct Args {
    /// The nixpilot binary to measure
    #[arg(long)]
    pub nixpilot: PathBuf,
    /// A file to open and edit, as LABEL=FILE (repeatable)
    #[arg(long = "case", required = true)]
    pub cases: Vec<String>,
    /// Edits per case
    #[arg(long, default_value_t = 100)]
    pub edits: usize,
    /// Do not measure nil even when it is on PATH
    #[arg(long)]
    pub no_nil: bool,
    /// Also write the table to this file
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// How long one edit may take before the case is given up as failed.
const EDIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for diagnostics after opening the file before going on without them.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(mut args: Args) -> anyhow::Result<()> {
    args.nixpilot = crate::resolve_program(&args.nixpilot)?;
    if args.edits == 0 {
        bail!("--edits must be at least 1");
    }
    let mut servers: Vec<(&str, PathBuf, Vec<String>)> =
        vec![("nixpilot lsp", args.nixpilot.clone(), vec!["lsp".into()])];
    match crate::on_path("nil") {
        Some(nil) if !args.no_nil => servers.push(("nil", nil, Vec::new())),
        Some(_) => {}
        None => eprintln!("nil is not on PATH: skipped"),
    }
    let mut md = String::from(
        "\n| case | server | open → first diagnostics | edits | p50 | p95 | max | RSS after the edits | peak RSS |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for case in &args.cases {
        let (label, file) = case
            .split_once('=')
            .with_context(|| format!("--case {case}: write LABEL=FILE"))?;
        let file = std::fs::canonicalize(file).with_context(|| format!("--case {case}: {file}"))?;
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        for (name, program, server_args) in &servers {
            eprintln!("{label}: {name}, {} edits", args.edits);
            match measure_case(program, server_args, &file, &text, args.edits) {
                Ok(m) => {
                    let ms = |d: f64| format!("{:.1} ms", d);
                    let _ = writeln!(
                        md,
                        "| {label} ({} lines) | {name} | {} | {} | {} | {} | {} | {} MiB | {} MiB |",
                        text.lines().count(),
                        m.open_ms.map_or("nothing published".to_string(), ms),
                        m.latencies_ms.len(),
                        ms(measure::percentile(&m.latencies_ms, 50.0)),
                        ms(measure::percentile(&m.latencies_ms, 95.0)),
                        ms(m.latencies_ms.iter().copied().fold(0.0, f64::max)),
                        m.rss.map_or("?".into(), mib),
                        m.peak_rss.map_or("?".into(), mib),
                    );
                }
                Err(e) => {
                    eprintln!("  {name} on {label}: {e:#}");
                    let _ = writeln!(md, "| {label} | {name} | failed: {e} | | | | | | |");
                }
            }
        }
    }
    print!("{md}");
    if let Some(out) = &args.out {
        std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

/// One server on one file.
pub struct Measured {
    /// `None` when the server published nothing for the opened file (nothing to report).
    pub open_ms: Option<f64>,
    pub latencies_ms: Vec<f64>,
    pub rss: Option<u64>,
    pub peak_rss: Option<u64>,
}

/// Starts the server, opens `file` (whose text is `text`), makes `edits` edits and stops it.
pub fn measure_case(
    program: &Path,
    args: &[String],
    file: &Path,
    text: &str,
    edits: usize,
) -> anyhow::Result<Measured> {
    let root = project_root(file);
    let mut server = Server::start(program, args, &root)?;
    let result = drive(&mut server, &root, file, text, edits);
    server.stop();
    result
}

fn drive(server: &mut Server, root: &Path, file: &Path, text: &str, edits: usize) -> anyhow::Result<Measured> {
    let root_uri = file_uri(root);
    let uri = file_uri(file);
    server.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": root_uri,
            "workspaceFolders": [{ "uri": root_uri, "name": "bench" }],
            "capabilities": {
                "textDocument": { "publishDiagnostics": { "versionSupport": true, "relatedInformation": true } },
                "workspace": { "configuration": true, "workspaceFolders": true }
            }
        }),
    )?;
    server.notify("initialized", json!({}))?;
    let opened = Instant::now();
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "nix", "version": 0, "text": text } }),
    )?;
    // A server that publishes only changes (nil) sends nothing for a clean file.
    let open_ms = match server.wait_publish_within(&uri, 0, opened, OPEN_TIMEOUT) {
        Ok(first) => Some((first - opened).as_secs_f64() * 1e3),
        Err(_) => None,
    };

    let sites = edit_sites(text);
    if sites.is_empty() {
        bail!("{} has no `name = <number>;` to edit", file.display());
    }
    let mut latencies_ms = Vec::with_capacity(edits);
    let pairs = edits.div_ceil(2);
    for i in 1..=edits {
        // Edit 2k-1 turns the number into a name (`x080`), edit 2k turns it back: every
        // edit changes what a linter that resolves names reports (nil publishes only then),
        // and the file stays valid Nix.
        let (line, character, digit) = sites[((i - 1) / 2) * sites.len() / pairs];
        let replacement = if i % 2 == 1 { 'x' } else { digit };
        let sent = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": i },
                "contentChanges": [{
                    "range": {
                        "start": { "line": line, "character": character },
                        "end": { "line": line, "character": character + 1 }
                    },
                    "text": replacement.to_string()
                }]
            }),
        )?;
        let got = server.wait_publish(&uri, i as i64, sent)?;
        latencies_ms.push((got - sent).as_secs_f64() * 1e3);
    }
    let (rss, peak_rss) = memory_of(server.child.id());
    Ok(Measured {
        open_ms,
        latencies_ms,
        rss,
        peak_rss,
    })
}

/// Every `… = <number>;` on a line, as the LSP position (UTF-16 column) of the number's first
/// digit and that digit.
fn edit_sites(text: &str) -> Vec<(u32, u32, char)> {
    let mut sites = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let Some(at) = line.find(" = ") else { continue };
        let value = &line[at + 3..];
        let digits = value.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || value.as_bytes().get(digits) != Some(&b';') {
            continue;
        }
        let column: usize = line[..at + 3].chars().map(char::len_utf16).sum();
        sites.push((line_no as u32, column as u32, char::from(value.as_bytes()[0])));
    }
    sites
}

/// The nearest directory at or above the file holding `flake.nix`, else the file's own.
fn project_root(file: &Path) -> PathBuf {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d.join("flake.nix").is_file() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    file.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(b as char);
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri
}

/// Resident and peak resident memory of a process, from /proc (Linux).
fn memory_of(pid: u32) -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A language server child speaking JSON-RPC on its stdio; every message is stamped with
/// the time it was read, so latencies do not include the harness's own processing.
struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<(Instant, Value)>,
    next_id: i64,
}

impl Server {
    fn start(program: &Path, args: &[String], cwd: &Path) -> anyhow::Result<Server> {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let stdin = child.stdin.take().context("the server's stdin")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
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
                let Some(length) = length else { return };
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let at = Instant::now();
                let Ok(value) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if tx.send((at, value)).is_err() {
                    return;
                }
            }
        });
        Ok(Server {
            child,
            stdin,
            messages,
            next_id: 1,
        })
    }

    fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).context("writing to the server")?;
        self.stdin.flush().context("writing to the server")
    }

    fn notify(&mut self, method: &str, params: Value) -> anyhow::Result<()> {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }))
    }

    fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))?;
        let (_, reply) = self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())?;
        Ok(reply)
    }

    /// The first `publishDiagnostics` for `uri` read after `since` that belongs to
    /// `version` (servers that send no version: the first one after `since`).
    fn wait_publish(&mut self, uri: &str, version: i64, since: Instant) -> anyhow::Result<Instant> {
        self.wait_publish_within(uri, version, since, EDIT_TIMEOUT)
    }

    fn wait_publish_within(
        &mut self,
        uri: &str,
        version: i64,
        since: Instant,
        timeout: Duration,
    ) -> anyhow::Result<Instant> {
        let (at, _) = self
            .wait_for_within(timeout, |m| {
                if m.get("method").and_then(Value::as_str) != Some("textDocument/publishDiagnostics") {
                    return false;
                }
                let params = &m["params"];
                if params["uri"].as_str() != Some(uri) {
                    return false;
                }
                params["version"].as_i64().is_none_or(|v| v == version)
            })
            .with_context(|| format!("waiting for diagnostics of version {version}"))?;
        if at < since {
            bail!("diagnostics arrived before the edit was sent");
        }
        Ok(at)
    }

    /// Reads until a message matches, answering the server's own requests on the way
    /// (configuration: an empty section; everything else: null).
    fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> anyhow::Result<(Instant, Value)> {
        self.wait_for_within(EDIT_TIMEOUT, pred)
    }

    fn wait_for_within(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<(Instant, Value)> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, message) = match self.messages.recv_timeout(left) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => bail!("no answer within {} s", timeout.as_secs()),
                Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the server closed its output"),
            };
            if let (Some(id), Some(method)) = (message.get("id"), message.get("method").and_then(Value::as_str)) {
                let result = match method {
                    "workspace/configuration" => {
                        let n = message["params"]["items"].as_array().map_or(1, Vec::len);
                        Value::Array(vec![json!({}); n])
                    }
                    _ => Value::Null,
                };
                self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }))?;
                continue;
            }
            if pred(&message) {
                return Ok((at, message));
            }
        }
    }

    fn stop(mut self) {
        let id = self.next_id;
        if self
            .send(&json!({ "jsonrpc": "2.0", "id": id, "method": "shutdown", "params": null }))
            .is_ok()
        {
            let _ = self.wait_for(|m| m.get("id") == Some(&json!(id)));
            let _ = self.notify("exit", Value::Null);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
