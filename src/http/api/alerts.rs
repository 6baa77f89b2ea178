//! `GET /api/v1/alerts` and `GET /api/v1/alerts/{id}`: stored alerts, each the JSON of its last
//! event (DESIGN.md section 7) plus `state`, `updated_at` and `ack`.

use super::ApiError;
use crate::alert::{format_time, AlertKind, Severity};
use crate::http::HttpState;
use crate::store::{AlertFilter, AlertState, StoredAlert};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use ipnet::IpNet;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

/// Alerts returned when the request sets no `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` accepted.
pub const MAX_LIMIT: usize = 1000;

/// The query string as given; every value is checked by [`ListQuery::filter`] so that a bad
/// one is named with the values it may take.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
    severity: Option<String>,
    prefix: Option<String>,
    group: Option<String>,
    limit: Option<String>,
}

impl ListQuery {
    /// The store filter and the limit.
    fn filter(self) -> Result<(AlertFilter, usize), ApiError> {
        let state = match self.state.as_deref() {
            None => None,
            Some("open") => Some(AlertState::Open),
            Some("resolved") => Some(AlertState::Resolved),
            Some(other) => {
                return Err(ApiError::InvalidParameter {
                    name: "state",
                    detail: format!("`{other}` is not a state; use `open` or `resolved`"),
                })
            }
        };
        let kind = self
            .kind
            .map(|k| contract_name::<AlertKind>("kind", k))
            .transpose()?;
        let severity = self
            .severity
            .map(|s| contract_name::<Severity>("severity", s))
            .transpose()?;
        let prefix = self
            .prefix
            .map(|p| {
                p.parse::<IpNet>().map_err(|_| ApiError::InvalidParameter {
                    name: "prefix",
                    detail: format!(
                        "`{p}` is not a prefix; write it like 198.51.100.0/24 or 2001:db8::/32"
                    ),
                })
            })
            .transpose()?;
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| ApiError::InvalidParameter {
                    name: "limit",
                    detail: format!("`{text}` is not a number from 1 to {MAX_LIMIT}"),
                })?,
        };
        let filter = AlertFilter {
            kind,
            severity,
            state,
            prefix,
            group: self.group,
        };
        Ok((filter, limit))
    }
}

/// A kind or severity by its contract name; serde's message lists the names allowed.
fn contract_name<T: DeserializeOwned>(name: &'static str, text: String) -> Result<T, ApiError> {
    serde_json::from_value(Value::String(text)).map_err(|e| ApiError::InvalidParameter {
        name,
        detail: e.to_string(),
    })
}

/// Open alerts first, then resolved ones, each newest first; `state` picks one of the two.
pub async fn list(
    State(state): State<HttpState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let (filter, limit) = query.filter()?;
    let alerts = state
        .store
        .call(move |store| {
            if filter.state.is_some() {
                return store.recent(limit, &filter);
            }
            let open = AlertFilter {
                state: Some(AlertState::Open),
                ..filter.clone()
            };
            let mut alerts = store.recent(limit, &open)?;
            let resolved = AlertFilter {
                state: Some(AlertState::Resolved),
                ..filter
            };
            let left = limit - alerts.len();
            if left > 0 {
                alerts.extend(store.recent(left, &resolved)?);
            }
            Ok(alerts)
        })
        .await?;
    let items: Vec<Value> = alerts.iter().map(item).collect();
    Ok(Json(json!({ "alerts": items })))
}

/// One alert; 404 when the id is unknown.
pub async fn one(
    State(state): State<HttpState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id?;
    found(&state, id).await.map(Json)
}

/// The alert `id` as an API item, or 404.
pub(super) async fn found(state: &HttpState, id: String) -> Result<Value, ApiError> {
    let lookup = id.clone();
    let alert = state.store.call(move |s| s.alert(&lookup)).await?;
    match alert {
        Some(alert) => Ok(item(&alert)),
        None => Err(ApiError::NotFound { what: "alert", id }),
    }
}

/// The event JSON with `state`, `updated_at`, `ack` and `held` (what keeps an open alert from
/// paging: a silence or a maintenance window) added.
pub(super) fn item(alert: &StoredAlert) -> Value {
    let mut value = json!(alert.event);
    if let Value::Object(fields) = &mut value {
        let state = match alert.state {
            AlertState::Open => "open",
            AlertState::Resolved => "resolved",
        };
        let ack = alert
            .ack
            .as_ref()
            .map(|a| json!({"by": a.by, "comment": a.comment, "at": format_time(&a.at)}));
        fields.insert("state".into(), state.into());
        fields.insert("updated_at".into(), format_time(&alert.updated_at).into());
        fields.insert("ack".into(), ack.into());
        fields.insert("held".into(), alert.held.clone().into());
    }
    value
}
