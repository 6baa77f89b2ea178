//! Route-leak re-enactment in the gobgpd lab (issue 4, "real components in tests"): four real
//! gobgpd speakers on loopback, an MRT BGP4MP updates dump written by the collector, replayed by
//! `bgpwatch replay --as-rel`.
//!
//! ```text
//!   provider-one AS64501 ─────────── collector AS64520 (MRT) ─────────── provider-two AS64502
//!   127.0.5.1        \                   127.0.5.4                     /     127.0.5.3
//!                     `──── access AS64510 (customer of both) 127.0.5.2 ─'
//! ```
//! Provider one originates the national carrier's 203.0.113.0/24 (`aspath 64500`: its
//! customer's route). The access network has no export policy, gobgpd's eBGP default, so it
//! passes that provider's route on to its other provider: the collector hears
//! `64502 64510 64501 64500` from provider two, a leak by AS64510 (provider AS64501 -> AS64510
//! -> provider AS64502 in `fixtures/scenarios/as-rel.txt`). The access network's customer route
//! 198.51.100.0/24 (`aspath 64511`) reaches the collector through the same ASes legitimately
//! (`64501 64510 64511`, `64502 64510 64511`) and must not alert.
//!
//! Speakers use 127.0.5.1-4 with free BGP and API ports, next hops 192.0.2.5x (gobgpd refuses
//! 127/8 next hops), and a scratch directory without Go time-layout tokens (gobgpd formats the
//! MRT file name as one). Every gobgpd is killed when the test ends, passing or not.
//! Skips loudly without gobgpd; fails under `BGPWATCH_REQUIRE_LAB=1`.

#[path = "support/gobgpd.rs"]
mod gobgpd;
mod support;

use gobgpd::{layout_safe_dir, wait_until, Export, Gobgpd, ESTABLISH};
use serde_json::json;
use std::time::Duration;

const WATCHLIST: &str = "fixtures/scenarios/paths.yaml";
const AS_REL: &str = "fixtures/scenarios/as-rel.txt";
/// Origin AS64500, a customer of both providers.
const CARRIER: &str = "203.0.113.0/24";
/// Origin AS64511, the access network's customer.
const CUSTOMER: &str = "198.51.100.0/24";
const LEAKED_PATH: &str = "64502 64510 64501 64500";
/// What the collector's MRT must hold, as `bgpdump -m` prints it after the timestamp.
const EXPECTED_MRT: [&str; 4] = [
    "|A|127.0.5.1|64501|203.0.113.0/24|64501 64500|IGP|192.0.2.51|",
    "|A|127.0.5.1|64501|198.51.100.0/24|64501 64510 64511|IGP|192.0.2.51|",
    "|A|127.0.5.3|64502|203.0.113.0/24|64502 64510 64501 64500|IGP|192.0.2.53|",
    "|A|127.0.5.3|64502|198.51.100.0/24|64502 64510 64511|IGP|192.0.2.53|",
];
/// Routes cross three gobgpds in well under a second; allow for a busy CI.
const PROPAGATE: Duration = Duration::from_secs(15);

#[test]
fn a_customer_passing_a_providers_route_to_another_provider_is_reported_from_gobgpds_mrt() {
    if support::tool("gobgpd").is_none() || support::tool("gobgp").is_none() {
        return;
    }
    let dir = layout_safe_dir("lab-route-leak");
    let mrt = dir.join("collector-updates.mrt");
    let mut one = Gobgpd::new(&dir, "provider-one", "127.0.5.1", 64501, "192.0.2.51");
    let mut access = Gobgpd::new(&dir, "access", "127.0.5.2", 64510, "192.0.2.52");
    let mut two = Gobgpd::new(&dir, "provider-two", "127.0.5.3", 64502, "192.0.2.53");
    let mut collector = Gobgpd::new(&dir, "collector", "127.0.5.4", 64520, "192.0.2.54");
    one.configure(
        &[access.neighbor(false), collector.neighbor(false)],
        Export::Everything,
        None,
    );
    access.configure(
        &[one.neighbor(true), two.neighbor(false)],
        Export::Everything,
        None,
    );
    two.configure(
        &[access.neighbor(true), collector.neighbor(false)],
        Export::Everything,
        None,
    );
    collector.configure(
        &[one.neighbor(true), two.neighbor(true)],
        Export::Nothing,
        Some(&mrt),
    );
    for speaker in [&mut one, &mut access, &mut two, &mut collector] {
        speaker.start();
    }
    let logs = || {
        [&one, &access, &two, &collector]
            .map(Gobgpd::log)
            .join("\n")
    };
    wait_until(
        "the four sessions",
        ESTABLISH,
        || {
            collector.established_with(&one.address)
                && collector.established_with(&two.address)
                && access.established_with(&one.address)
                && access.established_with(&two.address)
        },
        logs,
    );

    one.announce(CARRIER, &[64500]);
    access.announce(CUSTOMER, &[64511]);
    wait_until(
        "both prefixes at the collector from both providers",
        PROPAGATE,
        || {
            let (from_one, from_two) = (
                collector.adj_in(&one.address),
                collector.adj_in(&two.address),
            );
            from_one.contains("64501 64500")
                && from_one.contains("64501 64510 64511")
                && from_two.contains(LEAKED_PATH)
                && from_two.contains("64502 64510 64511")
        },
        logs,
    );
    collector.stop();

    let mrt_lines = bgpdump_lines(&mrt);
    if let Some(lines) = &mrt_lines {
        for line in lines {
            eprintln!("bgpdump -m: {line}");
        }
        for expected in EXPECTED_MRT {
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("BGP4MP|") && l.contains(expected)),
                "bgpdump -m lacks `{expected}`:\n{}",
                lines.join("\n")
            );
        }
    }

    let summary = dir.join("summary.json");
    let output = support::replay(&[
        "--watchlist",
        WATCHLIST,
        "--as-rel",
        AS_REL,
        // The collector has one session with provider two: one vantage point sees the leak.
        "--min-peers",
        "1",
        "--summary-json",
        summary.to_str().unwrap(),
        mrt.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = support::events(&output);
    assert_eq!(
        events.len(),
        1,
        "one leak; the legitimate paths through the same ASes raise nothing: {events:#?}"
    );
    let leak = &events[0];
    assert_eq!(leak["event"], "open");
    assert_eq!(leak["kind"], "route-leak");
    assert_eq!(leak["prefix"], CARRIER);
    assert_eq!(leak["offender"], 64510, "the customer that leaked");
    assert_eq!(leak["origin"], 64500);
    assert_eq!(
        leak["summary"],
        "203.0.113.0/24 leaked by AS64510 (provider AS64501 -> AS64510 -> provider AS64502), seen by 1 vantage point"
    );
    assert!(
        leak["evidence"]["rule"]
            .as_str()
            .unwrap()
            .contains("path segment [64502, 64510, 64501]"),
        "{leak}"
    );
    assert_eq!(
        leak["evidence"]["sample_paths"],
        json!([[64502, 64510, 64501, 64500]])
    );
    let vantage_point = leak["evidence"]["vantage_points"][0].as_str().unwrap();
    assert!(
        vantage_point.ends_with("127.0.5.3 AS64502"),
        "{vantage_point}"
    );

    let counts = support::summary(&summary);
    if let Some(lines) = &mrt_lines {
        let announced = lines.iter().filter(|l| l.contains("|A|")).count();
        assert_eq!(
            counts["announcements"], announced,
            "bgpwatch and bgpdump count the same announcements"
        );
    }

    // Without relationships only the built-in tier-1 list judges, and no tier-1 is on these
    // paths: the same capture raises nothing.
    let output = support::replay(&["--watchlist", WATCHLIST, mrt.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(support::events(&output).is_empty());
}

/// `bgpdump -m` of `mrt`, or `None` (with a loud skip line) when bgpdump is absent.
fn bgpdump_lines(mrt: &std::path::Path) -> Option<Vec<String>> {
    let bgpdump = support::tool("bgpdump")?;
    let output = std::process::Command::new(bgpdump)
        .arg("-m")
        .arg(mrt)
        .output()
        .expect("running bgpdump");
    assert!(output.status.success(), "bgpdump -m {}", mrt.display());
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}
