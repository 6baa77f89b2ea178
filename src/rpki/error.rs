//! Errors of the RPKI module: a VRP file that cannot be used, one bad ROA entry, a reload that
//! was refused. RTR errors live in [`super::rtr`]. Each message names the file, entry or fix.

use std::path::PathBuf;

/// A VRP file that cannot be used at all (bad entries alone never make a file unusable).
#[derive(Debug, thiserror::Error)]
pub enum VrpFileError {
    /// The file could not be read.
    #[error("cannot read VRP file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON (or is truncated).
    #[error("VRP file {path} is not JSON: {source}")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// The JSON parser's error, with line and column.
        source: serde_json::Error,
    },
    /// The file is JSON but not a VRP document.
    #[error(
        "VRP file {path} is not a VRP document ({source}); expected \
         {{\"roas\": [{{\"asn\": 64500, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24}}]}} \
         as rpki-client, Routinator or stayrtr write it"
    )]
    NotVrps {
        /// The file.
        path: PathBuf,
        /// What the JSON parser found instead, with line and column.
        source: serde_json::Error,
    },
    /// The top-level object has no `roas` array.
    #[error(
        "VRP file {path} has no \"roas\" array; expected \
         {{\"roas\": [{{\"asn\": 64500, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24}}]}}"
    )]
    NoRoas {
        /// The file.
        path: PathBuf,
    },
}

/// What is wrong with one entry of the `roas` array. The entry is skipped; the rest loads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoaProblem {
    /// The entry is not a JSON object.
    #[error("not an object: {value}")]
    NotAnObject {
        /// The entry as JSON text.
        value: String,
    },
    /// A required field is absent.
    #[error("missing \"{field}\"")]
    Missing {
        /// `asn`, `prefix` or `maxLength`.
        field: &'static str,
    },
    /// The prefix is not an IPv4 or IPv6 prefix.
    #[error("bad prefix {value}: expected a string like \"192.0.2.0/24\"")]
    BadPrefix {
        /// The value as JSON text.
        value: String,
    },
    /// The prefix has bits set beyond its length, which no ROA can carry.
    #[error("prefix {prefix} has host bits set (did you mean {network}?)")]
    HostBits {
        /// The prefix as written.
        prefix: String,
        /// The prefix with host bits cleared.
        network: String,
    },
    /// `maxLength` is not a non-negative integer.
    #[error("bad maxLength {value}: expected an integer")]
    BadMaxLength {
        /// The value as JSON text.
        value: String,
    },
    /// `maxLength` is longer than the address family allows.
    #[error("maxLength {max_length} is out of range for {prefix} (at most {family_max})")]
    MaxLengthOutOfRange {
        /// The value given.
        max_length: u64,
        /// The ROA prefix.
        prefix: String,
        /// 32 or 128.
        family_max: u8,
    },
    /// `maxLength` is shorter than the prefix itself.
    #[error("maxLength {max_length} is shorter than the prefix {prefix}")]
    MaxLengthShorter {
        /// The value given.
        max_length: u8,
        /// The ROA prefix.
        prefix: String,
    },
    /// The ASN is not `AS<n>` or a number in 0..=4294967295.
    #[error("bad asn {value}: expected 64500 or \"AS64500\"")]
    BadAsn {
        /// The value as JSON text.
        value: String,
    },
}

/// One skipped entry of a VRP file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("roas[{index}]{}: {problem}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
pub struct RejectedRoa {
    /// Position in the `roas` array, from 0.
    pub index: usize,
    /// Line (from 1) where the entry starts in the file, when known.
    pub line: Option<usize>,
    /// What is wrong with it.
    pub problem: RoaProblem,
}

/// Why a changed VRP file was not taken; the previous set stays in force.
#[derive(Debug, thiserror::Error)]
pub enum ReloadRefused {
    /// The file is unreadable, not JSON, or not a VRP document.
    #[error("{0}; keeping the previous VRPs")]
    File(#[from] VrpFileError),
    /// The file now yields no VRP while the set in force has some: more likely a failed
    /// validator run than the end of the RPKI.
    #[error(
        "VRP file {path} now yields no VRP ({entries} entries) while {previous} were in force; \
         keeping the previous VRPs"
    )]
    EmptyReplacesNonEmpty {
        /// The file.
        path: PathBuf,
        /// Entries in its `roas` array (all rejected when non-zero).
        entries: usize,
        /// VRPs in the set kept.
        previous: usize,
    },
}
