//! Routed prefixes and their origins, from MRT RIB or update files (through
//! [`crate::source::read_file`]) and from `prefix<TAB>origin` text tables (pyasn's IPASN files:
//! gzip, `;` comment lines). Only prefixes the caller's filter accepts (those inside the
//! country's space) are kept; every route read is counted.

use super::error::{BadLine, GenerateError, LineProblem};
use crate::source::{read_file, ReadStats, SourceError};
use crate::update::{Asn, Change, SourceItem, Timestamp};
use chrono::NaiveDate;
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Whether a route read is kept, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Unrelated to the country.
    No,
    /// Inside the country's space.
    Inside,
    /// Outside it, originated by one of the country's ASes.
    Abroad,
}

impl RouteSource {
    /// Counts a decision; true when the route is kept.
    fn count(&mut self, keep: Keep) -> bool {
        match keep {
            Keep::No => return false,
            Keep::Inside => self.kept += 1,
            Keep::Abroad => self.abroad += 1,
        }
        true
    }
}

/// Origins observed per prefix, for the prefixes kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedRoutes {
    routes: BTreeMap<IpNet, BTreeSet<Asn>>,
}

impl ObservedRoutes {
    /// Records that `prefix` was seen originated by each of `origins` (all members of an AS_SET).
    pub fn add(&mut self, prefix: IpNet, origins: &[Asn]) {
        self.routes.entry(prefix).or_default().extend(origins);
    }

    /// The origins seen for exactly `prefix`.
    pub fn get(&self, prefix: &IpNet) -> Option<&BTreeSet<Asn>> {
        self.routes.get(prefix)
    }

    /// Every kept prefix equal to or more specific than `block`, in order.
    pub fn inside<'a>(
        &'a self,
        block: &'a IpNet,
    ) -> impl Iterator<Item = (&'a IpNet, &'a BTreeSet<Asn>)> + 'a {
        let last = IpNet::new(block.broadcast(), block.max_prefix_len())
            .expect("a full-length prefix is valid");
        self.routes
            .range(*block..=last)
            .filter(move |(p, _)| block.contains(*p))
    }

    /// All kept prefixes, IPv4 first, in address order.
    pub fn iter(&self) -> impl Iterator<Item = (&IpNet, &BTreeSet<Asn>)> {
        self.routes.iter()
    }

    /// Number of kept prefixes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// The kinds of routing input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteInput {
    /// MRT RIB or updates (`--rib`).
    Mrt,
    /// `prefix<TAB>origin` table (`--routes`).
    Table,
}

/// What one routing input contributed, for the output's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSource {
    /// The file.
    pub path: PathBuf,
    /// Its kind.
    pub input: RouteInput,
    /// Routes (announced prefixes with an origin) read.
    pub routes: u64,
    /// Of those, routes inside the watched space.
    pub kept: u64,
    /// Of those, routes the country's ASes originate outside its space.
    pub abroad: u64,
    /// Time of the first route record (MRT).
    pub first_time: Option<Timestamp>,
    /// Time of the last route record (MRT).
    pub last_time: Option<Timestamp>,
    /// The table's `; Converted on` line.
    pub converted_on: Option<String>,
    /// The table's `; Original file` line (names the RIB it came from).
    pub original_file: Option<String>,
    /// Damage the MRT reader reported (reading went on past it).
    pub damage: Vec<String>,
    /// Bad table lines dropped under `skip_bad_lines`.
    pub skipped: Vec<BadLine>,
}

impl RouteSource {
    fn new(path: &Path, input: RouteInput) -> Self {
        RouteSource {
            path: path.to_path_buf(),
            input,
            routes: 0,
            kept: 0,
            abroad: 0,
            first_time: None,
            last_time: None,
            converted_on: None,
            original_file: None,
            damage: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// The day the routing data is from: the last MRT route's time; for a table, the date in
    /// the name of the RIB it was converted from (`rib.20151101.0600.bz2`), else the day it
    /// was converted.
    pub fn data_date(&self) -> Option<NaiveDate> {
        if let Some(last) = self.last_time {
            return Some(last.date_naive());
        }
        if let Some(date) = self.original_file.as_deref().and_then(date_in_name) {
            return Some(date);
        }
        let converted = self.converted_on.as_deref()?;
        chrono::NaiveDateTime::parse_from_str(converted, "%a %b %e %H:%M:%S %Y")
            .ok()
            .map(|t| t.date())
    }
}

/// The first run of exactly eight digits in a file name that is a `YYYYMMDD` date.
fn date_in_name(name: &str) -> Option<NaiveDate> {
    let name = name.rsplit('/').next().unwrap_or(name);
    name.split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 8)
        .find_map(|run| NaiveDate::parse_from_str(run, "%Y%m%d").ok())
}

/// Reads an MRT file's announcements into `routes` (those `keep` accepts).
pub fn read_mrt(
    path: &Path,
    keep: &dyn Fn(&IpNet, &[Asn]) -> Keep,
    routes: &mut ObservedRoutes,
) -> Result<RouteSource, GenerateError> {
    let mut source = RouteSource::new(path, RouteInput::Mrt);
    let mut stats = ReadStats::default();
    let mut emit = |item: SourceItem| {
        let SourceItem::Update(update) = item else {
            return;
        };
        let Change::Announce(route) = &update.change else {
            return;
        };
        let origins = route.as_path.origins();
        if origins.is_empty() {
            return;
        }
        source.routes += 1;
        source.first_time = Some(
            source
                .first_time
                .map_or(update.time, |t| t.min(update.time)),
        );
        source.last_time = Some(source.last_time.map_or(update.time, |t| t.max(update.time)));
        if source.count(keep(&update.prefix, origins)) {
            routes.add(update.prefix, origins);
        }
    };
    let errors = read_file(path, None, &mut emit, &mut stats);
    for error in errors {
        match error {
            SourceError::Damaged { .. } => source.damage.push(error.to_string()),
            SourceError::Empty { .. } => {
                return Err(GenerateError::NoRoutes {
                    path: path.to_path_buf(),
                    first_error: Some("0 bytes after decompression".into()),
                })
            }
            other => return Err(other.into()),
        }
    }
    if source.routes == 0 {
        return Err(GenerateError::NoRoutes {
            path: path.to_path_buf(),
            first_error: source.damage.first().cloned(),
        });
    }
    Ok(source)
}

/// Reads a `prefix<TAB>origin` table (plain, gzip or bzip2) into `routes`.
pub fn read_table(
    path: &Path,
    keep: &dyn Fn(&IpNet, &[Asn]) -> Keep,
    skip_bad_lines: bool,
    routes: &mut ObservedRoutes,
) -> Result<RouteSource, GenerateError> {
    let opened = crate::source::open(path)?;
    parse_table(opened.reader, path, keep, skip_bad_lines, routes)
}

/// Parses a route table from `reader`; `path` names it in errors and in the result.
pub fn parse_table(
    mut reader: impl BufRead,
    path: &Path,
    keep: &dyn Fn(&IpNet, &[Asn]) -> Keep,
    skip_bad_lines: bool,
    routes: &mut ObservedRoutes,
) -> Result<RouteSource, GenerateError> {
    let mut source = RouteSource::new(path, RouteInput::Table);
    let mut bad = Vec::new();
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| GenerateError::Read {
                path: path.to_path_buf(),
                reason: format!("after line {number}: {e}"),
            })?;
        if n == 0 {
            break;
        }
        number += 1;
        let text = line.trim();
        if let Some(comment) = text.strip_prefix(';').or_else(|| text.strip_prefix('#')) {
            read_comment(comment, &mut source);
            continue;
        }
        if text.is_empty() {
            continue;
        }
        match parse_route(text) {
            Ok((prefix, origin)) => {
                source.routes += 1;
                if source.count(keep(&prefix, &[origin])) {
                    routes.add(prefix, &[origin]);
                }
            }
            Err(problem) => bad.push(BadLine {
                line: number,
                problem,
            }),
        }
    }
    if !bad.is_empty() && !skip_bad_lines {
        return Err(GenerateError::BadLines {
            path: path.to_path_buf(),
            lines: bad,
        });
    }
    source.skipped = bad;
    if source.routes == 0 {
        return Err(GenerateError::NoRoutes {
            path: path.to_path_buf(),
            first_error: None,
        });
    }
    Ok(source)
}

fn read_comment(comment: &str, source: &mut RouteSource) {
    let Some((key, value)) = comment.split_once(':') else {
        return;
    };
    let value = value.trim();
    match key.trim() {
        "Converted on" => source.converted_on = Some(value.into()),
        "Original file" => source.original_file = Some(value.into()),
        _ => {}
    }
}

fn parse_route(text: &str) -> Result<(IpNet, Asn), LineProblem> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [prefix, origin] = fields[..] else {
        return Err(LineProblem::RouteLine(text.into()));
    };
    let prefix: IpNet = prefix
        .parse()
        .map_err(|_| LineProblem::Prefix(prefix.into()))?;
    if prefix.trunc() != prefix {
        return Err(LineProblem::HostBits(prefix.to_string()));
    }
    let digits = origin.strip_prefix("AS").unwrap_or(origin);
    let origin = digits
        .parse()
        .map_err(|_| LineProblem::Origin(origin.into()))?;
    Ok((prefix, origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
; IP-ASN32-DAT file
; Original file : Downloads/rib_v6v4.20151101.0600.bz2
; Converted on  : Thu Nov 19 19:03:21 2015
1.0.0.0/24\t15169
202.83.160.0/20\t17557
202.83.164.0/24\t45595
2400:fc00::/32\t45773
";

    fn inside_202_83(p: &IpNet, _origins: &[Asn]) -> Keep {
        if "202.83.160.0/20".parse::<IpNet>().unwrap().contains(p) {
            Keep::Inside
        } else {
            Keep::No
        }
    }

    #[test]
    fn a_table_keeps_the_wanted_prefixes_and_its_provenance_lines() {
        let mut routes = ObservedRoutes::default();
        let source = parse_table(
            TABLE.as_bytes(),
            Path::new("t.dat"),
            &inside_202_83,
            false,
            &mut routes,
        )
        .unwrap();
        assert_eq!((source.routes, source.kept), (4, 2));
        assert_eq!(
            source.data_date(),
            NaiveDate::from_ymd_opt(2015, 11, 1),
            "the RIB's date, not the conversion's"
        );
        assert_eq!(
            source.original_file.as_deref(),
            Some("Downloads/rib_v6v4.20151101.0600.bz2")
        );
        let block: IpNet = "202.83.160.0/20".parse().unwrap();
        let inside: Vec<_> = routes.inside(&block).map(|(p, _)| p.to_string()).collect();
        assert_eq!(inside, ["202.83.160.0/20", "202.83.164.0/24"]);
    }

    #[test]
    fn a_bad_table_line_is_named_by_number() {
        let text = format!("{TABLE}1.2.3.0/24 AS-X\n");
        let mut routes = ObservedRoutes::default();
        let err = parse_table(
            text.as_bytes(),
            Path::new("t.dat"),
            &|_, _| Keep::Inside,
            false,
            &mut routes,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("line 8: `AS-X` is not an AS number"),
            "{err}"
        );
    }

    #[test]
    fn a_table_with_only_comments_has_no_routes() {
        let mut routes = ObservedRoutes::default();
        let err = parse_table(
            "; nothing\n".as_bytes(),
            Path::new("t.dat"),
            &|_, _| Keep::Inside,
            false,
            &mut routes,
        )
        .unwrap_err();
        assert!(matches!(err, GenerateError::NoRoutes { .. }), "{err}");
    }
}
