//! RIR delegated statistics ("RIR statistics exchange format", standard and extended):
//!
//! ```text
//! 2|apnic|20260214|84201|19830613|20260213|+1000           header: version|registry|serial|records|start|end|UTC offset
//! apnic|*|ipv4|*|53993|summary                             summary per type
//! apnic|PK|ipv4|202.83.160.0|4096|20030224|allocated       record: registry|cc|type|start|value|date|status
//! apnic|PK|ipv6|2400:fc00::|32|20030214|allocated|A91...   extended: + opaque id (and more)
//! # comment
//! ```
//!
//! For `ipv4` the value is a count of addresses (not always a power of two), for `ipv6` a prefix
//! length, for `asn` a count of AS numbers. Every line is checked, not only the country's: a
//! file with damage anywhere is not trusted silently.

use super::cidr::ipv4_range_to_cidrs;
use super::error::{BadLine, GenerateError, LineProblem};
use crate::update::Asn;
use chrono::NaiveDate;
use ipnet::{Ipv4Net, Ipv6Net};
use std::io::BufRead;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// The header line of a delegated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedHeader {
    /// Format version (`2`, `2.3`).
    pub version: String,
    /// The registry that published it (`apnic`).
    pub registry: String,
    /// Serial number, usually the publication date `YYYYMMDD`.
    pub serial: String,
    /// Number of records the registry says follow.
    pub records: String,
    /// Earliest record date.
    pub start_date: String,
    /// Latest record date: the data is current up to this day.
    pub end_date: String,
}

/// The resource a record delegates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// IPv4 addresses: first address, count, and the minimal CIDR list covering them.
    Ipv4 {
        /// First address.
        start: Ipv4Addr,
        /// Number of addresses.
        count: u64,
        /// The same range as prefixes.
        prefixes: Vec<Ipv4Net>,
    },
    /// One IPv6 prefix.
    Ipv6(Ipv6Net),
    /// A range of AS numbers.
    Asn {
        /// First AS.
        first: Asn,
        /// Number of ASes.
        count: u32,
    },
}

/// One record line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// 1-based line number in its file.
    pub line: u64,
    /// Registry (`apnic`, `ripencc`, ...).
    pub registry: String,
    /// Upper-case country code; empty or `ZZ` for available/reserved space.
    pub country: String,
    /// What is delegated.
    pub resource: Resource,
    /// Date of the delegation, when given.
    pub date: Option<NaiveDate>,
    /// `allocated`, `assigned`, `available`, `reserved`.
    pub status: String,
}

/// One parsed delegated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its header, when it has one.
    pub header: Option<DelegatedHeader>,
    /// Every record, in file order.
    pub records: Vec<Delegation>,
    /// Bad lines dropped because `skip_bad_lines` was set (otherwise they are an error).
    pub skipped: Vec<BadLine>,
}

/// Reads a delegated file (plain, gzip or bzip2).
pub fn read_delegated(path: &Path, skip_bad_lines: bool) -> Result<DelegatedFile, GenerateError> {
    let opened = crate::source::open(path)?;
    parse_delegated(opened.reader, path, skip_bad_lines)
}

/// Parses a delegated file from `reader`; `path` names it in errors.
pub fn parse_delegated(
    mut reader: impl BufRead,
    path: &Path,
    skip_bad_lines: bool,
) -> Result<DelegatedFile, GenerateError> {
    let mut file = DelegatedFile {
        path: path.to_path_buf(),
        header: None,
        records: Vec::new(),
        skipped: Vec::new(),
    };
    let mut bad = Vec::new();
    let mut buffer = Vec::new();
    let mut number = 0u64;
    loop {
        buffer.clear();
        let n = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| GenerateError::Read {
                path: path.to_path_buf(),
                reason: format!("after line {number}: {e}"),
            })?;
        if n == 0 {
            break;
        }
        number += 1;
        let text = String::from_utf8_lossy(&buffer);
        let line = text.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(
            line,
            number,
            file.header.is_none() && file.records.is_empty(),
        ) {
            Ok(Line::Header(header)) => file.header = Some(header),
            Ok(Line::Summary) => {}
            Ok(Line::Record(record)) => file.records.push(record),
            Err(problem) => bad.push(BadLine {
                line: number,
                problem,
            }),
        }
    }
    if bad.is_empty() || skip_bad_lines {
        file.skipped = bad;
        Ok(file)
    } else {
        Err(GenerateError::BadLines {
            path: path.to_path_buf(),
            lines: bad,
        })
    }
}

enum Line {
    Header(DelegatedHeader),
    Summary,
    Record(Delegation),
}

fn parse_line(line: &str, number: u64, header_allowed: bool) -> Result<Line, LineProblem> {
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    let first_is_version = fields[0].starts_with(|c: char| c.is_ascii_digit());
    if header_allowed && first_is_version {
        if fields.len() < 7 {
            return Err(LineProblem::FieldCount {
                found: fields.len(),
            });
        }
        return Ok(Line::Header(DelegatedHeader {
            version: fields[0].into(),
            registry: fields[1].into(),
            serial: fields[2].into(),
            records: fields[3].into(),
            start_date: fields[4].into(),
            end_date: fields[5].into(),
        }));
    }
    if fields.len() >= 6 && fields[1] == "*" && fields[5] == "summary" {
        return Ok(Line::Summary);
    }
    if fields.len() < 7 {
        return Err(LineProblem::FieldCount {
            found: fields.len(),
        });
    }
    let country = fields[1].to_ascii_uppercase();
    if !(country.is_empty()
        || country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(LineProblem::Country(fields[1].into()));
    }
    let resource = parse_resource(fields[2], fields[3], fields[4])?;
    Ok(Line::Record(Delegation {
        line: number,
        registry: fields[0].to_ascii_lowercase(),
        country,
        resource,
        date: parse_date(fields[5])?,
        status: fields[6].to_ascii_lowercase(),
    }))
}

fn parse_resource(kind: &str, start: &str, value: &str) -> Result<Resource, LineProblem> {
    let bad_start = || LineProblem::Start(start.into());
    let bad_value = || LineProblem::Value(value.into());
    match kind {
        "ipv4" => {
            let first: Ipv4Addr = start.parse().map_err(|_| bad_start())?;
            let count: u64 = value.parse().map_err(|_| bad_value())?;
            let prefixes = ipv4_range_to_cidrs(first, count).map_err(LineProblem::Range)?;
            Ok(Resource::Ipv4 {
                start: first,
                count,
                prefixes,
            })
        }
        "ipv6" => {
            let address: Ipv6Addr = start.parse().map_err(|_| bad_start())?;
            let length: u8 = value.parse().map_err(|_| bad_value())?;
            let prefix = Ipv6Net::new(address, length).map_err(|_| bad_value())?;
            if prefix.trunc() != prefix {
                return Err(LineProblem::HostBits(prefix.to_string()));
            }
            Ok(Resource::Ipv6(prefix))
        }
        "asn" => {
            let first: Asn = start.parse().map_err(|_| bad_start())?;
            let count: u64 = value.parse().map_err(|_| bad_value())?;
            if count == 0 {
                return Err(bad_value());
            }
            if u64::from(first) + count - 1 > u64::from(Asn::MAX) {
                return Err(LineProblem::AsnRange { first, count });
            }
            Ok(Resource::Asn {
                first,
                count: count as u32,
            })
        }
        other => Err(LineProblem::UnknownType(other.into())),
    }
}

fn parse_date(field: &str) -> Result<Option<NaiveDate>, LineProblem> {
    if field.is_empty() || field.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    NaiveDate::parse_from_str(field, "%Y%m%d")
        .map(Some)
        .map_err(|_| LineProblem::Date(field.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# comment
2|apnic|20260214|84201|19830613|20260213|+1000
apnic|*|asn|*|13489|summary
apnic|PK|asn|17557|1|19990803|allocated
apnic|pk|ipv4|1.0.0.0|768|20100101|assigned
apnic|PK|ipv6|2400:fc00::|32|20030214|allocated|A9112E3B|extra
apnic||ipv4|1.1.0.0|256||available
";

    fn parse(text: &str, skip: bool) -> Result<DelegatedFile, GenerateError> {
        parse_delegated(text.as_bytes(), Path::new("d.txt"), skip)
    }

    #[test]
    fn header_summary_standard_and_extended_records_are_read() {
        let file = parse(SAMPLE, false).unwrap();
        let header = file.header.unwrap();
        assert_eq!(
            (header.serial.as_str(), header.end_date.as_str()),
            ("20260214", "20260213")
        );
        assert_eq!(file.records.len(), 4);
        assert_eq!(
            file.records[0].resource,
            Resource::Asn {
                first: 17557,
                count: 1
            }
        );
        assert_eq!(
            file.records[1].country, "PK",
            "country codes are upper-cased"
        );
        assert_eq!(file.records[1].line, 5);
        let Resource::Ipv4 { prefixes, .. } = &file.records[1].resource else {
            panic!()
        };
        assert_eq!(
            prefixes,
            &[
                "1.0.0.0/23".parse::<Ipv4Net>().unwrap(),
                "1.0.2.0/24".parse().unwrap()
            ]
        );
        assert_eq!(
            file.records[2].resource,
            Resource::Ipv6("2400:fc00::/32".parse().unwrap())
        );
        assert_eq!(file.records[3].date, None);
    }

    #[test]
    fn bad_lines_are_an_error_naming_every_line_number() {
        let text = format!("{SAMPLE}apnic|PK|ipv4|1.2.3|256|20100101|assigned\napnic|PK|ipv6|2400:fc00::1|32|20030214|allocated\nnot a record\n");
        let err = parse(&text, false).unwrap_err();
        let GenerateError::BadLines { lines, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), [8, 9, 10]);
        let message = err.to_string();
        assert!(
            message.contains("d.txt: 3 bad lines: line 8: start `1.2.3`"),
            "{message}"
        );
        assert!(message.contains("--skip-bad-lines"), "{message}");
    }

    #[test]
    fn skip_bad_lines_keeps_the_good_records_and_lists_the_dropped() {
        let text = format!("{SAMPLE}apnic|PK|ipv4|1.2.3.0|0|20100101|assigned\n");
        let file = parse(&text, true).unwrap();
        assert_eq!(file.records.len(), 4);
        assert_eq!(file.skipped.len(), 1);
        assert_eq!(file.skipped[0].line, 8);
    }
}
