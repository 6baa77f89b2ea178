//! The `#` header of a generated watchlist: each source file with its date and SHA-256, the
//! age of the routing data against the delegations, the counts, and how to regenerate. It holds
//! nothing that changes between runs on the same inputs (no clock, no absolute paths).

use super::build::Counts;
use super::delegated::DelegatedFile;
use super::error::GenerateError;
use super::routes::{RouteInput, RouteSource};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Routing data this many days older than the delegations gets a warning in the header.
pub const STALE_ROUTING_DAYS: i64 = 90;

/// One input as the header names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    /// `delegated`, `rib`, `routes` or `as-names`.
    pub role: &'static str,
    /// The file name (no directory: the header must not depend on where the file sits).
    pub name: String,
    /// What the file says about its date and content.
    pub detail: String,
    /// Hex SHA-256 of the file as stored (compressed).
    pub sha256: String,
}

impl SourceLine {
    /// Describes `path`, hashing it.
    pub fn new(role: &'static str, path: &Path, detail: String) -> Result<Self, GenerateError> {
        Ok(SourceLine {
            role,
            name: file_name(path),
            detail,
            sha256: sha256_file(path)?,
        })
    }
}

/// The last path component, as text.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Hex SHA-256 of a file's bytes.
pub fn sha256_file(path: &Path) -> Result<String, GenerateError> {
    let read_error = |e: std::io::Error| GenerateError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer).map_err(read_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// What a delegated file says about itself.
pub fn delegated_detail(file: &DelegatedFile, country: &str) -> String {
    let mut detail = match &file.header {
        Some(h) => format!(
            "{} serial {}, records dated {} .. {}",
            h.registry, h.serial, h.start_date, h.end_date
        ),
        None => "no header line".to_string(),
    };
    let own = file.records.iter().filter(|r| r.country == country).count();
    detail.push_str(&format!(", {own} {country} records"));
    if !file.skipped.is_empty() {
        let lines: Vec<String> = file.skipped.iter().map(|b| b.line.to_string()).collect();
        detail.push_str(&format!(", bad lines skipped: {}", lines.join(" ")));
    }
    detail
}

/// The day a delegated file is current to (its header's end date).
pub fn delegated_date(file: &DelegatedFile) -> Option<NaiveDate> {
    let header = file.header.as_ref()?;
    NaiveDate::parse_from_str(&header.end_date, "%Y%m%d").ok()
}

/// What a routing input says about itself.
pub fn route_detail(source: &RouteSource, country: &str) -> String {
    let mut parts = Vec::new();
    match source.input {
        RouteInput::Mrt => {
            if let (Some(first), Some(last)) = (source.first_time, source.last_time) {
                parts.push(format!(
                    "route times {} .. {} (a RIB entry carries when its route was learned)",
                    first.format("%Y-%m-%d %H:%M:%S"),
                    last.format("%Y-%m-%d %H:%M:%S UTC")
                ));
            }
        }
        RouteInput::Table => {
            if let Some(converted) = &source.converted_on {
                parts.push(format!("converted on {converted}"));
            }
            if let Some(original) = &source.original_file {
                parts.push(format!("from {original}"));
            }
        }
    }
    parts.push(format!(
        "{} routes, {} inside {country}, {} by {country} ASes elsewhere",
        source.routes, source.kept, source.abroad
    ));
    if !source.damage.is_empty() {
        parts.push(format!(
            "{} damaged record(s) skipped (truncated file?)",
            source.damage.len()
        ));
    }
    if !source.skipped.is_empty() {
        parts.push(format!("{} bad lines skipped", source.skipped.len()));
    }
    parts.join(", ")
}

/// Everything the header reports.
pub struct HeaderFacts<'a> {
    /// Upper-case country code.
    pub country: &'a str,
    /// Every input, in the order given.
    pub sources: &'a [SourceLine],
    /// Newest delegation date.
    pub delegated_date: Option<NaiveDate>,
    /// Newest routing data date.
    pub routing_date: Option<NaiveDate>,
    /// True when any routing input was given.
    pub has_routing: bool,
    /// What was built.
    pub counts: &'a Counts,
    /// Delegation record lines by type.
    pub delegations: (usize, usize, usize),
    /// The command line that regenerates the file (file names only).
    pub command: String,
}

/// The header lines (without `# `).
pub fn header_lines(facts: &HeaderFacts<'_>) -> Vec<String> {
    let country = facts.country;
    let c = facts.counts;
    let (v4, v6, asn) = facts.delegations;
    let mut lines = vec![
        format!("bgpwatch watchlist for {country}: its delegated address space, the prefixes routed inside it, and its ASes."),
        format!("Generated by `bgpwatch watchlist generate` (bgpwatch {}). Do not edit: regenerate, then", env!("CARGO_PKG_VERSION")),
        "review the change with `bgpwatch watchlist diff OLD NEW` before deploying it.".into(),
        String::new(),
        "Sources (name, what it says about its date, sha256):".into(),
    ];
    for s in facts.sources {
        lines.push(format!("  {:<9} {}", s.role, s.name));
        lines.push(format!("            {}", s.detail));
        lines.push(format!("            sha256 {}", s.sha256));
    }
    lines.push(String::new());
    lines.extend(age_lines(facts));
    lines.push(format!(
        "Counts: {v4} IPv4 + {v6} IPv6 {country} delegations -> {} delegated blocks: {} announced as themselves,",
        c.delegated_blocks(), c.delegated_routed
    ));
    lines.push(format!(
        "  {} only through more-specifics, {} squat watches (origins: []); {} routed more-specifics;",
        c.delegated_via_more_specifics, c.squat_watches, c.routed_more_specifics
    ));
    lines.push(format!(
        "  {} entries ({} IPv4, {} IPv6); {} routed prefixes with several origins; {} ASes from {asn} records ({} named).",
        c.entries(), c.ipv4_entries, c.ipv6_entries, c.multi_origin, c.asns, c.asns_named
    ));
    lines.push(String::new());
    lines.push(
        "Regenerate (the same inputs give a byte-identical file; file names as above):".into(),
    );
    lines.push(format!("  {}", facts.command));
    lines.push("From current data (a RIS RIB of today and the RIR's latest delegations):".into());
    lines
        .push("  curl -O https://ftp.apnic.net/stats/apnic/delegated-apnic-extended-latest".into());
    lines.push("  curl -O https://data.ris.ripe.net/rrc00/latest-bview.gz".into());
    lines.push(format!(
        "  bgpwatch watchlist generate --country {country} --delegated delegated-apnic-extended-latest \\"
    ));
    lines.push(format!(
        "      --rib latest-bview.gz -o prefixes/{}.yaml",
        country.to_ascii_lowercase()
    ));
    lines
}

fn age_lines(facts: &HeaderFacts<'_>) -> Vec<String> {
    if !facts.has_routing {
        return vec![
            "WARNING: no routing data was given: every delegated block is a squat watch and any"
                .into(),
            "  announcement of it will alert. Pass --rib or --routes.".into(),
            String::new(),
        ];
    }
    let (Some(routing), Some(delegated)) = (facts.routing_date, facts.delegated_date) else {
        return Vec::new();
    };
    let days = (delegated - routing).num_days();
    if days <= STALE_ROUTING_DAYS {
        return vec![
            format!("Routing data from {routing}, delegations current to {delegated}."),
            String::new(),
        ];
    }
    vec![
        format!(
            "WARNING: the routing half is old: routing data from {routing} ({} years before the",
            days / 365
        ),
        format!(
            "  delegations, current to {delegated}). Origins, routed more-specifics and squat watches describe"
        ),
        format!(
            "  the Internet of {}: space routed since then will alert. Regenerate from a current RIB (below).",
            routing.format("%Y")
        ),
        String::new(),
    ]
}
