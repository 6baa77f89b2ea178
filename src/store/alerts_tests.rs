//! Alerts, acknowledgements and incidents.

use super::test_events::*;
use super::*;
use crate::alert::{AlertKey, AlertKind, Lifecycle, Severity};
use std::time::Duration;

const INCIDENT_WINDOW: Duration = Duration::from_secs(600);

fn store() -> Store {
    Store::open_in_memory().unwrap()
}

#[test]
fn an_event_reads_back_equal_to_what_was_recorded() {
    let mut store = store();
    let event = hijack("a1", "198.51.100.0/24", Lifecycle::Open, 20);
    store.record(&event).unwrap();
    assert_eq!(store.open_alerts().unwrap(), vec![event.clone()]);
    let stored = store.alert("a1").unwrap().unwrap();
    assert_eq!(stored.event, event);
    assert_eq!(stored.state, AlertState::Open);
    assert_eq!(stored.updated_at, t(20));
    assert_eq!(stored.ack, None);
}

#[test]
fn a_feed_alert_without_prefix_reads_back_equal() {
    let mut store = store();
    let mut event = hijack("f1", "198.51.100.0/24", Lifecycle::Open, 20);
    event.kind = AlertKind::FeedStalled;
    event.prefix = None;
    event.watched_prefix = None;
    event.source = Some("ris-live".to_string());
    event.evidence.rpki = "not-checked";
    event.visibility = None;
    event.baseline = None;
    event.prefixes = Some(vec!["192.0.2.0/24".parse().unwrap()]);
    event.incident = Some("inc-1".to_string());
    store.record(&event).unwrap();
    assert_eq!(store.open_alerts().unwrap(), vec![event.clone()]);
    assert_eq!(alerts::key_text(&event), "feed-stalled ris-live");
}

#[test]
fn the_key_text_of_a_routing_alert_is_its_alert_key() {
    let event = hijack("a1", "198.51.100.0/24", Lifecycle::Open, 20);
    let key = AlertKey {
        kind: event.kind,
        watched_prefix: event.watched_prefix,
        prefix: event.prefix.unwrap(),
        offender: event.offender,
    };
    assert_eq!(alerts::key_text(&event), key.to_string());
}

#[test]
fn update_replaces_the_last_event_and_resolved_closes_the_alert() {
    let mut store = store();
    store
        .record(&hijack("a1", "198.51.100.0/24", Lifecycle::Open, 20))
        .unwrap();
    let mut update = hijack("a1", "198.51.100.0/24", Lifecycle::Update, 30);
    update.peers = 20;
    store.record(&update).unwrap();
    assert_eq!(store.open_alerts().unwrap(), vec![update]);

    let resolved = hijack("a1", "198.51.100.0/24", Lifecycle::Resolved, 90);
    store.record(&resolved).unwrap();
    assert!(store.open_alerts().unwrap().is_empty());
    let stored = store.alert("a1").unwrap().unwrap();
    assert_eq!(stored.state, AlertState::Resolved);
    assert_eq!(stored.event, resolved);
}

#[test]
fn recent_filters_by_kind_severity_state_and_prefix() {
    let mut store = store();
    store
        .record(&hijack("a1", "198.51.100.0/24", Lifecycle::Open, 10))
        .unwrap();
    let mut warning = hijack("a2", "198.51.100.128/25", Lifecycle::Open, 20);
    warning.kind = AlertKind::PathHijack;
    warning.severity = Severity::Warning;
    warning.watched_prefix = Some("198.51.100.0/24".parse().unwrap());
    store.record(&warning).unwrap();
    store
        .record(&hijack("a3", "203.0.113.0/24", Lifecycle::Resolved, 30))
        .unwrap();
    store
        .record(&hijack("a4", "2001:db8::/32", Lifecycle::Open, 40))
        .unwrap();

    let ids = |filter: AlertFilter, limit: usize| -> Vec<String> {
        let found = store.recent(limit, &filter).unwrap();
        found.into_iter().map(|a| a.event.id).collect()
    };
    assert_eq!(ids(AlertFilter::default(), 10), ["a4", "a3", "a2", "a1"]);
    assert_eq!(ids(AlertFilter::default(), 2), ["a4", "a3"]);
    let kind = AlertFilter {
        kind: Some(AlertKind::PathHijack),
        ..AlertFilter::default()
    };
    assert_eq!(ids(kind, 10), ["a2"]);
    let critical = AlertFilter {
        severity: Some(Severity::Critical),
        ..AlertFilter::default()
    };
    assert_eq!(ids(critical, 10), ["a4", "a3", "a1"]);
    let resolved = AlertFilter {
        state: Some(AlertState::Resolved),
        ..AlertFilter::default()
    };
    assert_eq!(ids(resolved, 10), ["a3"]);
    let covering = AlertFilter {
        prefix: Some("198.51.100.0/23".parse().unwrap()),
        ..AlertFilter::default()
    };
    assert_eq!(ids(covering, 10), ["a2", "a1"]);
    let more_specific = AlertFilter {
        prefix: Some("198.51.100.128/25".parse().unwrap()),
        ..AlertFilter::default()
    };
    assert_eq!(ids(more_specific, 10), ["a2"]);
    let v6 = AlertFilter {
        prefix: Some("2001:db8::/16".parse().unwrap()),
        state: Some(AlertState::Open),
        ..AlertFilter::default()
    };
    assert_eq!(ids(v6, 1), ["a4"]);
}

#[test]
fn recent_alerts_filter_by_paging_group() {
    let mut store = store();
    let mut gov = hijack("g1", "198.51.100.0/24", Lifecycle::Open, 10);
    gov.group = Some("pk-gov".into());
    store.record(&gov).unwrap();
    let mut isp = hijack("g2", "203.0.113.0/24", Lifecycle::Open, 20);
    isp.group = Some("pk-isp".into());
    store.record(&isp).unwrap();
    let group = |name: &str| AlertFilter {
        group: Some(name.into()),
        ..AlertFilter::default()
    };
    let ids = |filter: AlertFilter| -> Vec<String> {
        let found = store.recent(10, &filter).unwrap();
        found.into_iter().map(|a| a.event.id).collect()
    };
    assert_eq!(ids(group("pk-gov")), ["g1"]);
    assert_eq!(ids(group("pk-isp")), ["g2"]);
    assert!(ids(group("nobody")).is_empty());
}

#[test]
fn an_ack_is_stored_for_known_alerts_only_and_the_latest_wins() {
    let mut store = store();
    assert!(!store.ack("nope", "alice", "?", t(1)).unwrap());
    assert!(!store.is_acked("nope").unwrap());
    store
        .record(&hijack("a1", "198.51.100.0/24", Lifecycle::Open, 20))
        .unwrap();
    assert!(store.ack("a1", "alice", "looking", t(30)).unwrap());
    assert!(store
        .ack("a1", "bob", "called the upstream", t(40))
        .unwrap());
    let ack = store.ack_of("a1").unwrap().unwrap();
    assert_eq!((ack.by.as_str(), ack.at), ("bob", t(40)));
    let listed = store.recent(10, &AlertFilter::default()).unwrap();
    assert_eq!(listed[0].ack.as_ref(), Some(&ack));
}

#[test]
fn alerts_of_one_offender_within_the_window_form_one_incident() {
    let mut store = store();
    let key = "offender AS64666";
    let (first, change) = store
        .add_to_incident(key, "a1", t(0), INCIDENT_WINDOW)
        .unwrap();
    assert_eq!(change, IncidentChange::Opened);
    let (grown, change) = store
        .add_to_incident(key, "a2", t(300), INCIDENT_WINDOW)
        .unwrap();
    assert_eq!(change, IncidentChange::Grew);
    assert_eq!(grown.id, first.id);
    assert_eq!(grown.alert_ids, ["a1", "a2"]);
    assert_eq!((grown.first_alert_at, grown.last_alert_at), (t(0), t(300)));
    let (same, change) = store
        .add_to_incident(key, "a2", t(310), INCIDENT_WINDOW)
        .unwrap();
    assert_eq!(
        (change, same.alert_ids.len()),
        (IncidentChange::Unchanged, 2)
    );

    // The window runs from the latest alert: 300 + 600 is still inside.
    let (_, change) = store
        .add_to_incident(key, "a3", t(900), INCIDENT_WINDOW)
        .unwrap();
    assert_eq!(change, IncidentChange::Grew);
    let (later, change) = store
        .add_to_incident(key, "a4", t(1501), INCIDENT_WINDOW)
        .unwrap();
    assert_eq!(change, IncidentChange::Opened);
    assert_ne!(later.id, first.id);

    let (other, change) = store
        .add_to_incident("leak 64500-64501", "b1", t(1), INCIDENT_WINDOW)
        .unwrap();
    assert_eq!(change, IncidentChange::Opened);
    assert_eq!(store.open_incidents().unwrap().len(), 3);

    assert!(store.resolve_incident(&other.id, t(50)).unwrap());
    assert!(!store.resolve_incident(&other.id, t(51)).unwrap());
    let resolved = store.incident(&other.id).unwrap().unwrap();
    assert_eq!((resolved.open, resolved.resolved_at), (false, Some(t(50))));
    let open: Vec<_> = store
        .open_incidents()
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(open, [first.id, later.id]);
}

#[test]
fn a_new_alert_does_not_join_a_resolved_incident() {
    let mut store = store();
    let (first, _) = store
        .add_to_incident("k", "a1", t(0), INCIDENT_WINDOW)
        .unwrap();
    store.resolve_incident(&first.id, t(10)).unwrap();
    let (next, change) = store
        .add_to_incident("k", "a2", t(20), INCIDENT_WINDOW)
        .unwrap();
    assert_eq!(change, IncidentChange::Opened);
    assert_ne!(next.id, first.id);
}

#[test]
fn prune_forgets_finished_history_but_keeps_open_and_pending() {
    let mut store = store();
    let done = hijack("old", "203.0.113.0/24", Lifecycle::Resolved, 30);
    store.record_and_enqueue(&done, &["jsonl"]).unwrap();
    let seq = store.due(t(30), 10).unwrap()[0].seq;
    store.delivered(seq, t(31)).unwrap();
    store.ack("old", "alice", "", t(31)).unwrap();
    let waiting = hijack("waiting", "192.0.2.0/24", Lifecycle::Resolved, 30);
    store.record_and_enqueue(&waiting, &["jsonl"]).unwrap();
    let open = hijack("open", "198.51.100.0/24", Lifecycle::Open, 30);
    store.record(&open).unwrap();

    let pruned = store.prune(t(1000)).unwrap();
    assert_eq!((pruned.alerts, pruned.notifications), (1, 1));
    assert!(store.alert("old").unwrap().is_none());
    assert!(!store.is_acked("old").unwrap());
    assert!(store.alert("waiting").unwrap().is_some());
    assert_eq!(store.open_alerts().unwrap(), vec![open]);
    assert_eq!(store.pending_count().unwrap(), 1);
}
