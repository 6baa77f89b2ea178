//! What the HTTP API's writes do to paging, on a real `bgpwatch run` (issue 5): an alert that
//! opens under a silence is recorded but pages nobody, pages as soon as the silence is lifted,
//! and an acknowledgement reaches PagerDuty as `acknowledge` on the alert's dedup key.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/observe.rs"]
mod observe;
#[path = "support/ris_live_server.rs"]
mod server;
mod sinks_common;
mod support;

use monitor::Monitor;
use serde_json::Value;
use server::Action;
use sinks_common::stand_ins::pagerduty_answer;
use sinks_common::{Answer, Receiver};
use std::time::Duration;

const TOKEN: &str = "paging-api-test-token-4f1e";
/// Held alerts are checked every 5 s; allow for a busy machine.
const RELEASED_WITHIN: Duration = Duration::from_secs(20);

fn call(m: &Monitor, method: &str, path: &str, body: &str) -> (u16, Value) {
    m.api(TOKEN, method, path, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silenced_alert_pages_when_the_silence_is_lifted_and_an_ack_reaches_pagerduty() {
    let pagerduty = Receiver::start(|_, r| pagerduty_answer(r)).await;
    let webhook = Receiver::start(|_, _| Answer::new(200, "ok")).await;
    let mut lines = observe::legit_announcements();
    lines.extend(observe::hijack());
    let feed = server::start(vec![vec![
        Action::Sleep(Duration::from_secs(3)),
        Action::Send(lines),
        Action::Idle,
    ]])
    .await;
    let sources = format!(
        "{}\n[[sinks]]\ntype = \"pagerduty\"\nrouting_key = \"R0UT1NGKEY0000000000000000000000\"\nurl = \"{}/v2/enqueue\"\n\
         [[sinks]]\ntype = \"webhook\"\nurl = \"{}/hook\"\n",
        observe::ris_source(&feed.url),
        pagerduty.base,
        webhook.base
    );
    let m = Monitor::start_token("paging_api", TOKEN, &sources);

    let (status, silence) = call(
        &m,
        "POST",
        "/api/v1/silences",
        r#"{"matchers": {"offender": 64666}, "duration": "1h", "created_by": "noc", "comment": "known test"}"#,
    );
    assert_eq!(status, 201, "{silence}");
    let id = m.wait_for_alert("origin-hijack", Duration::from_secs(20));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(pagerduty.requests().is_empty(), "paged under a silence");
    assert!(webhook.requests().is_empty(), "paged under a silence");
    let (status, listed) = call(&m, "GET", &format!("/api/v1/alerts/{id}"), "");
    assert_eq!(status, 200, "recorded while held: {listed}");
    let silence_id = silence["id"].as_i64().unwrap();
    assert_eq!(
        listed["held"],
        format!("silence {silence_id}").as_str(),
        "{listed}"
    );

    let (status, _) = call(&m, "DELETE", &format!("/api/v1/silences/{silence_id}"), "");
    assert!((200..300).contains(&status), "{status}");
    let opened = webhook.wait_for(1, RELEASED_WITHIN).await[0].json();
    assert_eq!(
        (opened["event"].as_str(), opened["id"].as_str()),
        (Some("open"), Some(id.as_str()))
    );
    let trigger = pagerduty.wait_for(1, RELEASED_WITHIN).await[0].json();
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["dedup_key"], id.as_str());

    let (status, acked) = call(
        &m,
        "POST",
        &format!("/api/v1/alerts/{id}/ack"),
        r#"{"by": "alice", "comment": "calling the upstream"}"#,
    );
    assert_eq!(status, 200, "{acked}");
    let pages = pagerduty.wait_for(2, Duration::from_secs(10)).await;
    let ack = pages[1].json();
    assert_eq!(ack["event_action"], "acknowledge", "{ack}");
    assert_eq!(ack["dedup_key"], id.as_str());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        webhook.requests().len(),
        1,
        "a webhook has nothing to acknowledge"
    );
    assert_eq!(m.terminate(), Some(0));
}
