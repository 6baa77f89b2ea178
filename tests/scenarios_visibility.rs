//! Visibility scenarios through the real CLI with golden output: a watched prefix vanishing from
//! its vantage points (withdrawal after 2 min), a partial loss escalating, recovery with
//! hysteresis, and twelve prefixes of a group going together (one mass-withdrawal incident).

#[path = "support/scenario.rs"]
mod scenario;
mod support;

use scenario::{announce, run, withdraw, Vp};
use serde_json::{json, Value};

const WATCHLIST: &str = "fixtures/scenarios/visibility.yaml";
const VPS: [Vp; 6] = [
    Vp("rrc00", "198.18.0.1", 3356),
    Vp("rrc01", "198.18.0.2", 1299),
    Vp("rrc03", "198.18.0.3", 174),
    Vp("rrc04", "198.18.0.4", 6939),
    Vp("rrc05", "198.18.0.5", 2914),
    Vp("rrc06", "198.18.0.6", 6453),
];

fn everyone_announces(prefixes: &[String], t: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for vp in VPS {
        for p in prefixes {
            lines.push(announce(vp, t, p, json!([vp.2, 64500])));
        }
    }
    lines
}

fn count(events: &[Value], event: &str, kind: &str) -> usize {
    events
        .iter()
        .filter(|e| e["event"] == event && e["kind"] == kind)
        .count()
}

#[test]
fn a_group_vanishing_together_is_one_incident_and_every_prefix_resolves_when_back() {
    let group: Vec<String> = (0..12).map(|i| format!("10.{i}.0.0/16")).collect();
    let mut lines = everyone_announces(&group, 0.0);
    lines.extend(everyone_announces(&["10.100.0.0/16".to_string()], 0.0));
    // Warm-up (5 min) passes; then the twelve vanish everywhere at 400 s.
    for vp in VPS {
        for p in &group {
            lines.push(withdraw(vp, 400.0, p));
        }
    }
    lines.push(announce(
        VPS[0],
        600.0,
        "10.100.0.0/16",
        json!([3356, 64500]),
    ));
    // Back at 700 s; judged again until 900 s.
    lines.extend(everyone_announces(&group, 700.0));
    lines.push(announce(
        VPS[0],
        900.0,
        "10.100.0.0/16",
        json!([3356, 64500]),
    ));
    let events = run(
        "visibility_mass_withdrawal",
        &lines,
        &["--watchlist", WATCHLIST],
    );
    assert_eq!(count(&events, "open", "withdrawal"), 12);
    assert_eq!(count(&events, "resolved", "withdrawal"), 12);
    assert_eq!(count(&events, "open", "mass-withdrawal"), 1);
    assert_eq!(count(&events, "resolved", "mass-withdrawal"), 1);
    let opened = events.iter().find(|e| e["kind"] == "withdrawal").unwrap();
    assert_eq!(
        opened["opened_at"], "2026-01-01T07:08:40Z",
        "2 min after the withdrawals"
    );
    assert_eq!(opened["baseline"], 6);
    assert_eq!(opened["peers"], 0);
    let incident = events
        .iter()
        .find(|e| e["kind"] == "mass-withdrawal")
        .unwrap();
    assert_eq!(incident["prefixes"].as_array().unwrap().len(), 12);
    assert!(
        !events.iter().any(|e| e["prefix"] == "10.100.0.0/16"),
        "the prefix that stayed up raises nothing"
    );
}

#[test]
fn a_partial_loss_escalates_to_withdrawal_and_hysteresis_holds_resolution() {
    let p = "10.0.0.0/16".to_string();
    let mut lines = everyone_announces(std::slice::from_ref(&p), 0.0);
    // 2 of 6 remain (a loss), then 0 of 6 (a withdrawal): one alert, escalated.
    for vp in &VPS[..4] {
        lines.push(withdraw(*vp, 400.0, &p));
    }
    for vp in &VPS[4..] {
        lines.push(withdraw(*vp, 600.0, &p));
    }
    // 4 of 6 back (0.67 < 0.8: still open), then all 6.
    for vp in &VPS[..4] {
        lines.push(announce(*vp, 800.0, &p, json!([vp.2, 64500])));
    }
    for vp in &VPS[4..] {
        lines.push(announce(*vp, 1100.0, &p, json!([vp.2, 64500])));
    }
    lines.push(announce(
        VPS[0],
        1400.0,
        "10.100.0.0/16",
        json!([3356, 64500]),
    ));
    let events = run("visibility_escalation", &lines, &["--watchlist", WATCHLIST]);
    let kinds: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["prefix"] == "10.0.0.0/16")
        .map(|e| {
            (
                e["event"].as_str().unwrap().into(),
                e["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("open".to_string(), "visibility-loss".to_string()),
            ("update".to_string(), "withdrawal".to_string()),
            ("resolved".to_string(), "withdrawal".to_string())
        ]
    );
    let resolved = events.iter().find(|e| e["event"] == "resolved").unwrap();
    assert_eq!(
        resolved["resolved_at"], "2026-01-01T07:20:20Z",
        "2 min after all six were back at 1100 s, not at 800 s"
    );
}
