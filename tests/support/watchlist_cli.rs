//! Running `bgpwatch watchlist ...` on the real data, shared by the watchlist tests.
#![allow(dead_code)]

use super::support;
use bgpwatch::watchlist::{WatchEntry, Watchlist};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

pub const DELEGATED: &str = "rir/delegated-apnic-latest.20260213.txt.gz";
pub const TABLE_2015: &str = "mrt/ipasn/ipasn6_20151101.dat.gz";
pub const TABLE_2014: &str = "mrt/ipasn/ipasn_20140513.dat.gz";
pub const BVIEW_2002: &str = "mrt/ris/bview.20020722.2337.gz";
pub const RIB6_2015: &str = "mrt/routeviews/rib6.20151101.0600_firstMB.bz2";
pub const AS_NAMES: &str = "asn/pyasn-asnames.json.gz";
pub const ET_HEADER_2015: &str = "mrt/edge-cases/updates.et-header.2015.gz";

/// PK record lines in the APNIC file (PROVENANCE.md: 443 asn, 770 ipv4, 329 ipv6).
pub const PK_IPV4_DELEGATIONS: usize = 770;
pub const PK_IPV6_DELEGATIONS: usize = 329;
pub const PK_ASNS: usize = 443;
pub const EXIT_INPUT: i32 = 2;

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn generate(args: &[&str]) -> Output {
    support::bgpwatch()
        .args(["watchlist", "generate", "--country", "PK"])
        .args(args)
        .output()
        .expect("running bgpwatch")
}

/// Generates into `dir/name`, asserting success.
pub fn generate_ok(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut all = args.to_vec();
    all.extend(["-o", out.to_str().unwrap()]);
    let output = generate(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    out
}

/// Generates `dir/name` from a delegated file and a prefix -> origin route table.
pub fn generate_from_routes(dir: &Path, name: &str, delegated: &Path, routes: &Path) -> PathBuf {
    let (delegated, routes) = (delegated.to_str().unwrap(), routes.to_str().unwrap());
    generate_ok(dir, name, &["--delegated", delegated, "--routes", routes])
}

pub fn load(path: &Path) -> Watchlist {
    Watchlist::load(&[path.to_path_buf()]).unwrap_or_else(|e| panic!("{e}"))
}

pub fn entry<'a>(list: &'a Watchlist, prefix: &str) -> &'a WatchEntry {
    list.entry(&prefix.parse().unwrap())
        .unwrap_or_else(|| panic!("no entry for {prefix}"))
}

/// The watchlist from the APNIC file and the 2015 route table, generated once for the tests
/// that share it.
pub fn watchlist_2015() -> Option<&'static PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let delegated = support::data_file(DELEGATED)?;
        let table = support::data_file(TABLE_2015)?;
        let dir = support::scratch("watchlist_2015");
        Some(generate_from_routes(&dir, "pk.yaml", &delegated, &table))
    })
    .as_ref()
}

/// prefix -> origins of a route table.
pub fn table_pairs(table: &Path) -> BTreeMap<IpNet, BTreeSet<u32>> {
    let file = std::fs::File::open(table).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut pairs: BTreeMap<IpNet, BTreeSet<u32>> = BTreeMap::new();
    for line in reader.lines().map(Result::unwrap) {
        if line.starts_with(';') {
            continue;
        }
        let (prefix, origin) = line.split_once('\t').unwrap();
        pairs
            .entry(prefix.parse().unwrap())
            .or_default()
            .insert(origin.parse().unwrap());
    }
    pairs
}
