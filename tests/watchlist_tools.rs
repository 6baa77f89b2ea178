//! `bgpwatch watchlist diff` and `import-bgpalerter` on the real data, and bad input to the
//! watchlist commands: clear errors, a good output file never overwritten.

mod support;
#[path = "support/watchlist_cli.rs"]
mod watchlist_cli;

use std::path::Path;
use watchlist_cli::*;

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
    let old = generate_from_routes(&dir, "old.yaml", &delegated, &table_2014);
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
    let good = generate_from_routes(&dir, "pk.yaml", &delegated, &table);
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
