//! Checks every sink's configuration shares: URLs, timeouts, routing filters.

use super::error::SinkConfigError;
use crate::config::Seconds;
use reqwest::Url;
use std::time::Duration;

/// A timeout of at least one second; `default` when the key is absent.
pub(crate) fn timeout(
    sink: &'static str,
    configured: Option<Seconds>,
    default: u64,
) -> Result<Duration, SinkConfigError> {
    match configured {
        None => Ok(Duration::from_secs(default)),
        Some(Seconds(0)) => Err(SinkConfigError::new(
            sink,
            "timeout",
            format!("is 0; give the receiver time to answer, like {default} or \"{default}s\""),
        )),
        Some(Seconds(n)) => Ok(Duration::from_secs(n)),
    }
}

/// `groups = []` would route nothing: refused, since leaving the key out is what routes all.
pub(crate) fn groups(sink: &'static str, groups: Option<&[String]>) -> Result<(), SinkConfigError> {
    match groups {
        Some([]) => Err(SinkConfigError::new(
            sink,
            "groups",
            "is empty, so no alert would reach this sink; list groups, or leave the key out to \
             send every group",
        )),
        _ => Ok(()),
    }
}

/// An `http://` or `https://` URL with a host. The message never repeats the URL (it may hold a
/// token).
pub(crate) fn http_url(
    sink: &'static str,
    key: &'static str,
    text: &str,
) -> Result<Url, SinkConfigError> {
    let example = "like https://host.example/path";
    let url: Url = text.trim().parse().map_err(|e| {
        SinkConfigError::new(sink, key, format!("is not a URL ({e}); write it {example}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SinkConfigError::new(
            sink,
            key,
            format!(
                "has scheme `{}`; only http and https are supported, {example}",
                url.scheme()
            ),
        ));
    }
    if url.host().is_none() {
        return Err(SinkConfigError::new(
            sink,
            key,
            format!("has no host; write it {example}"),
        ));
    }
    Ok(url)
}

/// Refuses plain `http://` to anything but loopback when `what` (a key or token) would travel in
/// the clear.
pub(crate) fn tls_unless_loopback(
    sink: &'static str,
    key: &'static str,
    url: &Url,
    what: &str,
) -> Result<(), SinkConfigError> {
    if url.scheme() == "https" || is_loopback(url) {
        return Ok(());
    }
    Err(SinkConfigError::new(
        sink,
        key,
        format!(
            "uses plain http to a remote host, which would send {what} in the clear; use https"
        ),
    ))
}

/// `localhost`, 127.0.0.0/8 or ::1.
fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_timeout_is_refused_with_the_fix() {
        let err = timeout("webhook", Some(Seconds(0)), 10).unwrap_err();
        assert_eq!(err.key, "timeout");
        assert!(err.problem.contains("\"10s\""), "{err}");
        assert_eq!(
            timeout("webhook", None, 10).unwrap(),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn empty_groups_list_is_refused() {
        assert!(groups("syslog", Some(&[])).is_err());
        assert!(groups("syslog", None).is_ok());
    }

    #[test]
    fn url_errors_do_not_repeat_the_url() {
        let err = http_url("webhook", "url", "ftp://hooks.example/T0K3N").unwrap_err();
        assert!(!err.to_string().contains("T0K3N"), "{err}");
        assert!(http_url("webhook", "url", "not a url T0K3N").is_err());
    }

    #[test]
    fn plain_http_is_allowed_only_to_loopback() {
        let local: Url = "http://127.0.0.1:9/x".parse().unwrap();
        let named: Url = "http://localhost:9/x".parse().unwrap();
        let v6: Url = "http://[::1]:9/x".parse().unwrap();
        assert!(tls_unless_loopback("pagerduty", "url", &v6, "the routing key").is_ok());
        let remote: Url = "http://events.example/x".parse().unwrap();
        assert!(tls_unless_loopback("pagerduty", "url", &local, "the routing key").is_ok());
        assert!(tls_unless_loopback("pagerduty", "url", &named, "the routing key").is_ok());
        assert!(tls_unless_loopback("pagerduty", "url", &remote, "the routing key").is_err());
    }
}
