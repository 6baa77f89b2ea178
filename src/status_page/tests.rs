use super::*;
use crate::alert::{AlertKind, Evidence, SamplePath, Severity};
use crate::update::PathHop;
use chrono::{TimeZone, Utc};
use std::path::Path;

const HOSTILE: &str = r#"<script>alert("x")</script> & 'co'"#;

fn watchlist() -> Arc<Watchlist> {
    let text = format!(
        "groups:\n  gov: {{ severity: critical }}\nprefixes:\n  198.51.100.0/24:\n    description: '{}'\n    origins: [64500]\n    group: gov\n  203.0.113.0/24:\n    origins: [64500]\n",
        HOSTILE.replace('\'', "''")
    );
    Arc::new(Watchlist::from_texts([(Path::new("w.yaml"), text.as_str())]).unwrap())
}

fn page() -> StatusPage {
    StatusPage::new(watchlist(), &VisibilitySettings::default())
}

fn t(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(1_767_225_600 + seconds, 0).unwrap()
}

fn reading(prefix: &str, reach: usize, baseline: usize) -> Reading {
    Reading {
        prefix: prefix.parse().unwrap(),
        group: None,
        origins: Arc::from([64500]),
        reach,
        baseline,
        changed_at: None,
    }
}

fn event(id: &str, lifecycle: Lifecycle, summary: &str) -> AlertEvent {
    AlertEvent {
        event: lifecycle,
        id: id.into(),
        kind: AlertKind::OriginHijack,
        severity: Severity::Critical,
        prefix: Some("198.51.100.0/24".parse().unwrap()),
        watched_prefix: Some("198.51.100.0/24".parse().unwrap()),
        source: None,
        origin: Some(64666),
        origins: vec![64666],
        expected_origins: vec![64500],
        offender: Some(64666),
        peers: 2,
        peak_peers: 2,
        group: Some("gov".into()),
        description: Some(HOSTILE.into()),
        first_seen: t(0),
        opened_at: t(12),
        resolved_at: (lifecycle == Lifecycle::Resolved).then(|| t(400)),
        withdrawn_at: None,
        time: t(12),
        summary: summary.into(),
        evidence: Evidence {
            sample_paths: vec![SamplePath(vec![
                PathHop::Asn(3356),
                PathHop::Set(Box::new([64666, 64667])),
            ])],
            vantage_points: vec!["rrc00 198.18.0.1 AS3356 <b>".into()],
            rpki: "not-checked",
            rule: "origin AS64666 is not <expected>".into(),
            min_peers: 2,
            resolve_after_seconds: 300,
        },
        visibility: None,
        baseline: None,
        prefixes: None,
        incident: None,
    }
}

fn feeds() -> BTreeMap<String, FeedState> {
    let state = FeedState {
        kind: "ris-live",
        sessions: 0,
        last_data: Some(t(0)),
        since: t(0),
        last_error: Some("<img src=x onerror=alert(1)>".into()),
        stall_after_seconds: 300,
        finished: false,
        silence_is_stall: true,
        registered: t(0),
    };
    BTreeMap::from([("ris-live".to_string(), state)])
}

#[test]
fn every_string_from_data_is_escaped() {
    let page = page();
    page.alert(&event(
        "a1",
        Lifecycle::Open,
        "AS path 3356 64666 <i>hijack</i>",
    ));
    page.visibility(&[reading("198.51.100.0/24", 3, 6)], t(20));
    let html = page.render(&feeds(), t(30));
    for raw in ["<script", "<img", "<i>", "<b>", "<expected>", "'co'"] {
        assert!(!html.contains(raw), "{raw} left unescaped");
    }
    for escaped in [
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;i&gt;hijack&lt;/i&gt;",
        "3356 {64666,64667}",
    ] {
        assert!(html.contains(escaped), "{escaped} missing");
    }
}

#[test]
fn an_open_alert_shows_its_evidence_and_moves_to_resolved_when_it_ends() {
    let page = page();
    page.alert(&event("a1", Lifecycle::Open, "first summary"));
    page.alert(&event("a1", Lifecycle::Update, "updated summary"));
    let html = page.render(&feeds(), t(30));
    assert!(html.contains("Open alerts (1)"));
    assert!(html.contains("updated summary") && !html.contains("first summary"));
    assert!(html.contains("rrc00 198.18.0.1 AS3356"), "vantage points");
    assert!(html.contains("origin AS64666 is not"), "rule");

    page.alert(&event("a1", Lifecycle::Resolved, "resolved summary"));
    let html = page.render(&feeds(), t(500));
    assert!(html.contains("Open alerts (0)"));
    assert!(html.contains("Recently resolved") && html.contains("resolved summary"));
}

#[test]
fn resolved_alerts_kept_are_bounded() {
    let page = page();
    for i in 0..3 * RESOLVED_KEPT {
        page.alert(&event(&i.to_string(), Lifecycle::Resolved, "gone"));
    }
    assert_eq!(page.snapshot().resolved.len(), RESOLVED_KEPT);
}

#[test]
fn history_keeps_one_sample_per_interval_and_at_most_an_hour() {
    let page = page();
    for i in 0..1000 {
        let readings = [
            reading("198.51.100.0/24", 5, 6),
            reading("203.0.113.0/24", 6, 6),
        ];
        page.visibility(&readings, t(i * SAMPLE_EVERY_SECS));
        // Ticks in between (every second) add nothing.
        page.visibility(&readings, t(i * SAMPLE_EVERY_SECS + 1));
    }
    let board = page.board.read().unwrap();
    assert_eq!(board.times.len(), HISTORY_SAMPLES);
    assert!(board
        .tracks
        .values()
        .all(|t| t.samples.len() == HISTORY_SAMPLES));
}

#[test]
fn the_least_visible_prefixes_are_charted_first_and_a_lost_baseline_leaves_a_gap() {
    let page = page();
    page.visibility(
        &[
            reading("198.51.100.0/24", 6, 6),
            reading("203.0.113.0/24", 1, 6),
        ],
        t(0),
    );
    page.visibility(
        &[
            reading("198.51.100.0/24", 0, 0),
            reading("203.0.113.0/24", 2, 6),
        ],
        t(10),
    );
    page.visibility(
        &[
            reading("198.51.100.0/24", 3, 6),
            reading("203.0.113.0/24", 2, 6),
        ],
        t(20),
    );
    let snapshot = page.snapshot();
    let charted: Vec<String> = snapshot
        .charts
        .iter()
        .map(|c| c.prefix.to_string())
        .collect();
    assert_eq!(charted, ["203.0.113.0/24", "198.51.100.0/24"]);
    assert_eq!(snapshot.below_recover, 2);
    assert_eq!(snapshot.charts[1].samples, [250, NO_DATA, 125]);
    let html = page.render(&BTreeMap::new(), t(25));
    assert_eq!(html.matches("<svg").count(), 2);
    assert_eq!(
        html.matches("<circle").count(),
        2,
        "198.51.100.0/24: a dot on each side of the gap"
    );
    assert_eq!(
        html.matches("<polyline").count(),
        1,
        "203.0.113.0/24: one line"
    );
}

#[test]
fn an_empty_page_says_so() {
    let html = page().render(&BTreeMap::new(), t(0));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("No source configured."));
    assert!(html.contains("No open alert."));
    assert!(html.contains("No watched prefix has a baseline yet"));
    assert!(!html.contains("<script"), "no script at all");
}

#[test]
fn a_storm_of_alerts_shows_the_first_hundred_and_counts_the_rest() {
    let page = page();
    for i in 0..ALERTS_SHOWN + 50 {
        page.alert(&event(&format!("a{i}"), Lifecycle::Open, "storm"));
    }
    assert_eq!(page.snapshot().alerts.len(), ALERTS_SHOWN);
    let html = page.render(&feeds(), t(30));
    assert!(html.contains(&format!("Open alerts ({})", ALERTS_SHOWN + 50)));
    assert!(html.contains("… and 50 more"));
}
