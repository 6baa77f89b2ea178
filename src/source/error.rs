//! What can go wrong reading an input; every variant names the input and, where it applies,
//! the byte offset (in the decompressed stream) or line.

use std::path::PathBuf;

/// A problem with one input. Reading goes on past it where the format allows.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The input cannot be opened.
    #[error("{path}: cannot open: {source}")]
    Open {
        /// The input.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The input is a directory.
    #[error("{path}: is a directory; pass the files inside it")]
    IsDirectory {
        /// The input.
        path: PathBuf,
    },
    /// The input holds no bytes at all.
    #[error("{path}: is empty (0 bytes after decompression)")]
    Empty {
        /// The input.
        path: PathBuf,
    },
    /// The first bytes match none of MRT, RIS Live JSON and BMP.
    #[error("{path}: not MRT, RIS Live JSON or BMP (first bytes {first_bytes}); pass --input-format if you know better")]
    UnknownFormat {
        /// The input.
        path: PathBuf,
        /// Hex of the first bytes.
        first_bytes: String,
    },
    /// A record could not be read; the rest of the input may still have been processed.
    #[error("{path}: damaged {format} at byte {offset}{line}: {reason}", line = line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Damaged {
        /// The input.
        path: PathBuf,
        /// `MRT`, `BMP` or `RIS Live JSON`.
        format: &'static str,
        /// Byte offset of the damaged record in the (decompressed) stream.
        offset: u64,
        /// Line number, for line-based formats.
        line: Option<u64>,
        /// What was wrong.
        reason: String,
    },
}
