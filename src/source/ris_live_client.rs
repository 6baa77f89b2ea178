//! The RIPE RIS Live websocket client: subscribes to the watched space (or the firehose),
//! reconnects with jittered backoff, pings, and treats silence beyond `stall_after` as a dead
//! session. Messages are decoded by [`super::ris_live::RisLiveDecoder`], as in replay.

use super::live::{Backoff, LiveBatch, LiveInterest, SourceHandle};
use super::ris_live::{LineError, RisLiveDecoder};
use super::{ReadContext, ReadStats, SourceError};
use crate::config::RisLiveMode;
use crate::update::Timestamp;
use crate::watchlist::Watchlist;
use futures_util::{SinkExt, StreamExt};
use ipnet::IpNet;
use serde_json::json;
use std::future::poll_fn;
use std::path::Path;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{interval, sleep, sleep_until, timeout, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

type WebSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// RIS beacon prefixes (origin AS12654): announced and withdrawn on a fixed schedule, so a
/// healthy feed always carries them.
pub const BEACON_PREFIXES: [&str; 2] = ["84.205.64.0/24", "2001:7fb:fe00::/48"];
/// Largest websocket message accepted; RIS Live messages are a few kB.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Frames decoded into one batch at most (a backlog is handed on in slices of this size).
pub const MAX_FRAMES_PER_BATCH: usize = 256;
/// Interval between `ping` messages.
pub const PING_EVERY: Duration = Duration::from_secs(30);
/// Time allowed for the TCP + TLS + websocket handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// First and longest delay between reconnection attempts.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// Longest delay between reconnection attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Settings of one RIS Live source.
#[derive(Debug, Clone)]
pub struct RisLiveSettings {
    /// Websocket URL.
    pub url: String,
    /// Filtered (per watched block) or firehose.
    pub mode: RisLiveMode,
    /// Silence after which the session is dropped and re-established.
    pub stall_after: Duration,
}

/// The watched space aggregated to its covering blocks: entries no other entry covers.
pub fn covering_blocks(watchlist: &Watchlist) -> Vec<IpNet> {
    let mut prefixes: Vec<IpNet> = watchlist.entries().iter().map(|e| e.prefix).collect();
    prefixes.sort_by_key(|p| (p.prefix_len(), *p));
    let mut blocks: Vec<IpNet> = Vec::new();
    for prefix in prefixes {
        if !blocks.iter().any(|b| b.contains(&prefix)) {
            blocks.push(prefix);
        }
    }
    blocks.sort();
    blocks
}

/// The `ris_subscribe` messages for a session.
pub fn subscriptions(watchlist: &Watchlist, mode: RisLiveMode) -> Vec<String> {
    let options = json!({"includeRaw": false});
    let mut messages = Vec::new();
    match mode {
        RisLiveMode::Firehose => messages.push(
            json!({"type": "ris_subscribe", "data": {"type": "UPDATE", "socketOptions": options}}),
        ),
        RisLiveMode::Filtered => {
            for block in covering_blocks(watchlist) {
                messages.push(json!({"type": "ris_subscribe", "data": {
                    "type": "UPDATE", "prefix": block.to_string(),
                    "moreSpecific": true, "lessSpecific": true, "socketOptions": options}}));
            }
            for beacon in BEACON_PREFIXES {
                messages.push(json!({"type": "ris_subscribe", "data": {
                    "type": "UPDATE", "prefix": beacon, "moreSpecific": false,
                    "lessSpecific": false, "socketOptions": options}}));
            }
        }
    }
    messages.push(json!({"type": "ris_subscribe", "data": {"type": "RIS_PEER_STATE"}}));
    messages.iter().map(|m| m.to_string()).collect()
}

/// Runs the client until shutdown. Announcements `interest` rejects are only counted.
pub async fn run(
    settings: RisLiveSettings,
    watchlist: std::sync::Arc<Watchlist>,
    mut interest: LiveInterest,
    handle: SourceHandle,
) {
    let subscribe = subscriptions(&watchlist, settings.mode);
    let mut backoff = Backoff::new(BACKOFF_MIN, BACKOFF_MAX);
    let mut shutdown = handle.shutdown.clone();
    while !handle.stopping() {
        let session = session(&settings, &subscribe, &handle, &mut interest, &mut backoff);
        match session.await {
            Ended::Session(reason) => {
                handle.health.session_closed(&handle.name, &reason);
                handle.telemetry.feed_disconnected(&handle.name, &reason);
            }
            Ended::NoSession(reason) => {
                handle.health.failed(&handle.name, &reason);
                handle
                    .telemetry
                    .input_rejected(&handle.name, &settings.url, &reason);
            }
        }
        if handle.stopping() {
            break;
        }
        let delay = backoff.next_delay();
        tokio::select! {
            _ = sleep(delay) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// How a connection attempt ended.
enum Ended {
    /// A session was established, and then ended for this reason.
    Session(String),
    /// No session could be established.
    NoSession(String),
}

/// One websocket session.
async fn session(
    settings: &RisLiveSettings,
    subscribe: &[String],
    handle: &SourceHandle,
    interest: &mut LiveInterest,
    backoff: &mut Backoff,
) -> Ended {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let connect = tokio_tungstenite::connect_async_with_config(&settings.url, Some(config), false);
    let mut ws = match timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok((ws, _response))) => ws,
        Ok(Err(e)) => return Ended::NoSession(format!("cannot connect to {}: {e}", settings.url)),
        Err(_) => return Ended::NoSession(format!("connecting to {} timed out", settings.url)),
    };
    handle.health.session_opened(&handle.name);
    handle.telemetry.feed_connected(&handle.name, &settings.url);
    let mut stream = Stream {
        settings,
        handle,
        decoder: RisLiveDecoder::default(),
        interest,
    };
    Ended::Session(stream.follow(&mut ws, subscribe, backoff).await)
}

/// A session's decoding side.
struct Stream<'s> {
    settings: &'s RisLiveSettings,
    handle: &'s SourceHandle,
    decoder: RisLiveDecoder,
    interest: &'s mut LiveInterest,
}

impl Stream<'_> {
    /// Subscribes and follows the stream; returns why the session ended.
    ///
    /// Each wake-up takes every frame the socket already holds (up to [`MAX_FRAMES_PER_BATCH`])
    /// and hands them on as one batch. The stall timer is armed once and only re-armed when it
    /// fires before the feed has been silent for `stall_after`.
    async fn follow(
        &mut self,
        ws: &mut WebSocket,
        subscribe: &[String],
        backoff: &mut Backoff,
    ) -> String {
        for message in subscribe {
            if let Err(e) = ws.send(Message::text(message.clone())).await {
                return format!("sending ris_subscribe failed: {e}");
            }
        }
        let stall_after = self.settings.stall_after;
        let mut ping = interval(PING_EVERY);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_data = Instant::now();
        let stall = sleep_until(last_data + stall_after);
        tokio::pin!(stall);
        let mut shutdown = self.handle.shutdown.clone();
        let stopping = shutdown.changed();
        tokio::pin!(stopping);
        let mut frames = Vec::new();
        loop {
            tokio::select! {
                end = poll_fn(|cx| poll_frames(ws, cx, &mut frames)) => {
                    let (received, closed) = self.decode(&frames);
                    frames.clear();
                    if let Some(received) = received {
                        last_data = received;
                        backoff.reset();
                    }
                    if let Some(reason) = closed.or_else(|| end.map(|end| self.ended(end))) {
                        return reason;
                    }
                },
                _ = ping.tick() => {
                    if let Err(e) = ws.send(Message::text(r#"{"type":"ping"}"#)).await {
                        return format!("sending ping failed: {e}");
                    }
                }
                () = &mut stall => {
                    if last_data.elapsed() < stall_after {
                        stall.as_mut().reset(last_data + stall_after);
                        continue;
                    }
                    let _ = ws.close(None).await;
                    return format!("no data for {} s; reconnecting", stall_after.as_secs());
                }
                _ = &mut stopping => {
                    let _ = ws.close(None).await;
                    return "shutting down".to_string();
                }
            }
        }
    }

    /// The reason a stream end gives; a message over [`MAX_MESSAGE_BYTES`], a protocol
    /// violation or text that is not UTF-8 is hostile input and counted as such.
    fn ended(&self, end: StreamEnd) -> String {
        match end {
            StreamEnd::Closed => "connection ended".to_string(),
            StreamEnd::Error(e) => {
                let reason = format!("websocket error: {e}");
                if matches!(
                    e,
                    tungstenite::Error::Capacity(_)
                        | tungstenite::Error::Protocol(_)
                        | tungstenite::Error::Utf8(_)
                ) {
                    let handle = self.handle;
                    handle
                        .telemetry
                        .input_rejected(&handle.name, &self.settings.url, &reason);
                }
                reason
            }
        }
    }

    /// Decodes the frames of one wake-up into one batch and hands it on. Returns when data
    /// arrived (if any message mattered) and why the session ends, when the server closed it.
    fn decode(&mut self, frames: &[Message]) -> (Option<Instant>, Option<String>) {
        let handle = self.handle;
        let url = self.settings.url.as_str();
        let mut batch = LiveBatch {
            source: handle.name.clone(),
            items: Vec::with_capacity(frames.len()),
            stats: ReadStats::default(),
            received: std::time::Instant::now(),
            room: None,
        };
        let mut errors = Vec::new();
        let mut clock = None;
        let mut data = false;
        let mut closed = None;
        for frame in frames {
            match frame {
                Message::Text(text) => {
                    data |= self.decode_text(text.as_str(), &mut batch, &mut clock, &mut errors);
                }
                Message::Binary(_) => handle.telemetry.input_rejected(
                    &handle.name,
                    url,
                    "binary websocket frame (RIS Live sends text)",
                ),
                Message::Close(frame) => {
                    closed = Some(format!("server closed the connection ({frame:?})"));
                    break;
                }
                _ => {}
            }
        }
        for error in &errors {
            handle
                .telemetry
                .input_rejected(&handle.name, url, &error.to_string());
        }
        let received = data.then(|| Instant::from_std(batch.received));
        if data {
            handle.health.data(&handle.name);
        }
        handle.try_send(batch);
        (received, closed)
    }

    /// Decodes one message into `batch`. A message that fails is reported and rejected whole:
    /// what it emitted is taken back. Returns whether it mattered (UPDATE or peer state).
    fn decode_text(
        &mut self,
        text: &str,
        batch: &mut LiveBatch,
        clock: &mut Option<Timestamp>,
        errors: &mut Vec<SourceError>,
    ) -> bool {
        let handle = self.handle;
        let url = self.settings.url.as_str();
        let kept = batch.items.len();
        let mut stats = ReadStats::default();
        let mut emit = |item| batch.items.push(item);
        let mut ctx = ReadContext {
            path: Path::new(url),
            emit: &mut emit,
            stats: &mut stats,
            errors,
            interest: Some(&mut **self.interest),
            clock: *clock,
        };
        let outcome = self.decoder.decode_line(text, &mut ctx);
        let line_clock = ctx.clock;
        let rejected = match outcome {
            Ok(true) => {
                batch.stats.add(&stats);
                *clock = line_clock;
                return true;
            }
            Ok(false) => None,
            Err(LineError::ServerError(message)) => Some(format!("ris_error: {message}")),
            Err(LineError::Malformed(reason)) => Some(reason),
        };
        batch.items.truncate(kept);
        if let Some(reason) = rejected {
            handle.telemetry.input_rejected(&handle.name, url, &reason);
        }
        false
    }
}

/// Why the websocket stream ended.
enum StreamEnd {
    /// The server closed the TCP connection.
    Closed,
    /// A websocket error: I/O, or what the server sent broke the protocol or a limit.
    Error(tungstenite::Error),
}

/// Waits for a frame, then takes every further frame the socket already holds, up to
/// [`MAX_FRAMES_PER_BATCH`] or a Close. Ready with why the connection ended, if it did (after
/// the frames).
fn poll_frames(
    ws: &mut WebSocket,
    cx: &mut Context<'_>,
    frames: &mut Vec<Message>,
) -> Poll<Option<StreamEnd>> {
    while frames.len() < MAX_FRAMES_PER_BATCH {
        match ws.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(message))) => {
                let closing = matches!(message, Message::Close(_));
                frames.push(message);
                if closing {
                    break;
                }
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(StreamEnd::Error(e))),
            Poll::Ready(None) => return Poll::Ready(Some(StreamEnd::Closed)),
            Poll::Pending if frames.is_empty() => return Poll::Pending,
            Poll::Pending => break,
        }
    }
    Poll::Ready(None)
}
