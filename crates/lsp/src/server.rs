//! The language server: document events applied in arrival order by one state-owning task,
//! analyses one at a time (at once when idle, newest events coalesced), diagnostics and quick fixes.
//! Requests read a snapshot of their document taken in that same order, so they see every edit
//! sent before them, and do their work on it without holding the state.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer};

use crate::analysis::{self, ProjectAnalysis};
use crate::convert;
use crate::documents::Document;

/// Set when the client sent `shutdown`, for the exit code after `exit`.
pub static SHUTDOWN_REQUESTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A document event, queued synchronously by the notification handlers so that the order
/// tower-lsp received them in is the order they are applied in (its handlers run concurrently).
enum Event {
    Open {
        uri: Url,
        text: String,
        version: i32,
    },
    Change {
        uri: Url,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    },
    Close {
        uri: Url,
    },
    /// Something on disk changed (saved file, watched file): re-analyse.
    Refresh,
    /// A request's copy of a document (a rope clone: cheap), taken after every earlier event.
    Snapshot {
        uri: Url,
        reply: oneshot::Sender<Option<Document>>,
    },
}

/// What the handlers read: the latest documents and analyses.
#[derive(Default)]
struct Shared {
    documents: HashMap<Url, Document>,
    analyses: BTreeMap<PathBuf, ProjectAnalysis>,
    /// URIs that have diagnostics published, to clear them when they go away.
    published: HashSet<Url>,
    /// Rule levels from the editor's `nixpilot` settings.
    settings: BTreeMap<String, nixpilot_lint::config::RuleLevel>,
}

pub struct Server {
    client: Client,
    events: mpsc::UnboundedSender<Event>,
    shared: Arc<Mutex<Shared>>,
    /// What the client declared it supports: only those requests are sent to it.
    client_can: Mutex<ClientAbilities>,
    /// The workspace folders the editor opened: commands act inside them only.
    workspace_folders: Mutex<Vec<PathBuf>>,
}

/// The client capabilities the server's own requests depend on.
#[derive(Debug, Default, Clone, Copy)]
struct ClientAbilities {
    watch_registration: bool,
    configuration: bool,
}

/// How long the server waits for the client to answer one of its requests.
const CLIENT_ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

impl Server {
    pub fn new(client: Client) -> Server {
        let (events, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Mutex::new(Shared::default()));
        tokio::spawn(state_task(client.clone(), rx, shared.clone()));
        Server {
            client,
            events,
            shared,
            client_can: Mutex::new(ClientAbilities::default()),
            workspace_folders: Mutex::new(Vec::new()),
        }
    }

    /// The document at `uri` with every edit sent before the calling request applied. Must be
    /// called before the request's first `await`: tower-lsp starts handlers in arrival order,
    /// and the snapshot is queued behind the events that came first.
    async fn snapshot(&self, uri: &Url) -> Option<Document> {
        let (reply, answer) = oneshot::channel();
        self.send(Event::Snapshot {
            uri: uri.clone(),
            reply,
        });
        answer.await.ok().flatten()
    }

    /// The project root, relative path, current text and byte offset of a position in an
    /// open document.
    async fn locate(&self, uri: &Url, position: Position) -> Option<(PathBuf, String, String, usize)> {
        let doc = self.snapshot(uri).await?;
        let path = uri.to_file_path().ok()?;
        let offset = doc.byte_offset(position)?;
        let root = analysis::analysis_root(&path).dir;
        let rel = nixpilot_lint::vfs::relative_path(&root, &path);
        Some((root, rel, doc.text(), offset))
    }

    /// Asks the client for the `nixpilot` section and re-analyses with it.
    async fn load_settings(&self) {
        let item = ConfigurationItem {
            scope_uri: None,
            section: Some("nixpilot".into()),
        };
        let can = self.client_can.lock().map(|c| *c).unwrap_or_default();
        if !can.configuration {
            return;
        }
        let Ok(Ok(values)) = tokio::time::timeout(CLIENT_ANSWER_TIMEOUT, self.client.configuration(vec![item])).await
        else {
            return;
        };
        let Some(value) = values.into_iter().next() else { return };
        let (levels, problems) = analysis::parse_settings(&value);
        for p in problems {
            self.client.log_message(MessageType::WARNING, p).await;
        }
        if let Ok(mut state) = self.shared.lock() {
            state.settings = levels;
        }
        self.send(Event::Refresh);
    }

    /// Where commands may act: the workspace folders, or for an editor that named none, the
    /// projects of its open documents (the ones the server offered actions for).
    fn command_roots(&self) -> impl FnOnce() -> Vec<PathBuf> + Send + 'static {
        let folders = self.workspace_folders.lock().map(|f| f.clone()).unwrap_or_default();
        let open: Vec<PathBuf> = match self.shared.lock() {
            Ok(state) => state.documents.keys().filter_map(|u| u.to_file_path().ok()).collect(),
            Err(_) => Vec::new(),
        };
        move || {
            if !folders.is_empty() {
                return folders;
            }
            open.iter()
                .map(|p| analysis::analysis_root(p))
                .filter(|r| r.is_project)
                .map(|r| r.dir)
                .collect()
        }
    }

    fn send(&self, event: Event) {
        // The receiver lives as long as the server; a send can only fail during shutdown.
        let _ = self.events.send(event);
    }
}

/// Applies events in order, then wakes the analysis task.
async fn state_task(client: Client, mut rx: mpsc::UnboundedReceiver<Event>, shared: Arc<Mutex<Shared>>) {
    let generation = Arc::new(AtomicU64::new(0));
    let wake = Arc::new(Notify::new());
    tokio::spawn(analysis_task(
        client.clone(),
        shared.clone(),
        generation.clone(),
        wake.clone(),
    ));
    while let Some(event) = rx.recv().await {
        {
            let Ok(mut state) = shared.lock() else { return };
            match event {
                Event::Snapshot { uri, reply } => {
                    // The requester may have gone (cancelled); nothing to re-analyse either way.
                    let _ = reply.send(state.documents.get(&uri).cloned());
                    continue;
                }
                Event::Open { uri, text, version } => {
                    state.documents.insert(uri, Document::new(&text, version));
                }
                Event::Change { uri, version, changes } => {
                    let mut failed = false;
                    if let Some(doc) = state.documents.get_mut(&uri) {
                        for change in &changes {
                            if doc.apply(change).is_err() {
                                failed = true;
                            }
                        }
                        doc.version = version;
                    }
                    if failed {
                        let client = client.clone();
                        tokio::spawn(async move {
                            client
                                .log_message(
                                    MessageType::ERROR,
                                    format!("nixpilot: an edit to {uri} was outside the document"),
                                )
                                .await;
                        });
                    }
                }
                Event::Close { uri } => {
                    state.documents.remove(&uri);
                }
                Event::Refresh => {}
            }
        }
        generation.fetch_add(1, Ordering::SeqCst);
        wake.notify_one();
    }
}

/// Runs analyses one at a time: at once when the server was idle (an edit's diagnostics
/// cost one analysis, not a fixed wait), and, when events arrived during a run, once more
/// for all of them together as soon as it ends (the stale run publishes nothing).
async fn analysis_task(client: Client, shared: Arc<Mutex<Shared>>, generation: Arc<AtomicU64>, wake: Arc<Notify>) {
    let mut analysed = 0;
    loop {
        wake.notified().await;
        loop {
            let this = generation.load(Ordering::SeqCst);
            if this == analysed {
                break;
            }
            analyze_and_publish(&client, &shared, &generation, this).await;
            analysed = this;
        }
    }
}

async fn analyze_and_publish(client: &Client, shared: &Arc<Mutex<Shared>>, generation: &Arc<AtomicU64>, this: u64) {
    let (open, settings): (Vec<(PathBuf, Document)>, _) = match shared.lock() {
        Ok(state) => (
            state
                .documents
                .iter()
                .filter_map(|(uri, doc)| uri.to_file_path().ok().map(|p| (p, doc.clone())))
                .collect(),
            state.settings.clone(),
        ),
        Err(_) => return,
    };
    let analyses = tokio::task::spawn_blocking(move || {
        let mut by_root: BTreeMap<PathBuf, (analysis::AnalysisRoot, Vec<(PathBuf, Document)>)> = BTreeMap::new();
        for (path, doc) in open {
            let root = analysis::analysis_root(&path);
            by_root
                .entry(root.dir.clone())
                .or_insert_with(|| (root, Vec::new()))
                .1
                .push((path, doc));
        }
        by_root
            .into_iter()
            .map(|(_, (root, docs))| analysis::analyze(&root, &docs, &settings))
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(analyses) = analyses else { return };
    // Stale: edits arrived while this ran; their own run will publish.
    if generation.load(Ordering::SeqCst) != this {
        return;
    }
    let mut publish: Vec<(Url, Vec<Diagnostic>, Option<i32>)> = Vec::new();
    let mut messages = Vec::new();
    // The last run's models are dropped after publishing, not under the lock or before it.
    let previous;
    {
        let Ok(mut state) = shared.lock() else { return };
        let mut now_published = HashSet::new();
        for a in &analyses {
            if let Some(e) = &a.config_error {
                messages.push(format!("nixpilot: {e} (using the default configuration)"));
            }
            // Open documents get a (possibly empty) list every time: clients show "clean".
            let mut paths: Vec<&String> = a.diagnostics.keys().collect();
            paths.extend(a.open.iter().filter(|p| !a.diagnostics.contains_key(*p)));
            let empty = Vec::new();
            for path in paths {
                let diags = a.diagnostics.get(path).unwrap_or(&empty);
                let Some(uri) = convert::Texts::uri(a, path) else {
                    continue;
                };
                let lsp: Vec<Diagnostic> = diags.iter().filter_map(|d| convert::diagnostic(d, a)).collect();
                let version = state.documents.get(&uri).map(|d| d.version);
                now_published.insert(uri.clone());
                publish.push((uri, lsp, version));
            }
        }
        for uri in state.published.difference(&now_published) {
            publish.push((uri.clone(), Vec::new(), None));
        }
        // Trees parsed for this run go with their buffers, so the next edit re-parses one binding.
        for a in &analyses {
            for (path, version, tree) in &a.trees {
                let Ok(uri) = Url::from_file_path(path) else { continue };
                if let Some(doc) = state.documents.get_mut(&uri) {
                    if doc.version == *version && doc.parsed.is_none() && doc.rope.len_bytes() == tree.source.text.len()
                    {
                        doc.parsed = Some(tree.clone());
                    }
                }
            }
        }
        state.published = now_published;
        let new = analyses.into_iter().map(|a| (a.root.clone(), a)).collect();
        previous = std::mem::replace(&mut state.analyses, new);
    }
    for message in messages {
        client.log_message(MessageType::WARNING, message).await;
    }
    for (uri, diagnostics, version) in publish {
        client.publish_diagnostics(uri, diagnostics, version).await;
    }
    drop(previous);
}

#[tower_lsp::async_trait]
impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let workspace = params.capabilities.workspace.as_ref();
        let abilities = ClientAbilities {
            watch_registration: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
        };
        if let Ok(mut can) = self.client_can.lock() {
            *can = abilities;
        }
        let folders: Vec<PathBuf> = match &params.workspace_folders {
            Some(folders) => folders.iter().filter_map(|f| f.uri.to_file_path().ok()).collect(),
            None => params.root_uri.iter().filter_map(|u| u.to_file_path().ok()).collect(),
        };
        if let Ok(mut known) = self.workspace_folders.lock() {
            *known = folders;
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "nixpilot".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..TextDocumentSyncOptions::default()
                })),
                definition_provider: Some(OneOf::Left(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "\"".into()]),
                    ..CompletionOptions::default()
                }),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: crate::actions::COMMANDS.iter().map(|c| c.to_string()).collect(),
                    ..ExecuteCommandOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![
                        CodeActionKind::QUICKFIX,
                        CodeActionKind::new("source.nixpilot.bootstrap"),
                        CodeActionKind::new("source.nixpilot.updateKeys"),
                    ]),
                    ..CodeActionOptions::default()
                })),
                ..ServerCapabilities::default()
            },
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Project rules read these files; editors only tell us about them when asked to.
        let watchers = [
            "**/flake.nix",
            "**/flake.lock",
            "**/.sops.yaml",
            "**/*.nix",
            "**/hosts/**",
            "**/nixpilot.toml",
        ]
        .iter()
        .map(|g| FileSystemWatcher {
            glob_pattern: GlobPattern::String(g.to_string()),
            kind: None,
        })
        .collect();
        let registration = Registration {
            id: "nixpilot-watched-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions { watchers }).ok(),
        };
        let can = self.client_can.lock().map(|c| *c).unwrap_or_default();
        // Without dynamic registration, saving a file still refreshes the analysis. A client
        // that never answers must not keep this handler (and so the server's exit) waiting.
        if can.watch_registration {
            let _ = tokio::time::timeout(
                CLIENT_ANSWER_TIMEOUT,
                self.client.register_capability(vec![registration]),
            )
            .await;
        }
        self.load_settings().await;
    }

    async fn did_change_configuration(&self, _: DidChangeConfigurationParams) {
        self.load_settings().await;
    }

    async fn shutdown(&self) -> Result<()> {
        SHUTDOWN_REQUESTED.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        self.send(Event::Open {
            uri: d.uri,
            text: d.text,
            version: d.version,
        });
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let d = params.text_document;
        self.send(Event::Change {
            uri: d.uri,
            version: d.version,
            changes: params.content_changes,
        });
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.send(Event::Close {
            uri: params.text_document.uri,
        });
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        self.send(Event::Refresh);
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        self.send(Event::Refresh);
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        if let Ok(mut folders) = self.workspace_folders.lock() {
            for gone in &params.event.removed {
                if let Ok(path) = gone.uri.to_file_path() {
                    folders.retain(|f| *f != path);
                }
            }
            folders.extend(params.event.added.iter().filter_map(|f| f.uri.to_file_path().ok()));
        }
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        let Some((root, rel, text, offset)) = self.locate(&at.text_document.uri, at.position).await else {
            return Ok(None);
        };
        let Ok(state) = self.shared.lock() else { return Ok(None) };
        let Some(project) = state.analyses.get(&root).and_then(|a| a.project.as_ref()) else {
            return Ok(None);
        };
        let exists = |p: &str| std::fs::metadata(root.join(p)).ok().map(|m| m.is_file());
        let Some(target) = crate::navigation::definition(project, &rel, &text, offset, &exists) else {
            return Ok(None);
        };
        let Ok(uri) = Url::from_file_path(root.join(&target.file)) else {
            return Ok(None);
        };
        // The range needs the target's text: an open buffer, the model's copy, or the disk.
        let doc = state
            .analyses
            .get(&root)
            .and_then(|a| a.texts.get(&target.file).cloned())
            .or_else(|| {
                nixpilot_lint::vfs::read_confined(&root, &target.file, nixpilot_lint::vfs::MAX_FILE_BYTES)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .map(|t| Document::new(&t, 0))
            });
        let range = doc.map(|d| d.range(target.range)).unwrap_or_default();
        Ok(Some(GotoDefinitionResponse::Scalar(Location { uri, range })))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let Some((root, rel, text, offset)) = self.locate(&at.text_document.uri, at.position).await else {
            return Ok(None);
        };
        let Ok(state) = self.shared.lock() else { return Ok(None) };
        let Some(project) = state.analyses.get(&root).and_then(|a| a.project.as_ref()) else {
            return Ok(None);
        };
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let items = crate::completion::complete(project, &rel, &text[line_start..offset]);
        Ok(Some(CompletionResponse::Array(
            items
                .into_iter()
                .map(|i| CompletionItem {
                    label: i.label,
                    detail: Some(i.detail),
                    kind: Some(CompletionItemKind::MODULE),
                    ..CompletionItem::default()
                })
                .collect(),
        )))
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let uri = params.text_document.uri;
        let Some(doc) = self.snapshot(&uri).await else {
            return Ok(None);
        };
        let Ok(path) = uri.to_file_path() else { return Ok(None) };
        let root = analysis::analysis_root(&path);
        if !root.is_project {
            return Ok(None);
        }
        let root = root.dir;
        let rel = nixpilot_lint::vfs::relative_path(&root, &path);
        let Some(tree) = document_tree(&doc) else {
            return Ok(None);
        };
        let mut links = Vec::new();
        for token in tree.descendants_with_tokens().filter_map(|e| e.into_token()) {
            if token.kind() != rnix::SyntaxKind::TOKEN_PATH_REL {
                continue;
            }
            let Some(target) =
                nixpilot_lint::project::source::join(nixpilot_lint::project::source::parent(&rel), token.text())
            else {
                continue;
            };
            let mut full = root.join(&target);
            if full.is_dir() {
                full = full.join("default.nix");
            }
            if !full.is_file() {
                continue;
            }
            if let Ok(target) = Url::from_file_path(&full) {
                links.push(DocumentLink {
                    range: doc.range(token.text_range()),
                    target: Some(target),
                    tooltip: None,
                    data: None,
                });
            }
        }
        Ok(Some(links))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<serde_json::Value>> {
        let command = params.command.clone();
        let args = params.arguments.clone();
        let roots = self.command_roots();
        let prepared = tokio::task::spawn_blocking(move || crate::actions::prepare(&command, &args, &roots())).await;
        let prepared = match prepared {
            Ok(Ok(p)) => p,
            Ok(Err(message)) => {
                self.client
                    .show_message(MessageType::ERROR, format!("nixpilot: {message}"))
                    .await;
                return Err(tower_lsp::jsonrpc::Error::invalid_params(message));
            }
            Err(_) => return Err(tower_lsp::jsonrpc::Error::internal_error()),
        };
        // Nothing that changes keys or secrets happens without the user's yes.
        if let Some(question) = prepared.question() {
            let apply = MessageActionItem {
                title: "Apply".into(),
                properties: Default::default(),
            };
            let cancel = MessageActionItem {
                title: "Cancel".into(),
                properties: Default::default(),
            };
            let answer = self
                .client
                .show_message_request(MessageType::INFO, question, Some(vec![apply, cancel]))
                .await;
            if !matches!(answer, Ok(Some(ref a)) if a.title == "Apply") {
                self.client
                    .show_message(MessageType::INFO, format!("nixpilot: {} cancelled", params.command))
                    .await;
                return Ok(None);
            }
        }
        let token = NumberOrString::String(format!("nixpilot-{}", params.command));
        let progress = self
            .client
            .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams { token: token.clone() })
            .await
            .is_ok();
        let report = |value: WorkDoneProgress| ProgressParams {
            token: token.clone(),
            value: ProgressParamsValue::WorkDone(value),
        };
        if progress {
            let begin = WorkDoneProgressBegin {
                title: params.command.clone(),
                cancellable: Some(false),
                ..Default::default()
            };
            self.client
                .send_notification::<notification::Progress>(report(WorkDoneProgress::Begin(begin)))
                .await;
        }
        // Pipeline lines go to the client as they come (log lines and progress reports).
        let (lines_tx, mut lines_rx) = mpsc::unbounded_channel::<String>();
        let forward = {
            let client = self.client.clone();
            let token = token.clone();
            tokio::spawn(async move {
                while let Some(line) = lines_rx.recv().await {
                    if progress {
                        let report = WorkDoneProgressReport {
                            message: Some(line.clone()),
                            ..Default::default()
                        };
                        let value = ProgressParamsValue::WorkDone(WorkDoneProgress::Report(report));
                        client
                            .send_notification::<notification::Progress>(ProgressParams {
                                token: token.clone(),
                                value,
                            })
                            .await;
                    }
                    client.log_message(MessageType::LOG, line).await;
                }
            })
        };
        let result = tokio::task::spawn_blocking(move || {
            let log = move |line: String| {
                let _ = lines_tx.send(line);
            };
            crate::actions::run(prepared, &log)
        })
        .await;
        let _ = forward.await;
        if progress {
            let end = WorkDoneProgressEnd { message: None };
            self.client
                .send_notification::<notification::Progress>(report(WorkDoneProgress::End(end)))
                .await;
        }
        match result {
            Ok(Ok(lines)) => {
                for line in &lines {
                    self.client.log_message(MessageType::INFO, line.clone()).await;
                }
                if let Some(last) = lines.last() {
                    self.client
                        .show_message(MessageType::INFO, format!("nixpilot: {last}"))
                        .await;
                }
                self.send(Event::Refresh);
                Ok(None)
            }
            Ok(Err(message)) => {
                self.client
                    .show_message(MessageType::ERROR, format!("nixpilot: {message}"))
                    .await;
                Err(tower_lsp::jsonrpc::Error {
                    code: tower_lsp::jsonrpc::ErrorCode::ServerError(1),
                    message: message.into(),
                    data: None,
                })
            }
            Err(_) => Err(tower_lsp::jsonrpc::Error::internal_error()),
        }
    }

    #[allow(deprecated)] // SymbolInformation::deprecated is a required field of the type.
    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let uri = params.text_document.uri;
        let Some(doc) = self.snapshot(&uri).await else {
            return Ok(None);
        };
        // Parsing a large buffer takes a while: on a blocking thread, off the state.
        let symbols = tokio::task::spawn_blocking(move || {
            let Some(tree) = document_tree(&doc) else {
                return Vec::new();
            };
            crate::navigation::symbols(&tree)
                .into_iter()
                .map(|(name, is_let, range)| SymbolInformation {
                    name,
                    kind: if is_let {
                        SymbolKind::VARIABLE
                    } else {
                        SymbolKind::PROPERTY
                    },
                    tags: None,
                    deprecated: None,
                    location: Location {
                        uri: uri.clone(),
                        range: doc.range(range),
                    },
                    container_name: None,
                })
                .collect()
        })
        .await
        .map_err(|_| tower_lsp::jsonrpc::Error::internal_error())?;
        Ok(Some(DocumentSymbolResponse::Flat(symbols)))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        let Some((root, rel, text, offset)) = self.locate(&at.text_document.uri, at.position).await else {
            return Ok(None);
        };
        let Ok(state) = self.shared.lock() else { return Ok(None) };
        let Some(analysis) = state.analyses.get(&root) else {
            return Ok(None);
        };
        let mut value = analysis
            .project
            .as_ref()
            .and_then(|p| crate::navigation::hover(p, &text, offset));
        if value.is_none() {
            // On a diagnostic: what the rule is about, and where its documentation is.
            let docs: Vec<String> = analysis
                .diagnostics
                .get(&rel)
                .map(|ds| {
                    ds.iter()
                        .filter(|d| {
                            usize::from(d.span.range.start()) <= offset && offset <= usize::from(d.span.range.end())
                        })
                        .filter_map(|d| nixpilot_lint::rules::by_name(d.rule))
                        .map(|m| {
                            format!(
                                "**{}** ({}): {}\n\n[documentation]({})",
                                m.name,
                                m.default_severity,
                                m.summary(),
                                m.help_uri()
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !docs.is_empty() {
                value = Some(docs.join("\n\n---\n\n"));
            }
        }
        Ok(value.map(|value| Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: None,
        }))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let current = self.snapshot(&params.text_document.uri).await.map(|d| d.text());
        let Ok(path) = params.text_document.uri.to_file_path() else {
            return Ok(None);
        };
        let root = analysis::analysis_root(&path).dir;
        let Ok(state) = self.shared.lock() else { return Ok(None) };
        let Some(analysis) = state.analyses.get(&root) else {
            return Ok(Some(Vec::new()));
        };
        let rel = nixpilot_lint::vfs::relative_path(&root, &path);
        // Fixes computed on an older text than the buffer's would edit the wrong place.
        if current.is_some() && analysis.texts.get(&rel).map(|d| d.text()) != current {
            return Ok(Some(Vec::new()));
        }
        let mut actions = Vec::new();
        for d in analysis.diagnostics.get(&rel).map(Vec::as_slice).unwrap_or_default() {
            let Some(lsp) = convert::diagnostic(d, analysis) else {
                continue;
            };
            let r = params.range;
            let overlaps = !(lsp.range.end < r.start || r.end < lsp.range.start);
            if !overlaps {
                continue;
            }
            actions.extend(convert::quick_fixes(d, &lsp, analysis));
            actions.extend(convert::allow_action(d, &lsp, analysis));
        }
        // The host's pipeline actions come after the fixes for what is under the cursor.
        if let Some(project) = &analysis.project {
            actions.extend(crate::actions::code_actions(&root, project, &rel));
        }
        Ok(Some(actions))
    }
}

/// The syntax tree of a document's current text: the one kept with the buffer when there is
/// one, else a guarded parse (`None` for a buffer nested too deeply to parse).
fn document_tree(doc: &Document) -> Option<rnix::SyntaxNode> {
    match &doc.parsed {
        Some(parsed) if parsed.refused.is_none() => Some(parsed.syntax()),
        Some(_) => None,
        None => nixpilot_lint::parse::syntax(&doc.text()),
    }
}
