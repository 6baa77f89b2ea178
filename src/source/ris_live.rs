//! RIS Live JSON (https://ris-live.ripe.net): one message per line, either whole frames
//! (`{"type":"ris_message","data":{...}}`) or bare `data` objects. UPDATE and RIS_PEER_STATE
//! matter; other message types are counted and skipped.

mod address;
mod bounded;
mod message;

use super::ReadContext;
use crate::update::{
    timestamp_from_unix, AsPath, Change, Community, FeedEvent, Route, RouteUpdate, SourceItem,
    Timestamp, VantagePoint,
};
use ipnet::IpNet;
use message::{Announcement, Data, Frame};
use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::net::IpAddr;
use std::sync::Arc;

/// Turns RIS Live messages into source items; keeps collector names interned.
#[derive(Default)]
pub struct RisLiveDecoder {
    collectors: HashMap<String, Arc<str>>,
    /// Prefixes of the message being decoded already announced (reused between messages).
    seen: Vec<IpNet>,
}

/// Why one line was not used.
#[derive(Debug, PartialEq, Eq)]
pub enum LineError {
    /// Not JSON, or not a RIS Live message.
    Malformed(String),
    /// A `ris_error` frame from the server.
    ServerError(String),
}

impl RisLiveDecoder {
    fn collector(&mut self, host: &str) -> Arc<str> {
        let name = host.strip_suffix(".ripe.net").unwrap_or(host);
        if let Some(c) = self.collectors.get(name) {
            return c.clone();
        }
        let c: Arc<str> = Arc::from(name);
        self.collectors.insert(name.to_string(), c.clone());
        c
    }

    /// Decodes one line. Returns whether it was a message that matters (UPDATE or peer state).
    pub fn decode_line(
        &mut self,
        line: &str,
        ctx: &mut ReadContext<'_>,
    ) -> Result<bool, LineError> {
        let frame: Frame<'_> =
            serde_json::from_str(line).map_err(|e| LineError::Malformed(e.to_string()))?;
        let frame_kind = frame.kind.as_deref().unwrap_or("");
        let msg = match frame.data {
            Some(data) if frame_kind == "ris_message" || frame_kind.is_empty() => data,
            Some(data) if frame_kind == "ris_error" => {
                let text = data.message.as_deref().unwrap_or("no message").to_string();
                return Err(LineError::ServerError(text));
            }
            Some(_) => return Ok(false),
            None => frame.into_data(),
        };
        match msg.kind.as_deref() {
            Some("UPDATE") => self.update(&msg, ctx).map(|()| true),
            Some("RIS_PEER_STATE") => self.peer_state(&msg, ctx).map(|()| true),
            Some(_) => Ok(false),
            None => Err(LineError::Malformed("no `type` field".into())),
        }
    }

    fn header(&mut self, msg: &Data<'_>) -> Result<(Timestamp, VantagePoint), LineError> {
        let missing = |field: &str| LineError::Malformed(format!("message has no `{field}`"));
        let time = data_time(msg.timestamp.ok_or_else(|| missing("timestamp"))?)?;
        let peer = msg.peer.as_deref().ok_or_else(|| missing("peer"))?;
        let peer_ip = address::address(peer)
            .ok_or_else(|| LineError::Malformed(format!("peer `{peer}` is not an IP address")))?;
        let peer_asn = msg.peer_asn.as_ref().ok_or_else(|| missing("peer_asn"))?.0;
        let collector = self.collector(msg.host.as_deref().unwrap_or("ris-live"));
        Ok((
            time,
            VantagePoint {
                collector,
                peer_ip,
                peer_asn,
            },
        ))
    }

    fn update(&mut self, msg: &Data<'_>, ctx: &mut ReadContext<'_>) -> Result<(), LineError> {
        let (time, vantage_point) = self.header(msg)?;
        let mut bad_prefixes = Vec::new();
        for text in msg.withdrawals.iter().flatten() {
            match parse_prefix(text) {
                Some(prefix) => ctx.count_and_emit(SourceItem::Update(RouteUpdate {
                    time,
                    vantage_point: vantage_point.clone(),
                    prefix,
                    change: Change::Withdraw,
                })),
                None => bad_prefixes.push(text.to_string()),
            }
        }
        // The path is parsed once per message; the route (path, communities) is built for the
        // first prefix anyone wants, and the prefixes nobody wants are only counted.
        let no_path = AsPath::default();
        let as_path = msg.path.as_ref().map_or(&no_path, |p| &p.0);
        let mut route: Option<Route> = None;
        self.seen.clear();
        for announcement in msg.announcements.iter().flatten() {
            let mut next_hop = None;
            for text in &announcement.prefixes {
                let Some(prefix) = parse_prefix(text) else {
                    bad_prefixes.push(text.to_string());
                    continue;
                };
                if self.seen.contains(&prefix) {
                    continue;
                }
                self.seen.push(prefix);
                if !ctx.wants(&prefix, Some(as_path.origins())) {
                    ctx.count_unwanted(true, time);
                    continue;
                }
                let template = route.get_or_insert_with(|| Route {
                    as_path: as_path.clone(),
                    next_hop: None,
                    communities: standard_communities(msg.community.as_deref()),
                    otc: None,
                });
                let next_hop = *next_hop.get_or_insert_with(|| first_next_hop(announcement));
                let route = Route {
                    next_hop,
                    ..template.clone()
                };
                ctx.count_and_emit(SourceItem::Update(RouteUpdate {
                    time,
                    vantage_point: vantage_point.clone(),
                    prefix,
                    change: Change::Announce(route),
                }));
            }
        }
        if bad_prefixes.is_empty() {
            Ok(())
        } else {
            Err(LineError::Malformed(format!(
                "not prefixes: {}",
                bad_prefixes.join(", ")
            )))
        }
    }

    fn peer_state(&mut self, msg: &Data<'_>, ctx: &mut ReadContext<'_>) -> Result<(), LineError> {
        let (time, vantage_point) = self.header(msg)?;
        let state = msg.state.as_deref().unwrap_or("");
        let event = match state {
            "down" => FeedEvent::PeerDown {
                time,
                vantage_point,
                reason: "RIS_PEER_STATE down".into(),
            },
            "connected" | "up" => FeedEvent::PeerUp {
                time,
                vantage_point,
            },
            other => {
                return Err(LineError::Malformed(format!(
                    "unknown RIS_PEER_STATE state `{other}`"
                )))
            }
        };
        ctx.stats.peer_events += 1;
        (ctx.emit)(SourceItem::Event(event));
        Ok(())
    }
}

/// A whole JSON document: an array of messages, or one message.
fn read_document(document: &[u8], decoder: &mut RisLiveDecoder, ctx: &mut ReadContext<'_>) {
    let value: serde_json::Value = match serde_json::from_slice(document) {
        Ok(value) => value,
        Err(e) => {
            ctx.stats.records += 1;
            ctx.damage(
                "RIS Live JSON",
                0,
                format!("not JSON lines, and not one JSON document either: {e}"),
            );
            return;
        }
    };
    let messages = match value {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    for (i, message) in messages.iter().enumerate() {
        ctx.stats.records += 1;
        let text = message.to_string();
        match decoder.decode_line(&text, ctx) {
            Ok(true) => {}
            Ok(false) | Err(LineError::ServerError(_)) => ctx.stats.skipped += 1,
            Err(LineError::Malformed(reason)) => ctx.damage(
                "RIS Live JSON",
                0,
                format!("message {} of the JSON document: {reason}", i + 1),
            ),
        }
    }
}

/// Latest message time accepted, seconds since 1970: 9999-12-31T23:59:59Z, the last time RFC 3339
/// (the alert JSON) can write. Later ones are damage, and near chrono's limit the alert book's
/// `time + resolve_after` overflowed.
pub const LATEST_TIMESTAMP_SECS: f64 = 253_402_300_799.0;

/// A message's `timestamp` as a time; before 1970 or after [`LATEST_TIMESTAMP_SECS`] (or not a
/// number at all) the message is malformed.
fn data_time(seconds: f64) -> Result<Timestamp, LineError> {
    if !(0.0..=LATEST_TIMESTAMP_SECS).contains(&seconds) {
        return Err(LineError::Malformed(format!(
            "timestamp {seconds} is not a time between 1970 and 9999"
        )));
    }
    Ok(timestamp_from_unix(seconds))
}

/// The announcement's next hop: the first of a comma-separated list, when it is an address.
fn first_next_hop(announcement: &Announcement<'_>) -> Option<IpAddr> {
    announcement
        .next_hop
        .as_deref()
        .and_then(|nh| nh.split(',').next())
        .and_then(|nh| nh.trim().parse().ok())
}

/// RIS Live communities (`[[asn, value], ...]`) as RFC 1997 standard communities.
fn standard_communities(list: Option<&[(u32, u32)]>) -> Box<[Community]> {
    list.unwrap_or_default()
        .iter()
        .map(|&(a, v)| Community::Standard(a as u16, v as u16))
        .collect()
}

fn parse_prefix(text: &str) -> Option<IpNet> {
    address::prefix(text.trim())
}

/// Longest line read from a RIS Live file (the live client refuses larger websocket messages
/// too); the rest of a longer line is passed over unread and the line reported.
pub const MAX_LINE_BYTES: usize = super::ris_live_client::MAX_MESSAGE_BYTES;
/// Largest pretty-printed JSON document read whole (it is parsed into memory at once).
pub const MAX_DOCUMENT_BYTES: u64 = 16 << 20;

/// Reads RIS Live JSON lines; a bad line is reported with its number and skipped.
pub fn read(mut reader: Box<dyn BufRead + Send>, ctx: &mut ReadContext<'_>) {
    let mut decoder = RisLiveDecoder::default();
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut number = 0u64;
    loop {
        let read = match bounded::read_line(&mut reader, &mut line, MAX_LINE_BYTES) {
            Ok(read) if read.consumed == 0 => return,
            Ok(read) => read,
            Err(e) => {
                ctx.damage_line("RIS Live JSON", offset, number + 1, e.to_string());
                return;
            }
        };
        number += 1;
        let n = read.consumed;
        if read.overlong {
            ctx.stats.records += 1;
            ctx.damage_line(
                "RIS Live JSON",
                offset,
                number,
                format!("line of {n} bytes is longer than {MAX_LINE_BYTES}; skipped"),
            );
            offset += n;
            continue;
        }
        let text = match std::str::from_utf8(&line) {
            Ok(text) => text.trim(),
            Err(e) => {
                ctx.stats.records += 1;
                ctx.damage_line(
                    "RIS Live JSON",
                    offset,
                    number,
                    format!("not UTF-8 text: {e}"),
                );
                offset += n;
                continue;
            }
        };
        if number == 1 && (text == "{" || text == "[") {
            // Not JSON lines but one pretty-printed document.
            read_whole_document(line.clone(), reader, &mut decoder, ctx);
            return;
        }
        if !text.is_empty() {
            ctx.stats.records += 1;
            match decoder.decode_line(text, ctx) {
                Ok(true) => {}
                Ok(false) => ctx.stats.skipped += 1,
                Err(LineError::ServerError(message)) => {
                    ctx.stats.skipped += 1;
                    tracing::warn!(path = %ctx.path.display(), line = number, "ris_error from the server: {message}");
                }
                Err(LineError::Malformed(reason)) => {
                    ctx.damage_line("RIS Live JSON", offset, number, reason)
                }
            }
        }
        offset += n;
    }
}

/// The rest of a pretty-printed document after its first line, up to [`MAX_DOCUMENT_BYTES`].
fn read_whole_document(
    mut document: Vec<u8>,
    reader: Box<dyn BufRead + Send>,
    decoder: &mut RisLiveDecoder,
    ctx: &mut ReadContext<'_>,
) {
    let limit = MAX_DOCUMENT_BYTES - document.len() as u64;
    if let Err(e) = reader.take(limit + 1).read_to_end(&mut document) {
        ctx.damage_line("RIS Live JSON", 0, 1, e.to_string());
        return;
    }
    if document.len() as u64 > MAX_DOCUMENT_BYTES {
        ctx.stats.records += 1;
        ctx.damage(
            "RIS Live JSON",
            0,
            format!(
                "a JSON document larger than {} MiB is not read whole; write one message per line",
                MAX_DOCUMENT_BYTES >> 20
            ),
        );
        return;
    }
    read_document(&document, decoder, ctx);
}
