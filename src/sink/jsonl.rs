//! The `jsonl` sink: one alert event per line, as JSON (the DESIGN.md section 7 contract) or as
//! a line of text for a terminal.

use super::SinkError;
use crate::alert::{format_time, AlertEvent, Lifecycle};
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

/// How each event is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// One JSON object per line.
    #[default]
    Jsonl,
    /// One human-readable line per event.
    Text,
}

/// Writes events to stdout or appends them to a file; flushed after every event so a reader
/// following the file sees each alert at once.
pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
    target: String,
    format: OutputFormat,
}

impl JsonlSink {
    /// To standard output.
    pub fn stdout(format: OutputFormat) -> Self {
        JsonlSink {
            out: BufWriter::new(Box::new(std::io::stdout())),
            target: "stdout".into(),
            format,
        }
    }

    /// Appending to `path` (created if missing).
    pub fn file(path: &Path, format: OutputFormat) -> Result<Self, SinkError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| SinkError::Write {
                target: path.display().to_string(),
                source,
            })?;
        Ok(JsonlSink {
            out: BufWriter::new(Box::new(file)),
            target: path.display().to_string(),
            format,
        })
    }

    /// Writes one event.
    pub fn deliver(&mut self, event: &AlertEvent) -> Result<(), SinkError> {
        let result = match self.format {
            OutputFormat::Jsonl => serde_json::to_writer(&mut self.out, event)
                .map_err(std::io::Error::from)
                .and_then(|()| self.out.write_all(b"\n")),
            OutputFormat::Text => writeln!(self.out, "{}", text_line(event)),
        };
        result
            .and_then(|()| self.out.flush())
            .map_err(|source| SinkError::Write {
                target: self.target.clone(),
                source,
            })
    }

    /// Flushes.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(|source| SinkError::Write {
            target: self.target.clone(),
            source,
        })
    }
}

/// `2008-02-24T18:47:45Z OPEN     critical origin-hijack 208.65.153.0/24 [id] summary`.
pub fn text_line(event: &AlertEvent) -> String {
    let label = match event.event {
        Lifecycle::Open => "OPEN",
        Lifecycle::Update => "UPDATE",
        Lifecycle::Resolved => "RESOLVED",
    };
    let subject = match (&event.prefix, &event.source) {
        (Some(prefix), _) => prefix.to_string(),
        (None, Some(source)) => source.clone(),
        (None, None) => "-".to_string(),
    };
    format!(
        "{} {label:<8} {:<8} {:<17} {subject} [{}] {}",
        format_time(&event.time),
        event.severity,
        event.kind,
        event.id,
        event.summary
    )
}
