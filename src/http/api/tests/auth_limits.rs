//! Who may write (401, 403) and how much (413, 415, 429).

use super::{Api, TOKEN};
use crate::http::limits::{Rate, MAX_BODY_BYTES};
use crate::http::ApiLimits;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

/// Every write route, with a body it would accept.
const WRITES: [(&str, &str, Option<&str>); 4] = [
    ("POST", "/api/v1/alerts/a1/ack", Some(r#"{"by": "alice"}"#)),
    (
        "POST",
        "/api/v1/silences",
        Some(
            r#"{"matchers": {"kind": "squat"}, "duration": 60, "created_by": "a", "comment": "c"}"#,
        ),
    ),
    ("DELETE", "/api/v1/silences/1", None),
    (
        "POST",
        "/api/v1/maintenance",
        Some(r#"{"prefix": "192.0.2.0/24", "new_origin": 1, "duration": 60, "comment": "c"}"#),
    ),
];

/// Practically no refill during a test.
const ALMOST_NEVER: f64 = 1e-6;

#[tokio::test]
async fn every_write_needs_the_bearer_token() {
    let api = Api::new();
    let wrong = "test-token-5e1f0c2a9c";
    for (method, uri, body) in WRITES {
        let reply = api.send(method, uri, None, body).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized", &["Bearer"]);
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
        let reply = api.send(method, uri, Some(wrong), body).await;
        reply.assert_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &["not the configured"],
        );
        let reply = api.send(method, uri, Some(&TOKEN[1..]), body).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        let reply = api.send(method, uri, Some(TOKEN), body).await;
        assert!(
            reply.status != StatusCode::UNAUTHORIZED && reply.status != StatusCode::FORBIDDEN,
            "{method} {uri}: {:#}",
            reply.json
        );
    }
    assert_eq!(
        api.get("/api/v1/maintenance")
            .await
            .ids("maintenance")
            .len(),
        1
    );
}

#[tokio::test]
async fn without_a_configured_token_every_write_is_forbidden_and_reads_work() {
    let api = Api::with(None, ApiLimits::default());
    for (method, uri, body) in WRITES {
        let reply = api.send(method, uri, Some(TOKEN), body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {uri}");
        assert_eq!(
            reply.json,
            serde_json::json!({"error": "writes disabled",
                "detail": "set [http] token or token_file in the config"})
        );
    }
    assert_eq!(api.get("/api/v1/alerts").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let api = Api::new();
    let padding = "x".repeat(MAX_BODY_BYTES);
    let body = format!(r#"{{"by": "alice", "comment": "{padding}"}}"#);
    let reply = api
        .write("POST", "/api/v1/alerts/a1/ack", Some(&body))
        .await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too large", &["65536"]);
}

#[tokio::test]
async fn a_body_not_declared_as_json_is_refused_with_415() {
    let api = Api::new();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = Request::post("/api/v1/alerts/a1/ack")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        if let Some(value) = content_type {
            request = request.header(header::CONTENT_TYPE, value);
        }
        let reply = api
            .raw(request.body(Body::from(r#"{"by": "a"}"#)).unwrap())
            .await;
        reply.assert_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type",
            &["application/json"],
        );
    }
}

#[tokio::test]
async fn writes_beyond_the_burst_get_429_with_retry_after() {
    let limits = ApiLimits {
        write: Rate {
            per_second: ALMOST_NEVER,
            burst: 2.0,
        },
        ..ApiLimits::default()
    };
    let api = Api::with(Some(TOKEN), limits);
    for _ in 0..2 {
        let reply = api.write("DELETE", "/api/v1/silences/1", None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    let reply = api.write("DELETE", "/api/v1/silences/1", None).await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate limited", &["write"]);
    let retry: u64 = reply.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1, "{retry}");
    let unauthenticated = api.send("DELETE", "/api/v1/silences/1", None, None).await;
    assert_eq!(
        unauthenticated.status,
        StatusCode::TOO_MANY_REQUESTS,
        "guessing is limited too"
    );
    assert_eq!(
        api.get("/api/v1/silences").await.status,
        StatusCode::OK,
        "reads have their own bucket"
    );
}

#[tokio::test]
async fn reads_beyond_the_burst_get_429() {
    let limits = ApiLimits {
        read: Rate {
            per_second: ALMOST_NEVER,
            burst: 3.0,
        },
        ..ApiLimits::default()
    };
    let api = Api::with(Some(TOKEN), limits);
    for _ in 0..3 {
        assert_eq!(api.get("/api/v1/alerts").await.status, StatusCode::OK);
    }
    let reply = api.get("/api/v1/alerts").await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate limited", &["read"]);
    assert!(reply.headers.contains_key(header::RETRY_AFTER));
}
