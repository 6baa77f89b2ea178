//! A RIS-Live-compatible websocket server for tests: records what clients send, answers
//! `ping` with `pong`, and plays a script of actions per connection.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// A RIS Live frame: `peer` (AS `asn`) announces 198.51.100.0/24 from AS64666 at `t`.
pub fn hijack_frame(peer: &str, asn: u32, t: f64) -> String {
    serde_json::json!({"type": "ris_message", "data": {"timestamp": t, "peer": peer, "peer_asn": asn.to_string(),
        "host": "rrc00.ripe.net", "type": "UPDATE", "path": [asn, 64666],
        "announcements": [{"next_hop": peer, "prefixes": ["198.51.100.0/24"]}]}})
    .to_string()
}

/// What the server does on one connection, in order.
#[derive(Debug, Clone)]
pub enum Action {
    /// Wait until the client has sent this many `ris_subscribe` messages.
    AwaitSubscriptions(usize),
    /// Send text lines (RIS Live frames).
    Send(Vec<String>),
    /// Send one raw text frame of this many bytes.
    SendHuge(usize),
    /// Send one text message of `total` bytes as websocket fragments of `fragment` bytes each
    /// (a message that never ends, to a client that buffers fragments).
    SendFragmented {
        /// Bytes in the whole message.
        total: usize,
        /// Bytes per fragment.
        fragment: usize,
    },
    /// Send `count` text frames, cycling through `lines`, in chunks of 256 frames.
    Cycle {
        /// The frames, reused in turn.
        lines: Arc<Vec<String>>,
        /// How many to send in all.
        count: usize,
        /// Least time between the starts of two chunks; `None`: as fast as the socket takes them.
        chunk_every: Option<Duration>,
    },
    /// Pause.
    Sleep(Duration),
    /// Close the connection abruptly (drop the TCP stream).
    Drop,
    /// Keep the connection open, answering pings, until the test ends.
    Idle,
}

/// Shared record of what clients sent.
#[derive(Debug, Default)]
pub struct Record {
    /// Connections accepted.
    pub connections: usize,
    /// Every text message received, per connection.
    pub received: Vec<Vec<String>>,
}

/// A running server.
pub struct Server {
    /// `ws://127.0.0.1:PORT/v1/ws/`.
    pub url: String,
    /// What clients sent.
    pub record: Arc<Mutex<Record>>,
}

/// Starts a server; connection `i` plays `scripts[i]` (the last script repeats).
pub async fn start(scripts: Vec<Vec<Action>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v1/ws/?client=test", listener.local_addr().unwrap());
    let record = Arc::new(Mutex::new(Record::default()));
    let rec = record.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let index = {
                let mut r = rec.lock().unwrap();
                r.connections += 1;
                r.received.push(Vec::new());
                r.connections - 1
            };
            let script = scripts[index.min(scripts.len() - 1)].clone();
            let rec = rec.clone();
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                play(ws, script, rec, index).await;
            });
        }
    });
    Server { url, record }
}

async fn play(
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    script: Vec<Action>,
    record: Arc<Mutex<Record>>,
    index: usize,
) {
    let (mut tx, mut rx) = ws.split();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
    // Reader: records client messages and answers pings.
    let rec = record.clone();
    let pong = out_tx.clone();
    let reader = tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = rx.next().await {
            if text.contains("\"ping\"") {
                let _ = pong.send(Message::text(r#"{"type":"pong","data":null}"#));
            }
            rec.lock().unwrap().received[index].push(text.to_string());
        }
    });
    let subscriptions = |rec: &Arc<Mutex<Record>>| {
        rec.lock().unwrap().received[index]
            .iter()
            .filter(|m| m.contains("ris_subscribe"))
            .count()
    };
    for action in script {
        while let Ok(m) = out_rx.try_recv() {
            let _ = tx.send(m).await;
        }
        match action {
            Action::AwaitSubscriptions(n) => {
                for _ in 0..500 {
                    if subscriptions(&record) >= n {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            Action::Send(lines) => {
                for line in lines {
                    if tx.send(Message::text(line)).await.is_err() {
                        return;
                    }
                }
            }
            Action::SendHuge(n) => {
                let _ = tx.send(Message::text("x".repeat(n))).await;
            }
            Action::Cycle {
                lines,
                count,
                chunk_every,
            } => {
                let mut next_chunk = tokio::time::Instant::now();
                for i in 0..count {
                    if let (0, Some(every)) = (i % 256, chunk_every) {
                        tokio::time::sleep_until(next_chunk).await;
                        next_chunk += every;
                    }
                    let line = lines[i % lines.len()].clone();
                    if tx.feed(Message::text(line)).await.is_err() {
                        return;
                    }
                    if i % 256 == 255 {
                        while let Ok(m) = out_rx.try_recv() {
                            let _ = tx.feed(m).await;
                        }
                        if tx.flush().await.is_err() {
                            return;
                        }
                    }
                }
                if tx.flush().await.is_err() {
                    return;
                }
            }
            Action::SendFragmented { total, fragment } => {
                use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
                use tokio_tungstenite::tungstenite::protocol::frame::Frame;
                let chunk = bytes::Bytes::from(vec![b'x'; fragment]);
                for i in 0..total.div_ceil(fragment) {
                    let opcode = OpCode::Data(if i == 0 { Data::Text } else { Data::Continue });
                    let last = (i + 1) * fragment >= total;
                    let frame = Frame::message(chunk.clone(), opcode, last);
                    if tx.send(Message::Frame(frame)).await.is_err() {
                        break;
                    }
                }
            }
            Action::Sleep(d) => tokio::time::sleep(d).await,
            Action::Drop => {
                // Both halves must go for the socket to close.
                reader.abort();
                return;
            }
            Action::Idle => {
                while let Some(m) = out_rx.recv().await {
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
                return;
            }
        }
    }
    // Script over: keep answering pings.
    while let Some(m) = out_rx.recv().await {
        if tx.send(m).await.is_err() {
            return;
        }
    }
}
