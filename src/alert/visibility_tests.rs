//! The visibility lifecycle on synthetic readings.

use super::*;
use crate::alert::Severity;
use chrono::TimeZone;

const T0: i64 = 1_767_250_800;

fn at(seconds: i64) -> Timestamp {
    chrono::Utc.timestamp_opt(T0 + seconds, 0).unwrap()
}

fn reading(prefix: &str, group: &str, reach: usize, baseline: usize) -> Reading {
    Reading {
        prefix: prefix.parse().unwrap(),
        group: Some(Arc::from(group)),
        origins: vec![64500].into(),
        reach,
        baseline,
        changed_at: None,
    }
}

fn no_warmup() -> VisibilityAlerts {
    VisibilityAlerts::new(VisibilitySettings {
        warmup: Duration::zero(),
        ..VisibilitySettings::default()
    })
}

/// Evaluates one prefix's reach every 10 s over `[from, to)`.
fn run(v: &mut VisibilityAlerts, reach: usize, from: i64, to: i64) -> Vec<AlertEvent> {
    let mut out = Vec::new();
    let sizes = HashMap::from([(Arc::from("g"), 1)]);
    for t in (from..to).step_by(10) {
        v.evaluate(
            &[reading("198.51.100.0/24", "g", reach, 20)],
            &sizes,
            at(t),
            &mut out,
        );
    }
    out
}

fn kinds(events: &[AlertEvent]) -> Vec<(Lifecycle, AlertKind)> {
    events.iter().map(|e| (e.event, e.kind)).collect()
}

#[test]
fn a_loss_opens_after_two_minutes_escalates_to_withdrawal_and_resolves_with_hysteresis() {
    let mut v = no_warmup();
    assert!(run(&mut v, 20, 0, 60).is_empty());
    let loss = run(&mut v, 8, 60, 200);
    assert_eq!(kinds(&loss), [(Lifecycle::Open, AlertKind::VisibilityLoss)]);
    assert_eq!(loss[0].opened_at, at(180), "2 min after the drop at 60 s");
    assert_eq!(loss[0].first_seen, at(60));
    assert_eq!(loss[0].severity, Severity::Warning);
    let gone = run(&mut v, 1, 200, 400);
    assert_eq!(
        kinds(&gone),
        [(Lifecycle::Update, AlertKind::Withdrawal)],
        "one alert, escalated"
    );
    assert_eq!(gone[0].id, loss[0].id);
    assert_eq!(gone[0].severity, Severity::Critical);
    assert!(
        run(&mut v, 14, 400, 700).is_empty(),
        "0.7 of the baseline does not resolve (hysteresis)"
    );
    let back = run(&mut v, 17, 700, 900);
    assert_eq!(kinds(&back), [(Lifecycle::Resolved, AlertKind::Withdrawal)]);
    assert_eq!(back[0].resolved_at, Some(at(820)));
}

#[test]
fn a_dip_shorter_than_two_minutes_raises_nothing() {
    let mut v = no_warmup();
    run(&mut v, 20, 0, 60);
    assert!(run(&mut v, 0, 60, 170).is_empty());
    assert!(run(&mut v, 20, 170, 600).is_empty());
}

#[test]
fn nothing_fires_during_warm_up_or_below_the_minimum_baseline() {
    let mut v = VisibilityAlerts::new(VisibilitySettings::default());
    assert!(run(&mut v, 0, 0, 290).is_empty(), "warm-up is 5 min");
    let mut v = no_warmup();
    let mut out = Vec::new();
    for t in (0..600).step_by(10) {
        v.evaluate(
            &[reading("198.51.100.0/24", "g", 0, 4)],
            &HashMap::new(),
            at(t),
            &mut out,
        );
    }
    assert!(out.is_empty(), "a baseline of 4 is too few to judge");
}

#[test]
fn many_prefixes_of_a_group_going_together_are_one_mass_withdrawal_incident() {
    let mut v = no_warmup();
    let sizes = HashMap::from([(Arc::from("pk"), 100)]);
    let prefixes: Vec<String> = (0..100).map(|i| format!("10.0.{i}.0/24")).collect();
    let readings = |gone: usize| -> Vec<Reading> {
        prefixes
            .iter()
            .enumerate()
            .map(|(i, p)| reading(p, "pk", if i < gone { 0 } else { 20 }, 20))
            .collect()
    };
    let mut out = Vec::new();
    for t in (0..60).step_by(10) {
        v.evaluate(&readings(0), &sizes, at(t), &mut out);
    }
    for t in (60..300).step_by(10) {
        v.evaluate(&readings(12), &sizes, at(t), &mut out);
    }
    let incident: Vec<&AlertEvent> = out
        .iter()
        .filter(|e| e.kind == AlertKind::MassWithdrawal)
        .collect();
    assert_eq!(incident.len(), 1, "one incident");
    assert_eq!(incident[0].event, Lifecycle::Open);
    assert_eq!(incident[0].prefixes.as_ref().map(Vec::len), Some(12));
    assert_eq!(
        out.iter()
            .filter(|e| e.kind == AlertKind::Withdrawal && e.event == Lifecycle::Open)
            .count(),
        12
    );
    let id = incident[0].id.clone();
    out.clear();
    for t in (300..600).step_by(10) {
        v.evaluate(&readings(0), &sizes, at(t), &mut out);
    }
    assert!(out
        .iter()
        .filter(|e| e.kind == AlertKind::Withdrawal)
        .all(|e| e.event == Lifecycle::Resolved && e.incident.as_deref() == Some(id.as_str())));
    let end = out
        .iter()
        .find(|e| e.kind == AlertKind::MassWithdrawal)
        .expect("incident resolved");
    assert_eq!(end.event, Lifecycle::Resolved);
}

#[test]
fn fewer_than_ten_prefixes_are_no_incident() {
    let mut v = no_warmup();
    let sizes = HashMap::from([(Arc::from("pk"), 20)]);
    let mut out = Vec::new();
    for t in (0..400).step_by(10) {
        let readings: Vec<Reading> = (0..20)
            .map(|i| {
                reading(
                    &format!("10.0.{i}.0/24"),
                    "pk",
                    if i < 9 && t >= 60 { 0 } else { 20 },
                    20,
                )
            })
            .collect();
        v.evaluate(&readings, &sizes, at(t), &mut out);
    }
    assert_eq!(
        out.iter()
            .filter(|e| e.kind == AlertKind::Withdrawal)
            .count(),
        9
    );
    assert!(!out.iter().any(|e| e.kind == AlertKind::MassWithdrawal));
}
