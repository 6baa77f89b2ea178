//! `GET /api/v1/alerts` and `/alerts/{id}`: order, fields, filters and refused filters.

use super::Api;
use crate::alert::{AlertEvent, AlertKind, Lifecycle, Severity};
use crate::store::test_events::hijack;
use axum::http::StatusCode;

/// a1 open (updated at t+10), a2 resolved (t+30), a3 open (t+20, path-hijack warning in group
/// pk-isp, a more-specific of 198.51.100.0/24).
fn three_alerts() -> Vec<AlertEvent> {
    let mut a3 = hijack("a3", "198.51.100.128/25", Lifecycle::Open, 20);
    a3.kind = AlertKind::PathHijack;
    a3.severity = Severity::Warning;
    a3.group = Some("pk-isp".into());
    vec![
        hijack("a1", "198.51.100.0/24", Lifecycle::Open, 10),
        hijack("a2", "203.0.113.0/24", Lifecycle::Resolved, 30),
        a3,
    ]
}

#[tokio::test]
async fn open_alerts_come_first_then_resolved_ones_each_newest_first() {
    let api = Api::new();
    api.record(&three_alerts());
    let reply = api.get("/api/v1/alerts").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.ids("alerts"), ["a3", "a1", "a2"]);
    let a1 = &reply.json["alerts"][1];
    assert_eq!(a1["state"], "open");
    assert_eq!(a1["event"], "open");
    assert_eq!(a1["kind"], "origin-hijack");
    assert_eq!(a1["prefix"], "198.51.100.0/24");
    assert_eq!(a1["evidence"]["sample_paths"][0][0], 3356);
    assert_eq!(a1["updated_at"], "2026-01-01T07:18:40Z");
    assert!(a1["ack"].is_null());
    assert_eq!(reply.json["alerts"][2]["state"], "resolved");
}

#[tokio::test]
async fn every_filter_narrows_the_list() {
    let api = Api::new();
    api.record(&three_alerts());
    let cases: [(&str, &[&str]); 9] = [
        ("state=open", &["a3", "a1"]),
        ("state=resolved", &["a2"]),
        ("kind=path-hijack", &["a3"]),
        ("severity=critical", &["a1", "a2"]),
        ("prefix=198.51.100.0/23", &["a3", "a1"]),
        ("prefix=198.51.100.128/25", &["a3"]),
        ("group=pk-gov", &["a1", "a2"]),
        ("limit=2", &["a3", "a1"]),
        ("state=open&group=pk-isp&limit=1", &["a3"]),
    ];
    for (query, expected) in cases {
        let reply = api.get(&format!("/api/v1/alerts?{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}");
        assert_eq!(reply.ids("alerts"), expected, "{query}");
    }
}

#[tokio::test]
async fn a_bad_filter_value_is_refused_naming_the_parameter_and_the_allowed_values() {
    let api = Api::new();
    let cases: [(&str, &str, &[&str]); 8] = [
        ("state=closed", "`state`", &["closed", "open", "resolved"]),
        (
            "kind=hijack",
            "`kind`",
            &["hijack", "origin-hijack", "route-leak"],
        ),
        (
            "severity=loud",
            "`severity`",
            &["loud", "critical", "warning"],
        ),
        (
            "prefix=10.0.0.0/33",
            "`prefix`",
            &["10.0.0.0/33", "198.51.100.0/24"],
        ),
        ("limit=0", "`limit`", &["1 to 1000"]),
        ("limit=1001", "`limit`", &["1 to 1000"]),
        ("limit=ten", "`limit`", &["ten"]),
        ("kind=", "`kind`", &["origin-hijack"]),
    ];
    for (query, parameter, detail) in cases {
        let reply = api.get(&format!("/api/v1/alerts?{query}")).await;
        reply.assert_error(StatusCode::BAD_REQUEST, parameter, detail);
    }
    let reply = api.get("/api/v1/alerts?sevrity=critical").await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid query", &["sevrity"]);
}

#[tokio::test]
async fn one_alert_by_id_or_404() {
    let api = Api::new();
    api.record(&three_alerts());
    let reply = api.get("/api/v1/alerts/a2").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["id"], "a2");
    assert_eq!(reply.json["state"], "resolved");
    assert_eq!(reply.json["resolved_at"], "2026-01-01T07:19:00Z");
    let reply = api.get("/api/v1/alerts/nope").await;
    reply.assert_error(StatusCode::NOT_FOUND, "alert not found", &["nope"]);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let api = Api::new();
    let reply = api.get("/api/v1/alarms").await;
    reply.assert_error(
        StatusCode::NOT_FOUND,
        "route not found",
        &["GET /api/v1/alarms"],
    );
    let reply = api.write("PUT", "/api/v1/alerts", Some("{}")).await;
    reply.assert_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed",
        &["PUT /api/v1/alerts"],
    );
}
