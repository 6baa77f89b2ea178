//! A country's delegated space and ASNs, gathered from the records of one or more delegated
//! files: IPv4 ranges as CIDR blocks, IPv6 prefixes, AS ranges as single ASes.

use super::delegated::{DelegatedFile, Delegation, Resource};
use super::error::GenerateError;
use crate::update::Asn;
use crate::watchlist::NetMap;
use chrono::NaiveDate;
use ipnet::IpNet;
use std::collections::BTreeMap;

/// Where a block or AS came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Registry that delegated it.
    pub registry: String,
    /// `allocated`, `assigned` ...
    pub status: String,
    /// When.
    pub date: Option<NaiveDate>,
}

impl Origin {
    fn of(record: &Delegation) -> Self {
        Origin {
            registry: record.registry.clone(),
            status: record.status.clone(),
            date: record.date,
        }
    }

    /// `apnic allocated 2003-02-24`.
    pub fn describe(&self) -> String {
        match self.date {
            Some(date) => format!("{} {} {}", self.registry, self.status, date),
            None => format!("{} {}", self.registry, self.status),
        }
    }
}

/// How many record lines of each type the country has, across all files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DelegationCounts {
    /// `ipv4` records.
    pub ipv4: usize,
    /// `ipv6` records.
    pub ipv6: usize,
    /// `asn` records.
    pub asn: usize,
}

/// The country's delegated blocks and ASes.
#[derive(Debug, Clone, Default)]
pub struct CountrySpace {
    /// Upper-case country code.
    pub country: String,
    /// Record lines per type.
    pub delegations: DelegationCounts,
    blocks: BTreeMap<IpNet, Origin>,
    index: NetMap<()>,
    asns: BTreeMap<Asn, Origin>,
}

impl CountrySpace {
    /// Collects `country`'s records from `files` (first record wins where two files list the
    /// same block or AS). No record at all is an error: the code is unknown to these files.
    pub fn collect(country: &str, files: &[DelegatedFile]) -> Result<CountrySpace, GenerateError> {
        let mut space = CountrySpace {
            country: country.to_ascii_uppercase(),
            ..CountrySpace::default()
        };
        for record in files.iter().flat_map(|f| &f.records) {
            if record.country != space.country {
                continue;
            }
            let origin = Origin::of(record);
            match &record.resource {
                Resource::Ipv4 { prefixes, .. } => {
                    space.delegations.ipv4 += 1;
                    for &p in prefixes {
                        space.add_block(IpNet::V4(p), &origin);
                    }
                }
                Resource::Ipv6(p) => {
                    space.delegations.ipv6 += 1;
                    space.add_block(IpNet::V6(*p), &origin);
                }
                Resource::Asn { first, count } => {
                    space.delegations.asn += 1;
                    for asn in (0..*count).map(|i| first + i) {
                        space.asns.entry(asn).or_insert_with(|| origin.clone());
                    }
                }
            }
        }
        if space.blocks.is_empty() && space.asns.is_empty() {
            let files = files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(GenerateError::UnknownCountry {
                country: space.country,
                files,
            });
        }
        Ok(space)
    }

    fn add_block(&mut self, prefix: IpNet, origin: &Origin) {
        if let std::collections::btree_map::Entry::Vacant(slot) = self.blocks.entry(prefix) {
            slot.insert(origin.clone());
            self.index.insert(prefix, ());
        }
    }

    /// The delegated blocks, IPv4 first, in address order.
    pub fn blocks(&self) -> impl Iterator<Item = (&IpNet, &Origin)> {
        self.blocks.iter()
    }

    /// The block of exactly this prefix.
    pub fn block(&self, prefix: &IpNet) -> Option<&Origin> {
        self.blocks.get(prefix)
    }

    /// The most specific block covering (or equal to) `prefix`.
    pub fn covering_block(&self, prefix: &IpNet) -> Option<IpNet> {
        self.index.longest_match(prefix).map(|(p, _)| p)
    }

    /// True when `prefix` lies inside (or equals) a delegated block.
    pub fn contains(&self, prefix: &IpNet) -> bool {
        self.covering_block(prefix).is_some()
    }

    /// The country's ASes in order.
    pub fn asns(&self) -> impl Iterator<Item = (&Asn, &Origin)> {
        self.asns.iter()
    }
}
