//! The alert database survives `kill -9` (issue 5): a child process records alert events and
//! their notifications in a loop and marks some delivered; the parent kills it at random
//! moments, reopens the file and checks that every commit is whole, nothing is half-written, and
//! `due()` hands out exactly the notifications not yet delivered.
//!
//! The child is this test binary run again (`current_exe`) with [`WRITER_ENV`] set; it runs the
//! test `crash_writer_child`, which does nothing in a normal run. Both durabilities are killed:
//! `state_sync = "normal"` (the service's default) must survive `kill -9` as `full` does.

#[path = "store_crash/schedule.rs"]
mod schedule;

use bgpwatch::alert::{AlertEvent, Lifecycle};
use bgpwatch::store::{retry_delay, AlertFilter, Durability, Notice, Store, StoreError};
use chrono::Utc;
use rusqlite::Connection;
use schedule::{alert_id, event, expected_last, expected_outbox, lifecycle_name, schedule, sinks};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Set to the database path, this makes `crash_writer_child` write until killed.
const WRITER_ENV: &str = "BGPWATCH_STORE_CRASH_WRITER";
/// `normal` or `full`: how the writer opens the store.
const SYNC_ENV: &str = "BGPWATCH_STORE_CRASH_SYNC";
/// Protocol lines of the child start with this; libtest's own lines do not.
const TAG: &str = "STORE-CRASH";
/// How many times the writer is killed.
const ROUNDS: usize = 10;
/// The latest moment of a kill after the spawn.
const MAX_KILL_DELAY_MS: u64 = 400;

#[test]
fn crash_writer_child() {
    let Some(path) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let durability = match std::env::var(SYNC_ENV).as_deref() {
        Ok("normal") => Durability::Normal,
        _ => Durability::Full,
    };
    let mut store =
        Store::open_with(PathBuf::from(path), durability).expect("the writer opens the store");
    let mut rng = fastrand::Rng::new();
    let mut out = std::io::stdout().lock();
    let runs_as = match store.durability().unwrap() {
        Some(Durability::Normal) => "normal",
        Some(Durability::Full) => "full",
        None => "other",
    };
    writeln!(out, "{TAG} ready {runs_as}").unwrap();
    let mut i = store
        .recent(usize::MAX, &AlertFilter::default())
        .unwrap()
        .len();
    loop {
        let events: Vec<(AlertEvent, Lifecycle)> = schedule(i)
            .into_iter()
            .map(|(alert, lc)| (event(alert, lc), lc))
            .collect();
        let batch: Vec<(&AlertEvent, &[&str])> =
            events.iter().map(|(e, lc)| (e, sinks(*lc))).collect();
        store.record_and_enqueue_batch(&batch).unwrap();
        writeln!(out, "{TAG} committed {i}").unwrap();
        let now = Utc::now();
        for item in store.due(now, 3).unwrap() {
            if rng.u8(..10) < 7 {
                assert!(store.delivered(item.seq, now).unwrap());
                writeln!(out, "{TAG} delivered {}", item.seq).unwrap();
            } else {
                let retry =
                    now + chrono::Duration::from_std(retry_delay(item.attempts + 1)).unwrap();
                assert!(store.failed(item.seq, "503 from the test", retry).unwrap());
                writeln!(out, "{TAG} failed {}", item.seq).unwrap();
            }
        }
        out.flush().unwrap();
        i += 1;
    }
}

/// What the killed writer reported before it died.
#[derive(Default)]
struct Log {
    committed: usize,
    delivered: BTreeSet<i64>,
    failed: BTreeSet<i64>,
    ready: bool,
    /// The durability the writer reported it runs with.
    runs_as: Option<String>,
}

/// Runs the writer once and kills it `delay` after the spawn (or after it holds the lock, if
/// `check_lock`), returning what it logged.
fn run_writer(path: &Path, sync: &str, delay: Duration, check_lock: bool, log: &mut Log) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, path)
        .env(SYNC_ENV, sync)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    if check_lock {
        let started = Instant::now();
        let ready = format!("{TAG} ready ");
        loop {
            let line = lines.recv_timeout(Duration::from_secs(60)).unwrap();
            if let Some((_, runs_as)) = line.split_once(&ready) {
                log.runs_as = Some(runs_as.trim().to_string());
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the writer never got ready"
            );
        }
        log.ready = true;
        let err = Store::open(path).expect_err("the writer holds the database");
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    }
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    for line in lines.try_iter() {
        // libtest may print "test crash_writer_child ... " on the same line before ours.
        let Some((_, rest)) = line.split_once(TAG) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (what, word) = (words.next().unwrap(), words.next());
        let n = || word.unwrap().parse::<i64>().unwrap();
        match what {
            "ready" => {
                log.ready = true;
                log.runs_as = word.map(str::to_string);
            }
            "committed" => log.committed = log.committed.max(n() as usize + 1),
            "delivered" => {
                log.delivered.insert(n());
            }
            "failed" => {
                log.failed.insert(n());
            }
            other => panic!("unknown line {other}"),
        }
    }
}

/// One outbox row as stored.
struct Row {
    alert_id: String,
    event: String,
    sink: String,
    json: String,
    status: String,
    attempts: i64,
}

/// All outbox rows by sequence number, read with a plain connection after the store is closed.
fn outbox_rows(path: &Path) -> BTreeMap<i64, Row> {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT seq, alert_id, event, sink, event_json, status, attempts FROM outbox")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            let row = Row {
                alert_id: r.get(1)?,
                event: r.get(2)?,
                sink: r.get(3)?,
                json: r.get(4)?,
                status: r.get(5)?,
                attempts: r.get(6)?,
            };
            Ok((r.get::<_, i64>(0)?, row))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// Reopens after a kill and checks the file against the schedule and the writer's log.
fn check_after_kill(path: &Path, log: &Log) -> usize {
    let store = Store::open(path).expect("the database survives kill -9");
    let alerts = store.recent(usize::MAX, &AlertFilter::default()).unwrap();
    let n = alerts.len();
    assert!(
        n == log.committed || n == log.committed + 1,
        "{n} iterations in the file, {} logged as committed",
        log.committed
    );
    for stored in &alerts {
        let alert: usize = stored.event.id["alert-".len()..].parse().unwrap();
        assert!(alert < n, "alert {alert} beyond iteration {n}");
        assert_eq!(stored.event, event(alert, expected_last(alert, n)));
    }
    let open = store.open_alerts().unwrap().len();
    drop(store);

    let rows = outbox_rows(path);
    let expected = expected_outbox(n);
    let seqs: Vec<i64> = rows.keys().copied().collect();
    let contiguous: Vec<i64> = (1..=expected.len() as i64).collect();
    assert_eq!(seqs, contiguous, "sequence numbers are 1..=N without gaps");
    for ((seq, row), (alert, lc, sink)) in rows.iter().zip(&expected) {
        assert_eq!(row.alert_id, alert_id(*alert), "seq {seq}");
        assert_eq!(
            (row.event.as_str(), row.sink.as_str()),
            (lifecycle_name(*lc), *sink)
        );
        assert_eq!(
            row.json,
            serde_json::to_string(&event(*alert, *lc)).unwrap()
        );
    }
    for seq in &log.delivered {
        assert_eq!(
            rows[seq].status, "delivered",
            "seq {seq} was logged delivered"
        );
    }
    for seq in &log.failed {
        assert!(rows[seq].attempts >= 1, "seq {seq} was logged failed");
    }
    eprintln!(
        "after kill: {n} iterations, {open} open alerts, {} notifications ({} delivered)",
        rows.len(),
        rows.values().filter(|r| r.status == "delivered").count()
    );
    n
}

#[test]
fn kill_minus_9_never_tears_a_commit_and_due_returns_exactly_the_undelivered() {
    kill_the_writer("full");
}

#[test]
fn kill_minus_9_with_synchronous_normal_loses_no_commit_either() {
    kill_the_writer("normal");
}

fn kill_the_writer(sync: &str) {
    let dir = std::env::temp_dir().join(format!(
        "bgpwatch-store-crash-{sync}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bgpwatch.db");
    let seed = fastrand::u64(..);
    eprintln!("synchronous {sync}: kill delays from seed {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut log = Log::default();
    let mut iterations = 0;
    for round in 0..ROUNDS {
        let delay = Duration::from_millis(rng.u64(5..MAX_KILL_DELAY_MS));
        run_writer(&path, sync, delay, round == 0, &mut log);
        iterations = check_after_kill(&path, &log);
        log.committed = iterations;
    }
    assert!(log.ready, "the writer ran");
    assert_eq!(
        log.runs_as.as_deref(),
        Some(sync),
        "the writer's synchronous level"
    );
    assert!(
        iterations > ROUNDS,
        "the writer made progress ({iterations} iterations)"
    );

    let pending: BTreeSet<i64> = outbox_rows(&path)
        .into_iter()
        .filter(|(_, r)| r.status == "pending")
        .map(|(seq, _)| seq)
        .collect();
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.pending_count().unwrap(), pending.len() as u64);
    let far = Utc::now() + chrono::Duration::days(1);
    let mut handed_out = BTreeSet::new();
    loop {
        let due = store.due(far, 50).unwrap();
        if due.is_empty() {
            break;
        }
        for item in due {
            assert!(
                handed_out.insert(item.seq),
                "seq {} handed out twice",
                item.seq
            );
            let alert: usize = item.alert_id["alert-".len()..].parse().unwrap();
            let lifecycle = match item.event {
                Notice::Open => Lifecycle::Open,
                Notice::Update => Lifecycle::Update,
                Notice::Resolved => Lifecycle::Resolved,
                Notice::Acknowledge => panic!("no acknowledgement was made"),
            };
            assert_eq!(
                item.event_json,
                serde_json::to_string(&event(alert, lifecycle)).unwrap()
            );
            assert_eq!(item.alert, event(alert, lifecycle));
            assert!(store.delivered(item.seq, far).unwrap());
        }
    }
    assert_eq!(
        handed_out, pending,
        "due() returns exactly the undelivered notifications"
    );
    assert_eq!(store.pending_count().unwrap(), 0);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_throughput_is_reported() {
    let dir = std::env::temp_dir().join(format!("bgpwatch-store-speed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = Store::open(dir.join("bgpwatch.db")).unwrap();
    const EVENTS: usize = 300;
    let events: Vec<AlertEvent> = (0..EVENTS).map(|a| event(a, Lifecycle::Open)).collect();
    let started = Instant::now();
    for e in &events[..EVENTS / 2] {
        store
            .record_and_enqueue(e, &["pagerduty", "webhook"])
            .unwrap();
    }
    let single = (EVENTS / 2) as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for chunk in events[EVENTS / 2..].chunks(50) {
        let batch: Vec<(&AlertEvent, &[&str])> = chunk
            .iter()
            .map(|e| (e, &["pagerduty", "webhook"][..]))
            .collect();
        store.record_and_enqueue_batch(&batch).unwrap();
    }
    let batched = (EVENTS / 2) as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "store write throughput (debug build, synchronous=FULL, 2 sinks each): \
         {single:.0} events/s one transaction each, {batched:.0} events/s in batches of 50"
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
