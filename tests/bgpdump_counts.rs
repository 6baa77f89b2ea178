//! Every real MRT file replayed: announcement and withdrawal counts equal Debian `bgpdump -m`'s
//! (one A/B line per announced prefix, one W line per withdrawn prefix).

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Counts of `bgpdump -m` lines by their third field (A, B, W, STATE).
fn bgpdump_counts(bgpdump: &Path, file: &Path) -> BTreeMap<String, u64> {
    let output = Command::new(bgpdump)
        .arg("-m")
        .arg(file)
        .output()
        .expect("running bgpdump");
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if let Some(kind) = line.split('|').nth(2) {
            *counts.entry(kind.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

fn check(relative: &str) {
    let (Some(file), Some(bgpdump)) = (support::data_file(relative), support::tool("bgpdump"))
    else {
        return;
    };
    let expected = bgpdump_counts(&bgpdump, &file);
    let dir = support::scratch(&relative.replace('/', "_"));
    let summary_path = dir.join("summary.json");
    let output = support::replay(&[
        "--watchlist",
        "fixtures/scenarios/watchlist.yaml",
        "--summary-json",
        summary_path.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = support::summary(&summary_path);
    let announced = expected.get("A").unwrap_or(&0) + expected.get("B").unwrap_or(&0);
    let withdrawn = *expected.get("W").unwrap_or(&0);
    assert_eq!(
        summary["announcements"], announced,
        "{relative}: announcements vs bgpdump A+B"
    );
    assert_eq!(
        summary["withdrawals"], withdrawn,
        "{relative}: withdrawals vs bgpdump W"
    );
    match output.status.code() {
        Some(0) => assert_eq!(summary["errors"], 0, "{relative}: {stderr}"),
        Some(3) => {
            // Truncated downloads (the *_firstMB.bz2 files): the intact records all count,
            // and the damage is reported with the file and the byte offset.
            assert!(
                relative.contains("firstMB"),
                "{relative} reported damage: {stderr}"
            );
            assert!(
                stderr.contains(file.to_str().unwrap()) && stderr.contains("at byte"),
                "{stderr}"
            );
        }
        other => panic!("{relative}: exit {other:?}: {stderr}"),
    }
}

macro_rules! counts_match_bgpdump {
    ($($name:ident => $file:expr,)*) => {$(
        #[test]
        fn $name() {
            check($file);
        }
    )*};
}

counts_match_bgpdump! {
    ris_bview_2002_table_dump_v1 => "mrt/ris/bview.20020722.2337.gz",
    ris_rrc00_updates_2019 => "mrt/ris/rrc00.updates.20190101.0000.gz",
    ris_rrc06_updates_2015 => "mrt/ris/rrc06.updates.20150401.0000.gz",
    ris_rrc15_updates_2010_1600 => "mrt/ris/rrc15.updates.20100227.1600.gz",
    ris_rrc15_updates_2010_1610 => "mrt/ris/rrc15.updates.20100227.1610.gz",
    ris_updates_2002_session_flaps => "mrt/ris/updates.20020722.2238.gz",
    ris_updates_2007_02 => "mrt/ris/updates.20070211.0141.gz",
    ris_updates_2007_10 => "mrt/ris/updates.20071015.1505.gz",
    ris_updates_2010_07 => "mrt/ris/updates.20100722.2015.gz",
    ris_updates_2016_08 => "mrt/ris/updates.20160811.1600.gz",
    routeviews_rib_2008_truncated_bz2 => "mrt/routeviews/rib.20080501.0644_firstMB.bz2",
    routeviews_rib_2014_truncated_bz2 => "mrt/routeviews/rib.20140523.0600_firstMB.bz2",
    routeviews_rib6_2015_truncated_bz2 => "mrt/routeviews/rib6.20151101.0600_firstMB.bz2",
    routeviews_jinx_updates_2015_bz2 => "mrt/routeviews/route-views.jinx.updates.20150401.0000.bz2",
    routeviews_updates_2024_et_microseconds => "mrt/routeviews/updates.20240914.small.bz2",
    edge_et_header_full_table_2015 => "mrt/edge-cases/updates.et-header.2015.gz",
    edge_add_path_rib_ipv4 => "mrt/edge-cases/bview.ipv4_unicast_add_path.gz",
    edge_add_path_rib_ipv6 => "mrt/edge-cases/bview.ipv6_unicast_add_path.gz",
    edge_rib_record_over_64k => "mrt/edge-cases/bview.64k_stream_overflow.gz",
    edge_4096_prefix_withdrawal => "mrt/edge-cases/updates.long_withdrawal.gz",
    edge_nlri_trailing_bits => "mrt/edge-cases/updates.nlri_mask_trailing_bits.gz",
    edge_rrc03_quagga_states => "mrt/edge-cases/rrc03.updates.20100227.1600.first-796-records.gz",
}
