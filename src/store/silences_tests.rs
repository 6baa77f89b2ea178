//! Silences and maintenance windows.

use super::test_events::*;
use super::*;
use crate::alert::{AlertKind, Lifecycle};

fn silence(prefix: Option<&str>, offender: Option<u32>) -> NewSilence {
    NewSilence {
        kind: None,
        prefix: prefix.map(|p| p.parse().unwrap()),
        group: None,
        offender,
        starts: t(100),
        ends: t(200),
        created_by: "noc".to_string(),
        comment: "planned test".to_string(),
    }
}

#[test]
fn a_silence_is_active_from_its_start_until_its_end() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .add_silence(&silence(Some("198.51.100.0/22"), None))
        .unwrap();
    assert!(store.active_silences(t(99)).unwrap().is_empty());
    assert_eq!(store.active_silences(t(100)).unwrap()[0].id, id);
    assert_eq!(store.active_silences(t(199)).unwrap().len(), 1);
    assert!(store.active_silences(t(200)).unwrap().is_empty());
}

#[test]
fn an_expired_silence_is_no_longer_active() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store.add_silence(&silence(None, Some(64666))).unwrap();
    assert!(store.expire_silence(id, t(150)).unwrap());
    assert!(!store.expire_silence(id, t(160)).unwrap());
    assert_eq!(store.active_silences(t(149)).unwrap().len(), 1);
    assert!(store.active_silences(t(150)).unwrap().is_empty());
    assert_eq!(store.silence(id).unwrap().unwrap().expired_at, Some(t(150)));
    assert!(!store.expire_silence(id + 1, t(150)).unwrap());
}

#[test]
fn a_silence_without_matchers_or_with_an_empty_window_is_refused() {
    let mut store = Store::open_in_memory().unwrap();
    let err = store.add_silence(&silence(None, None)).unwrap_err();
    assert!(matches!(err, StoreError::SilenceMatchesAll), "{err:?}");
    let mut backwards = silence(None, Some(64666));
    backwards.ends = backwards.starts;
    let err = store.add_silence(&backwards).unwrap_err();
    assert!(matches!(err, StoreError::EmptyWindow { .. }), "{err:?}");
}

#[test]
fn every_matcher_of_a_silence_must_match() {
    let event = hijack("a1", "198.51.100.128/25", Lifecycle::Open, 20);
    let check = |spec: NewSilence| {
        Silence {
            id: 1,
            spec,
            expired_at: None,
        }
        .matches(&event)
    };
    assert!(check(silence(Some("198.51.100.0/24"), None)));
    assert!(check(silence(Some("198.51.100.0/24"), Some(64666))));
    assert!(!check(silence(Some("198.51.100.0/24"), Some(64500))));
    assert!(!check(silence(Some("203.0.113.0/24"), None)));
    assert!(!check(silence(Some("198.51.100.192/26"), None)));
    let mut by_kind = silence(None, None);
    by_kind.kind = Some(AlertKind::OriginHijack);
    assert!(check(by_kind.clone()));
    by_kind.kind = Some(AlertKind::RouteLeak);
    assert!(!check(by_kind));
    let mut by_group = silence(None, None);
    by_group.group = Some("pk-gov".to_string());
    assert!(check(by_group.clone()));
    by_group.group = Some("pk-edu".to_string());
    assert!(!check(by_group));
}

#[test]
fn a_maintenance_window_covers_the_declared_origin_in_its_prefix_while_active() {
    let mut store = Store::open_in_memory().unwrap();
    let window = NewMaintenance {
        prefix: "192.0.2.0/24".parse().unwrap(),
        new_origin: 64501,
        starts: t(0),
        ends: t(3600),
        comment: "CHG-42 move to the new upstream".to_string(),
    };
    let id = store.add_maintenance(&window).unwrap();
    assert!(store.active_maintenance(t(-1)).unwrap().is_empty());
    assert!(store.active_maintenance(t(3600)).unwrap().is_empty());
    let active = store.active_maintenance(t(10)).unwrap();
    assert_eq!((active[0].id, &active[0].spec), (id, &window));
    assert!(active[0].covers("192.0.2.0/25".parse().unwrap(), 64501));
    assert!(!active[0].covers("192.0.2.0/24".parse().unwrap(), 64666));
    assert!(!active[0].covers("192.0.3.0/24".parse().unwrap(), 64501));
    let mut backwards = window;
    backwards.ends = backwards.starts;
    assert!(store.add_maintenance(&backwards).is_err());
}
