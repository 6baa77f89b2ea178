//! AS relationships for the `route-leak` detector, from a CAIDA `as-rel` / `as-rel2` file.
//!
//! Format (<https://publicdata.caida.org/datasets/as-relationships/README.txt>), one link a line:
//! `<provider>|<customer>|-1` or `<peer>|<peer>|0`; `as-rel2` files add a fourth `|<source>`
//! column (`bgp`, `mlp`, ...), which is ignored. `#` starts a comment line. gzip and bzip2 files
//! (CAIDA ships `.txt.bz2`) are read as they are.
//!
//! Loading happens once at start (the detectors do no I/O; they consult the loaded
//! table. A malformed line is reported with its number and skipped, the rest loads: a skipped
//! line only leaves a relationship unknown, and an unknown relationship never accuses anyone.

use crate::source::{open, SourceError};
use crate::update::Asn;
use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// What a neighbour is to an AS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// The neighbour sells the AS transit.
    Provider,
    /// The neighbour buys transit from the AS.
    Customer,
    /// Settlement-free peering.
    Peer,
}

impl Relationship {
    /// `provider`, `customer` or `peer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Provider => "provider",
            Relationship::Customer => "customer",
            Relationship::Peer => "peer",
        }
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One link as stored: the lower AS number first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// The lower AS is the provider of the higher.
    LowProvidesHigh,
    /// The higher AS is the provider of the lower.
    HighProvidesLow,
    /// Peers.
    Peers,
}

/// AS relationships loaded from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsRelationships {
    links: HashMap<(Asn, Asn), (Link, usize)>,
    path: PathBuf,
}

/// An as-rel file that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum AsRelError {
    /// The file cannot be opened.
    #[error("as-rel file: {source}")]
    Open {
        /// Why (names the file).
        source: SourceError,
    },
    /// Reading (or decompressing) failed part-way.
    #[error("as-rel file {}: line {line}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The line being read.
        line: usize,
        /// Why.
        source: std::io::Error,
    },
    /// Not one relationship could be loaded, so leaks could not be checked at all.
    #[error(
        "as-rel file {} holds no relationship ({malformed} malformed lines); expected CAIDA lines like `3356|64500|-1` (provider|customer) or `3356|1299|0` (peers)",
        path.display()
    )]
    Empty {
        /// The file.
        path: PathBuf,
        /// How many lines were malformed.
        malformed: usize,
    },
}

/// A line of an as-rel file that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub problem: LineProblem,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "as-rel file {} line {}: {}; line skipped",
            self.path.display(),
            self.line,
            self.problem
        )
    }
}

/// Why a line was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// Not `a|b|rel` or `a|b|rel|source`.
    Fields {
        /// Fields found.
        found: usize,
    },
    /// An AS field is not a 32-bit AS number.
    Asn {
        /// The field as written.
        field: String,
    },
    /// The relationship is neither `-1` nor `0`.
    Relationship {
        /// The field as written.
        field: String,
    },
    /// An AS related to itself.
    SelfLink {
        /// The AS.
        asn: Asn,
    },
    /// The pair was already given another relationship.
    Conflict {
        /// The line that gave it first (and is kept).
        first_line: usize,
    },
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::Fields { found } => write!(
                f,
                "{found} `|`-separated fields, expected `a|b|rel` or `a|b|rel|source`"
            ),
            LineProblem::Asn { field } => write!(f, "`{field}` is not an AS number"),
            LineProblem::Relationship { field } => write!(
                f,
                "relationship `{field}` is neither -1 (provider|customer) nor 0 (peers)"
            ),
            LineProblem::SelfLink { asn } => write!(f, "AS{asn} is related to itself"),
            LineProblem::Conflict { first_line } => write!(
                f,
                "contradicts line {first_line}, which gives this pair another relationship"
            ),
        }
    }
}

impl AsRelationships {
    /// Loads a CAIDA `as-rel` or `as-rel2` file (plain, gzip or bzip2). Malformed lines come
    /// back as [`LineError`]s; the rest is loaded.
    pub fn load(path: &Path) -> Result<(AsRelationships, Vec<LineError>), AsRelError> {
        let opened = open(path).map_err(|source| AsRelError::Open { source })?;
        AsRelationships::from_reader(opened.reader, path)
    }

    /// Parses as-rel text from `reader`; `path` names it in messages and rules.
    pub fn from_reader(
        reader: impl BufRead,
        path: &Path,
    ) -> Result<(AsRelationships, Vec<LineError>), AsRelError> {
        let mut rels = AsRelationships {
            links: HashMap::new(),
            path: path.to_path_buf(),
        };
        let mut errors = Vec::new();
        for (i, line) in reader.lines().enumerate() {
            let number = i + 1;
            let line = line.map_err(|source| AsRelError::Read {
                path: path.to_path_buf(),
                line: number,
                source,
            })?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Err(problem) = rels.add_line(line, number) {
                errors.push(LineError {
                    path: path.to_path_buf(),
                    line: number,
                    problem,
                });
            }
        }
        if rels.links.is_empty() {
            return Err(AsRelError::Empty {
                path: path.to_path_buf(),
                malformed: errors.len(),
            });
        }
        Ok((rels, errors))
    }

    fn add_line(&mut self, line: &str, number: usize) -> Result<(), LineProblem> {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        if !(3..=4).contains(&fields.len()) {
            return Err(LineProblem::Fields {
                found: fields.len(),
            });
        }
        let asn = |field: &str| {
            field.parse::<Asn>().map_err(|_| LineProblem::Asn {
                field: field.to_string(),
            })
        };
        let (a, b) = (asn(fields[0])?, asn(fields[1])?);
        if a == b {
            return Err(LineProblem::SelfLink { asn: a });
        }
        let link = match (fields[2], a < b) {
            ("-1", true) => Link::LowProvidesHigh,
            ("-1", false) => Link::HighProvidesLow,
            ("0", _) => Link::Peers,
            (other, _) => {
                return Err(LineProblem::Relationship {
                    field: other.to_string(),
                })
            }
        };
        let &mut (first, first_line) = self
            .links
            .entry((a.min(b), a.max(b)))
            .or_insert((link, number));
        if first != link {
            return Err(LineProblem::Conflict { first_line });
        }
        Ok(())
    }

    /// What `neighbor` is to `asn`; `None` when the file does not relate them.
    pub fn relationship(&self, asn: Asn, neighbor: Asn) -> Option<Relationship> {
        let &(link, _) = self.links.get(&(asn.min(neighbor), asn.max(neighbor)))?;
        let asn_is_low = asn < neighbor;
        Some(match (link, asn_is_low) {
            (Link::Peers, _) => Relationship::Peer,
            (Link::LowProvidesHigh, true) | (Link::HighProvidesLow, false) => {
                Relationship::Customer
            }
            (Link::LowProvidesHigh, false) | (Link::HighProvidesLow, true) => {
                Relationship::Provider
            }
        })
    }

    /// The file the relationships came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of AS links known.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// True when no link is known (never for a loaded file).
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(AsRelationships, Vec<LineError>), AsRelError> {
        AsRelationships::from_reader(text.as_bytes(), Path::new("test.as-rel"))
    }

    #[test]
    fn provider_customer_and_peer_lines_are_read_from_both_sides() {
        let (rels, errors) =
            parse("# source: test\n3356|64500|-1\n64501|3356|-1|bgp\n3356|1299|0|mlp\n").unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rels.len(), 3);
        assert_eq!(rels.relationship(64500, 3356), Some(Relationship::Provider));
        assert_eq!(rels.relationship(3356, 64500), Some(Relationship::Customer));
        assert_eq!(
            rels.relationship(3356, 64501),
            Some(Relationship::Provider),
            "the first field is the provider even when it is the larger number"
        );
        assert_eq!(rels.relationship(1299, 3356), Some(Relationship::Peer));
        assert_eq!(rels.relationship(1299, 64500), None);
    }

    #[test]
    fn malformed_lines_are_reported_with_their_numbers_and_the_rest_loads() {
        let text = "# header\n\
                    3356|64500|-1\n\
                    3356|64500\n\
                    AS3356|64501|-1\n\
                    3356|64502|1\n\
                    64503|64503|0\n\
                    64500|3356|-1\n\
                    3356|64500|-1\n\
                    1299|64500|-1|bgp|extra\n\
                    1299|3356|0\n";
        let (rels, errors) = parse(text).unwrap();
        let reported: Vec<(usize, LineProblem)> =
            errors.iter().map(|e| (e.line, e.problem.clone())).collect();
        assert_eq!(
            reported,
            [
                (3, LineProblem::Fields { found: 2 }),
                (
                    4,
                    LineProblem::Asn {
                        field: "AS3356".into()
                    }
                ),
                (5, LineProblem::Relationship { field: "1".into() }),
                (6, LineProblem::SelfLink { asn: 64503 }),
                (7, LineProblem::Conflict { first_line: 2 }),
                (9, LineProblem::Fields { found: 5 }),
            ]
        );
        assert_eq!(rels.len(), 2, "lines 2 (and its repeat on 8) and 10");
        assert_eq!(
            rels.relationship(64500, 3356),
            Some(Relationship::Provider),
            "the first of two contradicting lines is kept"
        );
        assert_eq!(
            errors[0].to_string(),
            "as-rel file test.as-rel line 3: 2 `|`-separated fields, expected `a|b|rel` or `a|b|rel|source`; line skipped"
        );
    }

    #[test]
    fn a_file_without_any_relationship_is_an_error() {
        let err = parse("# only comments\nnot a relationship\n").unwrap_err();
        assert!(
            matches!(err, AsRelError::Empty { malformed: 1, .. }),
            "{err}"
        );
    }
}
