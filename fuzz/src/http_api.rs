//! One HTTP request through the whole router (`/metrics`, `/healthz`, `/`, `/api/v1/...`) in
//! process, as `tower::ServiceExt::oneshot` on a current-thread runtime: no panic, and no 5xx
//! (a malformed request is the client's fault: 4xx).
//!
//! The input is the request as text: `METHOD TARGET` on the first line, `Name: value` header
//! lines, an empty line, the body. What hyper would refuse before routing (a bad method, target
//! or header) is skipped. The server's API token is [`TOKEN`], so writes get past the check
//! when the input carries it; rate limits are out of the way (they would only answer 429).

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use axum::Router;
use bgpwatch::alert::VisibilitySettings;
use bgpwatch::http::limits::Rate;
use bgpwatch::http::{router, ApiLimits, ApiState, HttpState};
use bgpwatch::sink::Secret;
use bgpwatch::status_page::StatusPage;
use bgpwatch::store::{SharedStore, Store};
use bgpwatch::telemetry::{FeedHealth, Telemetry};
use bgpwatch::watchlist::Watchlist;
use std::sync::Arc;
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// The API token of the fuzzed server (seeds send it as `Authorization: Bearer ...`).
pub const TOKEN: &str = "fuzz-token-0123456789abcdef";

/// A server on an in-memory store, built once per process (state carries over between inputs,
/// as in a running service).
struct Server {
    runtime: Runtime,
    app: Router,
}

impl Server {
    fn new() -> Server {
        let unlimited = Rate {
            per_second: 1e12,
            burst: 1e12,
        };
        let state = HttpState {
            telemetry: Arc::new(Telemetry::new()),
            health: Arc::new(FeedHealth::default()),
            status: Arc::new(StatusPage::new(
                Arc::new(Watchlist::default()),
                &VisibilitySettings::default(),
            )),
            store: SharedStore::new(Store::open_in_memory().expect("in-memory store")),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            api: ApiState::new(
                Some(&Secret::from(TOKEN)),
                ApiLimits {
                    read: unlimited,
                    write: unlimited,
                },
            ),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Server {
            runtime,
            app: router(state),
        }
    }
}

thread_local! {
    static SERVER: Server = Server::new();
}

/// Sends the request written in `data`; panics on a 5xx.
pub fn run(data: &[u8]) {
    let Some(request) = parse(data) else {
        return;
    };
    let what = format!("{} {}", request.method(), request.uri());
    SERVER.with(|server| {
        let response = server
            .runtime
            .block_on(server.app.clone().oneshot(request))
            .expect("the router is infallible");
        let status = response.status();
        assert!(!status.is_server_error(), "{what}: {status}");
        // Render the body too: a handler may fail only while streaming it.
        let body = server
            .runtime
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX));
        assert!(body.is_ok(), "{what}: body failed: {body:?}");
    });
}

/// The request written in `data`, or `None` where hyper would have refused it already.
pub fn parse(data: &[u8]) -> Option<Request<Body>> {
    let (head, body) = split_head(data);
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let mut first = lines.next()?.split_ascii_whitespace();
    let method = Method::from_bytes(first.next()?.as_bytes()).ok()?;
    let target = first.next()?;
    let mut request = Request::builder().method(method).uri(target);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).ok()?;
        let value = HeaderValue::from_str(value.trim()).ok()?;
        request = request.header(name, value);
    }
    request.body(Body::from(body.to_vec())).ok()
}

/// Head and body, split at the first empty line (`\r\n\r\n` or `\n\n`).
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    for (i, window) in data.windows(2).enumerate() {
        if window == b"\n\n" {
            return (&data[..i], &data[i + 2..]);
        }
        if window == b"\n\r" && data.get(i + 2) == Some(&b'\n') {
            return (&data[..i], &data[i + 3..]);
        }
    }
    (data, &[])
}
