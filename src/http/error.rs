//! Every way an API request fails, as one enum: each variant has its status code, and the body
//! is always JSON `{"error": "...", "detail": "..."}` (never axum's plain-text rejections).

use crate::store::StoreError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::time::Duration;

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter has a value the API does not know.
    #[error("invalid parameter `{name}`: {detail}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong and which values are allowed.
        detail: String,
    },
    /// The query string does not parse (unknown parameter, repeated parameter).
    #[error("invalid query: {detail}")]
    InvalidQuery {
        /// The parser's reason.
        detail: String,
    },
    /// A path segment (an id) does not parse.
    #[error("invalid path: {detail}")]
    InvalidPath {
        /// The parser's reason.
        detail: String,
    },
    /// The body is not JSON, or not the JSON the route takes (serde's reason).
    #[error("invalid JSON body: {detail}")]
    InvalidBody {
        /// The parser's reason, with line and column.
        detail: String,
    },
    /// A field of a well-formed body has a value the API refuses.
    #[error("invalid field `{field}`: {detail}")]
    InvalidField {
        /// The field (`by`, `ends`, `matchers`, ...).
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// No bearer token, or the wrong one.
    #[error("unauthorized: {detail}")]
    Unauthorized {
        /// Missing or wrong (never the token itself).
        detail: &'static str,
    },
    /// The configuration sets no token, so nobody may write.
    #[error("writes disabled")]
    WritesDisabled,
    /// No such alert, silence or route.
    #[error("{what} {id} not found")]
    NotFound {
        /// `alert`, `silence`, `route`.
        what: &'static str,
        /// The id or path asked for.
        id: String,
    },
    /// The path exists, the method does not.
    #[error("method not allowed: {route}")]
    MethodNotAllowed {
        /// Method and path asked for.
        route: String,
    },
    /// The body is over the size limit.
    #[error("request body too large: {detail}")]
    PayloadTooLarge {
        /// The limit.
        detail: String,
    },
    /// A body that is not declared as JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Too many requests; try again after the given time.
    #[error("rate limited")]
    RateLimited {
        /// Until a request would be admitted.
        retry_after: Duration,
        /// `read` or `write`.
        class: &'static str,
    },
    /// The alert database failed.
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl ApiError {
    /// The HTTP status of this failure.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter { .. }
            | ApiError::InvalidQuery { .. }
            | ApiError::InvalidPath { .. }
            | ApiError::InvalidBody { .. }
            | ApiError::InvalidField { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::WritesDisabled => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` field: short and stable, for scripts.
    fn error(&self) -> String {
        match self {
            ApiError::InvalidParameter { name, .. } => format!("invalid parameter `{name}`"),
            ApiError::InvalidQuery { .. } => "invalid query".into(),
            ApiError::InvalidPath { .. } => "invalid path".into(),
            ApiError::InvalidBody { .. } => "invalid JSON body".into(),
            ApiError::InvalidField { field, .. } => format!("invalid field `{field}`"),
            ApiError::Unauthorized { .. } => "unauthorized".into(),
            ApiError::WritesDisabled => "writes disabled".into(),
            ApiError::NotFound { what, .. } => format!("{what} not found"),
            ApiError::MethodNotAllowed { .. } => "method not allowed".into(),
            ApiError::PayloadTooLarge { .. } => "request body too large".into(),
            ApiError::UnsupportedMediaType => "unsupported media type".into(),
            ApiError::RateLimited { .. } => "rate limited".into(),
            ApiError::Store(_) => "alert database error".into(),
        }
    }

    /// The `detail` field: what to change.
    fn detail(&self) -> String {
        match self {
            ApiError::InvalidParameter { detail, .. }
            | ApiError::InvalidQuery { detail }
            | ApiError::InvalidPath { detail }
            | ApiError::InvalidBody { detail }
            | ApiError::InvalidField { detail, .. }
            | ApiError::PayloadTooLarge { detail } => detail.clone(),
            ApiError::Unauthorized { detail } => (*detail).into(),
            ApiError::WritesDisabled => "set [http] token or token_file in the config".into(),
            ApiError::NotFound { what, id } => format!("no {what} `{id}`"),
            ApiError::MethodNotAllowed { route } => {
                format!("no `{route}`; see the README section HTTP API for the routes")
            }
            ApiError::UnsupportedMediaType => {
                "send the body with Content-Type: application/json".into()
            }
            ApiError::RateLimited { retry_after, class } => format!(
                "too many {class} requests; retry after {} s",
                retry_seconds(*retry_after)
            ),
            ApiError::Store(e) => e.to_string(),
        }
    }
}

/// Whole seconds for `Retry-After`, rounded up and at least 1.
fn retry_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Store(e) = &self {
            tracing::error!("api: {e}");
        }
        let status = self.status();
        let body = Json(json!({"error": self.error(), "detail": self.detail()}));
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized { .. } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited { retry_after, .. } => {
                headers.insert(header::RETRY_AFTER, retry_seconds(*retry_after).into());
            }
            _ => {}
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
                detail: format!("the limit is {} bytes", super::limits::MAX_BODY_BYTES),
            },
            _ => ApiError::InvalidBody {
                detail: rejection.body_text(),
            },
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::InvalidQuery {
            detail: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::InvalidPath {
            detail: rejection.body_text(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_seconds(Duration::ZERO), 1);
        assert_eq!(retry_seconds(Duration::from_millis(200)), 1);
        assert_eq!(retry_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_seconds(Duration::from_millis(2001)), 3);
    }
}
