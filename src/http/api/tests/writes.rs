//! Acks, silences and maintenance windows: created, listed, ended; bodies refused with reasons.

use super::Api;
use crate::alert::Lifecycle;
use crate::store::test_events::hijack;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use std::time::Duration;

const SILENCE: &str = r#"{"matchers": {"prefix": "198.51.100.0/24", "offender": 64666},
    "duration": "2h", "created_by": "alice", "comment": "known lab announcement"}"#;

fn time(value: &serde_json::Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn an_ack_is_stored_returned_and_rings_the_outbox() {
    let api = Api::new();
    api.record(&[hijack("a1", "198.51.100.0/24", Lifecycle::Open, 10)]);
    let body = r#"{"by": "alice", "comment": "calling AS64666"}"#;
    let reply = api.write("POST", "/api/v1/alerts/a1/ack", Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.json);
    assert_eq!(reply.json["id"], "a1");
    assert_eq!(reply.json["ack"]["by"], "alice");
    assert_eq!(reply.json["ack"]["comment"], "calling AS64666");
    let rung = tokio::time::timeout(Duration::from_secs(5), api.state.outbox_wake.notified());
    assert!(rung.await.is_ok(), "the outbox was not woken");
    let listed = api.get("/api/v1/alerts").await;
    assert_eq!(listed.json["alerts"][0]["ack"]["by"], "alice");

    let reply = api
        .write("POST", "/api/v1/alerts/nope/ack", Some(body))
        .await;
    reply.assert_error(StatusCode::NOT_FOUND, "alert not found", &["nope"]);
}

#[tokio::test]
async fn an_ack_body_is_checked_with_the_reason_given() {
    let api = Api::new();
    api.record(&[hijack("a1", "198.51.100.0/24", Lifecycle::Open, 10)]);
    let long_name = format!(r#"{{"by": "{}"}}"#, "x".repeat(201));
    let long_comment = format!(r#"{{"by": "bob", "comment": "{}"}}"#, "x".repeat(2001));
    let cases: [(&str, &str, &str); 7] = [
        (r#"{"by": ""}"#, "`by`", "empty"),
        (r#"{"by": "  "}"#, "`by`", "empty"),
        (&long_name, "`by`", "201 characters"),
        (&long_comment, "`comment`", "2001 characters"),
        (
            r#"{"comment": "x"}"#,
            "invalid JSON body",
            "missing field `by`",
        ),
        (r#"{"by": 5}"#, "invalid JSON body", "invalid type"),
        (
            r#"{"by": "bob", "byy": 1}"#,
            "invalid JSON body",
            "unknown field `byy`",
        ),
    ];
    for (body, error, detail) in cases {
        let reply = api.write("POST", "/api/v1/alerts/a1/ack", Some(body)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, error, &[detail]);
    }
    let reply = api
        .write("POST", "/api/v1/alerts/a1/ack", Some("{\"by\":"))
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid JSON body", &["EOF"]);
    assert!(api.get("/api/v1/alerts/a1").await.json["ack"].is_null());
}

#[tokio::test]
async fn a_silence_is_created_listed_and_expired() {
    let api = Api::new();
    let reply = api.write("POST", "/api/v1/silences", Some(SILENCE)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:#}", reply.json);
    let id = reply.json["id"].as_i64().unwrap();
    assert_eq!(reply.json["matchers"]["prefix"], "198.51.100.0/24");
    assert_eq!(reply.json["matchers"]["offender"], 64666);
    assert!(reply.json["matchers"]["kind"].is_null());
    let window = time(&reply.json["ends"]) - time(&reply.json["starts"]);
    assert_eq!(window, chrono::TimeDelta::hours(2));
    assert_eq!(
        api.get("/api/v1/silences").await.ids("silences"),
        [id.to_string()]
    );

    let reply = api
        .write("DELETE", &format!("/api/v1/silences/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.json);
    assert!(reply.json["expired_at"].is_string());
    assert!(api.get("/api/v1/silences").await.ids("silences").is_empty());

    let reply = api.write("DELETE", "/api/v1/silences/999", None).await;
    reply.assert_error(StatusCode::NOT_FOUND, "silence not found", &["999"]);
    let reply = api.write("DELETE", "/api/v1/silences/abc", None).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid path", &[]);
}

#[tokio::test]
async fn a_silence_needs_a_matcher_and_a_sane_window() {
    let api = Api::new();
    let body = |matchers: &str, window: &str| {
        format!(r#"{{"matchers": {matchers}, {window}, "created_by": "a", "comment": "c"}}"#)
    };
    let kind = r#"{"kind": "squat"}"#;
    let cases = [
        (
            body("{}", r#""duration": 60"#),
            "`matchers`",
            "at least one",
        ),
        (
            body(r#"{"kind": "hijack"}"#, r#""duration": 60"#),
            "invalid JSON body",
            "unknown variant `hijack`",
        ),
        (
            body(r#"{"asn": 1}"#, r#""duration": 60"#),
            "invalid JSON body",
            "unknown field `asn`",
        ),
        (
            body(kind, r#""duration": "31d""#),
            "`ends`",
            "longer than 30 days",
        ),
        (
            body(kind, r#""duration": "soon""#),
            "`duration`",
            "not a duration",
        ),
        (
            body(
                kind,
                r#""starts": "2030-01-02T00:00:00Z", "ends": "2030-01-01T00:00:00Z""#,
            ),
            "`ends`",
            "end after it starts",
        ),
        (
            body(
                kind,
                r#""starts": "2000-01-01T00:00:00Z", "ends": "2001-01-01T00:00:00Z""#,
            ),
            "`ends`",
            "ended already",
        ),
        (
            body(kind, r#""ends": "tomorrow""#),
            "invalid JSON body",
            "ends",
        ),
        (
            body(kind, r#""ends": "2099-01-01T00:00:00Z", "duration": 60"#),
            "`ends`",
            "not both",
        ),
    ];
    for (body, error, detail) in &cases {
        let reply = api.write("POST", "/api/v1/silences", Some(body)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, error, &[detail]);
    }
    let no_comment =
        r#"{"matchers": {"group": "pk-gov"}, "duration": 60, "created_by": "a", "comment": ""}"#;
    let reply = api
        .write("POST", "/api/v1/silences", Some(no_comment))
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "`comment`", &["empty"]);
    assert!(api.get("/api/v1/silences").await.ids("silences").is_empty());
}

#[tokio::test]
async fn a_maintenance_window_is_declared_and_listed() {
    let api = Api::new();
    let body = r#"{"prefix": "198.51.100.0/24", "new_origin": 64501, "duration": "1h",
        "comment": "CHG-1234 move to the new AS"}"#;
    let reply = api.write("POST", "/api/v1/maintenance", Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:#}", reply.json);
    assert_eq!(reply.json["new_origin"], 64501);
    let id = reply.json["id"].to_string();
    let listed = api.get("/api/v1/maintenance").await;
    assert_eq!(listed.ids("maintenance"), [id]);
    assert_eq!(listed.json["maintenance"][0]["prefix"], "198.51.100.0/24");

    let cases = [
        (
            r#"{"prefix": "198.51.100.0/33", "new_origin": 1, "duration": 60, "comment": "c"}"#,
            "invalid JSON body",
            "prefix",
        ),
        (
            r#"{"prefix": "198.51.100.0/24", "duration": 60, "comment": "c"}"#,
            "invalid JSON body",
            "missing field `new_origin`",
        ),
        (
            r#"{"prefix": "198.51.100.0/24", "new_origin": -1, "duration": 60, "comment": "c"}"#,
            "invalid JSON body",
            "new_origin",
        ),
        (
            r#"{"prefix": "198.51.100.0/24", "new_origin": 1, "comment": "c"}"#,
            "`ends`",
            "duration",
        ),
    ];
    for (body, error, detail) in cases {
        let reply = api.write("POST", "/api/v1/maintenance", Some(body)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, error, &[detail]);
    }
}
