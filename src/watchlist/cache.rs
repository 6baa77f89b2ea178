//! A compiled copy of each watchlist file, so that a run does not parse unchanged YAML again.
//!
//! Parsing `prefixes/pk.yaml` (559 KB, 4,188 entries) with libyaml costs ~210 M instructions
//! (14-33 ms measured), a fifth of replaying a 5-minute RIS update file; decoding the compiled copy costs
//! ~2 ms. The copy holds the file's content after validation, so a hit gives exactly what parsing
//! gave; errors are never cached (a broken file is parsed, and refused, every time).
//!
//! * **Key**: sha256 of the cache format, the running executable's size and modification time,
//!   and the file's bytes. Any edit of the file, and any new build of bgpwatch, misses; the file's
//!   name and path play no part (the entries' `source` is set from the path being loaded).
//! * **Where**: `$BGPWATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/bgpwatch`, else
//!   `$HOME/.cache/bgpwatch`; `BGPWATCH_CACHE_DIR=off` (or empty) turns it off. The directory is
//!   created private (0700) and is not used when it belongs to another user or others may write
//!   to it.
//! * **Damage**: each copy carries the sha256 of its payload; a copy that is cut, flipped or not
//!   ours is ignored (and rewritten), never trusted. Writes go to a temporary file renamed into
//!   place, so a reader never sees half a copy.
//! * **Size**: at most [`KEEP`] copies; the oldest written go first.
//!
//! Nothing here fails a load: a cache that cannot be read or written only costs the parse.

use super::file::FileContent;
use super::{Group, WatchEntry, WatchedAsn, WatchlistError};
use crate::alert::Severity;
use crate::update::Asn;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Bumped whenever the stored layout or the meaning of a field changes.
const FORMAT: &[u8] = b"bgpwatch watchlist cache v1\n";
/// The first bytes of every copy.
const MAGIC: &[u8; 8] = b"BGPWWL1\n";
/// Copies kept in the directory.
pub const KEEP: usize = 64;
/// Copies larger than this are not ours (pk.yaml compiles to ~380 KB).
const MAX_COPY: u64 = 256 << 20;

/// Where compiled watchlists are kept.
#[derive(Debug, Clone)]
pub struct WatchlistCache {
    dir: PathBuf,
}

impl WatchlistCache {
    /// The directory the environment names (module docs), or `None` when caching is off or no
    /// directory is known.
    pub fn from_env() -> Option<WatchlistCache> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = std::env::var_os("BGPWATCH_CACHE_DIR") {
            if dir.is_empty() || dir == "off" {
                return None;
            }
            return Some(WatchlistCache::at(dir));
        }
        let base = var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| Path::new(&home).join(".cache")))?;
        Some(WatchlistCache::at(base.join("bgpwatch")))
    }

    /// A cache in `dir` (created on first write).
    pub fn at(dir: impl Into<PathBuf>) -> WatchlistCache {
        WatchlistCache { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The compiled copy at `copy`, when it is there and intact; `source` becomes its entries'
    /// file.
    fn read(&self, copy: &Path, source: &Arc<Path>) -> Option<FileContent> {
        if !self.private() {
            return None;
        }
        let bytes = read_bounded(copy)?;
        let stored = match decode(&bytes) {
            Some(stored) => stored,
            None => {
                tracing::debug!(cache = %copy.display(), "damaged watchlist cache copy ignored");
                return None;
            }
        };
        Some(stored.into_content(source))
    }

    /// Stores `content` at `copy`. Failures are logged at debug level and dropped.
    fn store(&self, copy: &Path, content: &FileContent) {
        if let Err(e) = self.write(copy, &encode(&Stored::from(content))) {
            tracing::debug!(cache = %self.dir.display(), "watchlist cache not written: {e}");
        }
    }

    fn copy_path(&self, text: &str) -> Option<PathBuf> {
        let build = build_identity()?;
        let mut key = Sha256::new();
        key.update(FORMAT);
        key.update(build);
        key.update(text.as_bytes());
        Some(
            self.dir
                .join(format!("watchlist-{}.bin", hex(&key.finalize()))),
        )
    }

    /// True when the directory is this user's and nobody else may write to it (a copy planted
    /// by another user would otherwise change what is watched).
    fn private(&self) -> bool {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let Some(me) = effective_uid() else {
            return false;
        };
        std::fs::metadata(&self.dir)
            .is_ok_and(|m| m.is_dir() && m.uid() == me && m.permissions().mode() & 0o022 == 0)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        if !self.private() {
            return Err(std::io::Error::other(
                "another user owns it or others may write to it; not used",
            ));
        }
        let temporary = self.dir.join(format!(
            ".watchlist-{}-{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let written = std::fs::File::create(&temporary)
            .and_then(|mut file| file.write_all(bytes))
            .and_then(|()| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written?;
        self.prune(path);
        Ok(())
    }

    /// Removes the oldest copies beyond [`KEEP`], never `written` (timestamps may tie).
    fn prune(&self, written: &Path) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut copies: Vec<(std::time::SystemTime, PathBuf)> = listing
            .filter_map(Result::ok)
            .filter(|item| {
                let name = item.file_name();
                let name = name.to_string_lossy();
                name.starts_with("watchlist-") && name.ends_with(".bin") && item.path() != written
            })
            .filter_map(|item| Some((item.metadata().ok()?.modified().ok()?, item.path())))
            .collect();
        if copies.len() < KEEP {
            return;
        }
        copies.sort();
        for (_, old) in &copies[..=copies.len() - KEEP] {
            let _ = std::fs::remove_file(old);
        }
    }
}

/// One watchlist file's `text` validated: from its compiled copy in `cache` when one is stored
/// and intact, else parsed ([`super::file::parse`]) and, when that succeeds, stored.
pub(super) fn parse(
    cache: Option<&WatchlistCache>,
    text: &str,
    source: &Arc<Path>,
) -> Result<FileContent, WatchlistError> {
    let Some((cache, copy)) = cache.and_then(|c| Some((c, c.copy_path(text)?))) else {
        return super::file::parse(text, source);
    };
    if let Some(content) = cache.read(&copy, source) {
        return Ok(content);
    }
    let content = super::file::parse(text, source)?;
    cache.store(&copy, &content);
    Ok(content)
}

/// The running executable's size and modification time: a rebuild changes them.
fn build_identity() -> Option<&'static [u8]> {
    static IDENTITY: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
            let modified = exe
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?;
            let mut identity = exe.len().to_le_bytes().to_vec();
            identity.extend_from_slice(&modified.as_nanos().to_le_bytes());
            identity.extend_from_slice(env!("CARGO_PKG_VERSION").as_bytes());
            Some(identity)
        })
        .as_deref()
}

/// This process's effective user id, from `/proc/self/status` (`Uid: real effective ...`).
pub(super) fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uids = status.lines().find_map(|line| line.strip_prefix("Uid:"))?;
    uids.split_whitespace().nth(1)?.parse().ok()
}

fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_COPY + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_COPY).then_some(bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `MAGIC`, the sha256 of the payload, the payload (postcard).
fn encode(stored: &Stored) -> Vec<u8> {
    let payload = postcard::to_stdvec(stored).expect("serializing to a Vec cannot fail");
    let mut bytes = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&Sha256::digest(&payload));
    bytes.extend_from_slice(&payload);
    bytes
}

fn decode(bytes: &[u8]) -> Option<Stored> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (digest, payload) = rest.split_at_checked(32)?;
    if Sha256::digest(payload).as_slice() != digest {
        return None;
    }
    postcard::from_bytes(payload).ok()
}

/// One file's validated content, as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    groups: Vec<StoredGroup>,
    asns: Vec<StoredAsn>,
    entries: Vec<StoredEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredGroup {
    name: String,
    severity: Severity,
    description: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredAsn {
    asn: Asn,
    description: Option<String>,
    upstreams: Option<Box<[Asn]>>,
    originates: Box<[IpNet]>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredEntry {
    prefix: IpNet,
    description: Option<String>,
    origins: Box<[Asn]>,
    upstreams: Option<Box<[Asn]>>,
    group: Option<String>,
    max_length: u8,
    ignore_more_specifics: bool,
    ignore: bool,
}

impl From<&FileContent> for Stored {
    fn from(content: &FileContent) -> Stored {
        Stored {
            groups: content
                .groups
                .iter()
                .map(|g| StoredGroup {
                    name: g.name.to_string(),
                    severity: g.severity,
                    description: g.description.clone(),
                })
                .collect(),
            asns: content
                .asns
                .iter()
                .map(|a| StoredAsn {
                    asn: a.asn,
                    description: a.description.clone(),
                    upstreams: a.upstreams.clone(),
                    originates: a.originates.clone(),
                })
                .collect(),
            entries: content
                .entries
                .iter()
                .map(|e| StoredEntry {
                    prefix: e.prefix,
                    description: e.description.clone(),
                    origins: e.origins.clone(),
                    upstreams: e.upstreams.clone(),
                    group: e.group.as_deref().map(str::to_string),
                    max_length: e.max_length,
                    ignore_more_specifics: e.ignore_more_specifics,
                    ignore: e.ignore,
                })
                .collect(),
        }
    }
}

impl Stored {
    fn into_content(self, source: &Arc<Path>) -> FileContent {
        FileContent {
            groups: self
                .groups
                .into_iter()
                .map(|g| Group {
                    name: Arc::from(g.name),
                    severity: g.severity,
                    description: g.description,
                    source: source.clone(),
                })
                .collect(),
            asns: self
                .asns
                .into_iter()
                .map(|a| WatchedAsn {
                    asn: a.asn,
                    description: a.description,
                    upstreams: a.upstreams,
                    originates: a.originates,
                    source: source.clone(),
                })
                .collect(),
            entries: self
                .entries
                .into_iter()
                .map(|e| WatchEntry {
                    prefix: e.prefix,
                    description: e.description,
                    origins: e.origins,
                    upstreams: e.upstreams,
                    group: e.group.map(Arc::from),
                    max_length: e.max_length,
                    ignore_more_specifics: e.ignore_more_specifics,
                    ignore: e.ignore,
                    source: source.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
