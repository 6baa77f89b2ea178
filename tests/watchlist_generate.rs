//! `bgpwatch watchlist generate` (issue 7) on the real data: Pakistan's APNIC delegations of
//! 2026-02-13, RIS and RouteViews routing data of 2002 and 2015 (`diff`, `import-bgpalerter`
//! and bad input: `watchlist_tools.rs`).

mod support;
#[path = "support/watchlist_cli.rs"]
mod watchlist_cli;

use bgpwatch::watchlist::generate::delegated::read_delegated;
use bgpwatch::watchlist::generate::space::CountrySpace;
use bgpwatch::watchlist::WatchEntry;
use ipnet::IpNet;
use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::Path;
use watchlist_cli::*;

/// The PK record lines of the delegated file, read independently of the library:
/// (type, start, value).
fn pk_lines(delegated: &Path) -> Vec<(String, String, String)> {
    let file = std::fs::File::open(delegated).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    reader
        .lines()
        .map(Result::unwrap)
        .filter_map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            (f.len() >= 7 && f[1] == "PK").then(|| (f[2].into(), f[3].into(), f[4].into()))
        })
        .collect()
}

fn v4_range(start: &str, count: &str) -> (u64, u64) {
    let first = u64::from(u32::from(start.parse::<std::net::Ipv4Addr>().unwrap()));
    (first, first + count.parse::<u64>().unwrap())
}

#[test]
fn every_pk_delegation_line_is_covered_exactly_by_delegated_block_entries() {
    let (Some(delegated), Some(path)) = (support::data_file(DELEGATED), watchlist_2015()) else {
        return;
    };
    let list = load(path);
    let lines = pk_lines(&delegated);
    let v4: Vec<_> = lines.iter().filter(|l| l.0 == "ipv4").collect();
    let v6: Vec<_> = lines.iter().filter(|l| l.0 == "ipv6").collect();
    assert_eq!(
        (v4.len(), v6.len()),
        (PK_IPV4_DELEGATIONS, PK_IPV6_DELEGATIONS)
    );
    assert_eq!(list.asns().count(), PK_ASNS);
    let delegation_entries: Vec<&WatchEntry> = list
        .entries()
        .iter()
        .filter(|e| {
            e.description
                .as_deref()
                .is_some_and(|d| d.starts_with("PK delegation"))
        })
        .collect();
    assert_eq!(
        delegation_entries.len(),
        PK_IPV4_DELEGATIONS + PK_IPV6_DELEGATIONS,
        "every PK block of this file is one aligned power of two"
    );
    for (_, start, count) in &v4 {
        // The delegation entries inside the range add up to exactly its size.
        let (first, end) = v4_range(start, count);
        let covered: u64 = delegation_entries
            .iter()
            .filter_map(|e| match e.prefix {
                IpNet::V4(p) => Some(p),
                IpNet::V6(_) => None,
            })
            .filter(|p| {
                let a = u64::from(u32::from(p.network()));
                a >= first && a < end
            })
            .map(|p| 1u64 << (32 - p.prefix_len()))
            .sum();
        assert_eq!(covered.to_string(), **count, "{start} + {count}");
    }
    for (_, start, length) in &v6 {
        let prefix = format!("{start}/{length}");
        let e = entry(&list, &prefix);
        let expected = if e.origins.is_empty() {
            "pk-unannounced"
        } else {
            "pk"
        };
        assert_eq!(e.group.as_deref(), Some(expected), "{prefix}");
    }
    for e in list.entries() {
        let expected = if e.origins.is_empty() {
            "pk-unannounced"
        } else {
            "pk"
        };
        assert_eq!(e.group.as_deref(), Some(expected), "{}", e.prefix);
    }
    assert_eq!(
        list.group("pk-unannounced").map(|g| g.severity),
        Some(bgpwatch::alert::Severity::Warning)
    );
}

#[test]
fn no_entry_lies_outside_pk_space() {
    let (Some(delegated), Some(path)) = (support::data_file(DELEGATED), watchlist_2015()) else {
        return;
    };
    let list = load(path);
    let lines = pk_lines(&delegated);
    let v4: Vec<(u64, u64)> = lines
        .iter()
        .filter(|l| l.0 == "ipv4")
        .map(|l| v4_range(&l.1, &l.2))
        .collect();
    let v6: Vec<IpNet> = lines
        .iter()
        .filter(|l| l.0 == "ipv6")
        .map(|l| format!("{}/{}", l.1, l.2).parse().unwrap())
        .collect();
    for e in list.entries() {
        let inside = match e.prefix {
            IpNet::V4(p) => {
                let (a, b) = (
                    u64::from(u32::from(p.network())),
                    u64::from(u32::from(p.broadcast())),
                );
                v4.iter().any(|&(first, end)| a >= first && b < end)
            }
            IpNet::V6(_) => v6.iter().any(|block| block.contains(&e.prefix)),
        };
        assert!(inside, "{} is outside PK space", e.prefix);
    }
}

#[test]
fn the_cidr_lists_made_from_all_five_rirs_equal_ours_plus_two_ripe_ncc_blocks() {
    let (Some(delegated), Some(list4), Some(list6)) = (
        support::data_file(DELEGATED),
        support::data_file("rir/PK_IPv4.20260213.txt"),
        support::data_file("rir/PK_IPv6.20260213.txt"),
    ) else {
        return;
    };
    let file = read_delegated(&delegated, false).unwrap();
    let space = CountrySpace::collect("PK", &[file]).unwrap();
    let ours: BTreeSet<IpNet> = space.blocks().map(|(p, _)| *p).collect();
    let read = |path: &Path| -> BTreeSet<IpNet> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim().parse().unwrap())
            .collect()
    };
    let theirs: BTreeSet<IpNet> = read(&list4).union(&read(&list6)).copied().collect();
    assert_eq!(ours.len(), PK_IPV4_DELEGATIONS + PK_IPV6_DELEGATIONS);
    assert!(ours.is_subset(&theirs), "{:?}", ours.difference(&theirs));
    // The lists were built from all five RIRs' files; only APNIC's is stored. The two extra
    // blocks are RIPE NCC space (78.0.0.0/8 and 2a00::/12 are RIPE NCC's) registered to PK.
    let extra: Vec<String> = theirs.difference(&ours).map(|p| p.to_string()).collect();
    assert_eq!(extra, ["78.41.63.0/24", "2a14:bc80::/30"]);
}

#[test]
fn origins_from_the_2002_ris_rib_land_on_the_right_entries() {
    let (Some(delegated), Some(bview)) = (
        support::data_file(DELEGATED),
        support::data_file(BVIEW_2002),
    ) else {
        return;
    };
    let dir = support::scratch("origins_2002");
    let path = generate_ok(
        &dir,
        "pk.yaml",
        &[
            "--delegated",
            delegated.to_str().unwrap(),
            "--rib",
            bview.to_str().unwrap(),
        ],
    );
    let list = load(&path);
    // bgpdump -m bview.20020722.2337.gz: 203.135.0.0/19 is not announced itself; its 32 routed
    // /24s (203.135.0.0/24 ...) all end in AS9557.
    let block = entry(&list, "203.135.0.0/19");
    assert_eq!((&*block.origins, block.max_length), (&[9557][..], 24));
    assert_eq!(&*entry(&list, "203.135.0.0/24").origins, &[9557]);
    // 202.5.128.0/19: /24s from AS17557 and 202.5.154.0/23 "1853 1239 6453 8297".
    assert_eq!(&*entry(&list, "202.5.128.0/19").origins, &[8297, 17557]);
    assert_eq!(&*entry(&list, "202.5.154.0/23").origins, &[8297]);
    // 203.135.41.0/24 "1853 1239 5400 17557 17557 ...": prepending does not hide the origin.
    assert_eq!(&*entry(&list, "203.135.41.0/24").origins, &[17557]);
    // 202.83.160.0/20 was delegated on 2002-10-07, after this RIB: nothing inside, squat watch.
    let squat = entry(&list, "202.83.160.0/20");
    assert!(squat.origins.is_empty() && squat.max_length == 20);
    let text = std::fs::read_to_string(&path).unwrap();
    // The dump was taken 2002-07-22 23:37; its entries may carry earlier times (when each
    // route was learned), so only the end of the span is pinned.
    assert!(
        text.contains("route times 2002-07-") && text.contains(" .. 2002-07-22 23:37:"),
        "the header records the RIB's time span"
    );
    assert!(
        text.contains("339 inside PK"),
        "bgpdump -m: 339 PK-space entries"
    );
}

#[test]
fn origins_from_the_route_tables_land_on_the_right_entries() {
    let (Some(path), Some(table_2014), Some(delegated)) = (
        watchlist_2015(),
        support::data_file(TABLE_2014),
        support::data_file(DELEGATED),
    ) else {
        return;
    };
    let list = load(path);
    // zcat ipasn6_20151101.dat.gz: 202.83.160.0/24 ... 202.83.175.0/24 all "23888", no /20.
    let block = entry(&list, "202.83.160.0/20");
    assert_eq!((&*block.origins, block.max_length), (&[23888][..], 24));
    assert_eq!(&*entry(&list, "202.83.164.0/24").origins, &[23888]);
    // 2400:fc00::/32 is announced only as /44s by AS45773 (2400:fc00:10::/44 ...).
    let v6 = entry(&list, "2400:fc00::/32");
    assert_eq!((&*v6.origins, v6.max_length), (&[45773][..], 48));
    assert_eq!(&*entry(&list, "2400:fc00:10::/44").origins, &[45773]);
    // 39.32.0.0/11 "45595" is announced as itself.
    assert_eq!(&*entry(&list, "39.32.0.0/11").origins, &[45595]);

    // The 2014 table (IPv4 only) gives the same facts for 202.83.160.0/20.
    let dir = support::scratch("origins_2014");
    let older = generate_from_routes(&dir, "pk.yaml", &delegated, &table_2014);
    let older = load(&older);
    assert_eq!(&*entry(&older, "202.83.160.0/20").origins, &[23888]);
    assert!(
        entry(&older, "2400:fc00::/32").origins.is_empty(),
        "no IPv6 in 2014"
    );
}

#[test]
fn generating_twice_from_the_same_inputs_gives_byte_identical_files() {
    let (Some(delegated), Some(table), Some(rib), Some(names)) = (
        support::data_file(DELEGATED),
        support::data_file(TABLE_2015),
        support::data_file(RIB6_2015),
        support::data_file(AS_NAMES),
    ) else {
        return;
    };
    let dir = support::scratch("idempotent");
    let args = [
        "--delegated",
        delegated.to_str().unwrap(),
        "--routes",
        table.to_str().unwrap(),
        "--rib",
        rib.to_str().unwrap(),
        "--as-names",
        names.to_str().unwrap(),
    ];
    let first = std::fs::read(generate_ok(&dir, "a.yaml", &args)).unwrap();
    let second = std::fs::read(generate_ok(&dir, "b.yaml", &args)).unwrap();
    assert!(first == second, "two runs differ");
    let text = String::from_utf8(first).unwrap();
    for sha in [
        "12735d4894300493f84bb1734a352bd633c50f6fb5415d6f1f33bab970493d2c",
        "3ca751b2de8bf08c941a7d98ccfd67f9317484af3396d826ac7270717fdab30e",
        "b48aa983218f111f07f56fa6ecce3e20c01970555cb050144dae535341e7f2e6",
        "c6b41dfb7391a974f4fee0eedb0f53c6512944703b70e732dd6685fb54eeadf3",
    ] {
        assert!(text.contains(sha), "header lacks {sha}");
    }
    assert!(text.contains("apnic serial 20260214"));
    assert!(text.contains("converted on Thu Nov 19 19:03:21 2015"));
    assert!(text.contains("WARNING: the routing half is old: routing data from 2015-11-01"));
    let list = load(&dir.join("a.yaml"));
    let ptcl = list.asns().find(|a| a.asn == 17557).unwrap();
    assert_eq!(
        ptcl.description.as_deref(),
        Some("PKTELECOM-AS-PK Pakistan Telecommunication Company Limited, PK")
    );
}

/// A hijack alert as (kind, prefix, origin).
type HijackAlert = (String, String, u32);

#[test]
fn replaying_a_2015_full_table_against_the_2015_watchlist_alerts_only_on_routes_the_table_lacks() {
    let (Some(path), Some(table), Some(updates)) = (
        watchlist_2015(),
        support::data_file(TABLE_2015),
        support::data_file(ET_HEADER_2015),
    ) else {
        return;
    };
    let output = support::replay(&[
        "--min-peers",
        "1",
        "--watchlist",
        path.to_str().unwrap(),
        updates.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let pairs = table_pairs(&table);
    let hijacks: Vec<HijackAlert> = support::events(&output)
        .iter()
        .filter(|e| e["kind"] != "new-more-specific")
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["prefix"].as_str().unwrap().to_string(),
                e["origin"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    for (kind, prefix, origin) in &hijacks {
        let prefix_net: IpNet = prefix.parse().unwrap();
        assert!(
            !pairs.get(&prefix_net).is_some_and(|o| o.contains(origin)),
            "{kind} for {prefix} AS{origin}, which the 2015 table already had"
        );
    }
    // Each remaining alert is a genuine difference between the PCH peer on 2015-10-23 and
    // RouteViews on 2015-11-01 (bgpdump -m updates.et-header.2015.gz):
    // - 103.253.156.0/22 "6762 38193 58470 45669 23966 {23888}" ends in an AS_SET; the table
    //   (pyasn) recorded AS23966, the set member AS23888 is not an expected origin;
    // - AS38616 ("8529 8529 8529 38193 38616") announced six prefixes inside AS45814's space
    //   that no RouteViews peer carried a week later.
    let expected: Vec<HijackAlert> = [
        ("origin-hijack", "103.253.156.0/22", 23888),
        ("origin-hijack", "111.88.168.0/22", 38616),
        ("origin-hijack", "115.186.64.0/21", 38616),
        ("subprefix-hijack", "111.88.184.0/22", 38616),
        ("subprefix-hijack", "111.88.188.0/22", 38616),
        ("subprefix-hijack", "111.88.232.0/21", 38616),
        ("subprefix-hijack", "115.186.72.0/22", 38616),
        // Announced outside PK space by PK ASes, but not in the week-later table either.
        ("unexpected-origination", "111.88.144.0/20", 38616),
        ("unexpected-origination", "111.88.160.0/22", 38616),
        ("unexpected-origination", "111.88.164.0/22", 38616),
        ("unexpected-origination", "180.92.137.0/24", 55714),
    ]
    .iter()
    .map(|(k, p, o)| (k.to_string(), p.to_string(), *o))
    .collect();
    let mut sorted = hijacks.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert_eq!(
        pairs.get(&"103.253.156.0/22".parse().unwrap()),
        Some(&BTreeSet::from([23966]))
    );
}
