//! Message framing in front of tower-lsp. tower-lsp stops reading for good after one
//! malformed message (its framed reader ends on the first decode error); this layer answers a
//! malformed message with a JSON-RPC parse error itself and passes only well-formed JSON on; a
//! message over the size limit is discarded as it streams in, so the next one is read intact.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Largest message accepted; larger ones are skipped (read and dropped) rather than buffered.
const MAX_MESSAGE: u64 = 256 << 20;

/// Longest header line read; real ones are a few dozen bytes.
const MAX_HEADER_LINE: u64 = 8 << 10;

/// Set when the client's input ends (the editor closed the pipe or died): nobody is left to
/// answer the server's questions, so the process ends even if a handler waits for one.
pub static INPUT_CLOSED: tokio::sync::Notify = tokio::sync::Notify::const_new();

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
    /// A message of this many bytes, over [`MAX_MESSAGE`]: read to its end and dropped.
    TooLarge(u64),
    Eof,
}

/// Reads the next message: headers, then a body of `Content-Length` bytes that must be a JSON
/// object. Public for the fuzz target that feeds it arbitrary bytes.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Frame {
    let mut length: Option<u64> = None;
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
                length = content_length(value.trim());
            }
        }
    }
    let Some(length) = length else {
        return Frame::Malformed;
    };
    if length > MAX_MESSAGE {
        // Discarded as it arrives, through a fixed buffer: the framing stays in step with the
        // client and memory stays flat, however large the claim.
        return match tokio::io::copy(&mut (&mut *reader).take(length), &mut tokio::io::sink()).await {
            Ok(n) if n == length => Frame::TooLarge(length),
            _ => Frame::Eof,
        };
    }
    // Grown as bytes arrive: a header claiming 256 MiB costs nothing until they are sent.
    let mut body = Vec::new();
    match (&mut *reader).take(length).read_to_end(&mut body).await {
        Ok(n) if n as u64 == length => {}
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

/// The value of a Content-Length header: digits only; a number past `u64` counts as the largest
/// (it is skipped like any too-large message: until the input ends).
fn content_length(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.parse().unwrap_or(u64::MAX))
}

fn too_large_error(length: u64) -> Vec<u8> {
    serde_json::json!({
        "jsonrpc": "2.0",
        "error": {
            "code": -32600,
            "message": format!("a message of {length} bytes is over the limit of {MAX_MESSAGE} bytes; it was skipped"),
        },
        "id": null,
    })
    .to_string()
    .into_bytes()
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
                Frame::Malformed | Frame::TooLarge(_) => continue,
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
                Frame::TooLarge(length) => {
                    let _ = out_tx.send(too_large_error(length));
                }
                // Closing our end tells tower-lsp the client is gone.
                Frame::Eof => {
                    INPUT_CLOSED.notify_one();
                    return;
                }
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
        frames_of(input)
    }

    fn frames_of<R: AsyncRead + Unpin>(input: R) -> Vec<Frame> {
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
        // Over the limit and never sent: the skip ends with the input.
        assert!(frames(b"Content-Length: 268435457\r\n\r\n").is_empty());
        assert!(frames(b"Content-Length: 99999999999999999999999\r\n\r\n{}").is_empty());
        assert_eq!(
            frames(b"Content-Length: 2\r\n\r\n{}Content-Length: 2\r\n\r\n[]"),
            vec![Frame::Body(b"{}".to_vec()), Frame::Malformed]
        );
    }

    #[test]
    fn a_message_over_the_limit_is_skipped_and_the_next_one_read() {
        let header = format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE + 1);
        // Generated as read: the body never exists in memory as a whole.
        let body = tokio::io::repeat(b'x').take(MAX_MESSAGE + 1);
        let next = &b"Content-Length: 2\r\n\r\n{}"[..];
        let input = header.as_bytes().chain(body).chain(next);
        assert_eq!(
            frames_of(input),
            vec![Frame::TooLarge(MAX_MESSAGE + 1), Frame::Body(b"{}".to_vec())]
        );
    }
}
