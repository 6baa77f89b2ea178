//! Routing decisions as the dispatcher records them: sinks chosen on the `open`, later events
//! following it, silences and maintenance windows holding an alert until they end.

use super::*;
use crate::alert::Severity;
use crate::config::SinkConfig;
use crate::sink::testing::sample_event;
use crate::sink::webhook::WebhookConfig;
use crate::sink::{http_client, PagingSink, Secret};
use crate::store::{NewMaintenance, NewSilence, Notice};
use chrono::TimeDelta;

/// `pager` takes critical alerts only; `log` takes everything.
fn sinks() -> Vec<NamedSink> {
    let client = http_client::build().unwrap();
    let webhook = |name: &str, min: Option<Severity>| {
        let mut config = WebhookConfig::new(Secret::from("http://127.0.0.1:9/hook"));
        config.min_severity = min;
        NamedSink {
            name: name.into(),
            sink: PagingSink::open(&SinkConfig::Webhook(config), client.clone())
                .unwrap()
                .unwrap(),
        }
    };
    vec![
        webhook("pager", Some(Severity::Critical)),
        webhook("log", None),
    ]
}

fn with(event: &AlertEvent, lifecycle: Lifecycle, severity: Severity) -> AlertEvent {
    let mut e = event.clone();
    e.event = lifecycle;
    e.severity = severity;
    e
}

/// (sink, notice) of every pending notification, in order.
fn pending(store: &Store) -> Vec<(String, Notice)> {
    let mut due = store.due(Utc::now() + TimeDelta::hours(1), 100).unwrap();
    due.sort_by_key(|d| d.seq);
    due.into_iter().map(|d| (d.sink, d.event)).collect()
}

fn deliver_all(store: &mut Store) {
    loop {
        let due = store.due(Utc::now() + TimeDelta::hours(1), 100).unwrap();
        if due.is_empty() {
            return;
        }
        for d in due {
            store.delivered(d.seq, Utc::now()).unwrap();
        }
    }
}

fn silence_offender(store: &mut Store, offender: u32, for_secs: i64) -> i64 {
    let now = Utc::now();
    store
        .add_silence(&NewSilence {
            kind: None,
            prefix: None,
            group: None,
            offender: Some(offender),
            starts: now - TimeDelta::minutes(1),
            ends: now + TimeDelta::seconds(for_secs),
            created_by: "noc".into(),
            comment: "known".into(),
        })
        .unwrap()
}

#[test]
fn later_events_follow_the_route_chosen_on_open_even_when_severity_drops() {
    let mut store = Store::open_in_memory().unwrap();
    let sinks = sinks();
    let open = sample_event();
    let (_, n) = record(&mut store, &sinks, vec![open.clone()]);
    assert_eq!(n.unwrap(), 2);
    deliver_all(&mut store);
    // Downgraded to warning: `pager` would not take it as a new alert, but it paged, so it
    // hears of the update and the all-clear.
    let update = with(&open, Lifecycle::Update, Severity::Warning);
    let resolved = with(&open, Lifecycle::Resolved, Severity::Warning);
    let (_, n) = record(&mut store, &sinks, vec![update, resolved]);
    assert_eq!(n.unwrap(), 4);
    let mut got = pending(&store);
    got.sort();
    assert_eq!(
        got,
        [
            ("log".to_string(), Notice::Update),
            ("pager".to_string(), Notice::Update)
        ],
        "resolved waits behind update, per sink"
    );
}

#[test]
fn a_warning_opens_only_at_sinks_that_take_warnings() {
    let mut store = Store::open_in_memory().unwrap();
    let open = with(&sample_event(), Lifecycle::Open, Severity::Warning);
    let (_, n) = record(&mut store, &sinks(), vec![open]);
    assert_eq!(n.unwrap(), 1);
    assert_eq!(pending(&store), [("log".to_string(), Notice::Open)]);
}

#[test]
fn a_silenced_alert_is_recorded_but_pages_nobody_and_its_end_pages_nobody_either() {
    let mut store = Store::open_in_memory().unwrap();
    let open = sample_event();
    let id = silence_offender(&mut store, open.offender.unwrap(), 3600);
    let (_, n) = record(&mut store, &sinks(), vec![open.clone()]);
    assert_eq!(n.unwrap(), 0);
    let held = store.held_alerts().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].reason, format!("silence {id}"));
    assert!(store.alert(&open.id).unwrap().is_some(), "still recorded");
    let resolved = with(&open, Lifecycle::Resolved, open.severity);
    let (_, n) = record(&mut store, &sinks(), vec![resolved]);
    assert_eq!(n.unwrap(), 0);
    assert!(pending(&store).is_empty());
    assert!(
        store.held_alerts().unwrap().is_empty(),
        "resolved: no longer held"
    );
    assert_eq!(release(&mut store, &sinks()).unwrap(), 0);
}

#[test]
fn an_alert_still_open_when_its_silence_ends_pages_then() {
    let mut store = Store::open_in_memory().unwrap();
    let open = sample_event();
    let id = silence_offender(&mut store, open.offender.unwrap(), 3600);
    record(&mut store, &sinks(), vec![open.clone()]).1.unwrap();
    assert_eq!(
        release(&mut store, &sinks()).unwrap(),
        0,
        "silence still on"
    );
    store.expire_silence(id, Utc::now()).unwrap();
    assert_eq!(release(&mut store, &sinks()).unwrap(), 2);
    let mut got = pending(&store);
    got.sort();
    assert_eq!(
        got,
        [
            ("log".to_string(), Notice::Open),
            ("pager".to_string(), Notice::Open)
        ]
    );
    assert!(store.held_alerts().unwrap().is_empty());
    deliver_all(&mut store);
    let resolved = with(&open, Lifecycle::Resolved, open.severity);
    assert_eq!(record(&mut store, &sinks(), vec![resolved]).1.unwrap(), 2);
}

#[test]
fn a_declared_maintenance_holds_the_new_origin_only() {
    let mut store = Store::open_in_memory().unwrap();
    let open = sample_event();
    let now = Utc::now();
    store
        .add_maintenance(&NewMaintenance {
            prefix: open.watched_prefix.unwrap(),
            new_origin: open.origin.unwrap(),
            starts: now - TimeDelta::minutes(1),
            ends: now + TimeDelta::hours(1),
            comment: "CHG-42 move to the new carrier".into(),
        })
        .unwrap();
    record(&mut store, &sinks(), vec![open.clone()]).1.unwrap();
    assert!(pending(&store).is_empty());
    let mut other = open.clone();
    other.id = "0000000000000002".into();
    other.origin = Some(64999);
    other.offender = Some(64999);
    assert_eq!(record(&mut store, &sinks(), vec![other]).1.unwrap(), 2);
}

#[test]
fn alerts_of_one_offender_within_ten_minutes_form_one_incident_resolved_with_the_last() {
    let mut store = Store::open_in_memory().unwrap();
    let first = sample_event();
    let mut second = sample_event();
    second.id = "0000000000000002".into();
    second.prefix = Some("203.0.113.0/24".parse().unwrap());
    second.time = first.time + TimeDelta::minutes(9);
    let mut later = sample_event();
    later.id = "0000000000000003".into();
    later.time = second.time + TimeDelta::minutes(11);
    let (batch, n) = record(&mut store, &sinks(), vec![first.clone(), second.clone()]);
    n.unwrap();
    assert_eq!(batch[0].incident.as_deref(), Some(first.id.as_str()));
    assert_eq!(batch[1].incident.as_deref(), Some(first.id.as_str()));
    let (batch, _) = record(&mut store, &sinks(), vec![later.clone()]);
    assert_eq!(
        batch[0].incident.as_deref(),
        Some(later.id.as_str()),
        "11 min later: new"
    );

    let end = |e: &AlertEvent| with(e, Lifecycle::Resolved, e.severity);
    let (batch, _) = record(&mut store, &sinks(), vec![end(&first)]);
    assert_eq!(batch[0].incident.as_deref(), Some(first.id.as_str()));
    assert!(store.incident(&first.id).unwrap().unwrap().open);
    record(&mut store, &sinks(), vec![end(&second)]).1.unwrap();
    let incident = store.incident(&first.id).unwrap().unwrap();
    assert!(!incident.open);
    assert_eq!(incident.alert_ids, [first.id.clone(), second.id.clone()]);
}
