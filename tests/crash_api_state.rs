//! Crash safety of what operators wrote through the API (issue 9): an acknowledgement whose
//! PagerDuty `acknowledge` has not been delivered yet, and a silence, survive `kill -9`. After
//! the restart the acknowledgement is still on the alert, its `acknowledge` is delivered once
//! (retried from the outbox, not lost, not repeated), the silence still holds, and the alert
//! that was already paged is not paged again.

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
use sinks_common::{Answer, Receiver, Request};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const TOKEN: &str = "crash-api-state-token-77c2";
/// The outbox retries a failed delivery after 5 s, doubling; allow for a busy machine.
const RETRIED_WITHIN: Duration = Duration::from_secs(30);

fn call(m: &Monitor, method: &str, path: &str, body: &str) -> (u16, Value) {
    m.api(TOKEN, method, path, body)
}

fn actions(requests: &[Request], action: &str) -> usize {
    requests
        .iter()
        .filter(|r| r.json()["event_action"] == action)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undelivered_acknowledgement_and_a_silence_survive_kill_9() {
    // PagerDuty refuses acknowledgements (503) until `accept_acks` is set, then counts those
    // it accepts.
    let accept_acks = Arc::new(AtomicBool::new(false));
    let accepted_acks = Arc::new(AtomicUsize::new(0));
    let (accepting, accepted) = (accept_acks.clone(), accepted_acks.clone());
    let pagerduty = Receiver::start(move |_, r| {
        if r.json()["event_action"] != "acknowledge" {
            return pagerduty_answer(r);
        }
        if !accepting.load(Ordering::SeqCst) {
            return Answer::new(503, "maintenance");
        }
        let answer = pagerduty_answer(r);
        accepted.fetch_add(1, Ordering::SeqCst);
        answer
    })
    .await;
    let mut lines = observe::legit_announcements();
    lines.extend(observe::hijack());
    // Every connection (the first run's and the restarted one's) sees the hijack go on.
    let feed = server::start(vec![vec![
        Action::Sleep(Duration::from_secs(1)),
        Action::Send(lines),
        Action::Idle,
    ]])
    .await;
    let sources = format!(
        "{}\n[[sinks]]\ntype = \"pagerduty\"\nrouting_key = \"R0UT1NGKEY0000000000000000000000\"\nurl = \"{}/v2/enqueue\"\n",
        observe::ris_source(&feed.url),
        pagerduty.base,
    );
    let m = Monitor::start_token("crash_api_state", TOKEN, &sources);

    let id = m.wait_for_alert("origin-hijack", Duration::from_secs(20));
    let trigger = pagerduty.wait_for(1, Duration::from_secs(10)).await[0].json();
    assert_eq!(
        (
            trigger["event_action"].as_str(),
            trigger["dedup_key"].as_str()
        ),
        (Some("trigger"), Some(id.as_str()))
    );
    let (status, silence) = call(
        &m,
        "POST",
        "/api/v1/silences",
        r#"{"matchers": {"offender": 64999}, "duration": "1h", "created_by": "noc", "comment": "planned move"}"#,
    );
    assert_eq!(status, 201, "{silence}");
    let (status, acked) = call(
        &m,
        "POST",
        &format!("/api/v1/alerts/{id}/ack"),
        r#"{"by": "alice", "comment": "calling the upstream"}"#,
    );
    assert_eq!(status, 200, "{acked}");
    // The acknowledge was tried and refused: it waits in the outbox for its retry.
    pagerduty.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(actions(&pagerduty.requests(), "acknowledge"), 1);

    let (dir, http) = m.kill9();
    accept_acks.store(true, Ordering::SeqCst);
    let m = Monitor::relaunch(dir, http);

    let deadline = tokio::time::Instant::now() + RETRIED_WITHIN;
    while accepted_acks.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the acknowledge was not retried after the restart: {:?}\n{}",
            pagerduty
                .requests()
                .iter()
                .map(Request::json)
                .collect::<Vec<_>>(),
            m.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Time for a wrong re-page or a second retry to show.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let requests = pagerduty.requests();
    assert_eq!(
        actions(&requests, "trigger"),
        1,
        "paged again after kill -9"
    );
    assert_eq!(
        accepted_acks.load(Ordering::SeqCst),
        1,
        "the acknowledge is delivered once after the restart"
    );
    assert!(
        actions(&requests, "acknowledge") >= 2,
        "refused before the kill, delivered after it"
    );
    assert!(requests
        .iter()
        .all(|r| r.json()["dedup_key"] == id.as_str()));

    let (status, alert) = call(&m, "GET", &format!("/api/v1/alerts/{id}"), "");
    assert_eq!(status, 200, "{alert}");
    assert_eq!(alert["state"], "open", "{alert}");
    assert_eq!(alert["ack"]["by"], "alice", "{alert}");
    assert_eq!(alert["ack"]["comment"], "calling the upstream", "{alert}");
    let (status, silences) = call(&m, "GET", "/api/v1/silences", "");
    assert_eq!(status, 200, "{silences}");
    let kept: Vec<&Value> = silences["silences"]
        .as_array()
        .map(|s| s.iter().filter(|s| s["id"] == silence["id"]).collect())
        .unwrap_or_default();
    assert_eq!(kept.len(), 1, "the silence was lost: {silences}");
    assert_eq!(kept[0]["comment"], "planned move", "{silences}");
    assert_eq!(m.terminate(), Some(0));
}
