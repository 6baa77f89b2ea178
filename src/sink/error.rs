//! What can go wrong between a sink and its receiver, and whether trying again can help.

use std::time::Duration;

/// Any error a delivery attempt can wrap.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A notification that did not reach its receiver. [`DeliveryError::is_retryable`] tells the
/// outbox whether to try again later (server errors, 429, timeouts, refused connections) or to
/// give up (the receiver rejected the body, the message cannot be sent as configured).
///
/// Messages name the sink and its endpoint; endpoints that embed a token (webhook URLs) are
/// shown as `scheme://host:port` only.
#[derive(Debug, thiserror::Error)]
#[error("{sink} sink, {endpoint}: {failure}")]
pub struct DeliveryError {
    /// The sink's kind (`alertmanager`, `pagerduty`, `webhook`, `syslog`).
    pub sink: &'static str,
    /// Where it was sending, safe to log.
    pub endpoint: String,
    /// What went wrong.
    pub failure: DeliveryFailure,
}

/// How a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryFailure {
    /// The receiver answered with a non-success status.
    #[error("HTTP {status}{}", body_excerpt(.body))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The `Retry-After` the receiver asked for (seconds form only).
        retry_after: Option<Duration>,
        /// The start of the response body (at most [`MAX_BODY_EXCERPT`] characters).
        body: String,
    },
    /// No complete answer within the sink's `timeout`.
    #[error("no answer within {}s", .after.as_secs_f64())]
    Timeout {
        /// The timeout in force.
        after: Duration,
    },
    /// The receiver could not be reached: name resolution failed, connection refused or reset
    /// before the request went out, TLS handshake failed.
    #[error("cannot connect: {}", chain(source.as_ref()))]
    Connect {
        /// Why.
        source: BoxError,
    },
    /// The connection broke while the request or answer was in flight.
    #[error("connection failed during the request: {}", chain(source.as_ref()))]
    Transport {
        /// Why.
        source: BoxError,
    },
    /// The message is larger than the transport can carry (a syslog UDP datagram).
    #[error("message of {len} bytes exceeds the {max}-byte limit of {transport}; use a stream transport")]
    TooLarge {
        /// Size of the message.
        len: usize,
        /// The limit.
        max: usize,
        /// The transport with the limit.
        transport: &'static str,
    },
    /// The request could not even be built (a bug or an impossible configuration).
    #[error("cannot build the request: {source}")]
    Request {
        /// Why.
        source: BoxError,
    },
}

/// The most characters of an error response body kept in [`DeliveryFailure::Status`].
pub const MAX_BODY_EXCERPT: usize = 300;

fn body_excerpt(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// An error and its causes, `outer: inner: root`, so a log line says why (the HTTP client's own
/// message is only "error sending request"; the certificate or DNS failure is its cause).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let next = e.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = e.source();
    }
    text
}

impl DeliveryError {
    /// An error of `sink` sending to `endpoint`.
    pub fn new(sink: &'static str, endpoint: impl Into<String>, failure: DeliveryFailure) -> Self {
        DeliveryError {
            sink,
            endpoint: endpoint.into(),
            failure,
        }
    }

    /// True when the same notification may succeed later: HTTP 5xx, 408 and 429, timeouts,
    /// connection failures. False when the receiver rejected the notification itself (other
    /// 4xx, redirects) or it cannot be sent as configured.
    pub fn is_retryable(&self) -> bool {
        match &self.failure {
            DeliveryFailure::Status { status, .. } => {
                *status >= 500 || *status == 408 || *status == 429
            }
            DeliveryFailure::Timeout { .. }
            | DeliveryFailure::Connect { .. }
            | DeliveryFailure::Transport { .. } => true,
            DeliveryFailure::TooLarge { .. } | DeliveryFailure::Request { .. } => false,
        }
    }

    /// The wait the receiver asked for (`Retry-After` on a 429 or 503), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.failure {
            DeliveryFailure::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status, when the receiver answered.
    pub fn status(&self) -> Option<u16> {
        match &self.failure {
            DeliveryFailure::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A sink configuration that cannot be used; the lead's config loader reports it under the
/// sink's position (`sinks[2].url: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{sink} sink: `{key}`: {problem}")]
pub struct SinkConfigError {
    /// The sink's kind.
    pub sink: &'static str,
    /// The key at fault.
    pub key: &'static str,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl SinkConfigError {
    /// `key` of a `sink` sink is wrong: `problem`.
    pub fn new(sink: &'static str, key: &'static str, problem: impl Into<String>) -> Self {
        SinkConfigError {
            sink,
            key,
            problem: problem.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> DeliveryError {
        DeliveryError::new(
            "webhook",
            "http://127.0.0.1:1",
            DeliveryFailure::Status {
                status: code,
                retry_after: None,
                body: String::new(),
            },
        )
    }

    #[test]
    fn server_errors_rate_limits_and_request_timeouts_are_retryable() {
        for code in [500, 502, 503, 504, 429, 408] {
            assert!(status(code).is_retryable(), "{code}");
        }
    }

    #[test]
    fn client_errors_and_redirects_are_final() {
        for code in [400, 401, 403, 404, 413, 422, 301, 302] {
            assert!(!status(code).is_retryable(), "{code}");
        }
    }

    #[test]
    fn timeouts_and_connection_failures_are_retryable() {
        let timeout = DeliveryError::new(
            "syslog",
            "127.0.0.1:514",
            DeliveryFailure::Timeout {
                after: Duration::from_secs(1),
            },
        );
        assert!(timeout.is_retryable());
        let refused = DeliveryError::new(
            "syslog",
            "127.0.0.1:514",
            DeliveryFailure::Connect {
                source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into(),
            },
        );
        assert!(refused.is_retryable());
    }

    #[test]
    fn message_names_sink_endpoint_and_status() {
        let mut error = status(400);
        if let DeliveryFailure::Status { body, .. } = &mut error.failure {
            *body = "Event object is invalid".into();
        }
        assert_eq!(
            error.to_string(),
            "webhook sink, http://127.0.0.1:1: HTTP 400: Event object is invalid"
        );
    }
}
