//! `bgpwatch watchlist generate` (issue 7) on the real data: Pakistan's APNIC delegations of
//! 2026-02-13, RIS and RouteViews routing data of 2002 and 2015. Plus `diff`,
//! `import-bgpalerter`, and bad input (clear errors, a good output file never overwritten).

mod support;

use bgpwatch::watchlist::generate::delegated::read_delegated;
use bgpwatch::watchlist::generate::space::CountrySpace;
use bgpwatch::watchlist::{WatchEntry, Watchlist};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

const DELEGATED: &str = "rir/delegated-apnic-latest.20260213.txt.gz";
const TABLE_2015: &str = "mrt/ipasn/ipasn6_20151101.dat.gz";
const TABLE_2014: &str = "mrt/ipasn/ipasn_20140513.dat.gz";
const BVIEW_2002: &str = "mrt/ris/bview.20020722.2337.gz";
const RIB6_2015: &str = "mrt/routeviews/rib6.20151101.0600_firstMB.bz2";
const AS_NAMES: &str = "asn/pyasn-asnames.json.gz";
const ET_HEADER_2015: &str = "mrt/edge-cases/updates.et-header.2015.gz";

/// PK record lines in the APNIC file (PROVENANCE.md: 443 asn, 770 ipv4, 329 ipv6).
const PK_IPV4_DELEGATIONS: usize = 770;
const PK_IPV6_DELEGATIONS: usize = 329;
const PK_ASNS: usize = 443;
const EXIT_INPUT: i32 = 2;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn generate(args: &[&str]) -> Output {
    support::bgpwatch()
        .args(["watchlist", "generate", "--country", "PK"])
        .args(args)
        .output()
        .expect("running bgpwatch")
}

/// Generates into `dir/name`, asserting success.
fn generate_ok(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut all = args.to_vec();
    all.extend(["-o", out.to_str().unwrap()]);
    let output = generate(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    out
}

fn load(path: &Path) -> Watchlist {
    Watchlist::load(&[path.to_path_buf()]).unwrap_or_else(|e| panic!("{e}"))
}

fn entry<'a>(list: &'a Watchlist, prefix: &str) -> &'a WatchEntry {
    list.entry(&prefix.parse().unwrap())
        .unwrap_or_else(|| panic!("no entry for {prefix}"))
}

/// The watchlist from the APNIC file and the 2015 route table, generated once for the tests
/// that share it.
fn watchlist_2015() -> Option<&'static PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let delegated = support::data_file(DELEGATED)?;
        let table = support::data_file(TABLE_2015)?;
        let dir = support::scratch("watchlist_2015");
        Some(generate_ok(
            &dir,
            "pk.yaml",
            &[
                "--delegated",
                delegated.to_str().unwrap(),
                "--routes",
                table.to_str().unwrap(),
            ],
        ))
    })
    .as_ref()
}

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
    let older = generate_ok(
        &dir,
        "pk.yaml",
        &[
            "--delegated",
            delegated.to_str().unwrap(),
            "--routes",
            table_2014.to_str().unwrap(),
        ],
    );
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

/// prefix -> origins of a route table.
fn table_pairs(table: &Path) -> BTreeMap<IpNet, BTreeSet<u32>> {
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

#[test]
fn diff_lists_what_changed_between_the_2014_and_2015_watchlists() {
    let (Some(delegated), Some(table_2014), Some(new)) = (
        support::data_file(DELEGATED),
        support::data_file(TABLE_2014),
        watchlist_2015(),
    ) else {
        return;
    };
    let dir = support::scratch("diff");
    let old = generate_ok(
        &dir,
        "old.yaml",
        &[
            "--delegated",
            delegated.to_str().unwrap(),
            "--routes",
            table_2014.to_str().unwrap(),
        ],
    );
    let output = support::bgpwatch()
        .args(["watchlist", "diff"])
        .args([&old, new])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    // 2400:fc00::/32 was unannounced in the IPv4-only 2014 table and is AS45773's in 2015.
    assert!(
        text.contains("~ 2400:fc00::/32 origins [] -> [AS45773]; max_length 32 -> 48; group pk-unannounced -> pk\n"),
        "{text}"
    );
    assert!(
        text.contains("+ 2400:fc00:10::/44 origins [AS45773]\n"),
        "{text}"
    );
    let summary = text.lines().last().unwrap();
    assert!(summary.contains(" added, ") && summary.contains("ASes: 0 added, 0 removed"));
}

#[test]
fn a_bgpalerter_prefixes_file_is_imported_into_a_loadable_watchlist() {
    let dir = support::scratch("bgpalerter");
    let input = dir.join("prefixes.yml");
    std::fs::write(
        &input,
        "202.83.160.0/20:\n  description: Multinet\n  asn: 23888\n  ignoreMorespecifics: false\n  group: noc\n  path:\n    match: \".*2914,23888$\"\n\
         2400:fc00::/32:\n  description: v6\n  asn: [45773, 17557]\n  ignoreMorespecifics: true\n\
         options:\n  monitorASns:\n    23888:\n      group: noc\n      upstreams: [3356]\n",
    )
    .unwrap();
    let out = dir.join("w.yaml");
    let output = support::bgpwatch()
        .args(["watchlist", "import-bgpalerter"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not carried over: 202.83.160.0/20: path"),
        "{}",
        stderr(&output)
    );
    let list = load(&out);
    assert_eq!(&*entry(&list, "2400:fc00::/32").origins, &[17557, 45773]);
    assert!(entry(&list, "2400:fc00::/32").ignore_more_specifics);
    assert_eq!(
        entry(&list, "202.83.160.0/20").group.as_deref(),
        Some("noc")
    );
    let asn = list.asns().next().unwrap();
    assert_eq!(
        (asn.asn, asn.upstreams.as_deref()),
        (23888, Some(&[3356][..]))
    );
}

/// A small delegated file: header, summary, good PK lines, and bad lines 5 and 7.
const DELEGATED_WITH_BAD_LINES: &str = "\
2|apnic|20260214|5|19830613|20260213|+1000
apnic|*|ipv4|*|3|summary
apnic|PK|ipv4|202.83.160.0|4096|20021007|allocated
apnic|PK|asn|17557|1|19990803|allocated
apnic|PK|ipv4|202.83.999.0|256|20021007|allocated
apnic|PK|ipv6|2400:fc00::|32|20090810|allocated
apnic|PK|ipv4|203.0.113.0|256|2002-10-07|allocated
";

#[test]
fn a_delegated_file_with_bad_lines_is_refused_naming_each_line() {
    let dir = support::scratch("bad_lines");
    let delegated = dir.join("delegated.txt");
    std::fs::write(&delegated, DELEGATED_WITH_BAD_LINES).unwrap();
    let output = generate(&["--delegated", delegated.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(EXIT_INPUT));
    let err = stderr(&output);
    assert!(err.contains("delegated.txt: 2 bad lines"), "{err}");
    assert!(err.contains("line 5: start `202.83.999.0`"), "{err}");
    assert!(
        err.contains("line 7: date `2002-10-07` is not YYYYMMDD"),
        "{err}"
    );
    assert!(err.contains("--skip-bad-lines"), "{err}");

    let out = dir.join("pk.yaml");
    let output = generate(&[
        "--delegated",
        delegated.to_str().unwrap(),
        "--skip-bad-lines",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("bad lines skipped: 5 7"), "{text}");
    assert_eq!(load(&out).len(), 2);
}

#[test]
fn an_unknown_country_code_is_a_clear_error() {
    let dir = support::scratch("unknown_country");
    let delegated = dir.join("delegated.txt");
    std::fs::write(
        &delegated,
        &DELEGATED_WITH_BAD_LINES[..DELEGATED_WITH_BAD_LINES
            .find("apnic|PK|ipv4|202.83.999")
            .unwrap()],
    )
    .unwrap();
    let output = support::bgpwatch()
        .args(["watchlist", "generate", "--country", "XQ", "--delegated"])
        .arg(&delegated)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(EXIT_INPUT));
    assert!(
        stderr(&output).contains("no delegation for country XQ in"),
        "{}",
        stderr(&output)
    );
    let output = support::bgpwatch()
        .args(["watchlist", "generate", "--country", "PAK", "--delegated"])
        .arg(&delegated)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(EXIT_INPUT));
    assert!(stderr(&output).contains("`PAK` is not a country code"));
}

#[test]
fn an_empty_rib_or_route_table_is_a_clear_error() {
    let dir = support::scratch("empty_rib");
    let delegated = dir.join("delegated.txt");
    std::fs::write(
        &delegated,
        "apnic|PK|ipv4|202.83.160.0|4096|20021007|allocated\n",
    )
    .unwrap();
    let empty = dir.join("rib.empty");
    std::fs::write(&empty, b"").unwrap();
    let output = generate(&[
        "--delegated",
        delegated.to_str().unwrap(),
        "--rib",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(EXIT_INPUT));
    assert!(
        stderr(&output).contains("rib.empty: no routes in it"),
        "{}",
        stderr(&output)
    );
    let table = dir.join("table.dat");
    std::fs::write(&table, "; IP-ASN32-DAT file\n; Prefixes: 0\n").unwrap();
    let output = generate(&[
        "--delegated",
        delegated.to_str().unwrap(),
        "--routes",
        table.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(EXIT_INPUT));
    assert!(
        stderr(&output).contains("table.dat: no routes in it"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_failed_generation_leaves_the_existing_good_file_untouched() {
    let dir = support::scratch("keep_good_file");
    let delegated = dir.join("delegated.txt");
    std::fs::write(
        &delegated,
        "apnic|PK|ipv4|202.83.160.0|4096|20021007|allocated\n",
    )
    .unwrap();
    let table = dir.join("table.dat");
    std::fs::write(&table, "202.83.160.0/20\t23888\n").unwrap();
    let good = generate_ok(
        &dir,
        "pk.yaml",
        &[
            "--delegated",
            delegated.to_str().unwrap(),
            "--routes",
            table.to_str().unwrap(),
        ],
    );
    let before = std::fs::read(&good).unwrap();
    assert_eq!(&*entry(&load(&good), "202.83.160.0/20").origins, &[23888]);

    // A bad route table line fails the run after the delegations were read.
    std::fs::write(&table, "202.83.160.0/20\t23888\n202.83.161.0/24\tAS-BAD\n").unwrap();
    let output = generate(&[
        "--delegated",
        delegated.to_str().unwrap(),
        "--routes",
        table.to_str().unwrap(),
        "-o",
        good.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(EXIT_INPUT));
    assert!(
        stderr(&output).contains("table.dat: 1 bad line: line 2"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(&good).unwrap(),
        before,
        "the good file changed"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_shipped_pk_watchlist_loads_and_says_how_old_its_routing_half_is() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("prefixes/pk.yaml");
    let list = load(&path);
    assert_eq!(list.asns().count(), PK_ASNS);
    assert!(list.len() > PK_IPV4_DELEGATIONS + PK_IPV6_DELEGATIONS);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("WARNING: the routing half is old: routing data from 2015-11-01"));
    assert!(text.contains("https://data.ris.ripe.net/rrc00/latest-bview.gz"));
}
