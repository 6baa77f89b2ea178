//! Sinks: alert events out to where people and machines read them. Sinks hold no detection
//! logic; one enum variant per kind.
//!
//! The paging sinks (`alertmanager`, `pagerduty`, `webhook`, `syslog`) are one folder each with
//! the same files: `config.rs` (the TOML keys), `encode.rs` (pure: event -> wire body),
//! `client.rs` (async delivery with a timeout, errors that say whether a retry can help). They
//! share one HTTP client ([`http_client::build`]); retries and the outbox are the caller's.

mod jsonl;

pub mod alertmanager;
mod error;
pub mod http_client;
pub mod outbox;
pub mod pagerduty;
mod paging;
pub mod routing;
mod secret;
pub mod syslog;
#[cfg(test)]
pub(crate) mod testing;
mod validate;
pub mod webhook;

pub use error::{BoxError, DeliveryError, DeliveryFailure, SinkConfigError, MAX_BODY_EXCERPT};
pub use jsonl::{JsonlSink, OutputFormat};
pub use paging::PagingSink;
pub use secret::Secret;

use crate::alert::AlertEvent;

/// A failed delivery.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Writing to a file or stdout failed.
    #[error("cannot write alerts to {target}: {source}")]
    Write {
        /// `stdout` or the file.
        target: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Every kind of sink.
pub enum Sink {
    /// JSON lines (or one text line per event) to stdout or a file.
    Jsonl(JsonlSink),
}

impl Sink {
    /// Delivers one event.
    pub fn deliver(&mut self, event: &AlertEvent) -> Result<(), SinkError> {
        match self {
            Sink::Jsonl(s) => s.deliver(event),
        }
    }

    /// The sink's kind, as a metrics label.
    pub fn name(&self) -> &'static str {
        match self {
            Sink::Jsonl(_) => "jsonl",
        }
    }

    /// Flushes buffered output.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        match self {
            Sink::Jsonl(s) => s.flush(),
        }
    }
}
