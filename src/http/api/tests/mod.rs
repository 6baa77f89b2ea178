//! The API on an in-memory store, request by request through the router (no socket).

mod auth_limits;
mod reads;
mod writes;

use crate::alert::VisibilitySettings;
use crate::http::{router, ApiLimits, ApiState, HttpState};
use crate::sink::Secret;
use crate::status_page::StatusPage;
use crate::store::{SharedStore, Store};
use crate::telemetry::{FeedHealth, Telemetry};
use crate::watchlist::Watchlist;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// The token the test servers are configured with.
const TOKEN: &str = "test-token-5e1f0c2a9b";

/// A server and its state (for the store and the outbox bell).
struct Api {
    app: Router,
    state: HttpState,
}

impl Api {
    /// Writes allowed with [`TOKEN`], default limits.
    fn new() -> Api {
        Api::with(Some(TOKEN), ApiLimits::default())
    }

    fn with(token: Option<&str>, limits: ApiLimits) -> Api {
        let state = HttpState {
            telemetry: Arc::new(Telemetry::new()),
            health: Arc::new(FeedHealth::default()),
            status: Arc::new(StatusPage::new(
                Arc::new(Watchlist::default()),
                &VisibilitySettings::default(),
            )),
            store: SharedStore::new(Store::open_in_memory().unwrap()),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            api: ApiState::new(token.map(Secret::from).as_ref(), limits),
        };
        Api {
            app: router(state.clone()),
            state,
        }
    }

    /// Sends a request; `body` goes as JSON.
    async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.raw(request.body(body).unwrap()).await
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send("GET", uri, None, None).await
    }

    /// A write with the right token.
    async fn write(&self, method: &str, uri: &str, body: Option<&str>) -> Reply {
        self.send(method, uri, Some(TOKEN), body).await
    }

    async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(
            !text.contains(TOKEN),
            "the token leaked into a response: {text}"
        );
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"));
        Reply {
            status,
            headers,
            json,
        }
    }

    /// Records alert events in the store.
    fn record(&self, events: &[crate::alert::AlertEvent]) {
        self.state.store.call_blocking(|s| {
            for event in events {
                s.record(event).unwrap();
            }
        });
    }
}

/// A response, its body parsed as JSON.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

impl Reply {
    /// Asserts an API error: the status, and that `error` and `detail` contain the given texts.
    #[track_caller]
    fn assert_error(&self, status: StatusCode, error: &str, detail: &[&str]) {
        assert_eq!(self.status, status, "{:#}", self.json);
        let got_error = self.json["error"].as_str().unwrap_or_default();
        assert!(
            got_error.contains(error),
            "error {got_error:?}, wanted {error:?}"
        );
        let got_detail = self.json["detail"].as_str().unwrap_or_default();
        for part in detail {
            assert!(
                got_detail.contains(part),
                "detail {got_detail:?} lacks {part:?}"
            );
        }
    }

    /// The `id` fields of the `key` array.
    fn ids(&self, key: &str) -> Vec<String> {
        self.json[key]
            .as_array()
            .unwrap_or_else(|| panic!("no `{key}` array in {:#}", self.json))
            .iter()
            .map(|a| a["id"].to_string().trim_matches('"').to_string())
            .collect()
    }
}
