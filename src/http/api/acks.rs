//! `POST /api/v1/alerts/{id}/ack`: someone has seen the alert and is on it. The store enqueues
//! the acknowledgement for paging sinks (PagerDuty `acknowledge`); the outbox is woken so it
//! goes out now.

use super::{alerts, optional, required, ApiError, MAX_COMMENT_CHARS, MAX_NAME_CHARS};
use crate::http::auth::Authorized;
use crate::http::HttpState;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// Who acknowledges (required).
    by: String,
    /// What is being done.
    #[serde(default)]
    comment: String,
}

/// Acknowledges the alert and answers with it as stored; 404 when the id is unknown. A later
/// ack replaces an earlier one.
pub async fn ack(
    _: Authorized,
    State(state): State<HttpState>,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<AckBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let by = required("by", body.by, MAX_NAME_CHARS)?;
    let comment = optional("comment", body.comment, MAX_COMMENT_CHARS)?;
    let at = chrono::Utc::now();
    let alert_id = id.clone();
    let stored = state
        .store
        .call(move |s| s.ack(&alert_id, &by, &comment, at))
        .await?;
    if !stored {
        return Err(ApiError::NotFound { what: "alert", id });
    }
    state.outbox_wake.notify_one();
    alerts::found(&state, id).await.map(Json)
}
