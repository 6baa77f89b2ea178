//! A [`ReadContext`] that keeps everything a reader emits, for targets that drive a reader.

use bgpwatch::source::{ReadContext, ReadStats, SourceError};
use bgpwatch::update::SourceItem;
use std::path::Path;

/// What one reader run produced.
#[derive(Default)]
pub struct Collected {
    /// Items emitted.
    pub items: Vec<SourceItem>,
    /// Counts.
    pub stats: ReadStats,
    /// Damage reported.
    pub errors: Vec<SourceError>,
}

impl Collected {
    /// Runs `read` with a context that collects into `self` (every update wanted).
    pub fn run(&mut self, path: &Path, read: impl FnOnce(&mut ReadContext<'_>)) {
        let items = &mut self.items;
        let mut emit = |item| items.push(item);
        let mut ctx = ReadContext {
            path,
            emit: &mut emit,
            stats: &mut self.stats,
            errors: &mut self.errors,
            interest: None,
            clock: None,
        };
        read(&mut ctx);
    }

    /// Damage is counted as it is reported.
    pub fn check_error_count(&self) {
        assert!(
            self.stats.errors >= self.errors.len() as u64,
            "{} errors reported but {} counted",
            self.errors.len(),
            self.stats.errors
        );
    }
}
