//! The HTTP interface (loopback by default): `/metrics` for Prometheus, `/healthz` for load
//! balancers and humans (200 only when every source is live), the status page at `/` for
//! operators without Grafana, and the JSON API under `/api/v1` ([`api`]: alerts, acks,
//! silences, maintenance windows; writes need the bearer token of the config).

pub mod api;
pub mod auth;
pub mod error;
pub mod limits;

pub use api::ApiState;
pub use error::ApiError;
pub use limits::ApiLimits;

use crate::status_page::StatusPage;
use crate::store::SharedStore;
use crate::telemetry::{FeedHealth, FeedStatus, Telemetry};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Notify;

/// What the handlers read.
#[derive(Clone)]
pub struct HttpState {
    /// Metrics.
    pub telemetry: Arc<Telemetry>,
    /// Feed health.
    pub health: Arc<FeedHealth>,
    /// Open alerts and visibility history, fed by the detection task.
    pub status: Arc<StatusPage>,
    /// The alert database (the API reads alerts and writes acks, silences, maintenance).
    pub store: SharedStore,
    /// Rung after the API enqueues notifications (an ack for PagerDuty), so they go out now.
    pub outbox_wake: Arc<Notify>,
    /// The API's write token and rate limits.
    pub api: ApiState,
}

/// The routes.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/", get(status_page))
        .nest("/api/v1", api::routes(state.clone()))
        .with_state(state)
}

async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.telemetry.render(),
    )
}

async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let now = chrono::Utc::now();
    let mut all_live = true;
    let mut feeds = serde_json::Map::new();
    for (name, feed) in state.health.snapshot() {
        let status = feed.status(now);
        all_live &= status == FeedStatus::Live;
        feeds.insert(name, json!({"status": status, "state": feed}));
    }
    let code = if all_live {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({"status": if all_live { "ok" } else { "degraded" }, "feeds": feeds});
    (code, Json(body))
}

/// The page's own inline `<style>` and SVG are all it may use: nothing is loaded or run.
const STATUS_PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

async fn status_page(State(state): State<HttpState>) -> impl IntoResponse {
    let html = state
        .status
        .render(&state.health.snapshot(), chrono::Utc::now());
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, STATUS_PAGE_CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
}
