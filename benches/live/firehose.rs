//! Memory in firehose mode following every prefix of a full table (issue 8): a watchlist of
//! every prefix of `mrt/edge-cases/updates.et-header.2015.gz` (one peer's full IPv4 table, 2015)
//! with the origins it announces, and that table streamed to the child as RIS Live frames,
//! `BENCH_FIREHOSE_PASSES` times (default 3).
//!
//! The first pass fills route state (one route per prefix); every later pass re-announces every
//! route, which must replace, not add: `growth` is the RSS after the last pass over the RSS after
//! the one before (the allocator settles during the second pass). Figures: RSS with the
//! watchlist loaded, after each pass, and the peak (`VmHWM`).

use crate::common::{mib, record, vm_hwm_kib, vm_rss_kib};
use crate::session::{metric_sum, write_file, Session};
use crate::stream::{send_all, unix_now, Pacer, Template};
use crate::Settings;
use bgpkit_parser::models::ElemType;
use bgpkit_parser::BgpkitParser;
use flate2::read::MultiGzDecoder;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

/// The full table, relative to the data directory.
const FULL_TABLE: &str = "mrt/edge-cases/updates.et-header.2015.gz";
/// Passes over the table when `BENCH_FIREHOSE_PASSES` is unset.
const DEFAULT_PASSES: usize = 3;
/// Streaming rate when `BENCH_FIREHOSE_RATE` is unset.
pub const DEFAULT_RATE: u64 = 50_000;
/// How long the child may take to work off a pass after its last frame.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);
/// The child's update counter must hold still this long for a pass to count as worked off.
const SETTLE_QUIET: Duration = Duration::from_millis(500);

/// The run: prints its figures and appends them to `BENCH_RESULTS` (`firehose.*`).
pub async fn run(settings: &Settings, data: &Path, rate: u64) -> Result<(), String> {
    let file = data.join(FULL_TABLE);
    if !file.is_file() {
        println!("SKIPPED: firehose run: {FULL_TABLE} absent");
        return Ok(());
    }
    let (frames, origins) = table_frames(&file)?;
    let dir = settings.scratch.join("firehose");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let watchlist = dir.join("full-table.yaml");
    write_file(&watchlist, &watchlist_yaml(&origins))?;
    println!(
        "\nfirehose: {} prefixes of {FULL_TABLE} watched, {} frames per pass at {rate} msg/s",
        origins.len(),
        frames.len()
    );
    let loading = Instant::now();
    let mut session = Session::start(settings, &dir, &[watchlist]).await?;
    let load_seconds = loading.elapsed().as_secs_f64();
    let pid = session.pid;
    let loaded = vm_rss_kib(pid);
    let mut after = Vec::new();
    let mut processed = 0.0;
    let passes: usize = crate::common::env_number("BENCH_FIREHOSE_PASSES", DEFAULT_PASSES).max(2);
    for pass in 1..=passes {
        let started = Instant::now();
        let mut pacer = Pacer::new(rate).await;
        let mut next = 0;
        while next < frames.len() {
            pacer.tick().await;
            let n = (pacer.take() as usize).min(frames.len() - next);
            let stamp = unix_now();
            send_all(
                &mut session.ws_tx,
                frames[next..next + n].iter().map(|t| t.stamped(&stamp)),
            )
            .await?;
            next += n;
        }
        processed = settle(&session.http).await;
        let rss = vm_rss_kib(pid);
        println!(
            "  pass {pass}: {} frames in {:.1} s; child counted {processed} updates; RSS {}",
            frames.len(),
            started.elapsed().as_secs_f64(),
            mib(rss)
        );
        after.push(rss.unwrap_or(0));
    }
    let peak = vm_hwm_kib(pid);
    let metrics = crate::session::http_get(&session.http, "/metrics").unwrap_or_default();
    let dropped = metric_sum(&metrics, "bgpwatch_dropped_updates_total");
    let log = session.log.clone();
    session.finish().await;
    let (last, before) = (after[passes - 1], after[passes - 2]);
    let growth = 100.0 * (last as f64 - before as f64) / (before.max(1) as f64);
    println!(
        "  watchlist load + connect {load_seconds:.1} s, RSS loaded {}, after pass 1 {}, after pass {passes} {} (growth over pass {passes} {growth:+.1} %), peak {}, dropped {dropped}",
        mib(loaded),
        mib(Some(after[0])),
        mib(Some(last)),
        mib(peak)
    );
    crate::child_notes(&metrics, &log)
        .iter()
        .for_each(|n| println!("  {n}"));
    record("firehose.prefixes", origins.len() as f64);
    record("firehose.frames", frames.len() as f64);
    record("firehose.processed", processed);
    record("firehose.dropped", dropped);
    record("firehose.load_seconds", load_seconds);
    record("firehose.loaded_kib", loaded.unwrap_or(0) as f64);
    record("firehose.pass1_kib", after[0] as f64);
    record("firehose.passes", passes as f64);
    record("firehose.pass2_kib", after[1] as f64);
    record("firehose.last_kib", last as f64);
    record("firehose.peak_kib", peak.unwrap_or(0) as f64);
    record("firehose.growth_pct", growth);
    Ok(())
}

/// Waits until the child's `bgpwatch_updates_total` holds still; its value.
async fn settle(http: &str) -> f64 {
    let end = Instant::now() + SETTLE_LIMIT;
    let mut last = (-1.0, Instant::now());
    while Instant::now() < end {
        let page = crate::session::http_get(http, "/metrics").unwrap_or_default();
        let count = metric_sum(&page, "bgpwatch_updates_total");
        if count != last.0 {
            last = (count, Instant::now());
        } else if last.1.elapsed() >= SETTLE_QUIET {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last.0
}

/// Every prefix of the table with the origins it announces.
type Origins = BTreeMap<String, Vec<u32>>;

/// One RIS Live frame per announced prefix of `file`, and every prefix's origins.
fn table_frames(file: &Path) -> Result<(Vec<Template>, Origins), String> {
    let input = File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let parser = BgpkitParser::from_reader(MultiGzDecoder::new(BufReader::new(input)));
    let mut frames = Vec::new();
    let mut origins = Origins::new();
    for elem in parser {
        if elem.elem_type != ElemType::ANNOUNCE {
            continue;
        }
        let prefix = elem.prefix.prefix.trunc().to_string();
        let asns: Vec<u32> = elem
            .origin_asns
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|&a| u32::from(a))
            .collect();
        let path: Vec<String> = elem
            .as_path
            .as_ref()
            .and_then(|p| p.to_u32_vec_opt(false))
            .unwrap_or_default()
            .iter()
            .map(u32::to_string)
            .collect();
        let known = origins.entry(prefix.clone()).or_default();
        asns.iter().for_each(|a| {
            if !known.contains(a) {
                known.push(*a)
            }
        });
        let line = format!(
            concat!(
                r#"{{"type":"ris_message","data":{{"timestamp":0,"peer":"{peer}","peer_asn":"{peer_asn}","#,
                r#""id":"fh","host":"rrc00","type":"UPDATE","path":[{path}],"#,
                r#""origin":"igp","announcements":[{{"next_hop":"{next_hop}","prefixes":["{prefix}"]}}]}}}}"#
            ),
            peer = elem.peer_ip,
            peer_asn = u32::from(elem.peer_asn),
            path = path.join(","),
            next_hop = elem.next_hop.map_or(elem.peer_ip, |h| h),
            prefix = elem.prefix.prefix.trunc(),
        );
        frames.push(Template::new(&line));
    }
    Ok((frames, origins))
}

/// The watchlist: every prefix with the origins the table gives it.
fn watchlist_yaml(origins: &Origins) -> String {
    let mut yaml = String::with_capacity(origins.len() * 48);
    yaml.push_str("prefixes:\n");
    for (prefix, asns) in origins {
        let list: Vec<String> = asns.iter().map(u32::to_string).collect();
        let _ = writeln!(yaml, "  {prefix}: {{ origins: [{}] }}", list.join(", "));
    }
    yaml
}
