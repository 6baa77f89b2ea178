//! What pages: the one place that decides whether an alert's `open` goes to the sinks now or
//! is held back, and which sinks take it. Everything here is a pure function of the event and
//! the operator's declarations; the outbox (`sink/outbox`) carries the decision out.
//!
//! - A silence (`POST /api/v1/silences`) holds every alert its matchers match while it lasts.
//! - A maintenance window (`POST /api/v1/maintenance`) holds alerts whose origin is the
//!   declared new origin of a prefix inside the window's prefix: the planned change itself.
//! - A held alert is recorded (API, status page, JSON lines) but pages nobody; if it is still
//!   open when the hold ends, its `open` goes out then. If it resolves while held, nobody is
//!   paged at all.
//! - Sinks are chosen on the `open` by their `groups` / `min_severity` filters; the alert's
//!   later events follow that choice, so a page always gets its all-clear.

use super::AlertEvent;
use crate::store::{Maintenance, Silence};

/// Why an alert's `open` is held back, as stored and shown (`silence 3`, `maintenance 1`), or
/// `None` when it pages now. `silences` and `windows` are those active at the event's time.
pub fn hold(event: &AlertEvent, silences: &[Silence], windows: &[Maintenance]) -> Option<String> {
    if let Some(s) = silences.iter().find(|s| s.matches(event)) {
        return Some(format!("silence {}", s.id));
    }
    let (prefix, origin) = (event.prefix?, event.origin?);
    windows
        .iter()
        .find(|w| w.covers(prefix, origin))
        .map(|w| format!("maintenance {}", w.id))
}

/// The names of the sinks whose filters take this `open`.
pub fn route<'a, S>(
    event: &AlertEvent,
    sinks: impl IntoIterator<Item = (&'a str, &'a S)>,
    accepts: impl Fn(&S, &AlertEvent) -> bool,
) -> Vec<String>
where
    S: 'a,
{
    sinks
        .into_iter()
        .filter(|(_, sink)| accepts(sink, event))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, Lifecycle, Severity};
    use crate::store::{NewMaintenance, NewSilence};
    use chrono::{TimeZone, Utc};

    fn event() -> AlertEvent {
        let e = crate::sink::testing::sample_event();
        assert_eq!(e.event, Lifecycle::Open);
        e
    }

    fn silence(id: i64, spec: NewSilence) -> Silence {
        Silence {
            id,
            spec,
            expired_at: None,
        }
    }

    fn window() -> NewSilence {
        NewSilence {
            kind: None,
            prefix: None,
            group: None,
            offender: None,
            starts: Utc.timestamp_opt(0, 0).unwrap(),
            ends: Utc.timestamp_opt(3600, 0).unwrap(),
            created_by: "noc".into(),
            comment: String::new(),
        }
    }

    #[test]
    fn a_matching_silence_holds_and_says_which() {
        let e = event();
        let by_offender = silence(
            7,
            NewSilence {
                offender: e.offender,
                ..window()
            },
        );
        assert_eq!(hold(&e, &[by_offender], &[]), Some("silence 7".into()));
    }

    #[test]
    fn a_silence_for_another_kind_does_not_hold() {
        let other = silence(
            1,
            NewSilence {
                kind: Some(AlertKind::RouteLeak),
                ..window()
            },
        );
        assert_eq!(hold(&event(), &[other], &[]), None);
    }

    #[test]
    fn maintenance_holds_only_the_declared_origin_inside_its_prefix() {
        let e = event();
        let declared = |origin| Maintenance {
            id: 2,
            spec: NewMaintenance {
                prefix: e.watched_prefix.unwrap(),
                new_origin: origin,
                starts: Utc.timestamp_opt(0, 0).unwrap(),
                ends: Utc.timestamp_opt(3600, 0).unwrap(),
                comment: String::new(),
            },
        };
        let origin = e.origin.unwrap();
        assert_eq!(
            hold(&e, &[], &[declared(origin)]),
            Some("maintenance 2".into())
        );
        assert_eq!(hold(&e, &[], &[declared(origin + 1)]), None);
    }

    #[test]
    fn sinks_are_chosen_by_their_filters() {
        let mut e = event();
        e.severity = Severity::Warning;
        let sinks = [("pager", Severity::Critical), ("chat", Severity::Info)];
        let chosen = route(&e, sinks.iter().map(|(n, s)| (*n, s)), |min, ev| {
            ev.severity >= *min
        });
        assert_eq!(chosen, vec!["chat".to_string()]);
    }
}
