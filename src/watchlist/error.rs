//! Errors found while loading a watchlist; each names the file, the entry and the fix.

use std::path::PathBuf;

/// A watchlist that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WatchlistError {
    /// The file or directory could not be read.
    #[error("cannot read watchlist {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is malformed or has keys the format does not know.
    #[error("watchlist {path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The YAML parser's message, with line and column.
        message: String,
    },
    /// Flow collections nested beyond any watchlist's need; refused before parsing.
    #[error("watchlist {path}: {depth}")]
    TooDeep {
        /// The file.
        path: PathBuf,
        /// Where.
        depth: super::nesting::TooDeep,
    },
    /// One entry is wrong.
    #[error("watchlist {path}: entry `{entry}`: {problem}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// The prefix, ASN or group the entry is keyed by.
        entry: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The same prefix (or group, or ASN) is defined in two files.
    #[error("watchlist entry `{entry}` is defined in both {first} and {second}; keep one")]
    Duplicate {
        /// The entry.
        entry: String,
        /// Where it was first defined.
        first: PathBuf,
        /// Where it was defined again.
        second: PathBuf,
    },
    /// No watchlist file was found.
    #[error("no watchlist: {0} holds no *.yaml or *.yml file; pass --watchlist FILE")]
    Empty(PathBuf),
}
