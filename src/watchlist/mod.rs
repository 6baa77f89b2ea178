//! The watched address space: which prefixes, who may originate them, how they page.
//!
//! Loaded from `prefixes/*.yaml` (DESIGN.md section 4) into entries indexed by a prefix trie.
//! The most specific entry covering an observed prefix decides how it is judged.

pub mod bgpalerter;
mod cache;
pub mod cli;
pub mod diff;
mod error;
mod file;
pub mod generate;
mod nesting;
mod spans;
mod trie;

pub use cache::WatchlistCache;
pub use error::WatchlistError;
pub use spans::AddressSpans;
pub use trie::NetMap;

use crate::alert::Severity;
use crate::update::Asn;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One watched prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEntry {
    /// The watched prefix.
    pub prefix: IpNet,
    /// Free text for operators.
    pub description: Option<String>,
    /// ASes allowed to originate it, sorted; empty means nobody may announce it (squat watch).
    pub origins: Box<[Asn]>,
    /// ASes allowed right before the origin, when the operator listed them.
    pub upstreams: Option<Box<[Asn]>>,
    /// Paging group.
    pub group: Option<Arc<str>>,
    /// More-specifics from an expected origin up to this length are normal
    /// (defaults to the prefix's own length: any more-specific is new).
    pub max_length: u8,
    /// More-specifics of this entry are not judged at all.
    pub ignore_more_specifics: bool,
    /// Carve-out: this space (delegated to someone else) is not watched.
    pub ignore: bool,
    /// The file that defined it.
    pub source: Arc<Path>,
}

impl WatchEntry {
    /// True when `asn` may originate this prefix.
    pub fn allows_origin(&self, asn: Asn) -> bool {
        self.origins.binary_search(&asn).is_ok()
    }
}

/// A paging group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its name, as entries refer to it.
    pub name: Arc<str>,
    /// The highest severity its alerts page with (critical leaves every kind's default).
    pub severity: Severity,
    /// Free text.
    pub description: Option<String>,
    /// The file that defined it.
    pub source: Arc<Path>,
}

/// An AS whose own announcements are watched (the `asns:` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedAsn {
    /// The AS.
    pub asn: Asn,
    /// Free text.
    pub description: Option<String>,
    /// ASes allowed right before it.
    pub upstreams: Option<Box<[Asn]>>,
    /// Prefixes outside the watchlist it is known to originate (and their more-specifics): not
    /// unexpected.
    pub originates: Box<[IpNet]>,
    /// The file that defined it.
    pub source: Arc<Path>,
}

impl WatchedAsn {
    /// True when `prefix` is (inside) a prefix this AS is known to originate.
    pub fn known_origination(&self, prefix: &IpNet) -> bool {
        self.originates.iter().any(|known| known.contains(prefix))
    }
}

/// How an observed prefix relates to the watched space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relevance<'a> {
    /// Inside a watched prefix (equal or more specific): the most specific covering entry.
    Inside(&'a WatchEntry),
    /// Less specific than some watched prefix (it can carry traffic for it).
    Covering,
    /// Unrelated to the watched space.
    Unrelated,
}

/// The validated watchlist.
#[derive(Debug, Clone, Default)]
pub struct Watchlist {
    entries: Vec<WatchEntry>,
    index: NetMap<usize>,
    /// The watched space as merged ranges: the quick "unrelated" answer.
    spans: AddressSpans,
    groups: BTreeMap<Arc<str>, Group>,
    asns: BTreeMap<Asn, WatchedAsn>,
    /// The keys of `asns`, sorted, for the per-update origin check.
    asn_keys: Box<[Asn]>,
}

impl Watchlist {
    /// Loads and merges watchlist files; a directory contributes its `*.yaml`/`*.yml` files.
    /// Unchanged files come from the compiled copies of [`WatchlistCache::from_env`].
    pub fn load(paths: &[PathBuf]) -> Result<Watchlist, WatchlistError> {
        Watchlist::load_cached(paths, WatchlistCache::from_env().as_ref())
    }

    /// [`Watchlist::load`] with the compiled copies kept in `cache` (none: always parse).
    pub fn load_cached(
        paths: &[PathBuf],
        cache: Option<&WatchlistCache>,
    ) -> Result<Watchlist, WatchlistError> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                let found = yaml_files_in(path)?;
                if found.is_empty() {
                    return Err(WatchlistError::Empty(path.clone()));
                }
                files.extend(found);
            } else {
                files.push(path.clone());
            }
        }
        let mut contents = Vec::with_capacity(files.len());
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| WatchlistError::Read {
                path: path.clone(),
                source,
            })?;
            let source: Arc<Path> = Arc::from(path.as_path());
            let content = cache::parse(cache, &text, &source)?;
            contents.push(content);
        }
        Watchlist::from_contents(contents)
    }

    /// Builds a watchlist from `(file name, YAML text)` pairs.
    pub fn from_texts<'a>(
        texts: impl IntoIterator<Item = (&'a Path, &'a str)>,
    ) -> Result<Watchlist, WatchlistError> {
        let contents = texts
            .into_iter()
            .map(|(path, text)| file::parse(text, &Arc::from(path)))
            .collect::<Result<Vec<_>, _>>()?;
        Watchlist::from_contents(contents)
    }

    /// Merges files' contents, in order; a prefix, group or ASN defined twice is refused.
    fn from_contents(contents: Vec<file::FileContent>) -> Result<Watchlist, WatchlistError> {
        let mut list = Watchlist::default();
        let mut all_entries = Vec::new();
        for content in contents {
            for group in content.groups {
                if let Some(first) = list.groups.get(&group.name) {
                    return Err(duplicate(&group.name, &first.source, &group.source));
                }
                list.groups.insert(group.name.clone(), group);
            }
            for asn in content.asns {
                if let Some(first) = list.asns.get(&asn.asn) {
                    return Err(duplicate(
                        &format!("AS{}", asn.asn),
                        &first.source,
                        &asn.source,
                    ));
                }
                list.asns.insert(asn.asn, asn);
            }
            all_entries.extend(content.entries);
        }
        for entry in all_entries {
            list.add_entry(entry)?;
        }
        list.spans.seal();
        list.asn_keys = list.asns.keys().copied().collect();
        Ok(list)
    }

    fn add_entry(&mut self, entry: WatchEntry) -> Result<(), WatchlistError> {
        if let Some(group) = &entry.group {
            if !self.groups.contains_key(group) {
                return Err(WatchlistError::Entry {
                    path: entry.source.to_path_buf(),
                    entry: entry.prefix.to_string(),
                    problem: format!(
                        "group `{group}` is not defined; add it under `groups:` (e.g. `{group}: {{ severity: critical }}`) or remove `group`"
                    ),
                });
            }
        }
        if let Some(&first) = self.index.get(&entry.prefix) {
            return Err(duplicate(
                &entry.prefix.to_string(),
                &self.entries[first].source,
                &entry.source,
            ));
        }
        self.index.insert(entry.prefix, self.entries.len());
        self.spans.add(&entry.prefix);
        self.entries.push(entry);
        Ok(())
    }

    /// How `prefix` relates to the watched space.
    pub fn relevance(&self, prefix: &IpNet) -> Relevance<'_> {
        // Most prefixes of a feed are nowhere near the watched space: a binary search over the
        // merged ranges says so without walking the trie.
        if !self.spans.touches(prefix) {
            return Relevance::Unrelated;
        }
        if let Some((_, &i)) = self.index.longest_match(prefix) {
            return Relevance::Inside(&self.entries[i]);
        }
        if self.index.has_more_specific(prefix) {
            Relevance::Covering
        } else {
            Relevance::Unrelated
        }
    }

    /// The entry for exactly this prefix.
    pub fn entry(&self, prefix: &IpNet) -> Option<&WatchEntry> {
        self.index.get(prefix).map(|&i| &self.entries[i])
    }

    /// Every entry, in load order.
    pub fn entries(&self) -> &[WatchEntry] {
        &self.entries
    }

    /// The group of that name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// All groups by name.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// True when `asn` is listed in the `asns:` section (its own announcements are watched).
    pub fn watches_origin(&self, asn: Asn) -> bool {
        self.asn_keys.binary_search(&asn).is_ok()
    }

    /// The `asns:` entry of `asn`.
    pub fn watched_asn(&self, asn: Asn) -> Option<&WatchedAsn> {
        self.asns.get(&asn)
    }

    /// The `asns:` section.
    pub fn asns(&self) -> impl Iterator<Item = &WatchedAsn> {
        self.asns.values()
    }

    /// Number of prefix entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no prefix is watched.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn duplicate(entry: &str, first: &Path, second: &Path) -> WatchlistError {
    WatchlistError::Duplicate {
        entry: entry.to_string(),
        first: first.to_path_buf(),
        second: second.to_path_buf(),
    }
}

fn yaml_files_in(dir: &Path) -> Result<Vec<PathBuf>, WatchlistError> {
    let read_error = |source| WatchlistError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for item in std::fs::read_dir(dir).map_err(read_error)? {
        let path = item.map_err(read_error)?.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
