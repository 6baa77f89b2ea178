//! `bgpwatch watchlist generate`: a country's watchlist built from public data.
//!
//! 1. [`delegated`] parses RIR delegated statistics; [`space`] gathers the country's blocks
//!    (IPv4 ranges split into CIDRs by [`cidr`]) and ASes.
//! 2. [`routes`] collects the routed prefixes inside that space with their origins, from MRT
//!    files and `prefix<TAB>origin` tables.
//! 3. [`build`] turns blocks and routes into entries; [`asnames`] names the ASes.
//! 4. [`header`] records the sources; [`document`] renders the YAML, deterministically.
//!
//! [`generate`] runs the steps; [`write_atomically`] replaces the output only once it is whole.

pub mod asnames;
pub mod build;
pub mod cidr;
pub mod delegated;
pub mod document;
mod error;
pub mod header;
pub mod routes;
pub mod space;

pub use build::Counts;
pub use error::{BadLine, GenerateError, LineProblem};

use crate::alert::Severity;
use crate::update::Asn;
use asnames::AsNames;
use document::{DocGroup, Document};
use header::{HeaderFacts, SourceLine};
use routes::{ObservedRoutes, RouteSource};
use space::CountrySpace;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to generate from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Country code, like `PK`.
    pub country: String,
    /// RIR delegated files (one or more).
    pub delegated: Vec<PathBuf>,
    /// MRT RIB or updates files.
    pub ribs: Vec<PathBuf>,
    /// `prefix<TAB>origin` tables.
    pub routes: Vec<PathBuf>,
    /// pyasn-style AS-names JSON.
    pub as_names: Option<PathBuf>,
    /// Drop unparsable lines of text inputs (listed in the header) instead of failing.
    pub skip_bad_lines: bool,
}

/// Something the operator should know that did not stop generation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Warning {
    /// An MRT input had damaged records; the intact ones were used.
    #[error("{path}: {count} damaged record(s) skipped, first: {first}")]
    DamagedInput {
        /// The file.
        path: PathBuf,
        /// Damaged records.
        count: usize,
        /// The first damage report.
        first: String,
    },
    /// Bad lines were dropped under `--skip-bad-lines`.
    #[error("{path}: {} bad line(s) skipped: {}", lines.len(), lines.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    SkippedLines {
        /// The file.
        path: PathBuf,
        /// The lines.
        lines: Vec<BadLine>,
    },
    /// A routing input has routes, but none inside the country's space.
    #[error("{path}: none of its {routes} routes lies inside {country} space")]
    NothingInside {
        /// The file.
        path: PathBuf,
        /// Routes it has.
        routes: u64,
        /// The country.
        country: String,
    },
    /// No routing input: every block is a squat watch.
    #[error("no --rib or --routes given: every delegated block is a squat watch")]
    NoRoutingData,
}

/// A generated watchlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The YAML text.
    pub yaml: String,
    /// What it holds.
    pub counts: Counts,
    /// What did not stop generation but deserves a look.
    pub warnings: Vec<Warning>,
}

/// Generates the watchlist text. Reads every input; writes nothing.
pub fn generate(options: &GenerateOptions) -> Result<Generated, GenerateError> {
    let country = country_code(&options.country)?;
    let mut sources = Vec::new();
    let mut warnings = Vec::new();
    let mut files = Vec::new();
    for path in &options.delegated {
        let file = delegated::read_delegated(path, options.skip_bad_lines)?;
        let detail = header::delegated_detail(&file, &country);
        sources.push(SourceLine::new("delegated", path, detail)?);
        if !file.skipped.is_empty() {
            warnings.push(Warning::SkippedLines {
                path: path.clone(),
                lines: file.skipped.clone(),
            });
        }
        files.push(file);
    }
    let space = CountrySpace::collect(&country, &files)?;
    let delegated_date = files.iter().filter_map(header::delegated_date).max();
    drop(files);

    let mut observed = ObservedRoutes::default();
    // Routes inside the country's space, and routes its ASes originate elsewhere (recorded as
    // their known originations, so unexpected-origination only flags new ones).
    let national: std::collections::HashSet<Asn> = space.asns().map(|(asn, _)| *asn).collect();
    let keep = |p: &ipnet::IpNet, origins: &[Asn]| {
        if space.contains(p) {
            routes::Keep::Inside
        } else if origins.iter().any(|o| national.contains(o)) {
            routes::Keep::Abroad
        } else {
            routes::Keep::No
        }
    };
    let mut route_sources: Vec<RouteSource> = Vec::new();
    for path in &options.routes {
        route_sources.push(routes::read_table(
            path,
            &keep,
            options.skip_bad_lines,
            &mut observed,
        )?);
    }
    for path in &options.ribs {
        route_sources.push(routes::read_mrt(path, &keep, &mut observed)?);
    }
    for source in &route_sources {
        let role = match source.input {
            routes::RouteInput::Mrt => "rib",
            routes::RouteInput::Table => "routes",
        };
        let detail = header::route_detail(source, &country);
        sources.push(SourceLine::new(role, &source.path, detail)?);
        if source.kept == 0 {
            warnings.push(Warning::NothingInside {
                path: source.path.clone(),
                routes: source.routes,
                country: country.clone(),
            });
        }
        if let Some(first) = source.damage.first() {
            warnings.push(Warning::DamagedInput {
                path: source.path.clone(),
                count: source.damage.len(),
                first: first.clone(),
            });
        }
        if !source.skipped.is_empty() {
            warnings.push(Warning::SkippedLines {
                path: source.path.clone(),
                lines: source.skipped.clone(),
            });
        }
    }
    if route_sources.is_empty() {
        warnings.push(Warning::NoRoutingData);
    }

    let names = match &options.as_names {
        Some(path) => {
            let names = AsNames::read(path)?;
            let detail = format!("{} AS names", names.len());
            sources.push(SourceLine::new("as-names", path, detail)?);
            Some(names)
        }
        None => None,
    };

    let group = country.to_ascii_lowercase();
    let built = build::build(&space, &observed, names.as_ref(), &group);
    let d = space.delegations;
    let facts = HeaderFacts {
        country: &country,
        sources: &sources,
        delegated_date,
        routing_date: route_sources
            .iter()
            .filter_map(RouteSource::data_date)
            .max(),
        has_routing: !route_sources.is_empty(),
        counts: &built.counts,
        delegations: (d.ipv4, d.ipv6, d.asn),
        command: command_line(options, &country),
    };
    let document = Document {
        header: header::header_lines(&facts),
        groups: vec![
            DocGroup {
                name: group.clone(),
                severity: Severity::Critical,
                description: Some(format!(
                    "{country} address space and ASes from RIR delegations (bgpwatch watchlist generate)"
                )),
            },
            DocGroup {
                name: build::unannounced_group(&group),
                severity: Severity::Warning,
                description: Some(format!(
                    "{country} delegated space nobody announced in the routing data: squat watches, warning until reviewed"
                )),
            },
        ],
        asns: built.asns,
        prefixes: built.prefixes,
    };
    Ok(Generated {
        yaml: document.to_yaml(),
        counts: built.counts,
        warnings,
    })
}

fn country_code(given: &str) -> Result<String, GenerateError> {
    let code = given.trim();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(GenerateError::CountryCode {
            given: given.to_string(),
        })
    }
}

fn command_line(options: &GenerateOptions, country: &str) -> String {
    let mut parts = vec![format!("bgpwatch watchlist generate --country {country}")];
    let mut add = |flag: &str, paths: &[PathBuf]| {
        for path in paths {
            parts.push(format!("{flag} {}", header::file_name(path)));
        }
    };
    add("--delegated", &options.delegated);
    add("--routes", &options.routes);
    add("--rib", &options.ribs);
    add("--as-names", options.as_names.as_slice());
    if options.skip_bad_lines {
        parts.push("--skip-bad-lines".into());
    }
    parts.push("-o OUTPUT".into());
    parts.join(" ")
}

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so
/// that readers (and a failure half-way) never see a partial file: an existing file is either
/// replaced whole or left as it was.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), GenerateError> {
    let write_error = |source| GenerateError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = dir.join(format!(
        ".{}.tmp.{}",
        header::file_name(path),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(write_error)
}
