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

use super::{AlertEvent, Lifecycle};
use crate::store::{Maintenance, Silence};
use std::time::Duration;

/// Alerts with the same offender whose opens are at most this far apart form one incident
/// (DESIGN.md section 7).
pub const INCIDENT_WINDOW: Duration = Duration::from_secs(600);
/// Prefixes named in an incident's page summary before "and N more".
const SUMMARY_PREFIXES: usize = 5;

/// What groups an alert into an incident: its offender (the hijacking origin, the unexpected
/// upstream, the leaking AS), for route alerts. Visibility alerts are grouped by
/// `mass-withdrawal` instead, and feed alerts stand alone.
pub fn incident_key(event: &AlertEvent) -> Option<String> {
    if !event.kind.is_route_kind() {
        return None;
    }
    event.offender.map(|asn| format!("offender AS{asn}"))
}

/// The page for an incident (PagerDuty pages incidents, not alerts): `members` are the latest
/// events of its alerts, the first of which gave the incident its id. It is open while any
/// member is, carries the most severe member's severity, lists the prefixes, and keeps the
/// triggering member's evidence. `None` while `event` is a member's end but others are open.
pub fn incident_page(
    incident_id: &str,
    event: &AlertEvent,
    members: &[AlertEvent],
) -> Option<AlertEvent> {
    let open: Vec<&AlertEvent> = members
        .iter()
        .filter(|m| m.event != Lifecycle::Resolved)
        .collect();
    if event.event == Lifecycle::Resolved && !open.is_empty() {
        return None;
    }
    let mut page = event.clone();
    page.id = incident_id.to_string();
    page.incident = Some(incident_id.to_string());
    if members.len() <= 1 {
        return Some(page);
    }
    let open_count = open.len();
    let judged: Vec<&AlertEvent> = if open.is_empty() {
        members.iter().collect()
    } else {
        open
    };
    page.severity = judged
        .iter()
        .map(|m| m.severity)
        .max()
        .unwrap_or(event.severity);
    let mut prefixes: Vec<_> = members.iter().filter_map(|m| m.prefix).collect();
    prefixes.dedup();
    let mut named: Vec<String> = prefixes
        .iter()
        .take(SUMMARY_PREFIXES)
        .map(|p| p.to_string())
        .collect();
    if prefixes.len() > SUMMARY_PREFIXES {
        named.push(format!("and {} more", prefixes.len() - SUMMARY_PREFIXES));
    }
    let offender = event.offender.map_or(String::new(), |a| format!("AS{a}: "));
    page.summary = format!(
        "{offender}{} alerts on {} prefixes, {open_count} open: {}",
        members.len(),
        prefixes.len(),
        named.join(", ")
    );
    page.prefixes = Some(prefixes);
    Some(page)
}

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
    fn an_incident_of_one_alert_pages_as_that_alert() {
        let e = event();
        let page = incident_page(&e.id, &e, std::slice::from_ref(&e)).unwrap();
        assert_eq!(page.id, e.id);
        assert_eq!(page.summary, e.summary);
    }

    #[test]
    fn an_incident_lists_its_prefixes_and_resolves_with_its_last_alert() {
        let first = event();
        let mut second = event();
        second.id = "0000000000000002".into();
        second.prefix = Some("203.0.113.0/24".parse().unwrap());
        second.severity = Severity::Warning;
        let page = incident_page(&first.id, &second, &[first.clone(), second.clone()]).unwrap();
        assert_eq!(page.id, first.id, "one dedup key for the whole incident");
        assert_eq!(
            page.severity,
            Severity::Critical,
            "the most severe open member"
        );
        assert_eq!(
            page.summary,
            "AS64666: 2 alerts on 2 prefixes, 2 open: 198.51.100.0/24, 203.0.113.0/24"
        );
        let mut first_ends = first.clone();
        first_ends.event = Lifecycle::Resolved;
        assert_eq!(
            incident_page(
                &first.id,
                &first_ends,
                &[first_ends.clone(), second.clone()]
            ),
            None,
            "the other alert is still open"
        );
        let mut second_ends = second.clone();
        second_ends.event = Lifecycle::Resolved;
        let last =
            incident_page(&first.id, &second_ends, &[first_ends, second_ends.clone()]).unwrap();
        assert_eq!(last.event, Lifecycle::Resolved);
        assert_eq!(last.id, first.id);
    }

    #[test]
    fn only_route_alerts_with_an_offender_group_into_incidents() {
        let mut e = event();
        assert_eq!(incident_key(&e), Some("offender AS64666".into()));
        e.kind = AlertKind::Withdrawal;
        assert_eq!(incident_key(&e), None);
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
