//! The one HTTP client the paging sinks share, and the POST they all make.
//!
//! TLS is rustls with the `ring` provider (the crate's only crypto provider) and the Mozilla root
//! store from `webpki-roots`; certificates are always verified. Redirects are not followed: a
//! notification goes where it is configured to go, or fails saying so.

use super::error::{DeliveryError, DeliveryFailure, MAX_BODY_EXCERPT};
use super::secret::Secret;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Client, Url};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("bgpwatch/", env!("CARGO_PKG_VERSION"));

/// The shared client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HttpClientError {
    /// rustls refused the protocol versions of its own safe defaults.
    #[error("cannot set up TLS: {source}")]
    Tls {
        /// Why.
        source: rustls::Error,
    },
    /// reqwest refused the configuration.
    #[error("cannot build the HTTP client: {source}")]
    Build {
        /// Why.
        source: reqwest::Error,
    },
}

/// Builds the client every HTTP sink shares (build it once; clones share its connection pool).
/// Per-request timeouts come from each sink's configuration.
pub fn build() -> Result<Client, HttpClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots: rustls::RootCertStore = webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect();
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|source| HttpClientError::Tls { source })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|source| HttpClientError::Build { source })
}

/// Where one HTTP sink posts.
#[derive(Debug, Clone)]
pub(crate) struct HttpTarget {
    /// The sink's kind, for errors.
    pub sink: &'static str,
    /// The URL, which may hold a token: never logged.
    pub url: Secret<Url>,
    /// The URL as errors show it.
    pub endpoint: String,
    /// Whole-request timeout (connect, send, answer).
    pub timeout: Duration,
}

impl HttpTarget {
    /// POSTs `body` as JSON, with `Authorization: Bearer` when a token is given; any 2xx is
    /// success.
    pub async fn post_json<B: Serialize + ?Sized>(
        &self,
        client: &Client,
        body: &B,
        bearer: Option<&Secret>,
    ) -> Result<(), DeliveryError> {
        let mut request = client
            .post(self.url.expose().clone())
            .timeout(self.timeout)
            .json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.error(self.classify(e)))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            return Ok(());
        }
        Err(self.error(DeliveryFailure::Status {
            status: status.as_u16(),
            retry_after,
            body: excerpt(&body),
        }))
    }

    fn error(&self, failure: DeliveryFailure) -> DeliveryError {
        DeliveryError::new(self.sink, self.endpoint.clone(), failure)
    }

    fn classify(&self, error: reqwest::Error) -> DeliveryFailure {
        // reqwest puts the URL in its messages; the URL may hold a token.
        let error = error.without_url();
        if error.is_timeout() {
            DeliveryFailure::Timeout {
                after: self.timeout,
            }
        } else if error.is_builder() {
            DeliveryFailure::Request {
                source: error.into(),
            }
        } else if error.is_connect() {
            DeliveryFailure::Connect {
                source: error.into(),
            }
        } else {
            DeliveryFailure::Transport {
                source: error.into(),
            }
        }
    }
}

/// `Retry-After` in its delay-seconds form.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse().ok().map(Duration::from_secs)
}

/// The start of an error body, on one line.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(MAX_BODY_EXCERPT)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `scheme://host[:port]/path` without user info or query: for endpoints that hold no token.
pub(crate) fn show_path(url: &Url) -> String {
    format!("{}{}", show_origin(url), url.path())
}

/// `scheme://host[:port]` only: for URLs that may carry a token in their path or query.
pub(crate) fn show_origin(url: &Url) -> String {
    let host = url.host_str().unwrap_or("-");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_client_builds_with_ring_and_webpki_roots() {
        build().expect("client builds");
    }

    #[test]
    fn origin_hides_path_query_and_user_info() {
        let url: Url = "https://user:pw@hooks.example.com:8443/services/T0/B0/XXXX?token=abc"
            .parse()
            .unwrap();
        assert_eq!(show_origin(&url), "https://hooks.example.com:8443");
        assert_eq!(
            show_path(&url),
            "https://hooks.example.com:8443/services/T0/B0/XXXX"
        );
    }

    #[test]
    fn error_body_excerpt_is_one_bounded_line() {
        let long = format!("line one\nline two {}", "x".repeat(1000));
        let got = excerpt(long.as_bytes());
        assert!(got.starts_with("line one line two"));
        assert_eq!(got.chars().count(), MAX_BODY_EXCERPT);
    }

    #[test]
    fn retry_after_seconds_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(30)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
