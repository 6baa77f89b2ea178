//! The `alertmanager` sink against the real Debian `prometheus-alertmanager`, whose own webhook
//! receiver delivers to a recorder in the test: an open alert is active with bgpwatch's labels
//! and annotations and reaches the webhook; `resolved` ends it; re-posts keep it alive.
//! Skips (loudly) without the package, fails under `BGPWATCH_REQUIRE_LAB=1`.

mod sinks_common;
mod support;

use bgpwatch::alert::Severity;
use bgpwatch::config::Seconds;
use bgpwatch::sink::alertmanager::{AlertmanagerConfig, AlertmanagerSink};
use bgpwatch::sink::http_client;
use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};
use sinks_common::alertmanager::{notification, Alertmanager};
use sinks_common::{open_event, resolved, updated, Answer, Receiver};
use std::time::Duration;

/// The generatorURL bgpwatch puts on its alerts.
const GENERATOR_URL: &str = "http://127.0.0.1:9324/api/v1/alerts";
/// Its webhook fires after `group_wait` (1 s here); allow for a slow shared machine.
const NOTIFY_WITHIN: Duration = Duration::from_secs(15);

fn sink(am: &Alertmanager, configure: impl FnOnce(&mut AlertmanagerConfig)) -> AlertmanagerSink {
    let mut config = AlertmanagerConfig::new(am.base.clone());
    config.generator_url = Some(GENERATOR_URL.into());
    configure(&mut config);
    AlertmanagerSink::new(config, http_client::build().unwrap()).unwrap()
}

/// A recorder for Alertmanager's webhook notifications.
async fn recorder() -> (Receiver, String) {
    let receiver = Receiver::start(|_, _| Answer::new(200, "")).await;
    let url = format!("{}/alertmanager-webhook", receiver.base);
    (receiver, url)
}

#[tokio::test]
async fn open_alert_is_active_with_labels_reaches_the_webhook_and_resolve_ends_it() {
    let (recorder, webhook) = recorder().await;
    let Some(am) = Alertmanager::start("am-open-resolve", &webhook).await else {
        return;
    };
    let sink = sink(&am, |_| {});
    let open = open_event(
        "a1b2c3d4e5f60718",
        "198.51.100.0/24",
        Utc::now() - TimeDelta::seconds(5),
    );

    sink.deliver(&open)
        .await
        .expect("Alertmanager accepts the open alert");
    let shown = am.alerts(&open.id).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    let alert = &shown[0];
    assert_eq!(alert["status"]["state"], "active");
    assert_eq!(
        alert["labels"],
        json!({
            "alertname": "BgpwatchOriginHijack",
            "alert_id": "a1b2c3d4e5f60718",
            "kind": "origin-hijack",
            "severity": "critical",
            "prefix": "198.51.100.0/24",
            "origin": "64666",
            "group": "pk-gov"
        })
    );
    assert_eq!(alert["annotations"]["summary"], open.summary.as_str());
    assert_eq!(alert["annotations"]["offender"], "AS64666");
    assert_eq!(alert["annotations"]["expected_origins"], "AS64500");
    assert_eq!(alert["annotations"]["rpki"], "invalid");
    assert_eq!(alert["generatorURL"], GENERATOR_URL);

    let firing = notification(NOTIFY_WITHIN, &recorder, "firing", &open.id).await;
    assert_eq!(firing["alerts"][0]["labels"]["prefix"], "198.51.100.0/24");
    assert_eq!(
        firing["alerts"][0]["annotations"]["summary"],
        open.summary.as_str()
    );

    sink.deliver(&resolved(&open, Utc::now()))
        .await
        .expect("Alertmanager accepts the resolve");
    assert_eq!(
        am.alerts(&open.id).await,
        Vec::<Value>::new(),
        "no longer current"
    );
    let resolution = notification(NOTIFY_WITHIN, &recorder, "resolved", &open.id).await;
    assert_eq!(resolution["alerts"][0]["status"], "resolved");
}

#[tokio::test]
async fn repost_keeps_an_alert_active_past_expire_after_while_an_unposted_one_ends() {
    const EXPIRE_AFTER_SECS: u64 = 2;
    let (_recorder, webhook) = recorder().await;
    let Some(am) = Alertmanager::start("am-repost", &webhook).await else {
        return;
    };
    let sink = sink(&am, |c| {
        c.repost_interval = Some(Seconds(1));
        c.expire_after = Some(Seconds(EXPIRE_AFTER_SECS));
    });
    let now = Utc::now();
    let kept = open_event("0000000000000001", "198.51.100.0/24", now);
    let left = open_event("0000000000000002", "203.0.113.0/24", now);
    sink.deliver(&kept).await.unwrap();
    sink.deliver(&left).await.unwrap();

    tokio::time::sleep(Duration::from_millis(1000)).await;
    sink.repost(std::slice::from_ref(&kept))
        .await
        .expect("re-post accepted");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let kept_now = am.alerts(&kept.id).await;
    assert_eq!(
        kept_now.len(),
        1,
        "re-posted alert still current: {kept_now:?}"
    );
    assert_eq!(kept_now[0]["status"]["state"], "active");
    assert_eq!(
        am.alerts(&left.id).await,
        Vec::<Value>::new(),
        "ended {EXPIRE_AFTER_SECS} s after its post"
    );
}

#[tokio::test]
async fn severity_update_leaves_one_active_alert_with_the_new_severity() {
    let (_recorder, webhook) = recorder().await;
    let Some(am) = Alertmanager::start("am-update", &webhook).await else {
        return;
    };
    let sink = sink(&am, |_| {});
    let open = open_event(
        "feedc0de00000003",
        "198.51.100.0/24",
        Utc::now() - TimeDelta::seconds(5),
    );
    sink.deliver(&open).await.unwrap();
    sink.deliver(&updated(&open, Severity::Warning, Utc::now()))
        .await
        .unwrap();

    let shown = am.alerts(&open.id).await;
    let severities: Vec<&Value> = shown.iter().map(|a| &a["labels"]["severity"]).collect();
    assert_eq!(
        severities,
        [&json!("warning")],
        "the critical copy ended: {shown:?}"
    );
}
