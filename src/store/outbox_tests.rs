//! The notification outbox: enqueue with the event, due, retries, order, sent-once.

use super::test_events::*;
use super::*;
use crate::alert::Lifecycle;
use std::time::Duration;

const PREFIX: &str = "198.51.100.0/24";

fn store() -> Store {
    Store::open_in_memory().unwrap()
}

fn seqs(items: &[OutboxItem]) -> Vec<i64> {
    items.iter().map(|i| i.seq).collect()
}

#[test]
fn an_event_is_enqueued_once_per_sink_with_its_json() {
    let mut store = store();
    let event = hijack("a1", PREFIX, Lifecycle::Open, 20);
    let created = store
        .record_and_enqueue(&event, &["pagerduty", "webhook"])
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(store.pending_count().unwrap(), 2);
    let due = store.due(t(20), 10).unwrap();
    assert_eq!(seqs(&due), created);
    assert_eq!(due[0].sink, "pagerduty");
    assert_eq!(due[0].event, Notice::Open);
    assert_eq!(due[0].attempts, 0);
    assert_eq!(due[0].event_json, serde_json::to_string(&event).unwrap());
    assert_eq!(due[0].alert, event);
    assert_eq!(store.due(t(20), 1).unwrap().len(), 1);
}

#[test]
fn each_sink_can_take_only_its_own_notifications() {
    let mut store = store();
    let event = hijack("a1", PREFIX, Lifecycle::Open, 20);
    let created = store
        .record_and_enqueue(&event, &["pagerduty", "webhook"])
        .unwrap();
    assert_eq!(
        seqs(&store.due_for_sink("webhook", t(20), 10).unwrap()),
        [created[1]]
    );
    assert_eq!(
        seqs(&store.due_for_sink("pagerduty", t(20), 10).unwrap()),
        [created[0]]
    );
    assert!(store.due_for_sink("syslog", t(20), 10).unwrap().is_empty());
}

#[test]
fn delivered_notifications_are_no_longer_due_and_count_as_sent() {
    let mut store = store();
    let event = hijack("a1", PREFIX, Lifecycle::Open, 20);
    let created = store.record_and_enqueue(&event, &["pagerduty"]).unwrap();
    assert!(!store.was_sent("a1", Lifecycle::Open, "pagerduty").unwrap());
    assert!(store.delivered(created[0], t(21)).unwrap());
    assert!(!store.delivered(created[0], t(22)).unwrap(), "only once");
    assert!(store.due(t(30), 10).unwrap().is_empty());
    assert_eq!(store.pending_count().unwrap(), 0);
    assert!(store.was_sent("a1", Lifecycle::Open, "pagerduty").unwrap());
    assert!(!store
        .was_sent("a1", Lifecycle::Resolved, "pagerduty")
        .unwrap());
    assert!(!store.was_sent("a1", Lifecycle::Open, "webhook").unwrap());
}

#[test]
fn open_and_resolved_are_enqueued_at_most_once_per_alert_and_sink() {
    let mut store = store();
    let open = hijack("a1", PREFIX, Lifecycle::Open, 20);
    let first = store.record_and_enqueue(&open, &["pagerduty"]).unwrap();
    store.delivered(first[0], t(21)).unwrap();
    // A restarted book emits the same open again: nothing new to send.
    assert!(store
        .record_and_enqueue(&open, &["pagerduty"])
        .unwrap()
        .is_empty());
    // A sink added to the routing later still gets it.
    assert_eq!(
        store.record_and_enqueue(&open, &["webhook"]).unwrap().len(),
        1
    );
    let update = hijack("a1", PREFIX, Lifecycle::Update, 30);
    assert_eq!(
        store
            .record_and_enqueue(&update, &["pagerduty"])
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .record_and_enqueue(&update, &["pagerduty"])
            .unwrap()
            .len(),
        1
    );
    let resolved = hijack("a1", PREFIX, Lifecycle::Resolved, 90);
    assert_eq!(
        store
            .record_and_enqueue(&resolved, &["pagerduty"])
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .record_and_enqueue(&resolved, &["pagerduty"])
        .unwrap()
        .is_empty());
}

#[test]
fn a_failed_notification_waits_for_its_retry_time_and_counts_attempts() {
    let mut store = store();
    let event = hijack("a1", PREFIX, Lifecycle::Open, 20);
    let seq = store.record_and_enqueue(&event, &["pagerduty"]).unwrap()[0];
    let retry_at = t(20) + chrono::Duration::from_std(retry_delay(1)).unwrap();
    assert!(store.failed(seq, "connection refused", retry_at).unwrap());
    assert!(store.due(t(24), 10).unwrap().is_empty());
    let due = store.due(t(25), 10).unwrap();
    assert_eq!((due[0].seq, due[0].attempts), (seq, 1));
    assert_eq!(store.pending_count().unwrap(), 1);
}

#[test]
fn a_sink_gets_the_events_of_one_alert_in_order_even_across_retries() {
    let mut store = store();
    let open = store
        .record_and_enqueue(&hijack("a1", PREFIX, Lifecycle::Open, 20), &["pagerduty"])
        .unwrap()[0];
    let other = store
        .record_and_enqueue(
            &hijack("b1", "203.0.113.0/24", Lifecycle::Open, 21),
            &["pagerduty"],
        )
        .unwrap()[0];
    store.failed(open, "timeout", t(100)).unwrap();
    let resolved = store
        .record_and_enqueue(
            &hijack("a1", PREFIX, Lifecycle::Resolved, 30),
            &["pagerduty"],
        )
        .unwrap()[0];
    // The resolve waits behind the failed open; other alerts are not held up.
    assert_eq!(seqs(&store.due(t(50), 10).unwrap()), [other]);
    assert_eq!(seqs(&store.due(t(100), 10).unwrap()), [open, other]);
    store.delivered(open, t(100)).unwrap();
    assert_eq!(seqs(&store.due(t(100), 10).unwrap()), [other, resolved]);
}

#[test]
fn an_abandoned_notification_unblocks_the_next_one() {
    let mut store = store();
    let open = store
        .record_and_enqueue(&hijack("a1", PREFIX, Lifecycle::Open, 20), &["webhook"])
        .unwrap()[0];
    let resolved = store
        .record_and_enqueue(&hijack("a1", PREFIX, Lifecycle::Resolved, 30), &["webhook"])
        .unwrap()[0];
    assert!(store.abandon(open, "400 Bad Request", t(31)).unwrap());
    assert_eq!(seqs(&store.due(t(31), 10).unwrap()), [resolved]);
    assert!(!store.was_sent("a1", Lifecycle::Open, "webhook").unwrap());
    assert_eq!(store.pending_count().unwrap(), 1);
}

#[test]
fn a_batch_is_recorded_and_enqueued_in_one_go() {
    let mut store = store();
    let a = hijack("a1", PREFIX, Lifecycle::Open, 20);
    let b = hijack("b1", "203.0.113.0/24", Lifecycle::Open, 20);
    let created = store
        .record_and_enqueue_batch(&[(&a, &["pagerduty"][..]), (&b, &["pagerduty", "jsonl"][..])])
        .unwrap();
    assert_eq!(created.len(), 3);
    assert_eq!(store.open_alerts().unwrap(), vec![a, b]);
}

#[test]
fn the_retry_delay_doubles_from_five_seconds_up_to_ten_minutes() {
    let secs = |n| retry_delay(n).as_secs();
    assert_eq!(
        [secs(0), secs(1), secs(2), secs(3), secs(4)],
        [5, 5, 10, 20, 40]
    );
    assert_eq!(secs(7), 320);
    assert_eq!(retry_delay(8), RETRY_DELAY_MAX);
    assert_eq!(retry_delay(u32::MAX), Duration::from_secs(600));
}

#[test]
fn an_acknowledgement_goes_to_the_sinks_the_open_went_to_after_it() {
    let mut store = Store::open_in_memory().unwrap();
    let open = hijack("a1", "198.51.100.0/24", Lifecycle::Open, 10);
    store
        .record_routed(&[(&open, Route::Open(vec!["pagerduty".into()]))])
        .unwrap();
    assert!(store.ack("a1", "alice", "on it", t(20)).unwrap());
    let due = store.due(t(30), 10).unwrap();
    assert_eq!(due.len(), 1, "the ack waits behind the undelivered open");
    assert_eq!(due[0].event, Notice::Open);
    store.delivered(due[0].seq, t(31)).unwrap();
    let due = store.due(t(32), 10).unwrap();
    assert_eq!(
        due.iter()
            .map(|d| (d.sink.as_str(), d.event))
            .collect::<Vec<_>>(),
        [("pagerduty", Notice::Acknowledge)]
    );
    // A held (never paged) alert has nobody to tell.
    let held = hijack("a2", "203.0.113.0/24", Lifecycle::Open, 10);
    store
        .record_routed(&[(&held, Route::Hold("silence 1".into()))])
        .unwrap();
    assert!(store.ack("a2", "alice", "", t(40)).unwrap());
    assert_eq!(store.pending_count().unwrap(), 1);
}
