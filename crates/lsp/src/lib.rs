//! nixpilot-lsp: the language server over the lint engine and project model, on stdio.
//! Analysis is the lint crate's; this crate only speaks LSP.

pub mod actions;
pub mod analysis;
pub mod completion;
pub mod convert;
pub mod documents;
pub mod navigation;
pub mod server;
pub mod transport;

use tower_lsp::LspService;

/// Serves LSP on stdin/stdout until the client exits.
pub async fn serve_stdio() {
    let (service, socket) = LspService::new(server::Server::new);
    transport::serve(tokio::io::stdin(), tokio::io::stdout(), service, socket).await;
}

/// Blocking entry point for the binary. Returns whether `shutdown` came before the end (the
/// LSP spec's exit code is 0 then, 1 otherwise).
pub fn run() -> std::io::Result<bool> {
    // Analyses run on the runtime's (blocking) threads: with the parse stack, deep buffers parse
    // there instead of on a thread spawned per parse.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(nixpilot_lint::parse::PARSE_STACK)
        .on_thread_start(nixpilot_lint::parse::mark_large_stack_thread)
        .build()?;
    runtime.block_on(async {
        tokio::select! {
            _ = serve_stdio() => {}
            // After `exit`, a handler still waiting for the client must not keep us alive.
            _ = async {
                transport::EXIT_SEEN.notified().await;
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            } => {}
            // Nor after the input ends without `exit` (the editor died): a question the server
            // asked, such as a confirmation, would wait forever. Work in flight gets 2 s.
            _ = async {
                transport::INPUT_CLOSED.notified().await;
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            } => {}
        }
    });
    // tokio's stdin reader sits in a blocking read that only the client can end; don't wait.
    runtime.shutdown_background();
    Ok(server::SHUTDOWN_REQUESTED.load(std::sync::atomic::Ordering::SeqCst))
}
