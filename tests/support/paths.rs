//! The world of the path scenarios (`scenarios_paths.rs`, `scenarios_leaks.rs`): the watched
//! prefixes of `fixtures/scenarios/paths.yaml`, the ASes of `fixtures/scenarios/as-rel.txt` and
//! the vantage points that see them.
#![allow(dead_code)] // each file uses a subset

use crate::scenario::{announce, Vp};
use serde_json::json;

pub const WATCHLIST: &str = "fixtures/scenarios/paths.yaml";
pub const AS_REL: &str = "fixtures/scenarios/as-rel.txt";

/// Origin AS64500; allowed upstreams AS64501 and AS64502 from the `asns:` section.
pub const CARRIER: &str = "203.0.113.0/24";
/// Origin AS64500; the entry's own upstream list allows AS64501 only.
pub const MINISTRY: &str = "2001:db8:100::/48";
/// Origin AS64511 behind AS64510.
pub const CUSTOMER: &str = "198.51.100.0/24";
/// Origin AS64503; no upstream list anywhere.
pub const UNIVERSITY: &str = "192.0.2.0/24";

pub const NATIONAL: u32 = 64500;
pub const PROVIDER1: u32 = 64501;
pub const PROVIDER2: u32 = 64502;
/// Customer of both providers: the leaker of the leak scenarios.
pub const ACCESS: u32 = 64510;
pub const HIJACKER: u32 = 64666;
pub const PTCL: u32 = 17557;
pub const PCCW: u32 = 3491;
/// YouTube's prefix that PTCL originated on 24 February 2008.
pub const YOUTUBE: &str = "208.65.153.0/24";

// Vantage points peering with tier-1 networks.
pub const VP1: Vp = Vp("rrc00", "198.18.0.1", 3356);
pub const VP2: Vp = Vp("rrc01", "198.18.0.2", 1299);
pub const VP3: Vp = Vp("rrc03", "198.18.0.3", 174);
// Vantage points peering with the ASes of the as-rel file: two sessions with provider 2, one
// with provider 1, one with an AS the file does not know.
pub const VP_P2A: Vp = Vp("rrc10", "198.18.1.1", PROVIDER2);
pub const VP_P2B: Vp = Vp("rrc11", "198.18.1.2", PROVIDER2);
pub const VP_P1: Vp = Vp("rrc12", "198.18.1.3", PROVIDER1);
pub const VP_OTHER: Vp = Vp("rrc13", "198.18.1.4", 64520);
pub const VP_TICK: Vp = Vp("rrc05", "198.18.0.5", 2914);

/// An unrelated announcement that only moves data time forward.
pub fn tick(t: f64) -> String {
    announce(VP_TICK, t, "84.205.64.0/24", json!([2914, 12654]))
}

pub fn with_as_rel() -> Vec<&'static str> {
    vec!["--watchlist", WATCHLIST, "--as-rel", AS_REL]
}

pub fn without_as_rel() -> Vec<&'static str> {
    vec!["--watchlist", WATCHLIST]
}
