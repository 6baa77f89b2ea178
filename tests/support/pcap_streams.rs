//! TCP reassembly for `pcap.rs`: one direction of one connection, its segments placed by
//! sequence number (module docs of `pcap.rs`).

use super::{Hole, Segment, TcpStream, TCP_FIN, TCP_RST, TCP_SYN};
use std::net::SocketAddr;

/// Collects one direction of one connection.
pub(super) struct StreamBuilder {
    src: SocketAddr,
    dst: SocketAddr,
    first_frame: usize,
    /// Initial sequence number, once a SYN was seen, and the payload the SYN carried.
    syn: Option<(u32, Vec<u8>)>,
    closed: bool,
    /// (sequence number, capture order, payload) of every non-empty segment but the SYN.
    segments: Vec<(u32, usize, Vec<u8>)>,
}

impl StreamBuilder {
    pub(super) fn new(segment: &Segment, first_frame: usize) -> Self {
        StreamBuilder {
            src: segment.src,
            dst: segment.dst,
            first_frame,
            syn: None,
            closed: false,
            segments: Vec::new(),
        }
    }

    /// A SYN with a new initial sequence number after the stream began is a new connection
    /// reusing the same addresses and ports.
    pub(super) fn starts_anew(&self, segment: &Segment) -> bool {
        segment.flags & TCP_SYN != 0
            && match &self.syn {
                Some((isn, _)) => *isn != segment.seq,
                None => self.closed || !self.segments.is_empty(),
            }
    }

    pub(super) fn add(&mut self, segment: Segment, frame: usize) {
        if segment.flags & (TCP_FIN | TCP_RST) != 0 {
            self.closed = true;
        }
        if segment.flags & TCP_SYN != 0 {
            if self.syn.is_none() {
                self.syn = Some((segment.seq, segment.payload));
            }
        } else if !segment.payload.is_empty() {
            self.segments.push((segment.seq, frame, segment.payload));
        }
    }

    /// Places the segments by sequence number and joins them.
    pub(super) fn finish(mut self) -> TcpStream {
        let base = match self.syn.take() {
            Some((isn, data)) => {
                // RFC 9293: the SYN occupies one sequence number and its data follows it. Some
                // capture generators (pmacct's test pcaps) number SYN data from the ISN itself
                // and the next segment right after it; accept that when it is what fits.
                let len = data.len() as u32;
                let follows = |at: u32| self.segments.iter().any(|s| s.0 == at);
                let generator_style = len > 0
                    && follows(isn.wrapping_add(len))
                    && !follows(isn.wrapping_add(len).wrapping_add(1));
                let data_at = if generator_style {
                    isn
                } else {
                    isn.wrapping_add(1)
                };
                if !data.is_empty() {
                    self.segments.push((data_at, 0, data));
                }
                data_at
            }
            None => self.lowest_sequence_number(),
        };
        // Offsets relative to the base; segments wholly before it (keep-alives, old
        // retransmissions) fall away below.
        let mut placed: Vec<(i64, usize, Vec<u8>)> = self
            .segments
            .into_iter()
            .map(|(seq, order, data)| (i64::from(seq.wrapping_sub(base) as i32), order, data))
            .collect();
        placed.sort_by_key(|&(start, order, _)| (start, order));
        let mut payload = Vec::new();
        let mut hole = None;
        for (start, _, data) in placed {
            let end = start + data.len() as i64;
            let cursor = payload.len() as i64;
            if let Some(Hole { dropped, .. }) = &mut hole {
                *dropped += data.len() as u64;
            } else if start > cursor {
                hole = Some(Hole {
                    offset: cursor as u64,
                    missing: (start - cursor) as u64,
                    dropped: data.len() as u64,
                });
            } else if end > cursor {
                payload.extend_from_slice(&data[(cursor - start) as usize..]);
            }
        }
        TcpStream {
            src: self.src,
            dst: self.dst,
            payload,
            hole,
            first_frame: self.first_frame,
        }
    }

    /// Without a SYN the stream starts at the lowest sequence number seen (in modulo-2^32
    /// order relative to the first segment captured).
    fn lowest_sequence_number(&self) -> u32 {
        let Some(&(reference, _, _)) = self.segments.first() else {
            return 0;
        };
        self.segments
            .iter()
            .map(|s| s.0)
            .min_by_key(|&seq| seq.wrapping_sub(reference) as i32)
            .unwrap_or(reference)
    }
}
