//! What changed between two watchlists: entries added, removed, or with other origins (or
//! max_length, group, flags), and ASes added or removed. For review before deploying a
//! regenerated file.

use super::{WatchEntry, Watchlist};
use crate::detect::as_list;
use crate::update::Asn;
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One field of an entry that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldChange {
    /// Expected origins.
    Origins(Box<[Asn]>, Box<[Asn]>),
    /// `max_length`.
    MaxLength(u8, u8),
    /// Paging group.
    Group(Option<String>, Option<String>),
    /// Allowed upstreams.
    Upstreams(Option<Box<[Asn]>>, Option<Box<[Asn]>>),
    /// `ignore_more_specifics`.
    IgnoreMoreSpecifics(bool, bool),
    /// `ignore`.
    Ignore(bool, bool),
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let upstreams =
            |u: &Option<Box<[Asn]>>| u.as_deref().map_or("none".into(), as_list_brackets);
        let group = |g: &Option<String>| g.clone().unwrap_or_else(|| "none".into());
        match self {
            FieldChange::Origins(a, b) => {
                write!(
                    f,
                    "origins {} -> {}",
                    as_list_brackets(a),
                    as_list_brackets(b)
                )
            }
            FieldChange::MaxLength(a, b) => write!(f, "max_length {a} -> {b}"),
            FieldChange::Group(a, b) => write!(f, "group {} -> {}", group(a), group(b)),
            FieldChange::Upstreams(a, b) => {
                write!(f, "upstreams {} -> {}", upstreams(a), upstreams(b))
            }
            FieldChange::IgnoreMoreSpecifics(a, b) => write!(f, "ignore_more_specifics {a} -> {b}"),
            FieldChange::Ignore(a, b) => write!(f, "ignore {a} -> {b}"),
        }
    }
}

/// The differences between an old and a new watchlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchlistDiff {
    /// Entries only in the new list, in prefix order.
    pub added: Vec<WatchEntry>,
    /// Entries only in the old list, in prefix order.
    pub removed: Vec<WatchEntry>,
    /// Entries in both whose judging fields differ, in prefix order.
    pub changed: Vec<(IpNet, Vec<FieldChange>)>,
    /// Entries in both that differ only in description.
    pub described_differently: usize,
    /// Entries in both that are the same.
    pub unchanged: usize,
    /// ASes only in the new `asns:`.
    pub asns_added: Vec<Asn>,
    /// ASes only in the old `asns:`.
    pub asns_removed: Vec<Asn>,
}

impl WatchlistDiff {
    /// Compares `old` with `new`.
    pub fn between(old: &Watchlist, new: &Watchlist) -> WatchlistDiff {
        let index = |list: &Watchlist| -> BTreeMap<IpNet, WatchEntry> {
            list.entries()
                .iter()
                .map(|e| (e.prefix, e.clone()))
                .collect()
        };
        let (old_entries, new_entries) = (index(old), index(new));
        let mut diff = WatchlistDiff::default();
        for (prefix, entry) in &new_entries {
            match old_entries.get(prefix) {
                None => diff.added.push(entry.clone()),
                Some(before) => {
                    let changes = field_changes(before, entry);
                    if !changes.is_empty() {
                        diff.changed.push((*prefix, changes));
                    } else if before.description != entry.description {
                        diff.described_differently += 1;
                    } else {
                        diff.unchanged += 1;
                    }
                }
            }
        }
        diff.removed = old_entries
            .iter()
            .filter(|(p, _)| !new_entries.contains_key(p))
            .map(|(_, e)| e.clone())
            .collect();
        let asns = |list: &Watchlist| -> BTreeSet<Asn> { list.asns().map(|a| a.asn).collect() };
        let (old_asns, new_asns) = (asns(old), asns(new));
        diff.asns_added = new_asns.difference(&old_asns).copied().collect();
        diff.asns_removed = old_asns.difference(&new_asns).copied().collect();
        diff
    }

    /// True when nothing that judges routes differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.asns_added.is_empty()
            && self.asns_removed.is_empty()
    }
}

fn field_changes(a: &WatchEntry, b: &WatchEntry) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    if a.origins != b.origins {
        changes.push(FieldChange::Origins(a.origins.clone(), b.origins.clone()));
    }
    if a.max_length != b.max_length {
        changes.push(FieldChange::MaxLength(a.max_length, b.max_length));
    }
    if a.group != b.group {
        let name = |g: &Option<std::sync::Arc<str>>| g.as_deref().map(str::to_string);
        changes.push(FieldChange::Group(name(&a.group), name(&b.group)));
    }
    if a.upstreams != b.upstreams {
        changes.push(FieldChange::Upstreams(
            a.upstreams.clone(),
            b.upstreams.clone(),
        ));
    }
    if a.ignore_more_specifics != b.ignore_more_specifics {
        changes.push(FieldChange::IgnoreMoreSpecifics(
            a.ignore_more_specifics,
            b.ignore_more_specifics,
        ));
    }
    if a.ignore != b.ignore {
        changes.push(FieldChange::Ignore(a.ignore, b.ignore));
    }
    changes
}

/// `[AS1, AS2]`.
fn as_list_brackets(asns: &[Asn]) -> String {
    format!("[{}]", as_list(asns))
}

fn describe(entry: &WatchEntry) -> String {
    let mut text = format!(
        "{} origins {}",
        entry.prefix,
        as_list_brackets(&entry.origins)
    );
    if entry.origins.is_empty() && !entry.ignore {
        text.push_str(" (squat watch)");
    }
    if entry.ignore {
        text.push_str(" (ignored)");
    }
    text
}

/// One line per difference (`+` added, `-` removed, `~` changed), then a summary line.
impl fmt::Display for WatchlistDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.added {
            writeln!(f, "+ {}", describe(entry))?;
        }
        for entry in &self.removed {
            writeln!(f, "- {}", describe(entry))?;
        }
        for (prefix, changes) in &self.changed {
            let list: Vec<String> = changes.iter().map(ToString::to_string).collect();
            writeln!(f, "~ {prefix} {}", list.join("; "))?;
        }
        for asn in &self.asns_added {
            writeln!(f, "+ AS{asn}")?;
        }
        for asn in &self.asns_removed {
            writeln!(f, "- AS{asn}")?;
        }
        write!(
            f,
            "{} added, {} removed, {} changed, {} unchanged ({} of them with a new description); ASes: {} added, {} removed",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.unchanged + self.described_differently,
            self.described_differently,
            self.asns_added.len(),
            self.asns_removed.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn list(text: &str) -> Watchlist {
        Watchlist::from_texts([(Path::new("w.yaml"), text)]).unwrap()
    }

    #[test]
    fn added_removed_and_changed_origins_are_listed_in_prefix_order() {
        let old = list(
            "asns: { 17557: {} }\nprefixes:\n  10.0.0.0/8: { origins: [1] }\n  10.1.0.0/16: { origins: [2] }\n  10.2.0.0/16: { origins: [3], description: a }\n",
        );
        let new = list(
            "asns: { 9541: {} }\nprefixes:\n  10.0.0.0/8: { origins: [1, 4], max_length: 24 }\n  10.2.0.0/16: { origins: [3], description: b }\n  10.3.0.0/16: { origins: [] }\n",
        );
        let diff = WatchlistDiff::between(&old, &new);
        let text = diff.to_string();
        assert_eq!(
            text,
            "+ 10.3.0.0/16 origins [] (squat watch)\n\
             - 10.1.0.0/16 origins [AS2]\n\
             ~ 10.0.0.0/8 origins [AS1] -> [AS1, AS4]; max_length 8 -> 24\n\
             + AS9541\n\
             - AS17557\n\
             1 added, 1 removed, 1 changed, 1 unchanged (1 of them with a new description); ASes: 1 added, 1 removed"
        );
        assert!(!diff.is_empty());
        assert!(WatchlistDiff::between(&new, &new).is_empty());
    }
}
