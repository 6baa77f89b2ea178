//! The alert events of the visibility lifecycle: per-prefix alerts and group incidents.

use super::{
    Incident, Open, VisibilitySettings, DEFAULT_MASS_MIN_PREFIXES, DEFAULT_MASS_SHARE,
    DEFAULT_MASS_WINDOW_SECS,
};
use crate::alert::event::{AlertEvent, Evidence, Lifecycle};
use crate::alert::{AlertKind, Severity};
use crate::state::Reading;
use crate::update::Timestamp;
use ipnet::IpNet;

pub(super) fn prefix_event(
    open: &Open,
    r: &Reading,
    lifecycle: Lifecycle,
    time: Timestamp,
    s: &VisibilitySettings,
) -> AlertEvent {
    let percent = (r.ratio() * 100.0).round();
    let what = match open.kind {
        AlertKind::Withdrawal => "withdrawn: visible",
        _ => "visibility loss: visible",
    };
    let summary = match lifecycle {
        Lifecycle::Resolved => format!(
            "resolved: {} visible again at {} of {} vantage points ({percent} %) for {} min",
            r.prefix,
            r.reach,
            r.baseline,
            s.persist.num_minutes()
        ),
        _ => format!(
            "{} {what} at {} of {} vantage points ({percent} % of its baseline)",
            r.prefix, r.reach, r.baseline
        ),
    };
    let rule = format!(
        "visibility below {:.0} % of the baseline (withdrawal at or below {:.0} %) for {} min; resolves at {:.0} % for {} min; baseline = vantage points up that reached it within {} h (at least {})",
        s.loss_below * 100.0, s.withdrawal_at * 100.0, s.persist.num_minutes(), s.recover_at * 100.0,
        s.persist.num_minutes(), s.window.num_hours(), s.min_baseline
    );
    let kind = open.kind;
    AlertEvent {
        event: lifecycle,
        id: open.id.clone(),
        kind,
        severity: kind.default_severity(),
        prefix: Some(r.prefix),
        watched_prefix: Some(r.prefix),
        source: None,
        origin: None,
        origins: Vec::new(),
        expected_origins: r.origins.to_vec(),
        offender: None,
        peers: r.reach,
        peak_peers: open.peak_baseline,
        group: r.group.as_deref().map(str::to_string),
        description: None,
        first_seen: open.first_seen,
        opened_at: open.opened_at,
        resolved_at: (lifecycle == Lifecycle::Resolved).then_some(time),
        withdrawn_at: None,
        time,
        summary,
        evidence: Evidence {
            sample_paths: Vec::new(),
            vantage_points: Vec::new(),
            rpki: "not-checked",
            rule,
            min_peers: 0,
            resolve_after_seconds: s.persist.num_seconds().max(0) as u64,
        },
        visibility: Some((r.ratio() * 1000.0).round() / 1000.0),
        baseline: Some(r.baseline),
        prefixes: None,
        incident: open.incident.clone(),
    }
}

pub(super) fn incident_event(
    group: &str,
    incident: &Incident,
    members: &[IpNet],
    size: usize,
    lifecycle: Lifecycle,
    time: Timestamp,
) -> AlertEvent {
    let affected = if lifecycle == Lifecycle::Resolved {
        0
    } else {
        members.len()
    };
    let summary = match lifecycle {
        Lifecycle::Resolved => format!("resolved: group {group} regained visibility (peak {} of {size} prefixes affected)", incident.peak),
        _ => format!("mass withdrawal: {affected} of {size} prefixes of group {group} lost visibility together"),
    };
    AlertEvent {
        event: lifecycle,
        id: incident.id.clone(),
        kind: AlertKind::MassWithdrawal,
        severity: Severity::Critical,
        prefix: None,
        watched_prefix: None,
        source: None,
        origin: None,
        origins: Vec::new(),
        expected_origins: Vec::new(),
        offender: None,
        peers: affected,
        peak_peers: incident.peak,
        group: Some(group.to_string()),
        description: None,
        first_seen: incident.first_seen,
        opened_at: incident.opened_at,
        resolved_at: (lifecycle == Lifecycle::Resolved).then_some(time),
        withdrawn_at: None,
        time,
        summary,
        evidence: Evidence {
            sample_paths: Vec::new(),
            vantage_points: Vec::new(),
            rpki: "not-checked",
            rule: format!("at least {DEFAULT_MASS_MIN_PREFIXES} prefixes and {:.0} % of the group opened visibility alerts within {} min", DEFAULT_MASS_SHARE * 100.0, DEFAULT_MASS_WINDOW_SECS / 60),
            min_peers: 0,
            resolve_after_seconds: 0,
        },
        visibility: None,
        baseline: None,
        prefixes: Some(members.to_vec()),
        incident: None,
    }
}
