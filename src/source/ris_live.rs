//! RIS Live JSON (https://ris-live.ripe.net): one message per line, either whole frames
//! (`{"type":"ris_message","data":{...}}`) or bare `data` objects. UPDATE and RIS_PEER_STATE
//! matter; other message types are counted and skipped.

use super::ReadContext;
use crate::update::{
    timestamp_from_unix, AsPath, Change, Community, FeedEvent, PathHop, Route, RouteUpdate,
    SourceItem, Timestamp, VantagePoint,
};
use ipnet::IpNet;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Read};
use std::net::IpAddr;
use std::sync::Arc;

/// One line: a frame or a bare data object (both have `type`).
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<Box<Message<'a>>>,
    timestamp: Option<f64>,
    #[serde(borrow)]
    peer: Option<Cow<'a, str>>,
    peer_asn: Option<AsnField>,
    #[serde(borrow)]
    host: Option<Cow<'a, str>>,
    path: Option<Vec<PathElem>>,
    community: Option<Vec<(u32, u32)>>,
    #[serde(borrow)]
    announcements: Option<Vec<Announcement<'a>>>,
    #[serde(borrow)]
    withdrawals: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    state: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Announcement<'a> {
    #[serde(borrow)]
    next_hop: Option<Cow<'a, str>>,
    #[serde(borrow)]
    prefixes: Vec<Cow<'a, str>>,
}

/// `peer_asn` is a string in RIS Live ("11708"); accept a number too.
struct AsnField(u32);

impl<'de> Deserialize<'de> for AsnField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AsnField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AS number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AsnField, E> {
                u32::try_from(v)
                    .map(AsnField)
                    .map_err(|_| E::custom("AS number too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AsnField, E> {
                v.trim_start_matches("AS")
                    .parse()
                    .map(AsnField)
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A path element: an AS number, or a nested list for an AS_SET.
struct PathElem(PathHop);

impl<'de> Deserialize<'de> for PathElem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PathElem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AS number or a list of AS numbers")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PathElem, E> {
                u32::try_from(v)
                    .map(|a| PathElem(PathHop::Asn(a)))
                    .map_err(|_| E::custom("AS number too large"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PathElem, A::Error> {
                let mut set = Vec::new();
                while let Some(asn) = seq.next_element::<u32>()? {
                    set.push(asn);
                }
                Ok(PathElem(PathHop::Set(set.into_boxed_slice())))
            }
        }
        d.deserialize_any(V)
    }
}

/// Turns RIS Live messages into source items; keeps collector names interned.
#[derive(Default)]
pub struct RisLiveDecoder {
    collectors: HashMap<String, Arc<str>>,
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
        let outer: Message<'_> =
            serde_json::from_str(line).map_err(|e| LineError::Malformed(e.to_string()))?;
        let frame_kind = outer.kind.as_deref().unwrap_or("");
        let msg = match outer.data {
            Some(data) if frame_kind == "ris_message" || frame_kind.is_empty() => *data,
            Some(data) if frame_kind == "ris_error" => {
                let text = data.message.as_deref().unwrap_or("no message").to_string();
                return Err(LineError::ServerError(text));
            }
            Some(_) => return Ok(false),
            None => outer,
        };
        match msg.kind.as_deref() {
            Some("UPDATE") => self.update(msg, ctx).map(|()| true),
            Some("RIS_PEER_STATE") => self.peer_state(msg, ctx).map(|()| true),
            Some(_) => Ok(false),
            None => Err(LineError::Malformed("no `type` field".into())),
        }
    }

    fn header(&mut self, msg: &Message<'_>) -> Result<(Timestamp, VantagePoint), LineError> {
        let missing = |field: &str| LineError::Malformed(format!("message has no `{field}`"));
        let time = timestamp_from_unix(msg.timestamp.ok_or_else(|| missing("timestamp"))?);
        let peer = msg.peer.as_deref().ok_or_else(|| missing("peer"))?;
        let peer_ip: IpAddr = peer
            .parse()
            .map_err(|_| LineError::Malformed(format!("peer `{peer}` is not an IP address")))?;
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

    fn update(&mut self, msg: Message<'_>, ctx: &mut ReadContext<'_>) -> Result<(), LineError> {
        let (time, vantage_point) = self.header(&msg)?;
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
        let as_path = AsPath::new(
            msg.path
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.0)
                .collect(),
        );
        let communities: Box<[Community]> = msg
            .community
            .unwrap_or_default()
            .into_iter()
            .map(|(a, v)| Community::Standard(a as u16, v as u16))
            .collect();
        let mut seen: Vec<IpNet> = Vec::new();
        for announcement in msg.announcements.iter().flatten() {
            let next_hop = announcement
                .next_hop
                .as_deref()
                .and_then(|nh| nh.split(',').next())
                .and_then(|nh| nh.trim().parse().ok());
            for text in &announcement.prefixes {
                let Some(prefix) = parse_prefix(text) else {
                    bad_prefixes.push(text.to_string());
                    continue;
                };
                if seen.contains(&prefix) {
                    continue;
                }
                seen.push(prefix);
                let route = Route {
                    as_path: as_path.clone(),
                    next_hop,
                    communities: communities.clone(),
                    otc: None,
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

    fn peer_state(&mut self, msg: Message<'_>, ctx: &mut ReadContext<'_>) -> Result<(), LineError> {
        let (time, vantage_point) = self.header(&msg)?;
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

fn parse_prefix(text: &str) -> Option<IpNet> {
    text.trim().parse::<IpNet>().ok().map(|p| p.trunc())
}

/// Reads RIS Live JSON lines; a bad line is reported with its number and skipped.
pub fn read(mut reader: Box<dyn BufRead + Send>, ctx: &mut ReadContext<'_>) {
    let mut decoder = RisLiveDecoder::default();
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut number = 0u64;
    loop {
        line.clear();
        let n = match reader.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                ctx.damage_line("RIS Live JSON", offset, number + 1, e.to_string());
                return;
            }
        };
        number += 1;
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
                offset += n as u64;
                continue;
            }
        };
        if number == 1 && (text == "{" || text == "[") {
            // Not JSON lines but one pretty-printed document.
            let mut document = line.clone();
            if let Err(e) = reader.read_to_end(&mut document) {
                ctx.damage_line("RIS Live JSON", offset, number, e.to_string());
                return;
            }
            read_document(&document, &mut decoder, ctx);
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
        offset += n as u64;
    }
}
