//! Opening the database: migrations, persistence across reopen, and files that must be refused
//! and left exactly as they were.

use super::test_events::*;
use super::*;
use crate::alert::Lifecycle;
use std::fs;

/// The names and bytes of every file in `path`'s directory.
fn directory(path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|entry| {
            let file = entry.unwrap().path();
            let bytes = fs::read(&file).unwrap();
            (file, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Opening `path` fails; the message names the file, and the file (with any WAL beside it) is
/// left byte for byte as it was, with no new file next to it.
fn assert_refused(path: &Path, expect: fn(&StoreError) -> bool) -> StoreError {
    let before = directory(path);
    let err = Store::open(path).expect_err("the file must be refused");
    assert!(expect(&err), "unexpected error: {err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "{message:?} does not name {}",
        path.display()
    );
    let after = directory(path);
    let names = |files: &[(PathBuf, Vec<u8>)]| -> Vec<PathBuf> {
        files.iter().map(|(name, _)| name.clone()).collect()
    };
    assert_eq!(names(&after), names(&before), "files appeared or vanished");
    assert!(
        after == before,
        "{} or its WAL was modified",
        path.display()
    );
    eprintln!("refused as expected: {err}");
    err
}

/// A database with a few alerts, closed (checkpointed, no WAL left).
fn sample_database(path: &Path, alerts: usize) {
    let mut store = Store::open(path).unwrap();
    for i in 0..alerts {
        let prefix = format!("198.51.{}.0/24", i % 250);
        let event = hijack(&format!("alert-{i:04}"), &prefix, Lifecycle::Open, 20);
        store.record_and_enqueue(&event, &["jsonl"]).unwrap();
    }
}

#[test]
fn a_missing_file_is_created_at_the_current_schema_version() {
    let dir = Scratch::new("create");
    let path = dir.file("bgpwatch.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(store.durability().unwrap(), Some(Durability::Full));
    assert!(store.open_alerts().unwrap().is_empty());
    drop(store);
    let store = Store::open_with(&path, Durability::Normal).unwrap();
    assert_eq!(store.durability().unwrap(), Some(Durability::Normal));
}

#[test]
fn an_empty_file_is_migrated() {
    let dir = Scratch::new("empty");
    let path = dir.file("bgpwatch.db");
    fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn reopening_keeps_open_alerts_acks_silences_maintenance_and_the_outbox() {
    let dir = Scratch::new("reopen");
    let path = dir.file("bgpwatch.db");
    let open = hijack("a1", "198.51.100.0/24", Lifecycle::Open, 20);
    let resolved = hijack("a2", "203.0.113.0/24", Lifecycle::Resolved, 40);
    let silence = NewSilence {
        kind: None,
        prefix: Some("198.51.100.0/22".parse().unwrap()),
        group: None,
        offender: Some(64666),
        starts: t(0),
        ends: t(3600),
        created_by: "noc".to_string(),
        comment: "known test announcement".to_string(),
    };
    let window = NewMaintenance {
        prefix: "192.0.2.0/24".parse().unwrap(),
        new_origin: 64501,
        starts: t(0),
        ends: t(7200),
        comment: "CHG-1".to_string(),
    };
    {
        let mut store = Store::open(&path).unwrap();
        store
            .record_and_enqueue(&open, &["pagerduty", "alertmanager"])
            .unwrap();
        store.record(&resolved).unwrap();
        assert!(store.ack("a1", "alice", "looking", t(30)).unwrap());
        store.add_silence(&silence).unwrap();
        store.add_maintenance(&window).unwrap();
        let first = store.due(t(30), 1).unwrap();
        assert!(store.delivered(first[0].seq, t(31)).unwrap());
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.open_alerts().unwrap(), vec![open]);
    assert!(store.is_acked("a1").unwrap());
    assert_eq!(store.active_silences(t(60)).unwrap()[0].spec, silence);
    assert_eq!(store.active_maintenance(t(60)).unwrap()[0].spec, window);
    // The alertmanager `open`, and the acknowledgement for both sinks the `open` went to.
    assert_eq!(store.pending_count().unwrap(), 3);
    assert!(store.was_sent("a1", Lifecycle::Open, "pagerduty").unwrap());
    assert!(!store
        .was_sent("a1", Lifecycle::Open, "alertmanager")
        .unwrap());
    // Due: alertmanager's `open` (its acknowledgement waits behind it), pagerduty's ack.
    let due = store.due(t(60), 10).unwrap();
    let due: Vec<_> = due.iter().map(|d| (d.sink.as_str(), d.event)).collect();
    assert_eq!(
        due,
        [
            ("alertmanager", Notice::Open),
            ("pagerduty", Notice::Acknowledge)
        ]
    );
}

#[test]
fn random_bytes_are_refused_and_left_untouched() {
    let dir = Scratch::new("random");
    let path = dir.file("bgpwatch.db");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let bytes: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    fs::write(&path, bytes).unwrap();
    assert_refused(&path, |e| matches!(e, StoreError::NotADatabase { .. }));
}

#[test]
fn a_text_file_is_refused_as_not_a_database() {
    let dir = Scratch::new("text");
    let path = dir.file("bgpwatch.toml");
    fs::write(
        &path,
        "state = \"bgpwatch.db\"\n[[sinks]]\ntype = \"jsonl\"\n".repeat(40),
    )
    .unwrap();
    assert_refused(&path, |e| matches!(e, StoreError::NotADatabase { .. }));
}

#[test]
fn a_truncated_database_is_refused_as_corrupt_and_left_untouched() {
    let dir = Scratch::new("truncated");
    let path = dir.file("bgpwatch.db");
    sample_database(&path, 400);
    let full = fs::read(&path).unwrap();
    assert!(full.len() > 8 * 4096, "the sample spans many pages");
    fs::write(&path, &full[..full.len() / 2]).unwrap();
    let err = assert_refused(&path, |e| matches!(e, StoreError::Corrupt { .. }));
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[test]
fn a_damaged_page_fails_the_integrity_check_and_is_left_untouched() {
    let dir = Scratch::new("damaged");
    let path = dir.file("bgpwatch.db");
    sample_database(&path, 400);
    let mut bytes = fs::read(&path).unwrap();
    let page = 4096;
    let last_page = bytes.len() / page - 1;
    for b in &mut bytes[last_page * page + 8..last_page * page + 300] {
        *b = 0xA5;
    }
    fs::write(&path, &bytes).unwrap();
    assert_refused(&path, |e| matches!(e, StoreError::Corrupt { .. }));
}

#[test]
fn a_damaged_file_with_a_leftover_wal_is_refused_without_checkpointing_into_it() {
    let dir = Scratch::new("damaged-wal");
    let base = dir.file("base.db");
    sample_database(&base, 400);
    let path = dir.file("bgpwatch.db");
    {
        // A writer that died with committed transactions still in its WAL: copy the pair
        // while the connection that wrote them is still open.
        let conn = Connection::open(&base).unwrap();
        conn.execute(
            "INSERT INTO maintenance (prefix, new_origin, starts_at, ends_at, comment)
             VALUES ('192.0.2.0/24', 64501, 0, 1, 'in the WAL only')",
            [],
        )
        .unwrap();
        fs::copy(&base, &path).unwrap();
        fs::copy(dir.file("base.db-wal"), dir.file("bgpwatch.db-wal")).unwrap();
    }
    for leftover in ["base.db", "base.db-wal", "base.db-shm"] {
        let _ = fs::remove_file(dir.file(leftover));
    }
    let mut bytes = fs::read(&path).unwrap();
    let page = 4096;
    for b in &mut bytes[49 * page + 8..49 * page + 300] {
        *b = 0xA5;
    }
    fs::write(&path, &bytes).unwrap();
    assert!(fs::metadata(dir.file("bgpwatch.db-wal")).unwrap().len() > 0);
    assert_refused(&path, |e| matches!(e, StoreError::Corrupt { .. }));
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let dir = Scratch::new("foreign");
    let path = dir.file("other.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
    }
    assert_refused(&path, |e| {
        matches!(
            e,
            StoreError::Foreign {
                application_id: 0,
                ..
            }
        )
    });
}

#[test]
fn a_database_from_a_newer_bgpwatch_is_refused() {
    let dir = Scratch::new("newer");
    let path = dir.file("bgpwatch.db");
    sample_database(&path, 1);
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = assert_refused(&path, |e| matches!(e, StoreError::TooNew { .. }));
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn a_second_open_of_a_held_database_is_refused_as_locked() {
    let dir = Scratch::new("locked");
    let path = dir.file("bgpwatch.db");
    let mut first = Store::open(&path).unwrap();
    let err = Store::open(&path).expect_err("the first store holds the lock");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    // The holder is not disturbed by the attempt.
    first
        .record(&hijack("a1", "198.51.100.0/24", Lifecycle::Open, 20))
        .unwrap();
    drop(first);
    let again = Store::open(&path).unwrap();
    assert_eq!(again.open_alerts().unwrap().len(), 1);
}

#[test]
fn a_missing_directory_is_an_open_error_naming_the_path() {
    let dir = Scratch::new("nodir");
    let path = dir.file("no/such/dir/bgpwatch.db");
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

#[test]
fn a_store_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
}

#[test]
fn a_version_1_file_is_migrated_to_the_current_schema_keeping_its_rows() {
    let dir = Scratch::new("migrate_v1");
    let path = dir.file("state.db");
    {
        // A file as the first bgpwatch with a store wrote it: schema 1, an alert, its outbox.
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        schema::migrate_to(&mut conn, &path, 0, 1).unwrap();
        let event = hijack("a1", "198.51.100.0/24", Lifecycle::Open, 20);
        let json = serde_json::to_string(&event).unwrap();
        conn.execute(
            "INSERT INTO alerts (id, kind, alert_key, severity, state, last_event, event_json,
                 opened_at, updated_at) VALUES ('a1', 'origin-hijack', 'k', 'critical', 'open',
                 'open', ?1, 0, 0)",
            [&json],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO outbox (sink, alert_id, event, event_json, enqueued_at, next_attempt_at)
             VALUES ('pagerduty', 'a1', 'open', ?1, 0, 0)",
            [&json],
        )
        .unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.open_alerts().unwrap().len(), 1);
    let due = store.due(t(30), 10).unwrap();
    assert_eq!(
        due.len(),
        1,
        "the undelivered notification survived the migration"
    );
    assert_eq!(due[0].event, Notice::Open);
    // Version 2's additions work on the migrated file: acks go through the outbox, and the
    // alert, recorded before routing existed, counts as routed (not held).
    store.delivered(due[0].seq, t(31)).unwrap();
    assert!(store.ack("a1", "alice", "", t(40)).unwrap());
    assert_eq!(store.due(t(41), 10).unwrap()[0].event, Notice::Acknowledge);
    assert!(store.held_alerts().unwrap().is_empty());
}
