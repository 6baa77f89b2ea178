//! Paging from the live service (issue 5): `bgpwatch run` with a RIS Live feed pages through
//! the real Debian `prometheus-alertmanager` (its own webhook delivers to a recorder here), a
//! webhook receiver that fails its first requests, and a PagerDuty stand-in; then the process
//! is killed with `kill -9` between open and resolve and started again.
//! The Alertmanager test skips (loudly) without the package and fails under
//! `BGPWATCH_REQUIRE_LAB=1`.

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
use sinks_common::alertmanager::{notification, Alertmanager};
use sinks_common::stand_ins::pagerduty_answer;
use sinks_common::{Answer, Receiver, Request};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The hijacked prefix of the scenario watchlist (group `gov`, expected origin AS64500).
const PREFIX: &str = "198.51.100.0/24";
/// Failed attempts the flaky webhook answers with 503 before it accepts.
const WEBHOOK_FAILURES: usize = 2;
/// Two retries (5 s, then 10 s) plus the scenario; generous for a shared machine.
const DELIVERY_WITHIN: Duration = Duration::from_secs(60);

/// The hijack peers announce the legitimate route again: the hijack ends.
fn hijack_ends() -> Vec<String> {
    observe::HIJACK_PEERS
        .iter()
        .map(|&(peer, asn)| observe::announce(peer, &[asn, 64500], &[PREFIX]))
        .collect()
}

fn everything_then_hijack() -> Vec<String> {
    let mut lines = observe::legit_announcements();
    lines.extend(observe::hijack());
    lines
}

fn sources(url: &str, sinks: &str) -> String {
    format!("{}\n{sinks}", observe::ris_source(url))
}

/// (`a`, `b`) of each request's JSON body, as strings: (event, id), (event_action, dedup_key).
fn fields(requests: &[Request], a: &str, b: &str) -> Vec<(String, String)> {
    requests
        .iter()
        .map(|r| {
            let body = r.json();
            (
                body[a].as_str().unwrap_or_default().to_string(),
                body[b].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn wait_until(what: &str, within: Duration, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn metric(m: &Monitor, series: &str) -> f64 {
    let (_, body) = m.get("/metrics").expect("metrics answer");
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hijack_pages_alertmanager_pagerduty_and_a_flaky_webhook_once_each_and_all_clear() {
    let recorder = Receiver::start(|_, _| Answer::new(200, "")).await;
    let Some(am) = Alertmanager::start(
        "paging_live_am",
        &format!("{}/alertmanager-webhook", recorder.base),
    )
    .await
    else {
        return;
    };
    let webhook = Receiver::start(|n, _| {
        if n < WEBHOOK_FAILURES {
            Answer::new(503, "busy")
        } else {
            Answer::new(200, "ok")
        }
    })
    .await;
    let pagerduty = Receiver::start(|_, r| pagerduty_answer(r)).await;
    let feed = server::start(vec![vec![
        Action::Send(everything_then_hijack()),
        Action::Sleep(Duration::from_secs(4)),
        Action::Send(hijack_ends()),
        Action::Idle,
    ]])
    .await;
    let sinks = format!(
        "[[sinks]]\ntype = \"alertmanager\"\nurl = \"{}\"\n\
         [[sinks]]\ntype = \"webhook\"\nurl = \"{}/hook\"\n\
         [[sinks]]\ntype = \"pagerduty\"\nrouting_key = \"R0UT1NGKEY0000000000000000000000\"\nurl = \"{}/v2/enqueue\"\n",
        am.base, webhook.base, pagerduty.base
    );
    let m = Monitor::start_with(
        "paging_live",
        "resolve_after = \"2s\"",
        &sources(&feed.url, &sinks),
    );

    // The alert as detection wrote it.
    let id = m.wait_for_alert("origin-hijack", Duration::from_secs(20));

    // Alertmanager shows it active with bgpwatch's labels, then notifies its receiver of the
    // firing alert and of its end.
    let firing = notification(DELIVERY_WITHIN, &recorder, "firing", &id).await;
    let labels = &firing["alerts"][0]["labels"];
    assert_eq!(labels["alertname"], "BgpwatchOriginHijack", "{firing}");
    assert_eq!(labels["kind"], "origin-hijack");
    assert_eq!(labels["severity"], "critical");
    assert_eq!(labels["prefix"], PREFIX);
    assert_eq!(labels["origin"], "64666");
    assert_eq!(labels["group"], "gov");
    notification(DELIVERY_WITHIN, &recorder, "resolved", &id).await;
    assert!(
        am.alerts(&id).await.is_empty(),
        "Alertmanager still shows the alert as active"
    );

    // The webhook refused twice (503), so the outbox retried; it got the open, then the
    // all-clear, each once and in that order.
    let hooks = webhook
        .wait_for(WEBHOOK_FAILURES + 2, DELIVERY_WITHIN)
        .await;
    let got = fields(&hooks[WEBHOOK_FAILURES..], "event", "id");
    assert_eq!(
        got,
        [
            ("open".to_string(), id.clone()),
            ("resolved".to_string(), id.clone())
        ]
    );
    for failed in &hooks[..WEBHOOK_FAILURES] {
        assert_eq!(
            failed.json()["event"],
            "open",
            "a retry resends the same event"
        );
    }

    // PagerDuty: trigger then resolve, dedup_key = alert id, each once.
    let pages = pagerduty.wait_for(2, DELIVERY_WITHIN).await;
    let actions = fields(&pages, "event_action", "dedup_key");
    assert_eq!(
        actions,
        [
            ("trigger".to_string(), id.clone()),
            ("resolve".to_string(), id.clone())
        ]
    );

    let failures = metric(
        &m,
        "bgpwatch_notifications_total{outcome=\"failure\",sink=\"webhook\"}",
    );
    assert_eq!(failures, WEBHOOK_FAILURES as f64);
    // Nothing more arrives: no duplicate page, no stray retry.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(webhook.requests().len(), WEBHOOK_FAILURES + 2);
    assert_eq!(pagerduty.requests().len(), 2);
    assert_eq!(m.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn after_kill_9_between_open_and_resolve_nothing_repages_and_the_all_clear_still_goes_out() {
    // The webhook works throughout; PagerDuty is down until the crash.
    let webhook = Receiver::start(|_, _| Answer::new(200, "ok")).await;
    let pagerduty_down = Arc::new(AtomicBool::new(true));
    let down = pagerduty_down.clone();
    let pagerduty = Receiver::start(move |_, r| {
        if down.load(Ordering::SeqCst) {
            Answer::new(503, "maintenance")
        } else {
            pagerduty_answer(r)
        }
    })
    .await;
    let feed = server::start(vec![
        // First life: the hijack opens.
        vec![Action::Send(everything_then_hijack()), Action::Idle],
        // Second life: the hijack is seen again (must not page again), then ends.
        vec![
            Action::Sleep(Duration::from_secs(1)),
            Action::Send(observe::hijack()),
            Action::Sleep(Duration::from_secs(2)),
            Action::Send(hijack_ends()),
            Action::Idle,
        ],
    ])
    .await;
    let sinks = format!(
        "[[sinks]]\ntype = \"webhook\"\nurl = \"{}/hook\"\n\
         [[sinks]]\ntype = \"pagerduty\"\nrouting_key = \"R0UT1NGKEY0000000000000000000000\"\nurl = \"{}/v2/enqueue\"\n",
        webhook.base, pagerduty.base
    );
    let first = Monitor::start_with(
        "paging_crash",
        "resolve_after = \"2s\"",
        &sources(&feed.url, &sinks),
    );
    let opened = webhook.wait_for(1, DELIVERY_WITHIN).await[0].json();
    assert_eq!(opened["event"], "open");
    let id = opened["id"].as_str().unwrap().to_string();
    pagerduty.wait_for(1, DELIVERY_WITHIN).await;
    // Delivery is at least once: a kill between the webhook's answer and the outbox recording
    // it would rightly send the open again. The test kills after the record (the success
    // counter moves only then), so any repeat below is a real duplicate.
    first.wait_for("the open recorded as delivered", DELIVERY_WITHIN, |m| {
        m.metric("bgpwatch_notifications_total{outcome=\"success\",sink=\"webhook\"}") >= 1.0
    });
    let (dir, http) = first.kill9();
    let failed_before_crash = pagerduty.requests().len();

    pagerduty_down.store(false, Ordering::SeqCst);
    let second = Monitor::relaunch(dir, http);
    wait_until("the all-clear at the webhook", DELIVERY_WITHIN, || {
        webhook.requests().len() >= 2
    })
    .await;
    wait_until(
        "PagerDuty's trigger (from the outbox) and resolve",
        DELIVERY_WITHIN,
        || pagerduty.requests().len() >= failed_before_crash + 2,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let hooks = fields(&webhook.requests(), "event", "id");
    assert_eq!(
        hooks,
        [
            ("open".to_string(), id.clone()),
            ("resolved".to_string(), id.clone())
        ],
        "the webhook got the open once (before the crash) and the all-clear once (after)"
    );
    let pages = fields(
        &pagerduty.requests()[failed_before_crash..],
        "event_action",
        "dedup_key",
    );
    assert_eq!(
        pages,
        [
            ("trigger".to_string(), id.clone()),
            ("resolve".to_string(), id.clone())
        ],
        "the undelivered trigger was retried after the restart, then resolved"
    );
    // The second life continued the alert rather than opening a new one.
    let events = second.events();
    let lifecycle: Vec<&str> = events
        .iter()
        .filter(|e| e["id"] == id.as_str())
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(lifecycle, ["open", "resolved"], "{events:?}");
    assert!(
        !events
            .iter()
            .any(|e| e["event"] == "open" && e["id"] != id.as_str()),
        "a second alert opened for the same hijack: {events:?}"
    );
    assert_eq!(second.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sink_that_hangs_delays_neither_detection_nor_the_other_sinks() {
    // The slow receiver answers after 30 s; its sink gives up each attempt after 2 s.
    let slow = Receiver::start(|_, _| {
        let mut answer = Answer::new(200, "ok");
        answer.delay = Duration::from_secs(30);
        answer
    })
    .await;
    let fast = Receiver::start(|_, _| Answer::new(200, "ok")).await;
    let feed = server::start(vec![vec![
        Action::Send(everything_then_hijack()),
        Action::Idle,
    ]])
    .await;
    let sinks = format!(
        "[[sinks]]\ntype = \"webhook\"\nname = \"slow\"\nurl = \"{}/hook\"\ntimeout = \"2s\"\n\
         [[sinks]]\ntype = \"webhook\"\nname = \"fast\"\nurl = \"{}/hook\"\n",
        slow.base, fast.base
    );
    let m = Monitor::start("paging_slow_sink", &sources(&feed.url, &sinks));
    let started = std::time::Instant::now();
    m.wait_for(
        "the hijack in the JSON lines",
        Duration::from_secs(20),
        |m| m.events().iter().any(|e| e["kind"] == "origin-hijack"),
    );
    let opened = fast.wait_for(1, Duration::from_secs(20)).await[0].json();
    assert_eq!(opened["event"], "open");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the fast sink waited for the slow one: {:?}",
        started.elapsed()
    );
    // The slow sink was tried, timed out, and is scheduled again: counted as a failure.
    wait_until(
        "the slow sink's timeout to count",
        Duration::from_secs(20),
        || {
            metric(
                &m,
                "bgpwatch_notifications_total{outcome=\"failure\",sink=\"slow\"}",
            ) >= 1.0
        },
    )
    .await;
    assert!(m.log().contains("no answer within 2s"), "{}", m.log());
    assert_eq!(m.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn pagerduty_gets_one_incident_for_one_offender_resolved_when_its_last_prefix_is_back() {
    const OTHER: &str = "203.0.113.0/24";
    let pagerduty = Receiver::start(|_, r| pagerduty_answer(r)).await;
    let hijack_both: Vec<String> = observe::HIJACK_PEERS
        .iter()
        .map(|&(peer, asn)| observe::announce(peer, &[asn, 64666], &[PREFIX, OTHER]))
        .collect();
    let back = |prefix: &'static str| -> Vec<String> {
        observe::HIJACK_PEERS
            .iter()
            .map(|&(peer, asn)| observe::announce(peer, &[asn, 64500], &[prefix]))
            .collect()
    };
    let mut first = observe::legit_announcements();
    first.extend(hijack_both);
    let feed = server::start(vec![vec![
        Action::Send(first),
        Action::Sleep(Duration::from_secs(2)),
        Action::Send(back(PREFIX)),
        Action::Sleep(Duration::from_secs(5)),
        Action::Send(back(OTHER)),
        Action::Idle,
    ]])
    .await;
    let sinks = format!(
        "[[sinks]]\ntype = \"pagerduty\"\nrouting_key = \"R0UT1NGKEY0000000000000000000000\"\nurl = \"{}/v2/enqueue\"\n",
        pagerduty.base
    );
    let m = Monitor::start_with(
        "paging_incident",
        "resolve_after = \"2s\"",
        &sources(&feed.url, &sinks),
    );
    let resolved = |m: &Monitor| {
        m.events()
            .iter()
            .filter(|e| e["kind"] == "origin-hijack" && e["event"] == "resolved")
            .count()
    };
    m.wait_for("the first hijack to end", Duration::from_secs(30), |m| {
        resolved(m) >= 1
    });
    if resolved(&m) == 1 {
        // The other prefix is back 5 s after the first: PagerDuty must not have resolved yet.
        tokio::time::sleep(Duration::from_secs(1)).await;
        if resolved(&m) == 1 {
            let actions: Vec<Value> = pagerduty
                .requests()
                .iter()
                .map(|r| r.json()["event_action"].clone())
                .collect();
            assert_eq!(
                actions,
                ["trigger", "trigger"],
                "resolved with an alert still open"
            );
        }
    }
    m.wait_for("both hijacks to end", Duration::from_secs(30), |m| {
        m.events()
            .iter()
            .filter(|e| e["kind"] == "origin-hijack" && e["event"] == "resolved")
            .count()
            == 2
    });
    let events = m.events();
    let opens: Vec<&Value> = events.iter().filter(|e| e["event"] == "open").collect();
    assert_eq!(opens.len(), 2, "{events:?}");
    let incident = opens[0]["incident"]
        .as_str()
        .expect("incident id")
        .to_string();
    assert!(
        opens.iter().all(|e| e["incident"] == incident.as_str()),
        "both alerts in one incident: {opens:?}"
    );
    pagerduty.wait_for(3, DELIVERY_WITHIN).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pages: Vec<Value> = pagerduty.requests().iter().map(|r| r.json()).collect();
    let actions: Vec<&str> = pages
        .iter()
        .map(|p| p["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "trigger", "resolve"], "{pages:?}");
    assert!(pages.iter().all(|p| p["dedup_key"] == incident.as_str()));
    let grown = pages[1]["payload"]["summary"].as_str().unwrap();
    assert!(
        grown.contains("2 alerts on 2 prefixes") && grown.contains(PREFIX) && grown.contains(OTHER),
        "{grown}"
    );
    assert_eq!(m.terminate(), Some(0));
}
