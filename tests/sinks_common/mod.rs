//! Shared by the sink tests: alert events, and a local HTTP receiver that records every request
//! and answers as the test says (status, headers, body, delay).
#![allow(dead_code)]

pub mod alertmanager;
pub mod rfc5424;
pub mod stand_ins;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bgpwatch::alert::{AlertEvent, AlertKind, Evidence, Lifecycle, SamplePath, Severity};
use bgpwatch::update::{PathHop, Timestamp};
use chrono::TimeDelta;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An `open` origin hijack of `prefix` by AS64666 (expected AS64500), opened at `at`.
pub fn open_event(id: &str, prefix: &str, at: Timestamp) -> AlertEvent {
    AlertEvent {
        event: Lifecycle::Open,
        id: id.into(),
        kind: AlertKind::OriginHijack,
        severity: Severity::Critical,
        prefix: Some(prefix.parse().unwrap()),
        watched_prefix: Some(prefix.parse().unwrap()),
        source: None,
        origin: Some(64666),
        origins: vec![64666],
        expected_origins: vec![64500],
        offender: Some(64666),
        peers: 9,
        peak_peers: 9,
        group: Some("pk-gov".into()),
        description: Some("Government network".into()),
        first_seen: at - TimeDelta::seconds(12),
        opened_at: at,
        resolved_at: None,
        withdrawn_at: None,
        time: at,
        summary: format!(
            "{prefix} announced by AS64666 instead of AS64500, seen by 9 vantage points"
        ),
        evidence: Evidence {
            sample_paths: vec![SamplePath(vec![PathHop::Asn(3356), PathHop::Asn(64666)])],
            vantage_points: vec!["rrc00 192.0.2.1 AS3356".into()],
            rpki: "invalid",
            rule: "origin not in [64500]".into(),
            min_peers: 3,
            resolve_after_seconds: 900,
        },
        visibility: None,
        baseline: None,
        prefixes: None,
        incident: None,
    }
}

/// `event` moved to `update` with another severity, at `at`.
pub fn updated(event: &AlertEvent, severity: Severity, at: Timestamp) -> AlertEvent {
    let mut update = event.clone();
    update.event = Lifecycle::Update;
    update.severity = severity;
    update.time = at;
    update
}

/// `event` resolved at `at`.
pub fn resolved(event: &AlertEvent, at: Timestamp) -> AlertEvent {
    let mut end = event.clone();
    end.event = Lifecycle::Resolved;
    end.peers = 0;
    end.resolved_at = Some(at);
    end.withdrawn_at = Some(at);
    end.time = at;
    end
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method and path, `POST /v2/enqueue`.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl Request {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Extra response headers.
    pub headers: Vec<(&'static str, String)>,
    /// Response body.
    pub body: String,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Answer {
    /// `status` with `body`, at once.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
}

type Reply = dyn Fn(usize, &Request) -> Answer + Send + Sync;

struct Shared {
    requests: Mutex<Vec<Request>>,
    reply: Box<Reply>,
}

/// A local HTTP/1.1 server on a free loopback port.
pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver; `reply(n, request)` answers the n-th request (0-based).
    pub async fn start(reply: impl Fn(usize, &Request) -> Answer + Send + Sync + 'static) -> Self {
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            reply: Box::new(reply),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            base,
            shared,
            server,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Request> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} requests after {within:?}, expected {n}: {requests:?}",
                requests.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request {
        path: format!("{method} {}", uri.path()),
        headers,
        body,
    };
    let answer = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(request.clone());
        (shared.reply)(requests.len() - 1, &request)
    };
    tokio::time::sleep(answer.delay).await;
    let mut response = (StatusCode::from_u16(answer.status).unwrap(), answer.body).into_response();
    for (name, value) in answer.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}
