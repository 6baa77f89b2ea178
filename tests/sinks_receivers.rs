//! The paging sinks against local receivers standing in for PagerDuty, a Slack-style webhook and
//! a syslog collector: the payloads have the shape those services require, and failures come
//! back typed as retryable (5xx, 429, timeouts, refused connections) or final (4xx).

mod sinks_common;
mod support;

use bgpwatch::alert::{AlertEvent, Severity};
use bgpwatch::config::Seconds;
use bgpwatch::sink::alertmanager::{AlertmanagerConfig, AlertmanagerSink};
use bgpwatch::sink::http_client;
use bgpwatch::sink::pagerduty::{PagerDutyConfig, PagerDutySink};
use bgpwatch::sink::syslog::{SyslogConfig, SyslogSink, Transport};
use bgpwatch::sink::webhook::{WebhookConfig, WebhookSink};
use bgpwatch::sink::{DeliveryError, DeliveryFailure, Secret};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use sinks_common::rfc5424::{parse_rfc5424, Syslog};
use sinks_common::stand_ins::{pagerduty_answer, slack_answer};
use sinks_common::{open_event, resolved, updated, Answer, Receiver, Request};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// The routing key the PagerDuty stand-in expects.
const ROUTING_KEY: &str = "R0UTINGKEY0123456789abcdef012345";
/// A token inside the webhook URL (as in Slack incoming-webhook URLs).
const URL_TOKEN: &str = "S3CRETt0k3n";
/// Requests wait at most this long in a test.
const PATIENCE: Duration = Duration::from_secs(5);

fn event() -> AlertEvent {
    open_event(
        "3f2a9c0d1e4b5a68",
        "198.51.100.0/24",
        Utc.with_ymd_and_hms(2026, 1, 1, 7, 18, 42).unwrap(),
    )
}

fn later() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap()
}

// --- PagerDuty ------------------------------------------------------------------------------

fn pagerduty(receiver: &Receiver) -> PagerDutySink {
    let mut config = PagerDutyConfig::new(Secret::from(ROUTING_KEY));
    config.url = Some(format!("{}/v2/enqueue", receiver.base));
    PagerDutySink::new(config, http_client::build().unwrap()).unwrap()
}

#[tokio::test]
async fn pagerduty_lifecycle_reaches_one_dedup_key_in_events_v2_shape() {
    let receiver = Receiver::start(|_, request| pagerduty_answer(request)).await;
    let sink = pagerduty(&receiver);
    let open = event();
    let update = updated(
        &open,
        Severity::Warning,
        Utc.with_ymd_and_hms(2026, 1, 1, 7, 30, 0).unwrap(),
    );

    sink.deliver(&open).await.expect("trigger accepted");
    sink.deliver(&update).await.expect("update accepted");
    sink.acknowledge(&open.id)
        .await
        .expect("acknowledge accepted");
    sink.deliver(&resolved(&open, later()))
        .await
        .expect("resolve accepted");

    let requests = receiver.requests();
    let bodies: Vec<Value> = requests.iter().map(Request::json).collect();
    let actions: Vec<&str> = bodies
        .iter()
        .map(|b| b["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "trigger", "acknowledge", "resolve"]);
    assert!(bodies
        .iter()
        .all(|b| b["dedup_key"] == open.id && b["routing_key"] == ROUTING_KEY));
    assert!(requests[0]
        .header("user-agent")
        .unwrap()
        .starts_with("bgpwatch/"));

    let payload = &bodies[0]["payload"];
    assert_eq!(payload["summary"], open.summary.as_str());
    assert_eq!(payload["source"], "bgpwatch");
    assert_eq!(payload["severity"], "critical");
    assert_eq!(payload["timestamp"], "2026-01-01T07:18:42Z");
    assert_eq!(
        payload["custom_details"],
        serde_json::to_value(&open).unwrap()
    );
    assert_eq!(bodies[1]["payload"]["severity"], "warning");
    assert_eq!(bodies[1]["payload"]["timestamp"], "2026-01-01T07:30:00Z");
}

#[tokio::test]
async fn rejected_body_is_a_final_error_that_does_not_show_the_routing_key() {
    let receiver = Receiver::start(|_, _| {
        let body = json!({"status": "invalid event", "message": "Event object is invalid"});
        Answer::new(400, body.to_string())
    })
    .await;
    let error = pagerduty(&receiver).deliver(&event()).await.unwrap_err();
    assert!(!error.is_retryable(), "{error}");
    assert_eq!(error.status(), Some(400));
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("Event object is invalid"), "{shown}");
    assert!(!shown.contains(ROUTING_KEY), "{shown}");
}

/// The outbox's view: failures are retryable, the same event is sent again, and it lands once
/// the receiver recovers.
#[tokio::test]
async fn receiver_failing_the_first_two_requests_gets_retryable_errors_then_the_event() {
    const FAILURES: usize = 2;
    let receiver = Receiver::start(|n, request| {
        if n < FAILURES {
            Answer::new(500, "internal error")
        } else {
            pagerduty_answer(request)
        }
    })
    .await;
    let sink = pagerduty(&receiver);
    let mut errors = Vec::new();
    for _attempt in 0..5 {
        match sink.deliver(&event()).await {
            Ok(()) => break,
            Err(error) => errors.push(error),
        }
    }
    assert_eq!(errors.len(), FAILURES, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.is_retryable() && e.status() == Some(500)),
        "{errors:?}"
    );
    let bodies: Vec<Value> = receiver.requests().iter().map(Request::json).collect();
    assert_eq!(bodies.len(), FAILURES + 1);
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every attempt sends the same event"
    );
}

// --- Alertmanager (the real one is in tests/sinks_alertmanager.rs) ---------------------------

#[tokio::test]
async fn alertmanager_repost_of_no_open_alerts_sends_nothing() {
    let receiver = Receiver::start(|_, _| Answer::new(200, "")).await;
    let sink = AlertmanagerSink::new(
        AlertmanagerConfig::new(receiver.base.clone()),
        http_client::build().unwrap(),
    )
    .unwrap();
    sink.repost(&[]).await.expect("nothing to send is fine");
    sink.repost(&[event()]).await.unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "only the non-empty re-post");
    assert_eq!(requests[0].path, "POST /api/v2/alerts");
    assert_eq!(
        requests[0].json()[0]["labels"]["alert_id"],
        "3f2a9c0d1e4b5a68"
    );
}

#[tokio::test]
async fn alertmanager_server_error_is_retryable_and_bad_request_final() {
    let receiver = Receiver::start(|n, _| match n {
        0 => Answer::new(500, ""),
        _ => Answer::new(400, "\"start time must be before end time\""),
    })
    .await;
    let sink = AlertmanagerSink::new(
        AlertmanagerConfig::new(receiver.base.clone()),
        http_client::build().unwrap(),
    )
    .unwrap();
    assert!(sink.deliver(&event()).await.unwrap_err().is_retryable());
    let error = sink.deliver(&event()).await.unwrap_err();
    assert!(!error.is_retryable());
    assert!(
        error
            .to_string()
            .contains("start time must be before end time"),
        "{error}"
    );
}

// --- Webhook --------------------------------------------------------------------------------

fn webhook(receiver: &Receiver, configure: impl FnOnce(&mut WebhookConfig)) -> WebhookSink {
    let url = format!("{}/services/T0/B0/{URL_TOKEN}", receiver.base);
    let mut config = WebhookConfig::new(Secret::from(url.as_str()));
    configure(&mut config);
    WebhookSink::new(config, http_client::build().unwrap()).unwrap()
}

#[tokio::test]
async fn webhook_posts_the_alert_json_with_slack_text_and_bearer_token() {
    let receiver = Receiver::start(|_, request| slack_answer(request)).await;
    let sink = webhook(&receiver, |c| {
        c.text = true;
        c.bearer_token = Some(Secret::from("B3ARER"));
    });
    let open = event();
    sink.deliver(&open)
        .await
        .expect("slack-style receiver accepts it");

    let request = &receiver.requests()[0];
    assert_eq!(request.path, format!("POST /services/T0/B0/{URL_TOKEN}"));
    assert_eq!(request.header("authorization"), Some("Bearer B3ARER"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let mut body = request.json();
    let text = body.as_object_mut().unwrap().remove("text").unwrap();
    assert_eq!(
        body,
        serde_json::to_value(&open).unwrap(),
        "the DESIGN.md section 7 JSON"
    );
    assert!(text
        .as_str()
        .unwrap()
        .starts_with("*OPEN* critical origin-hijack 198.51.100.0/24 (pk-gov): "));
}

#[tokio::test]
async fn webhook_without_text_is_refused_by_a_slack_style_receiver_as_final() {
    let receiver = Receiver::start(|_, request| slack_answer(request)).await;
    let error = webhook(&receiver, |_| {})
        .deliver(&event())
        .await
        .unwrap_err();
    assert!(!error.is_retryable());
    assert!(
        error.to_string().ends_with("HTTP 400: invalid_payload"),
        "{error}"
    );
}

#[tokio::test]
async fn webhook_errors_show_the_host_but_never_the_url_token() {
    let receiver = Receiver::start(|_, _| Answer::new(503, "")).await;
    let error = webhook(&receiver, |_| {})
        .deliver(&event())
        .await
        .unwrap_err();
    assert!(error.is_retryable());
    let shown = format!("{error} {error:?}");
    assert!(shown.contains(&receiver.base), "{shown}");
    assert!(!shown.contains(URL_TOKEN), "{shown}");
}

#[tokio::test]
async fn rate_limited_429_is_retryable_and_carries_retry_after() {
    let receiver = Receiver::start(|_, _| {
        let mut answer = Answer::new(429, "rate_limited");
        answer.headers.push(("retry-after", "7".into()));
        answer
    })
    .await;
    let error = webhook(&receiver, |_| {})
        .deliver(&event())
        .await
        .unwrap_err();
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn slow_receiver_times_out_as_a_retryable_error() {
    const TIMEOUT_SECS: u64 = 1;
    let receiver = Receiver::start(|_, _| {
        let mut answer = Answer::new(200, "ok");
        answer.delay = Duration::from_secs(30);
        answer
    })
    .await;
    let sink = webhook(&receiver, |c| c.timeout = Some(Seconds(TIMEOUT_SECS)));
    let started = Instant::now();
    let error = sink.deliver(&event()).await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(error.failure, DeliveryFailure::Timeout { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(
        waited >= Duration::from_secs(TIMEOUT_SECS) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn refused_connection_is_retryable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook/{URL_TOKEN}", closed.local_addr().unwrap());
    drop(closed);
    let sink = WebhookSink::new(
        WebhookConfig::new(Secret::from(url.as_str())),
        http_client::build().unwrap(),
    )
    .unwrap();
    let error = sink.deliver(&event()).await.unwrap_err();
    assert!(
        matches!(error.failure, DeliveryFailure::Connect { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(!format!("{error} {error:?}").contains(URL_TOKEN));
}

// --- Syslog ---------------------------------------------------------------------------------

fn assert_alert_message(message: &Syslog, event: &AlertEvent, pri: u16) {
    assert_eq!(message.pri, pri);
    assert_eq!(message.version, "1");
    DateTime::parse_from_rfc3339(&message.timestamp).expect("RFC 3339 TIMESTAMP");
    assert_eq!(message.hostname, "bgpwatch-test");
    assert_eq!(
        (
            message.app_name.as_str(),
            message.procid.as_str(),
            message.msgid.as_str()
        ),
        ("bgpwatch", "-", "ALERT")
    );
    assert_eq!(message.sd_id, "bgpwatch@32473");
    assert_eq!(message.param("id"), Some(event.id.as_str()));
    assert_eq!(message.param("kind"), Some("origin-hijack"));
    assert_eq!(message.param("prefix"), Some("198.51.100.0/24"));
    assert_eq!(message.param("origin"), Some("64666"));
    assert_eq!(message.param("group"), Some("pk-gov"));
    assert_eq!(message.msg, event.summary);
}

fn syslog(address: String, transport: Transport) -> SyslogSink {
    let mut config = SyslogConfig::new(address, transport);
    config.hostname = Some("bgpwatch-test".into());
    SyslogSink::new(config).unwrap()
}

#[tokio::test]
async fn syslog_udp_datagram_is_one_rfc5424_message() {
    let listener = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sink = syslog(listener.local_addr().unwrap().to_string(), Transport::Udp);
    let open = event();
    sink.deliver(&open).await.unwrap();
    sink.deliver(&resolved(&open, later())).await.unwrap();

    let mut buffer = vec![0; 65_536];
    let mut lines = Vec::new();
    for _ in 0..2 {
        let (len, _) = tokio::time::timeout(PATIENCE, listener.recv_from(&mut buffer))
            .await
            .expect("datagram arrives")
            .unwrap();
        lines.push(String::from_utf8(buffer[..len].to_vec()).unwrap());
    }
    // daemon (3) * 8 + crit (2); the all-clear is notice (5).
    assert_alert_message(&parse_rfc5424(&lines[0]), &open, 26);
    let end = parse_rfc5424(&lines[1]);
    assert_alert_message(&end, &open, 29);
    assert_eq!(end.param("event"), Some("resolved"));
    assert_eq!(end.timestamp, "2026-01-01T08:00:00Z");
}

#[tokio::test]
async fn syslog_tcp_frames_each_message_with_its_octet_count() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink = syslog(listener.local_addr().unwrap().to_string(), Transport::Tcp);
    let mut open = event();
    open.summary = "préfixe 198.51.100.0/24 détourné".into();
    let collector = tokio::spawn(async move {
        let mut frames = Vec::new();
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).await.unwrap();
            frames.push(bytes);
        }
        frames
    });
    sink.deliver(&open).await.unwrap();
    sink.deliver(&updated(&open, Severity::Warning, later()))
        .await
        .unwrap();
    let frames = tokio::time::timeout(PATIENCE, collector)
        .await
        .unwrap()
        .unwrap();

    let mut messages = Vec::new();
    for frame in &frames {
        let space = frame.iter().position(|&b| b == b' ').expect("MSG-LEN SP");
        let len: usize = std::str::from_utf8(&frame[..space])
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            len,
            frame.len() - space - 1,
            "MSG-LEN counts the octets that follow"
        );
        messages.push(parse_rfc5424(
            std::str::from_utf8(&frame[space + 1..]).unwrap(),
        ));
    }
    assert_alert_message(&messages[0], &open, 26);
    assert_eq!(
        messages[1].pri, 28,
        "warning update: daemon * 8 + warning (4)"
    );
    assert_eq!(messages[1].param("event"), Some("update"));
}

#[tokio::test]
async fn syslog_tcp_refused_connection_is_retryable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap().to_string();
    drop(closed);
    let error: DeliveryError = syslog(address.clone(), Transport::Tcp)
        .deliver(&event())
        .await
        .unwrap_err();
    assert!(
        matches!(error.failure, DeliveryFailure::Connect { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(error
        .to_string()
        .starts_with(&format!("syslog sink, tcp://{address}: cannot connect")));
}
