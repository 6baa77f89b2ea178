//! Sources: inputs in, [`SourceItem`]s out. The only module that knows the parser crate.
//!
//! Files (for replay): MRT ([`mrt`]), RIS Live JSON lines ([`ris_live`]) and raw BMP streams
//! ([`bmp`]), gzip/bzip2 undone transparently, the format sniffed from the content.

pub mod bmp;
pub mod bmp_station;
mod convert;
mod error;
pub mod live;
pub mod mrt;
mod mrt_update;
mod open;
mod pipe;
pub mod ris_live;
pub mod ris_live_client;
mod salvage;
mod unicast;

pub use error::SourceError;
pub use open::{decompress, open, sniff, Compression, Opened};

use crate::update::{Asn, Change, SourceItem, Timestamp};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The formats a file input can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// MRT (RFC 6396): BGP4MP updates or TABLE_DUMP(_V2) RIBs.
    Mrt,
    /// RIS Live JSON, one message per line.
    RisLive,
    /// Raw BMP byte stream (RFC 7854), as a router sends it to a station.
    Bmp,
}

impl InputFormat {
    /// Display name.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Mrt => "MRT",
            InputFormat::RisLive => "RIS Live JSON",
            InputFormat::Bmp => "BMP",
        }
    }
}

/// Counts of what was read, comparable with `bgpdump -m` (one A/B line per announced prefix,
/// one W line per withdrawn prefix).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadStats {
    /// MRT records, BMP messages or non-empty JSON lines read.
    pub records: u64,
    /// Announced prefixes (RIB entries included).
    pub announcements: u64,
    /// Withdrawn prefixes.
    pub withdrawals: u64,
    /// Peer up/down events.
    pub peer_events: u64,
    /// Messages read but not used (KEEPALIVE, OPEN, statistics, ris_error ...).
    pub skipped: u64,
    /// Damaged records or lines.
    pub errors: u64,
    /// MP_REACH/MP_UNREACH attributes of other than unicast (VPN, multicast, ...) ignored.
    pub non_unicast: u64,
}

impl ReadStats {
    /// Adds another input's counts.
    pub fn add(&mut self, other: &ReadStats) {
        self.records += other.records;
        self.announcements += other.announcements;
        self.withdrawals += other.withdrawals;
        self.peer_events += other.peer_events;
        self.skipped += other.skipped;
        self.errors += other.errors;
        self.non_unicast += other.non_unicast;
    }
}

/// Damage reports kept per input; beyond them damage is only counted (`ReadStats::errors`), so a
/// file that is damaged throughout cannot fill memory with messages.
pub const MAX_KEPT_ERRORS: usize = 1000;

/// Which updates the consumer cares about, from the prefix and, for an announcement, its origin
/// ASes (`None` for a withdrawal); the others are counted, not converted.
pub type Interest<'a> = &'a mut dyn FnMut(&IpNet, Option<&[Asn]>) -> bool;

/// Where a reader sends what it reads.
pub struct ReadContext<'a> {
    /// The input (for messages).
    pub path: &'a Path,
    /// Receives every item.
    pub emit: &'a mut dyn FnMut(SourceItem),
    /// Counts.
    pub stats: &'a mut ReadStats,
    /// Damage found.
    pub errors: &'a mut Vec<SourceError>,
    /// Only updates of these prefixes are emitted (all when `None`).
    pub interest: Option<Interest<'a>>,
    /// Data time last passed on (updates or a [`SourceItem::Clock`]).
    pub clock: Option<Timestamp>,
}

impl ReadContext<'_> {
    /// Whether this update is wanted (convert it) or only counted.
    pub fn wants(&mut self, prefix: &IpNet, origins: Option<&[Asn]>) -> bool {
        match self.interest.as_mut() {
            None => true,
            Some(wants) => wants(prefix, origins),
        }
    }

    /// Counts an update nobody watches; passes its time on at most once per second of data.
    pub fn count_unwanted(&mut self, announce: bool, time: Timestamp) {
        if announce {
            self.stats.announcements += 1;
        } else {
            self.stats.withdrawals += 1;
        }
        if self
            .clock
            .is_none_or(|c| time - c >= chrono::Duration::seconds(1))
        {
            self.clock = Some(time);
            (self.emit)(SourceItem::Clock(time));
        }
    }

    /// Counts an update as announcement or withdrawal and emits it (or only counts it, when it
    /// is of no interest).
    pub fn count_and_emit(&mut self, item: SourceItem) {
        if let SourceItem::Update(u) = &item {
            let origins = match &u.change {
                Change::Announce(route) => Some(route.as_path.origins()),
                Change::Withdraw => None,
            };
            let announce = origins.is_some();
            if !self.wants(&u.prefix, origins) {
                self.count_unwanted(announce, u.time);
                return;
            }
            if announce {
                self.stats.announcements += 1;
            } else {
                self.stats.withdrawals += 1;
            }
            self.clock = Some(u.time);
        }
        (self.emit)(item);
    }

    /// Counts what the unicast filter removed (see `unicast`).
    pub(crate) fn count_removed(&mut self, removed: unicast::Removed) {
        self.stats.non_unicast += removed.attributes;
        self.stats.announcements += removed.multicast_announced;
        self.stats.withdrawals += removed.multicast_withdrawn;
    }

    /// Records damage at a byte offset.
    pub fn damage(&mut self, format: &'static str, offset: u64, reason: String) {
        self.push_damage(format, offset, None, reason);
    }

    /// Records damage at a byte offset and line.
    pub fn damage_line(&mut self, format: &'static str, offset: u64, line: u64, reason: String) {
        self.push_damage(format, offset, Some(line), reason);
    }

    fn push_damage(
        &mut self,
        format: &'static str,
        offset: u64,
        line: Option<u64>,
        reason: String,
    ) {
        self.stats.errors += 1;
        if self.errors.len() >= MAX_KEPT_ERRORS {
            return;
        }
        self.errors.push(SourceError::Damaged {
            path: self.path.to_path_buf(),
            format,
            offset,
            line,
            reason,
        });
    }
}

/// The collector name for a file: `rrc00` for `rrc00.updates.…`, `route-views.jinx` for
/// `route-views.jinx.updates.…`, otherwise `mrt` (so a RIB and its updates share vantage points).
pub fn collector_from_file_name(path: &Path) -> Arc<str> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    for marker in [".updates.", ".bview.", ".rib.", ".ribs."] {
        if let Some(i) = name.find(marker) {
            return Arc::from(&name[..i]);
        }
    }
    Arc::from("mrt")
}

/// Reads one input file completely. Items go to `emit`; damage is returned (reading goes on past
/// damage where the format allows). `format` overrides sniffing.
pub fn read_file(
    path: &Path,
    format: Option<InputFormat>,
    emit: &mut dyn FnMut(SourceItem),
    stats: &mut ReadStats,
) -> Vec<SourceError> {
    read_file_filtered(path, format, None, emit, stats)
}

/// [`read_file`], converting only updates of prefixes in `interest` (the others are counted,
/// and their time passed on as [`SourceItem::Clock`]).
pub fn read_file_filtered(
    path: &Path,
    format: Option<InputFormat>,
    interest: Option<Interest<'_>>,
    emit: &mut dyn FnMut(SourceItem),
    stats: &mut ReadStats,
) -> Vec<SourceError> {
    match open(path) {
        Ok(opened) => read_opened(path, opened, format, interest, emit, stats),
        Err(e) => {
            stats.errors += 1;
            vec![e]
        }
    }
}

/// What [`read_file`] does after opening: `bytes` as if they were the file `path` (which only
/// names the input in messages and gives the collector name), decompressed and sniffed. The
/// replay reader for bytes that are not in a file (fuzzing, tests).
pub fn read_bytes(
    path: &Path,
    bytes: Vec<u8>,
    format: Option<InputFormat>,
    emit: &mut dyn FnMut(SourceItem),
    stats: &mut ReadStats,
) -> Vec<SourceError> {
    match decompress(std::io::Cursor::new(bytes)) {
        Ok(opened) => read_opened(path, opened, format, None, emit, stats),
        Err(source) => {
            stats.errors += 1;
            vec![SourceError::Open {
                path: path.to_path_buf(),
                source,
            }]
        }
    }
}

fn read_opened(
    path: &Path,
    mut opened: Opened,
    format: Option<InputFormat>,
    interest: Option<Interest<'_>>,
    emit: &mut dyn FnMut(SourceItem),
    stats: &mut ReadStats,
) -> Vec<SourceError> {
    let mut errors = Vec::new();
    let format = match format.map_or_else(|| sniff(path, &mut opened.reader), Ok) {
        Ok(format) => format,
        Err(e) => {
            stats.errors += 1;
            return vec![e];
        }
    };
    let mut ctx = ReadContext {
        path,
        emit,
        stats,
        errors: &mut errors,
        interest: interest.map(|f| f as &mut dyn FnMut(&IpNet, Option<&[Asn]>) -> bool),
        clock: None,
    };
    match format {
        InputFormat::Mrt => mrt::read(opened.reader, collector_from_file_name(path), &mut ctx),
        InputFormat::RisLive => ris_live::read(opened.reader, &mut ctx),
        InputFormat::Bmp => {
            let router = path.file_stem().and_then(|s| s.to_str()).unwrap_or("bmp");
            bmp::read(opened.reader, Arc::from(router), &mut ctx)
        }
    }
    errors
}
