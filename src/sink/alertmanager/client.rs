//! Posting to Alertmanager.

use super::config::{
    AlertmanagerConfig, ALERTS_PATH, DEFAULT_EXPIRE_AFTER_SECS, DEFAULT_REPOST_INTERVAL_SECS,
    DEFAULT_TIMEOUT_SECS,
};
use super::encode::Encoding;
use crate::alert::{AlertEvent, Severity};
use crate::config::Seconds;
use crate::sink::error::{DeliveryError, SinkConfigError};
use crate::sink::http_client::{show_path, HttpTarget};
use crate::sink::secret::Secret;
use crate::sink::{routing, validate};
use chrono::{TimeDelta, Utc};
use reqwest::Client;
use std::time::Duration;

/// At most this many alerts go in one re-post request.
pub const MAX_ALERTS_PER_POST: usize = 500;

const NAME: &str = "alertmanager";

/// A validated `alertmanager` sink.
#[derive(Debug, Clone)]
pub struct AlertmanagerSink {
    client: Client,
    target: HttpTarget,
    repost_interval: Duration,
    expire_after: Duration,
    generator_url: Option<String>,
    groups: Option<Vec<String>>,
    min_severity: Option<Severity>,
}

impl AlertmanagerSink {
    /// Checks `config` and binds it to the shared HTTP client
    /// ([`crate::sink::http_client::build`]).
    pub fn new(config: AlertmanagerConfig, client: Client) -> Result<Self, SinkConfigError> {
        let mut url = validate::http_url(NAME, "url", &config.url)?;
        if url.path().trim_end_matches('/').ends_with(ALERTS_PATH) {
            return Err(SinkConfigError::new(
                NAME,
                "url",
                format!("ends in /{ALERTS_PATH}; give the base URL, like http://127.0.0.1:9093"),
            ));
        }
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let url = url.join(ALERTS_PATH).map_err(|e| {
            SinkConfigError::new(NAME, "url", format!("cannot append {ALERTS_PATH}: {e}"))
        })?;
        let timeout = validate::timeout(NAME, config.timeout, DEFAULT_TIMEOUT_SECS)?;
        let (repost_interval, expire_after) =
            lifetimes(config.repost_interval, config.expire_after)?;
        if let Some(link) = &config.generator_url {
            validate::http_url(NAME, "generator_url", link)?;
        }
        validate::groups(NAME, config.groups.as_deref())?;
        Ok(AlertmanagerSink {
            client,
            target: HttpTarget {
                sink: NAME,
                endpoint: show_path(&url),
                url: Secret::new(url),
                timeout,
            },
            repost_interval,
            expire_after,
            generator_url: config.generator_url,
            groups: config.groups,
            min_severity: config.min_severity,
        })
    }

    /// The sink's kind, as a metrics label.
    pub fn name(&self) -> &'static str {
        NAME
    }

    /// True when this sink takes `event` (`groups`, `min_severity`).
    pub fn accepts(&self, event: &AlertEvent) -> bool {
        routing::accepts(self.groups.as_deref(), self.min_severity, event)
    }

    /// How often the caller should call [`AlertmanagerSink::repost`].
    pub fn repost_interval(&self) -> Duration {
        self.repost_interval
    }

    /// Posts one event: `open`/`update` make the alert active until now + `expire_after`,
    /// `resolved` ends it.
    pub async fn deliver(&self, event: &AlertEvent) -> Result<(), DeliveryError> {
        let body = self.encoding().event(event, Utc::now());
        self.target.post_json(&self.client, &body, None).await
    }

    /// Re-posts every open alert (the latest event of each) so Alertmanager keeps them active;
    /// call every [`AlertmanagerSink::repost_interval`]. Nothing is sent for an empty list.
    pub async fn repost(&self, open: &[AlertEvent]) -> Result<(), DeliveryError> {
        let now = Utc::now();
        for chunk in open.chunks(MAX_ALERTS_PER_POST) {
            let body = self.encoding().repost(chunk, now);
            self.target.post_json(&self.client, &body, None).await?;
        }
        Ok(())
    }

    fn encoding(&self) -> Encoding<'_> {
        Encoding {
            expire_after: TimeDelta::from_std(self.expire_after).unwrap_or(TimeDelta::MAX),
            generator_url: self.generator_url.as_deref(),
        }
    }
}

/// `repost_interval` and `expire_after`, checked: an alert must outlive a missed re-post.
fn lifetimes(
    repost: Option<Seconds>,
    expire: Option<Seconds>,
) -> Result<(Duration, Duration), SinkConfigError> {
    let repost = repost.map_or(DEFAULT_REPOST_INTERVAL_SECS, |s| s.0);
    let expire = expire.map_or(DEFAULT_EXPIRE_AFTER_SECS, |s| s.0);
    if repost == 0 {
        return Err(SinkConfigError::new(
            NAME,
            "repost_interval",
            format!("is 0; use {DEFAULT_REPOST_INTERVAL_SECS} (seconds) or leave it out"),
        ));
    }
    if expire < 2 * repost {
        return Err(SinkConfigError::new(
            NAME,
            "expire_after",
            format!(
                "is {expire} s, under twice repost_interval ({repost} s): alerts would end between \
                 re-posts; set it to at least {} s",
                2 * repost
            ),
        ));
    }
    Ok((Duration::from_secs(repost), Duration::from_secs(expire)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::http_client;

    fn sink(config: AlertmanagerConfig) -> Result<AlertmanagerSink, SinkConfigError> {
        AlertmanagerSink::new(config, http_client::build().unwrap())
    }

    #[test]
    fn alerts_path_is_appended_to_the_base_url_and_its_prefix() {
        let plain = sink(AlertmanagerConfig::new("http://127.0.0.1:9093")).unwrap();
        assert_eq!(plain.target.endpoint, "http://127.0.0.1:9093/api/v2/alerts");
        let prefixed = sink(AlertmanagerConfig::new("https://ops.example/alertmanager")).unwrap();
        assert_eq!(
            prefixed.target.endpoint,
            "https://ops.example/alertmanager/api/v2/alerts"
        );
    }

    #[test]
    fn url_that_already_names_the_api_path_is_refused() {
        let err = sink(AlertmanagerConfig::new("http://am:9093/api/v2/alerts")).unwrap_err();
        assert_eq!(err.key, "url");
    }

    #[test]
    fn expire_after_must_cover_two_reposts() {
        let mut config = AlertmanagerConfig::new("http://127.0.0.1:9093");
        config.repost_interval = Some(Seconds(60));
        config.expire_after = Some(Seconds(90));
        let err = sink(config).unwrap_err();
        assert_eq!(err.key, "expire_after");
        assert!(err.problem.contains("at least 120 s"), "{err}");
    }

    #[test]
    fn defaults_repost_every_minute_and_expire_after_five() {
        let sink = sink(AlertmanagerConfig::new("http://127.0.0.1:9093")).unwrap();
        assert_eq!(sink.repost_interval(), Duration::from_secs(60));
        assert_eq!(sink.expire_after, Duration::from_secs(300));
    }
}
