//! The on-disk watchlist format (`prefixes/*.yaml`, DESIGN.md section 4) and its validation
//! into [`WatchEntry`] values.

use super::{Group, WatchEntry, WatchedAsn, WatchlistError};
use crate::alert::Severity;
use crate::update::Asn;
use ipnet::IpNet;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// One watchlist file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatchlist {
    #[serde(default)]
    groups: Option<BTreeMap<String, RawGroup>>,
    #[serde(default)]
    asns: Option<BTreeMap<RawAsn, RawAsnEntry>>,
    #[serde(default)]
    prefixes: Option<BTreeMap<String, RawPrefixEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    severity: Option<Severity>,
    description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsnEntry {
    description: Option<String>,
    upstreams: Option<Vec<RawAsn>>,
    originates: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrefixEntry {
    description: Option<String>,
    origins: Option<Vec<RawAsn>>,
    upstreams: Option<Vec<RawAsn>>,
    group: Option<String>,
    max_length: Option<u8>,
    #[serde(default)]
    ignore_more_specifics: bool,
    #[serde(default)]
    ignore: bool,
}

/// An ASN as written: `17557`, `"17557"` or `"AS17557"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RawAsn(Asn);

impl<'de> Deserialize<'de> for RawAsn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AsnVisitor;
        impl Visitor<'_> for AsnVisitor {
            type Value = RawAsn;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AS number from 0 to 4294967295, like 17557 or \"AS17557\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawAsn, E> {
                Asn::try_from(v)
                    .map(RawAsn)
                    .map_err(|_| E::custom(format!("AS number {v} is larger than 4294967295")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawAsn, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("AS number {v} is negative")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawAsn, E> {
                let digits = v
                    .strip_prefix("AS")
                    .or_else(|| v.strip_prefix("as"))
                    .unwrap_or(v);
                digits.parse::<Asn>().map(RawAsn).map_err(|_| {
                    E::custom(format!(
                        "`{v}` is not an AS number (write 17557 or AS17557)"
                    ))
                })
            }
        }
        deserializer.deserialize_any(AsnVisitor)
    }
}

/// What one file contributes, before files are merged.
pub(super) struct FileContent {
    pub groups: Vec<Group>,
    pub asns: Vec<WatchedAsn>,
    pub entries: Vec<WatchEntry>,
}

/// Parses and validates one file's text. `source` (the file) is only used in messages and
/// provenance.
pub(super) fn parse(text: &str, source: &Arc<Path>) -> Result<FileContent, WatchlistError> {
    let path: &Path = source;
    super::nesting::check(text).map_err(|depth| WatchlistError::TooDeep {
        path: path.to_path_buf(),
        depth,
    })?;
    let raw: RawWatchlist = if text.trim().is_empty() {
        RawWatchlist::default()
    } else {
        serde_norway::from_str(text).map_err(|e| WatchlistError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
    };
    let groups = raw
        .groups
        .unwrap_or_default()
        .into_iter()
        .map(|(name, g)| Group {
            name: Arc::from(name.as_str()),
            severity: g.severity.unwrap_or(Severity::Critical),
            description: g.description,
            source: source.clone(),
        })
        .collect();
    let mut asns = Vec::new();
    for (asn, a) in raw.asns.unwrap_or_default() {
        let mut originates = Vec::new();
        for text in a.originates.unwrap_or_default() {
            let prefix: IpNet = text.trim().parse().map_err(|_| WatchlistError::Entry {
                path: path.to_path_buf(),
                entry: format!("AS{}", asn.0),
                problem: format!("originates: `{text}` is not a prefix; write address/length"),
            })?;
            originates.push(prefix.trunc());
        }
        originates.sort();
        asns.push(WatchedAsn {
            asn: asn.0,
            description: a.description,
            upstreams: a.upstreams.map(asn_list),
            originates: originates.into_boxed_slice(),
            source: source.clone(),
        });
    }
    let entries = raw
        .prefixes
        .unwrap_or_default()
        .into_iter()
        .map(|(key, entry)| validate_entry(&key, entry, source))
        .collect::<Result<_, _>>()?;
    Ok(FileContent {
        groups,
        asns,
        entries,
    })
}

fn asn_list(list: Vec<RawAsn>) -> Box<[Asn]> {
    let mut asns: Vec<Asn> = list.into_iter().map(|a| a.0).collect();
    asns.sort_unstable();
    asns.dedup();
    asns.into_boxed_slice()
}

fn validate_entry(
    key: &str,
    raw: RawPrefixEntry,
    source: &Arc<Path>,
) -> Result<WatchEntry, WatchlistError> {
    let problem = |problem: String| WatchlistError::Entry {
        path: source.to_path_buf(),
        entry: key.to_string(),
        problem,
    };
    let prefix: IpNet = key.trim().parse().map_err(|_| {
        problem(
            "not a prefix; write it as address/length, like 202.83.160.0/20 or 2400:fc00::/32"
                .into(),
        )
    })?;
    if prefix.trunc() != prefix {
        return Err(problem(format!(
            "host bits are set; the network is {}",
            prefix.trunc()
        )));
    }
    let origins = match (raw.origins, raw.ignore) {
        (Some(list), _) => asn_list(list),
        (None, true) => Box::default(),
        (None, false) => {
            return Err(problem(
                "`origins` is missing: list the ASes allowed to originate it, \
                 or write `origins: []` for space nobody may announce"
                    .into(),
            ))
        }
    };
    let max_len = prefix.max_prefix_len();
    let max_length = match raw.max_length {
        Some(m) if m < prefix.prefix_len() || m > max_len => {
            return Err(problem(format!(
                "max_length {m} must be between the prefix length {} and {max_len}",
                prefix.prefix_len()
            )))
        }
        Some(m) => m,
        None => prefix.prefix_len(),
    };
    Ok(WatchEntry {
        prefix,
        description: raw.description,
        origins,
        upstreams: raw.upstreams.map(asn_list),
        group: raw.group.map(|g| Arc::from(g.as_str())),
        max_length,
        ignore_more_specifics: raw.ignore_more_specifics,
        ignore: raw.ignore,
        source: source.clone(),
    })
}
