//! `/api/v1`: alerts (read, acknowledge), silences and maintenance windows, as JSON.
//!
//! Reads need no token: the listener is on loopback by default, and what they show is what the
//! status page shows. Writes (POST, DELETE) take the extractor [`Authorized`] first, so a
//! request without the token is refused before its body is read. Every failure is an
//! [`ApiError`]: a status code and `{"error", "detail"}`.

mod acks;
mod alerts;
mod maintenance;
mod silences;
mod window;

use super::auth::WriteToken;
use super::error::ApiError;
use super::limits::{rate_limit, ApiLimits, RateLimits, MAX_BODY_BYTES};
use super::HttpState;
use crate::sink::Secret;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post};
use axum::Router;
use std::sync::Arc;

/// Longest `by`, `created_by` accepted, characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest `comment` accepted, characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// What the API handlers need beyond the store: who may write and how fast.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub(in crate::http) token: WriteToken,
    pub(in crate::http) rates: Arc<RateLimits>,
}

impl ApiState {
    /// `token` from `[http] token` / `token_file` (none: writes are refused with 403).
    pub fn new(token: Option<&Secret>, limits: ApiLimits) -> ApiState {
        ApiState {
            token: WriteToken::new(token),
            rates: Arc::new(RateLimits::new(limits)),
        }
    }
}

/// The routes under `/api/v1`.
pub fn routes(state: HttpState) -> Router<HttpState> {
    Router::new()
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::one))
        .route("/alerts/{id}/ack", post(acks::ack))
        .route("/silences", get(silences::list).post(silences::create))
        .route("/silences/{id}", delete(silences::expire))
        .route(
            "/maintenance",
            get(maintenance::list).post(maintenance::create),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(state, rate_limit))
}

/// Unknown paths and methods under `/api/v1` get a JSON 404 too.
async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound {
        what: "route",
        id: format!("{method} /api/v1{}", uri.path()),
    }
}

/// Known paths with an unknown method: 405.
async fn no_method(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        route: format!("{method} /api/v1{}", uri.path()),
    }
}

/// A required, non-blank text field of at most `max` characters.
fn required(field: &'static str, value: String, max: usize) -> Result<String, ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::InvalidField {
            field,
            detail: "must not be empty".into(),
        });
    }
    optional(field, value, max)
}

/// A text field of at most `max` characters (may be empty).
fn optional(field: &'static str, value: String, max: usize) -> Result<String, ApiError> {
    let chars = value.chars().count();
    if chars > max {
        return Err(ApiError::InvalidField {
            field,
            detail: format!("is {chars} characters long; at most {max} are allowed"),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
