//! Message framing in front of tower-lsp. tower-lsp stops reading for good after one
//! malformed message (its framed reader ends on the first decode error); this layer answers a
//! malformed message with a JSON-RPC parse error itself and passes only well-formed JSON on.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Largest message accepted; larger ones are refused rather than buffered.
const MAX_MESSAGE: usize = 256 << 20;

/// Longest header line read; real ones are a few dozen bytes.
const MAX_HEADER_LINE: u64 = 8 << 10;

/// Set once the client's `exit` has passed: the process must end soon after, even if a
/// handler is still waiting for the client.
pub static EXIT_SEEN: tokio::sync::Notify = tokio::sync::Notify::const_new();

const PARSE_ERROR: &str = r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#;

/// One framed message read from a stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Body(Vec<u8>),
    /// Headers without a usable Content-Length, or a body that is not JSON.
    Malformed,
    Eof,
}

/// Reads the next message: headers, then a body of `Content-Length` bytes that must be a JSON
/// object. Public for the fuzz target that feeds it arbitrary bytes.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Frame {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        match (&mut *reader).take(MAX_HEADER_LINE).read_until(b'\n', &mut line).await {
            Ok(0) => return if saw_header { Frame::Malformed } else { Frame::Eof },
            // A header line that never ends must not grow without bound.
            Ok(n) if n as u64 == MAX_HEADER_LINE && !line.ends_with(b"\n") => return Frame::Malformed,
            Ok(_) => {}
            Err(_) => return Frame::Eof,
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                // Stray blank line between messages.
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok();
            }
        }
    }
    let Some(length) = length.filter(|l| *l <= MAX_MESSAGE) else {
        return Frame::Malformed;
    };
    // Grown as bytes arrive: a header claiming 256 MiB costs nothing until they are sent.
    let mut body = Vec::new();
    match (&mut *reader).take(length as u64).read_to_end(&mut body).await {
        Ok(n) if n == length => {}
        _ => return Frame::Eof,
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(mut message)) => {
            // `"params": null` (sent by some clients for shutdown/exit) means "no params" in
            // JSON-RPC, but tower-lsp rejects it; drop it.
            if message.get("params") == Some(&serde_json::Value::Null) {
                message.remove("params");
                return serde_json::to_vec(&message).map_or(Frame::Malformed, Frame::Body);
            }
            Frame::Body(body)
        }
        _ => Frame::Malformed,
    }
}

async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, body: &[u8]) -> std::io::Result<()> {
    writer
        .write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    writer.write_all(body).await?;
    writer.flush().await
}

/// Runs tower-lsp between `input` and `output` through the validating framing layer.
pub async fn serve<I, O>(
    input: I,
    output: O,
    service: tower_lsp::LspService<crate::server::Server>,
    socket: tower_lsp::ClientSocket,
) where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, from_server) = tokio::io::duplex(1 << 16);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();

    // The only writer of the real output: whole messages, never interleaved.
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(body) = out_rx.recv().await {
            if write_frame(&mut output, &body).await.is_err() {
                return;
            }
        }
    });

    let from_server_tx = out_tx.clone();
    let server_to_output = tokio::spawn(async move {
        let mut reader = BufReader::new(from_server);
        loop {
            match read_frame(&mut reader).await {
                Frame::Body(body) => {
                    if from_server_tx.send(body).is_err() {
                        return;
                    }
                }
                Frame::Malformed => continue,
                Frame::Eof => return,
            }
        }
    });

    let input_to_server = tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        let mut to_server = to_server;
        loop {
            match read_frame(&mut reader).await {
                Frame::Body(body) => {
                    if write_frame(&mut to_server, &body).await.is_err() {
                        return;
                    }
                    // tower-lsp only notices `exit` when it next reads; end its input now.
                    let is_exit = serde_json::from_slice::<serde_json::Value>(&body)
                        .is_ok_and(|m| m.get("method").and_then(|v| v.as_str()) == Some("exit"));
                    if is_exit {
                        EXIT_SEEN.notify_one();
                        return;
                    }
                }
                Frame::Malformed => {
                    let _ = out_tx.send(PARSE_ERROR.as_bytes().to_vec());
                }
                // Closing our end tells tower-lsp the client is gone.
                Frame::Eof => return,
            }
        }
    });

    tower_lsp::Server::new(server_in, server_out, socket)
        .serve(service)
        .await;
    input_to_server.abort();
    let _ = server_to_output.await;
    let _ = writer.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(async {
            let mut reader = BufReader::new(input);
            let mut out = Vec::new();
            loop {
                match read_frame(&mut reader).await {
                    Frame::Eof => return out,
                    frame => out.push(frame),
                }
            }
        })
    }

    #[test]
    fn hostile_headers_cost_bounded_memory() {
        // A header line without end, and a length promising 256 MiB that never arrive.
        let endless = vec![b'a'; 1 << 20];
        assert!(frames(&endless).iter().all(|f| *f == Frame::Malformed));
        assert!(frames(b"Content-Length: 268435456\r\n\r\n{}").is_empty());
        assert_eq!(frames(b"Content-Length: 268435457\r\n\r\n"), vec![Frame::Malformed]);
        assert_eq!(
            frames(b"Content-Length: 2\r\n\r\n{}Content-Length: 2\r\n\r\n[]"),
            vec![Frame::Body(b"{}".to_vec()), Frame::Malformed]
        );
    }
}
