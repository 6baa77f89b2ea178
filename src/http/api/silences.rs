//! `/api/v1/silences`: windows during which matching alerts do not page. `GET` lists those in
//! force, `POST` creates one, `DELETE /{id}` ends one early.

use super::window::{resolve, DurationSpec};
use super::{required, ApiError, MAX_COMMENT_CHARS, MAX_NAME_CHARS};
use crate::alert::{format_time, AlertKind};
use crate::http::auth::Authorized;
use crate::http::HttpState;
use crate::store::{NewSilence, Silence};
use crate::update::{Asn, Timestamp};
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::{json, Value};

/// What a silence applies to; every matcher given must match, at least one is required.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matchers {
    kind: Option<AlertKind>,
    prefix: Option<IpNet>,
    group: Option<String>,
    offender: Option<Asn>,
}

/// The request body of `POST`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceBody {
    matchers: Matchers,
    starts: Option<Timestamp>,
    ends: Option<Timestamp>,
    duration: Option<DurationSpec>,
    created_by: String,
    comment: String,
}

/// Silences in force now.
pub async fn list(State(state): State<HttpState>) -> Result<Json<Value>, ApiError> {
    let now = chrono::Utc::now();
    let silences = state.store.call(move |s| s.active_silences(now)).await?;
    let items: Vec<Value> = silences.iter().map(item).collect();
    Ok(Json(json!({ "silences": items })))
}

/// Creates a silence: 201 with it and its id.
pub async fn create(
    _: Authorized,
    State(state): State<HttpState>,
    body: Result<Json<SilenceBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body?;
    let m = body.matchers;
    if m.kind.is_none() && m.prefix.is_none() && m.group.is_none() && m.offender.is_none() {
        return Err(ApiError::InvalidField {
            field: "matchers",
            detail: "give at least one of kind, prefix, group, offender".into(),
        });
    }
    let now = chrono::Utc::now();
    let (starts, ends) = resolve(body.starts, body.ends, body.duration.as_ref(), now)?;
    let spec = NewSilence {
        kind: m.kind,
        prefix: m.prefix,
        group: m.group,
        offender: m.offender,
        starts,
        ends,
        created_by: required("created_by", body.created_by, MAX_NAME_CHARS)?,
        comment: required("comment", body.comment, MAX_COMMENT_CHARS)?,
    };
    let silence = state
        .store
        .call(move |s| {
            let id = s.add_silence(&spec)?;
            Ok(Silence {
                id,
                spec,
                expired_at: None,
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(item(&silence))))
}

/// Ends a silence now: 200 with it (also when it had already ended), 404 when unknown.
pub async fn expire(
    _: Authorized,
    State(state): State<HttpState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id?;
    let now = chrono::Utc::now();
    let silence = state
        .store
        .call(move |s| {
            s.expire_silence(id, now)?;
            s.silence(id)
        })
        .await?;
    match silence {
        Some(silence) => Ok(Json(item(&silence))),
        None => Err(ApiError::NotFound {
            what: "silence",
            id: id.to_string(),
        }),
    }
}

fn item(silence: &Silence) -> Value {
    let spec = &silence.spec;
    json!({
        "id": silence.id,
        "matchers": {
            "kind": spec.kind,
            "prefix": spec.prefix,
            "group": spec.group,
            "offender": spec.offender,
        },
        "starts": format_time(&spec.starts),
        "ends": format_time(&spec.ends),
        "created_by": spec.created_by,
        "comment": spec.comment,
        "expired_at": silence.expired_at.as_ref().map(format_time),
    })
}
