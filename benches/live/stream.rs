//! The server side of the live bench: real frames re-stamped and paced by a token bucket,
//! with injected hijack pairs.

use crate::common::own_cpu;
use crate::{watched_prefix, Settings, HIJACKER_AS, HIJACK_PEERS};
use futures_util::SinkExt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;

/// Pacing tick of the token bucket.
const TICK: Duration = Duration::from_millis(1);
/// Bucket depth: tokens beyond this much sending time are lost (the server fell behind).
const BUCKET_DEPTH: Duration = Duration::from_millis(20);

/// A real frame split around its timestamp, so that it can be re-stamped cheaply.
pub struct Template {
    head: String,
    tail: Option<String>,
}

impl Template {
    pub fn new(line: &str) -> Template {
        const KEY: &str = "\"timestamp\":";
        let Some(at) = line.find(KEY).map(|i| i + KEY.len()) else {
            return Template {
                head: line.to_string(),
                tail: None,
            };
        };
        let rest = &line[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        Template {
            head: line[..at].to_string(),
            tail: Some(rest[end..].to_string()),
        }
    }

    pub fn stamped(&self, now: &str) -> String {
        match &self.tail {
            Some(tail) => {
                let mut line = String::with_capacity(self.head.len() + now.len() + tail.len());
                line.push_str(&self.head);
                line.push_str(now);
                line.push_str(tail);
                line
            }
            None => self.head.clone(),
        }
    }
}

/// One injected hijack.
pub struct Injected {
    pub prefix: String,
    /// When its second frame had been written to the socket.
    pub sent: Instant,
}

/// What the streaming phase did.
pub struct Streamed {
    pub messages: u64,
    pub seconds: f64,
    pub hijacks: Vec<Injected>,
    /// This process's CPU (the server) over the streaming phase.
    pub server_cpu: Duration,
}
pub type WsSink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    Message,
>;

/// A token bucket refilled on tokio's clock every [`TICK`]: how many frames may go now.
pub struct Pacer {
    rate: f64,
    depth: f64,
    ticker: tokio::time::Interval,
    last: tokio::time::Instant,
    tokens: f64,
}

impl Pacer {
    pub async fn new(rate: u64) -> Pacer {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker.tick().await;
        Pacer {
            rate: rate as f64,
            depth: (rate as f64 * BUCKET_DEPTH.as_secs_f64()).max(2.0),
            ticker,
            last: tokio::time::Instant::now(),
            tokens: 0.0,
        }
    }

    /// Waits for the next tick; the time then.
    pub async fn tick(&mut self) -> tokio::time::Instant {
        self.ticker.tick().await;
        let now = tokio::time::Instant::now();
        self.tokens = (self.tokens + self.rate * (now - self.last).as_secs_f64()).min(self.depth);
        self.last = now;
        now
    }

    /// Takes every whole token: the frames to send now.
    pub fn take(&mut self) -> u64 {
        let n = self.tokens.max(0.0).floor();
        self.tokens -= n;
        n as u64
    }

    /// Spends `n` tokens on frames sent outside [`Pacer::take`].
    pub fn spend(&mut self, n: u64) {
        self.tokens -= n as f64;
    }
}

/// Sends `frames` (already stamped) and flushes.
pub async fn send_all(ws: &mut WsSink, frames: impl Iterator<Item = String>) -> Result<(), String> {
    let send_error = |e| format!("sending to the child: {e}");
    for frame in frames {
        ws.feed(Message::text(frame)).await.map_err(send_error)?;
    }
    ws.flush().await.map_err(send_error)
}

/// What to stream.
pub struct Phase {
    pub duration: Duration,
    /// Hijack pairs of watched prefixes (up to this many), one every `Settings::hijack_every`;
    /// 0 for a quiet phase.
    pub hijacks: usize,
}

/// Streams the looped real frames at `rate`, starting at frame `*next_line`, with hijack pairs.
pub async fn stream_frames(
    ws: &mut WsSink,
    templates: &[Template],
    rate: u64,
    settings: &Settings,
    phase: Phase,
    next_line: &mut usize,
) -> Result<Streamed, String> {
    let watched = phase.hijacks;
    let mut pacer = Pacer::new(rate).await;
    let own_before = own_cpu();
    let start = tokio::time::Instant::now();
    let end = start + phase.duration;
    let mut next_hijack = start + settings.hijack_every;
    let mut messages = 0u64;
    let mut hijacks = Vec::new();
    loop {
        let now = pacer.tick().await;
        if now >= end {
            break;
        }
        let stamp = unix_now();
        if now >= next_hijack && hijacks.len() < watched {
            let prefix = watched_prefix(hijacks.len());
            let pair = HIJACK_PEERS.map(|(peer, asn)| hijack_frame(&stamp, peer, asn, &prefix));
            send_all(ws, pair.into_iter()).await?;
            hijacks.push(Injected {
                prefix,
                sent: Instant::now(),
            });
            messages += 2;
            pacer.spend(2);
            while next_hijack <= now {
                next_hijack += settings.hijack_every;
            }
        }
        let n = pacer.take();
        if n > 0 {
            let lines = (0..n).map(|_| {
                let line = templates[*next_line].stamped(&stamp);
                *next_line = (*next_line + 1) % templates.len();
                line
            });
            send_all(ws, lines).await?;
            messages += n;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(Streamed {
        messages,
        seconds,
        hijacks,
        server_cpu: own_cpu().saturating_sub(own_before),
    })
}

/// A RIS Live UPDATE frame announcing `prefix` from [`HIJACKER_AS`] through `peer`.
pub fn hijack_frame(stamp: &str, peer: &str, asn: u32, prefix: &str) -> String {
    format!(
        concat!(
            r#"{{"type":"ris_message","data":{{"timestamp":{stamp},"peer":"{peer}","peer_asn":"{asn}","#,
            r#""id":"{peer}-{stamp}-bench","host":"rrc00","type":"UPDATE","path":[{asn},174,{hijacker}],"#,
            r#""origin":"igp","announcements":[{{"next_hop":"{peer}","prefixes":["{prefix}"]}}]}}}}"#
        ),
        stamp = stamp,
        peer = peer,
        asn = asn,
        hijacker = HIJACKER_AS,
        prefix = prefix
    )
}

/// Now as RIS Live writes it: UNIX seconds with two decimals.
pub fn unix_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:02}", now.as_secs(), now.subsec_millis() / 10)
}
