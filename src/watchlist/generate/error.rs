//! What can stop `watchlist generate`; every variant names the file and, for text inputs, the
//! lines at fault.

use super::cidr::RangeError;
use crate::source::SourceError;
use std::fmt;
use std::path::PathBuf;

/// Bad lines listed in a message before the rest are only counted.
const LISTED_BAD_LINES: usize = 10;

/// Generation failed; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// `--country` is not a two-letter code.
    #[error(
        "`{given}` is not a country code; give two letters as the RIR files write them, like PK"
    )]
    CountryCode {
        /// What was given.
        given: String,
    },
    /// An input file could not be opened or read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A text input has lines that do not parse (and `--skip-bad-lines` was not given).
    #[error("{path}: {} bad line{}: {}{}; fix the file or pass --skip-bad-lines to drop them",
        lines.len(), if lines.len() == 1 { "" } else { "s" }, list_lines(lines),
        if lines.len() > LISTED_BAD_LINES { format!(" (and {} more)", lines.len() - LISTED_BAD_LINES) } else { String::new() })]
    BadLines {
        /// The file.
        path: PathBuf,
        /// Every bad line, in file order.
        lines: Vec<BadLine>,
    },
    /// No delegated file has a record for the country.
    #[error("no delegation for country {country} in {files}: unknown country code, or the wrong RIR's file (an RIR file lists only its own region)")]
    UnknownCountry {
        /// The code asked for.
        country: String,
        /// The delegated files read, comma-separated.
        files: String,
    },
    /// A RIB or route table yielded no route at all.
    #[error("{path}: no routes in it{}; is it an empty or wrong file?", first_error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default())]
    NoRoutes {
        /// The file.
        path: PathBuf,
        /// The first problem the reader reported, if any.
        first_error: Option<String>,
    },
    /// An MRT input could not be opened or recognised.
    #[error("{0}")]
    Source(#[from] SourceError),
    /// The AS-names file is not the expected JSON object.
    #[error("{path}: not an AS-names file ({{\"17557\": \"NAME description, CC\"}}): {reason}")]
    AsNames {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The output could not be written; an existing file there is unchanged.
    #[error("cannot write {path}: {source} (an existing file there is unchanged)")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn list_lines(lines: &[BadLine]) -> String {
    lines
        .iter()
        .take(LISTED_BAD_LINES)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One line of a text input that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub problem: LineProblem,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

/// What is wrong with one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    /// Too few `|`-separated fields for a record, summary or header.
    #[error("{found} `|`-separated fields; a record has registry|cc|type|start|value|date|status")]
    FieldCount {
        /// Fields found.
        found: usize,
    },
    /// The type field is none of asn, ipv4, ipv6.
    #[error("unknown type `{0}` (expected asn, ipv4 or ipv6)")]
    UnknownType(String),
    /// The country field is neither empty nor two letters.
    #[error("country `{0}` is not a two-letter code")]
    Country(String),
    /// The start field does not parse for its type.
    #[error("start `{0}` is not a valid address or AS number for its type")]
    Start(String),
    /// The value field (count or prefix length) does not parse.
    #[error("value `{0}` is not a valid count (ipv4, asn) or prefix length (ipv6)")]
    Value(String),
    /// The IPv4 range is empty or runs past the end of the address space.
    #[error("{0}")]
    Range(RangeError),
    /// The ASN range runs past AS4294967295.
    #[error("AS{first} + {count} runs past AS4294967295")]
    AsnRange {
        /// First AS.
        first: u32,
        /// Number of ASes.
        count: u64,
    },
    /// The IPv6 start has bits set beyond the prefix length.
    #[error("{0} has host bits set beyond its length")]
    HostBits(String),
    /// The date is neither empty, 00000000 nor a YYYYMMDD date.
    #[error("date `{0}` is not YYYYMMDD")]
    Date(String),
    /// A route table line is not `prefix<TAB>origin`.
    #[error("expected `prefix<TAB>origin AS`, found `{0}`")]
    RouteLine(String),
    /// A route table prefix does not parse.
    #[error("`{0}` is not a prefix like 202.83.160.0/20")]
    Prefix(String),
    /// A route table origin does not parse.
    #[error("`{0}` is not an AS number")]
    Origin(String),
}
