//! Arbitrary bytes as the language server's input stream, through the framing layer.
//! Oracles: no panic, every frame is consumed (the reader always advances), bodies are JSON objects.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nixpilot_lsp::transport::{read_frame, Frame};
use tokio::io::BufReader;

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    runtime.block_on(async {
        let mut reader = BufReader::new(data);
        // Each frame consumes at least one byte, so this many reads always reach the end.
        for _ in 0..=data.len() {
            match read_frame(&mut reader).await {
                Frame::Eof => return,
                Frame::Malformed | Frame::TooLarge(_) => {}
                Frame::Body(body) => {
                    let value: serde_json::Value = serde_json::from_slice(&body).expect("a body is JSON");
                    assert!(value.is_object(), "a body is a JSON object");
                }
            }
        }
        panic!("the reader did not reach the end of {} bytes", data.len());
    });
});
