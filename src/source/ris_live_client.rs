//! The RIPE RIS Live websocket client: subscribes to the watched space (or the firehose),
//! reconnects with jittered backoff, pings, and treats silence beyond `stall_after` as a dead
//! session. Messages are decoded by [`super::ris_live::RisLiveDecoder`], as in replay.

use super::live::{Backoff, SourceHandle};
use super::ris_live::{LineError, RisLiveDecoder};
use crate::config::RisLiveMode;
use crate::watchlist::Watchlist;
use futures_util::{SinkExt, StreamExt};
use ipnet::IpNet;
use serde_json::json;
use std::time::Duration;
use tokio::time::{interval, sleep, timeout, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

type WebSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// RIS beacon prefixes (origin AS12654): announced and withdrawn on a fixed schedule, so a
/// healthy feed always carries them.
pub const BEACON_PREFIXES: [&str; 2] = ["84.205.64.0/24", "2001:7fb:fe00::/48"];
/// Largest websocket message accepted; RIS Live messages are a few kB.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
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

/// Runs the client until shutdown.
pub async fn run(
    settings: RisLiveSettings,
    watchlist: std::sync::Arc<Watchlist>,
    handle: SourceHandle,
) {
    let subscribe = subscriptions(&watchlist, settings.mode);
    let mut backoff = Backoff::new(BACKOFF_MIN, BACKOFF_MAX);
    let mut shutdown = handle.shutdown.clone();
    while !handle.stopping() {
        match session(&settings, &subscribe, &handle, &mut backoff).await {
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
    Ended::Session(follow(&mut ws, settings, subscribe, handle, backoff).await)
}

/// Subscribes and follows the stream; returns why the session ended.
async fn follow(
    ws: &mut WebSocket,
    settings: &RisLiveSettings,
    subscribe: &[String],
    handle: &SourceHandle,
    backoff: &mut Backoff,
) -> String {
    for message in subscribe {
        if let Err(e) = ws.send(Message::text(message.clone())).await {
            return format!("sending ris_subscribe failed: {e}");
        }
    }
    let mut decoder = RisLiveDecoder::default();
    let mut ping = interval(PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_data = Instant::now();
    let mut shutdown = handle.shutdown.clone();
    loop {
        let stall_deadline = last_data + settings.stall_after;
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let mut outcome = Ok(false);
                    let batch = handle.decode(&settings.url, |ctx| outcome = decoder.decode_line(text.as_str(), ctx));
                    match outcome {
                        Ok(true) => {
                            last_data = Instant::now();
                            backoff.reset();
                            handle.health.data(&handle.name);
                            handle.try_send(batch);
                        }
                        Ok(false) => {}
                        Err(LineError::ServerError(message)) => {
                            handle.telemetry.input_rejected(&handle.name, &settings.url, &format!("ris_error: {message}"));
                        }
                        Err(LineError::Malformed(reason)) => {
                            handle.telemetry.input_rejected(&handle.name, &settings.url, &reason);
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    handle.telemetry.input_rejected(&handle.name, &settings.url, "binary websocket frame (RIS Live sends text)");
                }
                Some(Ok(Message::Close(frame))) => {
                    return format!("server closed the connection ({frame:?})");
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return format!("websocket error: {e}"),
                None => return "connection ended".to_string(),
            },
            _ = ping.tick() => {
                if let Err(e) = ws.send(Message::text(r#"{"type":"ping"}"#)).await {
                    return format!("sending ping failed: {e}");
                }
            }
            _ = tokio::time::sleep_until(stall_deadline) => {
                let _ = ws.close(None).await;
                return format!("no data for {} s; reconnecting", settings.stall_after.as_secs());
            }
            _ = shutdown.changed() => {
                let _ = ws.close(None).await;
                return "shutting down".to_string();
            }
        }
    }
}
