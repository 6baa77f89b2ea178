//! RPKI-RTR PDUs (RFC 8210 section 5, RFC 6810 for version 0): strict framing with a length
//! limit. A header is checked before its body is awaited, so a bogus length costs nothing.

use super::error::code;
use crate::rpki::vrps::Vrp;
use bytes::{Buf, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest PDU accepted, header included. The largest legitimate PDUs (Router Key, Error
/// Report) are far smaller.
pub const MAX_PDU_LEN: u32 = 64 * 1024;

const HEADER_LEN: usize = 8;

/// Highest protocol version a header may carry (version 2 is draft-ietf-sidrops-8210bis); any
/// other first byte means the peer is not an RTR cache.
const MAX_VERSION: u8 = 2;

/// PDU type numbers.
mod kind {
    pub const SERIAL_NOTIFY: u8 = 0;
    pub const SERIAL_QUERY: u8 = 1;
    pub const RESET_QUERY: u8 = 2;
    pub const CACHE_RESPONSE: u8 = 3;
    pub const IPV4_PREFIX: u8 = 4;
    pub const IPV6_PREFIX: u8 = 6;
    pub const END_OF_DATA: u8 = 7;
    pub const CACHE_RESET: u8 = 8;
    pub const ROUTER_KEY: u8 = 9;
    pub const ERROR_REPORT: u8 = 10;
}

/// The intervals a version-1 cache asks routers to use (RFC 8210 section 6), seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How often to ask for updates.
    pub refresh: u32,
    /// How long to wait after a failed query.
    pub retry: u32,
    /// How long data may be used without a successful refresh.
    pub expire: u32,
}

/// One PDU the client receives (queries it sends are encoded by [`encode_query`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    /// The cache has new data: send a Serial Query.
    SerialNotify {
        /// Session of the cache.
        session_id: u16,
    },
    /// A router's query; a cache never sends it.
    Query(u8),
    /// Start of the answer to a query.
    CacheResponse {
        /// Session of the cache.
        session_id: u16,
    },
    /// An IPv4 or IPv6 Prefix PDU.
    Prefix {
        /// Announce (true) or withdraw.
        announce: bool,
        /// The payload.
        vrp: Vrp,
    },
    /// End of the answer: the data is complete and consistent.
    EndOfData {
        /// Session of the cache.
        session_id: u16,
        /// Serial of the data now held.
        serial: u32,
        /// Version 1 only.
        timing: Option<Timing>,
    },
    /// The cache cannot answer a Serial Query incrementally: send a Reset Query.
    CacheReset,
    /// A BGPsec Router Key (ignored by an origin validator).
    RouterKey,
    /// The cache reports an error.
    ErrorReport {
        /// Error code (see [`code`]).
        code: u16,
        /// The cache's diagnostic text.
        text: String,
    },
}

impl Pdu {
    /// The PDU's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Pdu::SerialNotify { .. } => "Serial Notify",
            Pdu::Query(_) => "a query",
            Pdu::CacheResponse { .. } => "Cache Response",
            Pdu::Prefix { .. } => "Prefix",
            Pdu::EndOfData { .. } => "End of Data",
            Pdu::CacheReset => "Cache Reset",
            Pdu::RouterKey => "Router Key",
            Pdu::ErrorReport { .. } => "Error Report",
        }
    }
}

/// A PDU that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PduError {
    /// Reading failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The cache closed the connection between PDUs.
    #[error("connection closed by the cache")]
    Closed,
    /// The cache closed the connection inside a PDU.
    #[error("connection closed in the middle of a PDU ({got} of {expected} bytes received)")]
    Truncated {
        /// Bytes of the PDU received.
        got: usize,
        /// Bytes the PDU needed (the header when its length was not yet known).
        expected: usize,
    },
    /// The header claims a length beyond [`MAX_PDU_LEN`].
    #[error("PDU type {pdu_type} claims length {length}, over the {MAX_PDU_LEN}-byte limit")]
    TooLong {
        /// The PDU type.
        pdu_type: u8,
        /// The length claimed.
        length: u32,
    },
    /// The length is wrong for the PDU type.
    #[error(
        "PDU type {pdu_type} (version {version}) with length {length}: expected {}{expected}",
        if *at_least { "at least " } else { "" }
    )]
    BadLength {
        /// The PDU type.
        pdu_type: u8,
        /// The protocol version in the header.
        version: u8,
        /// The length claimed.
        length: u32,
        /// What the length should be.
        expected: u32,
        /// True when `expected` is a minimum.
        at_least: bool,
    },
    /// A header whose version byte no RTR version has: the peer is not an RTR cache.
    #[error("PDU type {pdu_type} with protocol version {version}: not an RTR cache?")]
    BadVersion {
        /// The version byte.
        version: u8,
        /// The PDU type byte.
        pdu_type: u8,
    },
    /// A PDU type RTR does not define (or that version 0/1 does not carry).
    #[error("unsupported PDU type {pdu_type}")]
    UnknownType {
        /// The PDU type.
        pdu_type: u8,
    },
    /// A Prefix PDU whose lengths or address make no sense.
    #[error("malformed prefix PDU: {0}")]
    BadPrefix(String),
    /// An Error Report whose inner lengths do not add up.
    #[error("malformed Error Report PDU: inner lengths exceed the PDU length {length}")]
    BadErrorReport {
        /// The PDU length.
        length: u32,
    },
}

impl PduError {
    /// The Error Report code to send the cache, when it should hear about it.
    pub fn report_code(&self) -> Option<u16> {
        match self {
            PduError::Io(_) | PduError::Closed | PduError::Truncated { .. } => None,
            PduError::UnknownType { .. } => Some(code::UNSUPPORTED_PDU),
            _ => Some(code::CORRUPT_DATA),
        }
    }
}

/// Reads PDUs from a stream. Cancel-safe: bytes already received stay buffered, so a
/// `select!` that drops a pending [`PduReader::next`] loses nothing.
#[derive(Debug)]
pub struct PduReader<S> {
    stream: S,
    buf: BytesMut,
}

impl<S: AsyncRead + Unpin> PduReader<S> {
    /// Wraps a stream.
    pub fn new(stream: S) -> Self {
        PduReader {
            stream,
            buf: BytesMut::with_capacity(4096),
        }
    }

    /// The stream, to write queries on.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The next PDU and the protocol version in its header.
    pub async fn next(&mut self) -> Result<(u8, Pdu), PduError> {
        loop {
            let needed = match frame_len(&self.buf)? {
                Some(len) if self.buf.len() >= len => {
                    let frame = self.buf.split_to(len);
                    return decode(&frame);
                }
                Some(len) => len,
                None => HEADER_LEN,
            };
            let have = self.buf.len();
            self.buf.reserve(needed - have);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(match have {
                    0 => PduError::Closed,
                    got => PduError::Truncated {
                        got,
                        expected: needed,
                    },
                });
            }
        }
    }
}

/// The length of the PDU at the start of `buf` once its header is complete, checked against
/// the limit and the type's fixed size.
fn frame_len(buf: &[u8]) -> Result<Option<usize>, PduError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let (version, pdu_type) = (buf[0], buf[1]);
    let length = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
    if version > MAX_VERSION {
        return Err(PduError::BadVersion { version, pdu_type });
    }
    // (expected length, or the least length when `at_least`)
    let (expected, at_least) = match pdu_type {
        kind::SERIAL_NOTIFY | kind::SERIAL_QUERY => (12, false),
        kind::RESET_QUERY | kind::CACHE_RESPONSE | kind::CACHE_RESET => (8, false),
        kind::IPV4_PREFIX => (20, false),
        kind::IPV6_PREFIX => (32, false),
        kind::END_OF_DATA if version == 0 => (12, false),
        kind::END_OF_DATA => (24, false),
        kind::ROUTER_KEY => (32, true),
        kind::ERROR_REPORT => (16, true),
        _ => return Err(PduError::UnknownType { pdu_type }),
    };
    if length > MAX_PDU_LEN {
        return Err(PduError::TooLong { pdu_type, length });
    }
    if length < expected || (!at_least && length != expected) {
        return Err(PduError::BadLength {
            pdu_type,
            version,
            length,
            expected,
            at_least,
        });
    }
    Ok(Some(length as usize))
}

/// Decodes one complete PDU whose header [`frame_len`] accepted.
fn decode(frame: &[u8]) -> Result<(u8, Pdu), PduError> {
    let (version, pdu_type) = (frame[0], frame[1]);
    let field = u16::from_be_bytes([frame[2], frame[3]]);
    let mut body = &frame[HEADER_LEN..];
    let pdu = match pdu_type {
        kind::SERIAL_NOTIFY => Pdu::SerialNotify { session_id: field },
        kind::SERIAL_QUERY | kind::RESET_QUERY => Pdu::Query(pdu_type),
        kind::CACHE_RESPONSE => Pdu::CacheResponse { session_id: field },
        kind::IPV4_PREFIX | kind::IPV6_PREFIX => prefix(body)?,
        kind::END_OF_DATA => Pdu::EndOfData {
            session_id: field,
            serial: body.get_u32(),
            timing: (body.remaining() == 12).then(|| Timing {
                refresh: body.get_u32(),
                retry: body.get_u32(),
                expire: body.get_u32(),
            }),
        },
        kind::CACHE_RESET => Pdu::CacheReset,
        kind::ROUTER_KEY => Pdu::RouterKey,
        _ => error_report(field, body, frame.len() as u32)?,
    };
    Ok((version, pdu))
}

fn prefix(mut body: &[u8]) -> Result<Pdu, PduError> {
    let flags = body.get_u8();
    let (prefix_len, max_length) = (body.get_u8(), body.get_u8());
    body.advance(1);
    let bad = |what: String| PduError::BadPrefix(what);
    let prefix = if body.remaining() == 8 {
        let addr = Ipv4Addr::from(body.get_u32());
        IpNet::V4(Ipv4Net::new(addr, prefix_len).map_err(|_| bad(format!("{addr}/{prefix_len}")))?)
    } else {
        let addr = Ipv6Addr::from(body.get_u128());
        IpNet::V6(Ipv6Net::new(addr, prefix_len).map_err(|_| bad(format!("{addr}/{prefix_len}")))?)
    };
    if prefix.trunc() != prefix {
        return Err(bad(format!("{prefix} has host bits set")));
    }
    if max_length < prefix_len || max_length > prefix.max_prefix_len() {
        return Err(bad(format!("max length {max_length} for {prefix}")));
    }
    Ok(Pdu::Prefix {
        announce: flags & 1 == 1,
        vrp: Vrp {
            prefix,
            max_length,
            asn: body.get_u32(),
        },
    })
}

fn error_report(code: u16, mut body: &[u8], length: u32) -> Result<Pdu, PduError> {
    let bad = PduError::BadErrorReport { length };
    let inner = body.get_u32() as usize;
    if inner > body.remaining().saturating_sub(4) {
        return Err(bad);
    }
    body.advance(inner);
    let text_len = body.get_u32() as usize;
    if text_len != body.remaining() {
        return Err(bad);
    }
    Ok(Pdu::ErrorReport {
        code,
        text: String::from_utf8_lossy(body).into_owned(),
    })
}

/// A Reset Query (`serial` none) or Serial Query in `version`.
pub fn encode_query(version: u8, query: Option<(u16, u32)>) -> Vec<u8> {
    match query {
        None => header(version, kind::RESET_QUERY, 0, 8).to_vec(),
        Some((session_id, serial)) => {
            let mut out = header(version, kind::SERIAL_QUERY, session_id, 12).to_vec();
            out.extend_from_slice(&serial.to_be_bytes());
            out
        }
    }
}

/// An Error Report with no encapsulated PDU.
pub fn encode_error(version: u8, code: u16, text: &str) -> Vec<u8> {
    let text = &text.as_bytes()[..text.len().min(1024)];
    let length = 16 + text.len() as u32;
    let mut out = header(version, kind::ERROR_REPORT, code, length).to_vec();
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&(text.len() as u32).to_be_bytes());
    out.extend_from_slice(text);
    out
}

fn header(version: u8, pdu_type: u8, field: u16, length: u32) -> [u8; 8] {
    let [f0, f1] = field.to_be_bytes();
    let [l0, l1, l2, l3] = length.to_be_bytes();
    [version, pdu_type, f0, f1, l0, l1, l2, l3]
}

#[cfg(test)]
#[path = "pdu_tests.rs"]
mod tests;
