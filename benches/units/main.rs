//! Unit benchmarks (criterion) of the steps one update goes through, on real data: decoding a
//! RIS Live message, reading MRT records into updates, asking the watchlist about a prefix,
//! detection per update, and loading the watchlist (YAML parsed, or its compiled copy).
//!
//! `cargo bench --bench units` (criterion's options after `--`, e.g. `-- watchlist`). Results
//! live in `target/criterion`; each figure per element also goes to `BENCH_RESULTS` (key
//! `units.<group>.<name>`, nanoseconds) for `benches/suite.sh`.
//! `BGPWATCH_DATA` points at the real data (default `../shared/data`); a step whose file is
//! absent prints `SKIPPED:` and is left out. Figures are per element (message, update, prefix)
//! and criterion compares each run with the previous one it saved in `target/criterion`, so a
//! regression shows as `Performance has regressed`.

#[path = "../common/mod.rs"]
mod common;

use bgpwatch::engine::{Engine, EngineSettings, InterestFilter};
use bgpwatch::source::ris_live::RisLiveDecoder;
use bgpwatch::source::{read_file_filtered, InputFormat, ReadContext, ReadStats};
use bgpwatch::update::SourceItem;
use bgpwatch::watchlist::{Watchlist, WatchlistCache};
use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use ipnet::IpNet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const RIS_LIVE: &str = "ris-live/morrowc-rislive.1k-msgs.jsonl";
const MRT: &str = "mrt/ris/rrc00.updates.20190101.0000.gz";
const WATCHLIST: &str = "prefixes/pk.yaml";

fn data_file(relative: &str) -> Option<PathBuf> {
    let path = common::data_dir().join(relative);
    if path.is_file() {
        Some(path)
    } else {
        println!("SKIPPED: {} absent", path.display());
        None
    }
}

fn watchlist_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(WATCHLIST)
}

fn watchlist() -> Arc<Watchlist> {
    Arc::new(Watchlist::load_cached(&[watchlist_path()], None).expect("prefixes/pk.yaml loads"))
}

/// The MRT file's items: every update, or (with `interest`) those detection needs, as replay
/// reads them.
fn mrt_items(path: &Path, interest: Option<&Arc<Watchlist>>) -> Vec<SourceItem> {
    let mut items = Vec::new();
    read_mrt(path, interest, &mut |item| items.push(item));
    items
}

fn read_mrt(path: &Path, interest: Option<&Arc<Watchlist>>, emit: &mut dyn FnMut(SourceItem)) {
    let mut stats = ReadStats::default();
    let mut filter = interest.map(|list| InterestFilter::new(list.clone()));
    let mut wants = |p: &IpNet, o: Option<&[u32]>| filter.as_mut().is_none_or(|f| f.wants(p, o));
    let errors = read_file_filtered(
        path,
        Some(InputFormat::Mrt),
        Some(&mut wants),
        emit,
        &mut stats,
    );
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
}

fn updates_in(items: &[SourceItem]) -> u64 {
    items
        .iter()
        .filter(|i| matches!(i, SourceItem::Update(_)))
        .count() as u64
}

fn ris_live(c: &mut Criterion) {
    let Some(path) = data_file(RIS_LIVE) else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("reading the RIS Live file");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut group = c.benchmark_group("ris_live");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("decode_message", |b| {
        let mut decoder = RisLiveDecoder::default();
        let mut stats = ReadStats::default();
        let mut errors = Vec::new();
        b.iter(|| {
            let mut emitted = 0usize;
            let mut emit = |item: SourceItem| {
                emitted += 1;
                black_box(item);
            };
            let mut ctx = ReadContext {
                path: &path,
                emit: &mut emit,
                stats: &mut stats,
                errors: &mut errors,
                interest: None,
                clock: None,
            };
            for line in &lines {
                let _ = black_box(decoder.decode_line(line, &mut ctx));
            }
            errors.clear();
            emitted
        })
    });
    group.finish();
}

fn mrt(c: &mut Criterion) {
    let Some(path) = data_file(MRT) else {
        return;
    };
    let list = watchlist();
    let mut group = c.benchmark_group("mrt");
    // Per update of the file, watched or not: gunzip, MRT parsing and conversion.
    group.throughput(Throughput::Elements(updates_in(&mrt_items(&path, None))));
    group.sample_size(20);
    group.bench_function("read_file_every_update", |b| {
        b.iter(|| read_mrt(&path, None, &mut |item| drop(black_box(item))))
    });
    group.bench_function("read_file_watched_updates", |b| {
        b.iter(|| read_mrt(&path, Some(&list), &mut |item| drop(black_box(item))))
    });
    group.finish();
}

fn watchlist_lookup(c: &mut Criterion) {
    let Some(path) = data_file(MRT) else {
        return;
    };
    let prefixes: Vec<IpNet> = mrt_items(&path, None)
        .iter()
        .filter_map(|i| match i {
            SourceItem::Update(u) => Some(u.prefix),
            _ => None,
        })
        .collect();
    let list = watchlist();
    let mut group = c.benchmark_group("watchlist");
    group.throughput(Throughput::Elements(prefixes.len() as u64));
    group.bench_function("relevance_of_feed_prefixes", |b| {
        b.iter(|| {
            prefixes
                .iter()
                .filter(|p| !matches!(list.relevance(p), bgpwatch::watchlist::Relevance::Unrelated))
                .count()
        })
    });
    group.finish();
}

/// The engine over rrc00's watched items (562): per item, including the visibility evaluation
/// of every watched prefix once per data second (most of the cost: 300 data seconds x 4,188
/// entries), so the figure is "detection cost of this file / its watched items".
fn detection(c: &mut Criterion) {
    let Some(path) = data_file(MRT) else {
        return;
    };
    let list = watchlist();
    let items = mrt_items(&path, Some(&list));
    let mut group = c.benchmark_group("detection");
    group.throughput(Throughput::Elements(items.len() as u64));
    group.sample_size(20);
    group.bench_function("engine_per_watched_item", |b| {
        b.iter_batched(
            || Engine::new(list.clone(), EngineSettings::default()),
            |mut engine| {
                let mut out = Vec::new();
                for item in &items {
                    engine.handle(item, &mut out);
                }
                engine.flush(&mut out);
                (engine, out) // dropped untimed
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn watchlist_load(c: &mut Criterion) {
    let path = watchlist_path();
    let cache_dir =
        std::env::temp_dir().join(format!("bgpwatch-bench-units-{}", std::process::id()));
    let cache = WatchlistCache::at(&cache_dir);
    let mut group = c.benchmark_group("watchlist_load");
    group.sample_size(20);
    group.bench_function("pk_yaml_parsed", |b| {
        b.iter(|| {
            Watchlist::load_cached(std::slice::from_ref(&path), None)
                .unwrap()
                .len()
        })
    });
    Watchlist::load_cached(std::slice::from_ref(&path), Some(&cache)).unwrap();
    group.bench_function("pk_yaml_compiled_copy", |b| {
        b.iter(|| {
            Watchlist::load_cached(std::slice::from_ref(&path), Some(&cache))
                .unwrap()
                .len()
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&cache_dir);
}

criterion_group! {
    name = units;
    config = Criterion::default().output_directory(&criterion_dir());
    targets = ris_live, mrt, watchlist_lookup, detection, watchlist_load
}

fn criterion_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("criterion")
}

/// Each benchmark's mean per element, from criterion's estimates, to `BENCH_RESULTS`.
fn record_results() {
    for group in [
        "ris_live",
        "mrt",
        "watchlist",
        "detection",
        "watchlist_load",
    ] {
        let Ok(listing) = std::fs::read_dir(criterion_dir().join(group)) else {
            continue;
        };
        for bench in listing.filter_map(Result::ok) {
            let dir = bench.path().join("new");
            let read = |file: &str| -> Option<serde_json::Value> {
                serde_json::from_str(&std::fs::read_to_string(dir.join(file)).ok()?).ok()
            };
            let (Some(estimates), Some(info)) = (read("estimates.json"), read("benchmark.json"))
            else {
                continue;
            };
            let Some(mean_ns) = estimates["mean"]["point_estimate"].as_f64() else {
                continue;
            };
            let per = info["throughput"]["Elements"].as_f64().unwrap_or(1.0);
            let name = bench.file_name().to_string_lossy().into_owned();
            common::record(&format!("units.{group}.{name}"), mean_ns / per);
        }
    }
}

fn main() {
    units();
    Criterion::default()
        .output_directory(&criterion_dir())
        .configure_from_args()
        .final_summary();
    record_results();
}
