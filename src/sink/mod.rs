//! Sinks: alert events out to where people and machines read them. Sinks hold no detection
//! logic; one enum variant per kind.

mod jsonl;

pub use jsonl::{JsonlSink, OutputFormat};

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
