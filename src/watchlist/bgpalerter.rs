//! Migration from BGPalerter: its `prefixes.yml` as a bgpwatch watchlist.
//!
//! ```yaml
//! 165.254.255.0/24:              # -> prefixes:
//!   description: Rome peering    #    description
//!   asn: 2914                    #    origins (a number or a list)
//!   ignoreMorespecifics: false   #    ignore_more_specifics
//!   ignore: false                #    ignore
//!   group: noc                   #    group (the first, when a list; defined under groups:)
//!   path: { match: ".*2194$" }   #    not expressible: reported, dropped
//! options:
//!   monitorASns:                 # -> asns:
//!     2914: { group: noc, upstreams: [174], downstreams: [...] }
//! ```
//! What cannot be carried over is listed in [`Imported::dropped`] and in the file's header.

use super::generate::document::{DocAsn, DocGroup, DocPrefix, Document};
use crate::alert::Severity;
use crate::update::Asn;
use ipnet::IpNet;
use serde::Deserialize;
use serde_norway::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A BGPalerter file that cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not YAML, or not a mapping at the top.
    #[error("{path}: not a BGPalerter prefixes file: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Flow collections nested beyond any prefixes file's need; refused before parsing.
    #[error("{path}: not a BGPalerter prefixes file: {depth}")]
    TooDeep {
        /// The file.
        path: PathBuf,
        /// Where.
        depth: super::nesting::TooDeep,
    },
    /// One entry is wrong.
    #[error("{path}: entry `{key}`: {problem}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// The prefix or AS.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// The imported watchlist and what was left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The watchlist to write.
    pub document: Document,
    /// BGPalerter settings bgpwatch cannot express, one line each.
    pub dropped: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPrefix {
    description: Option<String>,
    asn: Option<OneOrMany<RawAsn>>,
    ignore_morespecifics: Option<bool>,
    ignore: Option<bool>,
    group: Option<OneOrMany<String>>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct RawOptions {
    #[serde(rename = "monitorASns", default)]
    monitor_asns: serde_norway::Mapping,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawMonitoredAs {
    group: Option<OneOrMany<String>>,
    upstreams: Option<Vec<RawAsn>>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawAsn {
    Number(u64),
    Text(String),
}

impl RawAsn {
    fn value(&self) -> Option<Asn> {
        match self {
            RawAsn::Number(n) => Asn::try_from(*n).ok(),
            RawAsn::Text(t) => t.trim().trim_start_matches("AS").parse().ok(),
        }
    }
}

/// Converts the text of a BGPalerter `prefixes.yml`; `path` names it in errors and the header.
pub fn import_bgpalerter(text: &str, path: &Path) -> Result<Imported, ImportError> {
    let syntax = |message: String| ImportError::Syntax {
        path: path.to_path_buf(),
        message,
    };
    super::nesting::check(text).map_err(|depth| ImportError::TooDeep {
        path: path.to_path_buf(),
        depth,
    })?;
    let top: BTreeMap<String, Value> =
        serde_norway::from_str(text).map_err(|e| syntax(e.to_string()))?;
    let mut prefixes = BTreeMap::new();
    let mut groups = BTreeSet::new();
    let mut asns = Vec::new();
    let mut dropped = Vec::new();
    for (key, value) in top {
        let entry_error = |problem: String| ImportError::Entry {
            path: path.to_path_buf(),
            key: key.clone(),
            problem,
        };
        if key == "options" {
            let options: RawOptions =
                serde_norway::from_value(value).map_err(|e| entry_error(e.to_string()))?;
            for other in options.other.keys() {
                dropped.push(format!("options.{other}: no bgpwatch equivalent"));
            }
            for (asn, raw) in options.monitor_asns {
                let asn = match asn {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s,
                    other => format!("{other:?}"),
                };
                let as_error = |problem: String| ImportError::Entry {
                    path: path.to_path_buf(),
                    key: format!("options.monitorASns.{asn}"),
                    problem,
                };
                let raw: Option<RawMonitoredAs> =
                    serde_norway::from_value(raw).map_err(|e| as_error(e.to_string()))?;
                asns.push(
                    import_asn(&asn, raw.unwrap_or_default(), &mut dropped).map_err(as_error)?,
                );
            }
            continue;
        }
        let raw: RawPrefix =
            serde_norway::from_value(value).map_err(|e| entry_error(e.to_string()))?;
        let entry = import_prefix(&key, raw, &mut groups, &mut dropped).map_err(entry_error)?;
        if prefixes.insert(entry.prefix, entry).is_some() {
            return Err(entry_error("the same prefix appears twice".into()));
        }
    }
    asns.sort_by_key(|a: &DocAsn| a.asn);
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut header = vec![
        format!("Imported from the BGPalerter prefixes file {name} by `bgpwatch watchlist import-bgpalerter`."),
        "Groups are defined with severity critical; adjust them as needed.".into(),
    ];
    if !dropped.is_empty() {
        header.push("Not carried over (no bgpwatch equivalent):".into());
        header.extend(dropped.iter().map(|d| format!("  {d}")));
    }
    let document = Document {
        header,
        groups: groups
            .into_iter()
            .map(|name| DocGroup {
                name,
                severity: Severity::Critical,
                description: Some("imported from BGPalerter".into()),
            })
            .collect(),
        asns,
        prefixes: prefixes.into_values().collect(),
    };
    Ok(Imported { document, dropped })
}

fn import_prefix(
    key: &str,
    raw: RawPrefix,
    groups: &mut BTreeSet<String>,
    dropped: &mut Vec<String>,
) -> Result<DocPrefix, String> {
    let prefix: IpNet = key
        .trim()
        .parse()
        .map_err(|_| "not a prefix (and not `options`)".to_string())?;
    if prefix.trunc() != prefix {
        return Err(format!(
            "host bits are set; the network is {}",
            prefix.trunc()
        ));
    }
    let ignore = raw.ignore.unwrap_or(false);
    let origins = match raw.asn {
        Some(list) => asn_values(list.into_vec())?,
        None if ignore => Vec::new(),
        None => return Err("`asn` is missing: BGPalerter requires the expected origin".into()),
    };
    let mut group_names = raw.group.map(OneOrMany::into_vec).unwrap_or_default();
    if group_names.len() > 1 {
        dropped.push(format!(
            "{prefix}: groups {} (bgpwatch keeps one group per entry: {})",
            group_names[1..].join(", "),
            group_names[0]
        ));
    }
    let group = if group_names.is_empty() {
        None
    } else {
        Some(group_names.swap_remove(0))
    };
    if let Some(g) = &group {
        groups.insert(g.clone());
    }
    for other in raw.other.keys() {
        dropped.push(format!("{prefix}: {other}"));
    }
    Ok(DocPrefix {
        prefix,
        description: raw.description,
        origins,
        group,
        max_length: None,
        ignore_more_specifics: raw.ignore_morespecifics.unwrap_or(false),
        ignore,
    })
}

fn import_asn(key: &str, raw: RawMonitoredAs, dropped: &mut Vec<String>) -> Result<DocAsn, String> {
    let asn = RawAsn::Text(key.to_string())
        .value()
        .ok_or_else(|| format!("`{key}` is not an AS number"))?;
    let groups = raw.group.map(OneOrMany::into_vec).unwrap_or_default();
    for other in raw.other.keys() {
        dropped.push(format!("monitorASns AS{asn}: {other}"));
    }
    Ok(DocAsn {
        asn,
        description: (!groups.is_empty())
            .then(|| format!("BGPalerter group {}", groups.join(", "))),
        upstreams: asn_values(raw.upstreams.unwrap_or_default())?,
        originates: Vec::new(),
    })
}

fn asn_values(list: Vec<RawAsn>) -> Result<Vec<Asn>, String> {
    let mut asns = list
        .iter()
        .map(|a| {
            a.value()
                .ok_or_else(|| format!("`{a:?}` is not an AS number"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    asns.sort_unstable();
    asns.dedup();
    Ok(asns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::Watchlist;

    const PREFIXES_YML: &str = r#"
165.254.255.0/24:
  description: Rome peering
  asn: 2914
  ignoreMorespecifics: false
  ignore: false
  group: noc
  excludeMonitors:
    - withdrawal-detection
  path:
    match: ".*2194,1234$"
192.147.168.0/24:
  description: my description 3
  asn: [15562, "AS3333"]
  ignoreMorespecifics: true
  group: [group2, group3]
2001:db8::/32:
  description: v6
  asn: 64500
  ignoreMorespecifics: false
options:
  monitorASns:
    '2914':
      group: noc
      upstreams: [174, 1299]
      downstreams: [64501]
    15562:
      group: group2
"#;

    #[test]
    fn a_bgpalerter_file_becomes_a_loadable_watchlist_and_the_rest_is_reported() {
        let imported = import_bgpalerter(PREFIXES_YML, Path::new("prefixes.yml")).unwrap();
        let text = imported.document.to_yaml();
        let list = Watchlist::from_texts([(Path::new("w.yaml"), text.as_str())]).unwrap();
        assert_eq!(list.len(), 3);
        let rome = list.entry(&"165.254.255.0/24".parse().unwrap()).unwrap();
        assert_eq!(
            (&*rome.origins, rome.group.as_deref()),
            (&[2914][..], Some("noc"))
        );
        let second = list.entry(&"192.147.168.0/24".parse().unwrap()).unwrap();
        assert_eq!(&*second.origins, &[3333, 15562]);
        assert!(second.ignore_more_specifics);
        let asns: Vec<_> = list.asns().map(|a| (a.asn, a.upstreams.clone())).collect();
        assert_eq!(asns[0], (2914, Some(vec![174, 1299].into_boxed_slice())));
        assert_eq!(asns[1].0, 15562);
        assert_eq!(list.groups().count(), 2, "noc and group2");
        assert_eq!(
            imported.dropped,
            [
                "165.254.255.0/24: excludeMonitors",
                "165.254.255.0/24: path",
                "192.147.168.0/24: groups group3 (bgpwatch keeps one group per entry: group2)",
                "monitorASns AS2914: downstreams"
            ]
        );
        assert!(text.contains("#   165.254.255.0/24: path\n"), "{text}");
    }

    #[test]
    fn an_entry_without_asn_is_an_error_naming_it() {
        let err =
            import_bgpalerter("10.0.0.0/8:\n  description: x\n", Path::new("p.yml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("entry `10.0.0.0/8`: `asn` is missing"),
            "{err}"
        );
    }
}
