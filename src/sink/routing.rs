//! Which alerts a sink takes: every sink's config has the optional keys `groups = [...]` and
//! `min_severity = "warning"`, judged here.

use crate::alert::{AlertEvent, Severity};

/// True when `event` passes a sink's filters: its group is one of `groups` (when the key is
/// set) and its severity is at least `min_severity` (when set). An event without a group (feed
/// alerts such as `feed-stalled`) passes only sinks without a `groups` filter.
///
/// The filters judge one event. Severity can change in an `update`, so the caller decides on an
/// alert's `open` event and routes that alert's later events (updates, `resolved`) the same way;
/// otherwise a page could open and never receive its all-clear.
pub fn accepts(
    groups: Option<&[String]>,
    min_severity: Option<Severity>,
    event: &AlertEvent,
) -> bool {
    let group_ok = match groups {
        None => true,
        Some(groups) => event
            .group
            .as_deref()
            .is_some_and(|group| groups.iter().any(|g| g == group)),
    };
    let severity_ok = min_severity.is_none_or(|min| event.severity >= min);
    group_ok && severity_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::testing::sample_event;

    #[test]
    fn no_filters_accept_everything() {
        assert!(accepts(None, None, &sample_event()));
    }

    #[test]
    fn group_filter_takes_listed_groups_only() {
        let event = sample_event();
        assert!(accepts(
            Some(&["pk-gov".into(), "pk-isp".into()]),
            None,
            &event
        ));
        assert!(!accepts(Some(&["pk-isp".into()]), None, &event));
    }

    #[test]
    fn event_without_group_fails_a_group_filter() {
        let mut event = sample_event();
        event.group = None;
        assert!(!accepts(Some(&["pk-gov".into()]), None, &event));
        assert!(accepts(None, None, &event));
    }

    #[test]
    fn min_severity_is_inclusive() {
        let mut event = sample_event();
        event.severity = Severity::Warning;
        assert!(accepts(None, Some(Severity::Warning), &event));
        assert!(accepts(None, Some(Severity::Info), &event));
        assert!(!accepts(None, Some(Severity::Critical), &event));
    }
}
