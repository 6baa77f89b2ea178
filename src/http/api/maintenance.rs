//! `/api/v1/maintenance`: declared planned changes of origin (a prefix moving to a new AS), so
//! the new origin is not paged as a hijack during the window. `GET` lists those in force,
//! `POST` declares one.

use super::window::{resolve, DurationSpec};
use super::{required, ApiError, MAX_COMMENT_CHARS};
use crate::alert::format_time;
use crate::http::auth::Authorized;
use crate::http::HttpState;
use crate::store::{Maintenance, NewMaintenance};
use crate::update::{Asn, Timestamp};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::{json, Value};

/// The request body of `POST`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceBody {
    prefix: IpNet,
    new_origin: Asn,
    starts: Option<Timestamp>,
    ends: Option<Timestamp>,
    duration: Option<DurationSpec>,
    comment: String,
}

/// Maintenance windows in force now.
pub async fn list(State(state): State<HttpState>) -> Result<Json<Value>, ApiError> {
    let now = chrono::Utc::now();
    let windows = state.store.call(move |s| s.active_maintenance(now)).await?;
    let items: Vec<Value> = windows.iter().map(item).collect();
    Ok(Json(json!({ "maintenance": items })))
}

/// Declares a window: 201 with it and its id.
pub async fn create(
    _: Authorized,
    State(state): State<HttpState>,
    body: Result<Json<MaintenanceBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body?;
    let now = chrono::Utc::now();
    let (starts, ends) = resolve(body.starts, body.ends, body.duration.as_ref(), now)?;
    let spec = NewMaintenance {
        prefix: body.prefix,
        new_origin: body.new_origin,
        starts,
        ends,
        comment: required("comment", body.comment, MAX_COMMENT_CHARS)?,
    };
    let window = state
        .store
        .call(move |s| {
            let id = s.add_maintenance(&spec)?;
            Ok(Maintenance { id, spec })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(item(&window))))
}

fn item(window: &Maintenance) -> Value {
    let spec = &window.spec;
    json!({
        "id": window.id,
        "prefix": spec.prefix,
        "new_origin": spec.new_origin,
        "starts": format_time(&spec.starts),
        "ends": format_time(&spec.ends),
        "comment": spec.comment,
    })
}
