//! A VRP file watched by polling: reloaded when its modification time or size changes, with
//! the last good set kept when the new content is unusable or suspiciously empty.

use super::error::{RejectedRoa, ReloadRefused, VrpFileError};
use super::events;
use super::json::{load_vrp_file, VrpLoad};
use super::vrps::Vrps;
use crate::update::Timestamp;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What identifies one version of the file without reading it. The inode catches a same-size
/// file renamed over it within the modification time's granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        })
    }
}

/// A VRP JSON file and the set last loaded from it.
#[derive(Debug)]
pub struct VrpFile {
    path: PathBuf,
    stamp: Option<Stamp>,
    current: Arc<Vrps>,
    rejected: Vec<RejectedRoa>,
    loaded: Instant,
    loaded_at: Timestamp,
    refused: Option<ReloadRefused>,
}

impl VrpFile {
    /// Loads the file once; fails when it is unreadable, not JSON or not a VRP document (bad
    /// entries are skipped and logged, see [`VrpFile::rejected`]). An empty set is accepted
    /// here: only an empty file *replacing* VRPs is suspicious.
    pub fn open(path: impl Into<PathBuf>) -> Result<VrpFile, VrpFileError> {
        let path = path.into();
        let stamp = Stamp::of(&path);
        let load = load_vrp_file(&path)?;
        events::vrp_file_loaded(&path, &load);
        Ok(VrpFile {
            path,
            stamp,
            current: Arc::new(load.vrps),
            rejected: load.rejected,
            loaded: Instant::now(),
            loaded_at: chrono::Utc::now(),
            refused: None,
        })
    }

    /// Checks the file's modification time and size; when they changed, reloads it. Returns
    /// the new set when one was taken, `None` when the file is unchanged or the new content
    /// was refused (see [`VrpFile::refused`]; the previous set stays in force and grows
    /// stale). A file that is briefly missing or half-written is retried on the next poll.
    /// Blocking (reads and parses the file when it changed): in async code, call it from
    /// `tokio::task::spawn_blocking` or a dedicated thread.
    pub fn poll(&mut self) -> Option<Arc<Vrps>> {
        let stamp = Stamp::of(&self.path);
        if stamp == self.stamp {
            return None; // unchanged, or still missing (reported once already)
        }
        self.stamp = stamp;
        match self.reload() {
            Ok(load) => {
                events::vrp_file_loaded(&self.path, &load);
                self.current = Arc::new(load.vrps);
                self.rejected = load.rejected;
                self.loaded = Instant::now();
                self.loaded_at = chrono::Utc::now();
                self.refused = None;
                Some(Arc::clone(&self.current))
            }
            Err(refused) => {
                events::vrp_reload_refused(&refused, self.current.len());
                self.refused = Some(refused);
                None
            }
        }
    }

    fn reload(&self) -> Result<VrpLoad, ReloadRefused> {
        let load = load_vrp_file(&self.path)?;
        if load.vrps.is_empty() && !self.current.is_empty() {
            return Err(ReloadRefused::EmptyReplacesNonEmpty {
                path: self.path.clone(),
                entries: load.entries,
                previous: self.current.len(),
            });
        }
        Ok(load)
    }

    /// The set in force: the last one loaded successfully.
    pub fn current(&self) -> Arc<Vrps> {
        Arc::clone(&self.current)
    }

    /// The watched file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries skipped by the last successful load.
    pub fn rejected(&self) -> &[RejectedRoa] {
        &self.rejected
    }

    /// Why the last change of the file was refused; `None` once a later version loads.
    pub fn refused(&self) -> Option<&ReloadRefused> {
        self.refused.as_ref()
    }

    /// Time since the set in force was loaded. It grows while the file stays unchanged (the
    /// validator stopped writing it) or every new version is refused: alert on it.
    pub fn staleness(&self) -> Duration {
        self.loaded.elapsed()
    }

    /// Wall-clock time of the last successful load.
    pub fn loaded_at(&self) -> Timestamp {
        self.loaded_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_ROA: &str =
        r#"{"roas": [{"asn": "AS64500", "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "t"}]}"#;
    const TWO_ROAS: &str = r#"{"roas": [{"asn": "AS64500", "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "t"},
        {"asn": 64501, "prefix": "2001:db8::/32", "maxLength": 48, "ta": "t"}]}"#;

    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir()
            .join("bgpwatch-rpki-unit")
            .join(format!("{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("vrps.json")
    }

    #[test]
    fn an_unchanged_file_is_not_reloaded() {
        let path = scratch("unchanged");
        std::fs::write(&path, ONE_ROA).expect("write");
        let mut file = VrpFile::open(&path).expect("opens");
        assert_eq!(file.current().len(), 1);
        assert!(file.poll().is_none());
        assert!(file.refused().is_none());
    }

    #[test]
    fn a_changed_file_is_reloaded() {
        let path = scratch("changed");
        std::fs::write(&path, ONE_ROA).expect("write");
        let mut file = VrpFile::open(&path).expect("opens");
        std::fs::write(&path, TWO_ROAS).expect("rewrite");
        let new = file.poll().expect("reloaded");
        assert_eq!(new.len(), 2);
        assert_eq!(file.current().len(), 2);
    }

    #[test]
    fn garbage_and_a_missing_file_keep_the_last_good_set() {
        let path = scratch("garbage");
        std::fs::write(&path, ONE_ROA).expect("write");
        let mut file = VrpFile::open(&path).expect("opens");
        std::fs::write(&path, "{\"roas\": [{\"asn\": 1,").expect("truncate");
        assert!(file.poll().is_none());
        assert!(matches!(
            file.refused(),
            Some(ReloadRefused::File(VrpFileError::NotJson { .. }))
        ));
        std::fs::remove_file(&path).expect("remove");
        assert!(file.poll().is_none());
        assert_eq!(file.current().len(), 1);
        std::fs::write(&path, TWO_ROAS).expect("restore");
        assert_eq!(file.poll().map(|v| v.len()), Some(2));
        assert!(file.refused().is_none());
    }

    #[test]
    fn an_empty_set_is_taken_at_open_and_after_an_empty_one() {
        let path = scratch("empty-start");
        std::fs::write(&path, r#"{"roas": []}"#).expect("write");
        let mut file = VrpFile::open(&path).expect("opens");
        assert!(file.current().is_empty());
        std::fs::write(&path, r#"{"roas": [], "metadata": {}}"#).expect("rewrite");
        assert!(file.poll().is_some_and(|v| v.is_empty()));
        assert!(file.refused().is_none());
    }

    #[test]
    fn open_fails_on_a_file_that_is_not_json() {
        let path = scratch("open-not-json");
        std::fs::write(&path, "not json").expect("write");
        let err = VrpFile::open(&path).expect_err("refused");
        assert!(err.to_string().contains("vrps.json is not JSON"), "{err}");
    }
}
