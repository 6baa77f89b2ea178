//! The metric names of DESIGN.md section 8 are a contract: a running `bgpwatch run` exports
//! every one of them with exactly its labels, and the dashboards and alert rules read no metric
//! it does not export. Needs no lab component: the RIS Live lines are written here.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/observe.rs"]
mod observe;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use monitor::Monitor;
use server::Action;
use std::collections::BTreeSet;
use std::time::Duration;

/// DESIGN.md section 8: name, type, label names.
const DESIGN_METRICS: [(&str, &str, &[&str]); 11] = [
    ("bgpwatch_updates_total", "counter", &["source", "kind"]),
    ("bgpwatch_feed_up", "gauge", &["source"]),
    (
        "bgpwatch_feed_last_message_timestamp_seconds",
        "gauge",
        &["source"],
    ),
    ("bgpwatch_vantage_points_up", "gauge", &["source"]),
    ("bgpwatch_watched_prefixes", "gauge", &["group"]),
    (
        "bgpwatch_prefix_visibility_ratio",
        "gauge",
        &["prefix", "group"],
    ),
    ("bgpwatch_alerts_open", "gauge", &["kind", "severity"]),
    ("bgpwatch_alerts_total", "counter", &["kind", "severity"]),
    ("bgpwatch_detection_latency_seconds", "histogram", &[]),
    (
        "bgpwatch_notifications_total",
        "counter",
        &["sink", "outcome"],
    ),
    ("bgpwatch_dropped_updates_total", "counter", &["source"]),
];
const SUBSCRIPTIONS: usize = 7;

/// Label names of every sample line of `name` (histogram samples without `le`).
fn label_sets(exposition: &str, name: &str) -> BTreeSet<Vec<String>> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, _) = l.rsplit_once(' ')?;
            let (metric, labels) = series.split_once('{').unwrap_or((series, "}"));
            let base = metric
                .strip_suffix("_bucket")
                .or_else(|| metric.strip_suffix("_sum"))
                .or_else(|| metric.strip_suffix("_count"))
                .unwrap_or(metric);
            (metric == name || base == name).then(|| {
                let mut names: Vec<String> = labels
                    .trim_end_matches('}')
                    .split("\",")
                    .filter_map(|pair| pair.split_once('=').map(|(k, _)| k.to_string()))
                    .filter(|k| k != "le")
                    .collect();
                names.sort();
                names
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_design_metric_is_exported_with_its_labels_and_dashboards_read_no_other() {
    let mut lines = observe::legit_announcements();
    lines.extend(observe::hijack());
    let server = server::start(vec![vec![
        Action::AwaitSubscriptions(SUBSCRIPTIONS),
        Action::Send(lines),
        Action::Idle,
    ]])
    .await;
    let m = Monitor::start("metrics_contract", &observe::ris_source(&server.url));
    m.wait_for(
        "visibility readings and the hijack",
        Duration::from_secs(30),
        |m| {
            m.get("/metrics").is_some_and(|(_, body)| {
                body.contains("bgpwatch_prefix_visibility_ratio{")
                    && body.contains("bgpwatch_detection_latency_seconds_count 1")
            })
        },
    );
    let (_, exposition) = m.get("/metrics").unwrap();

    for (name, kind, labels) in DESIGN_METRICS {
        assert!(
            exposition.contains(&format!("# TYPE {name} {kind}\n")),
            "{name} is not a {kind}:\n{exposition}"
        );
        let mut expected: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        expected.sort();
        assert_eq!(
            label_sets(&exposition, name),
            BTreeSet::from([expected]),
            "{name}: labels"
        );
    }
    assert_eq!(
        label_sets(&exposition, "bgpwatch_prefix_visibility_ratio").len(),
        1,
        "one label set"
    );
    let visibility_series = exposition
        .lines()
        .filter(|l| l.starts_with("bgpwatch_prefix_visibility_ratio{"))
        .count();
    assert_eq!(
        visibility_series,
        observe::TRACKED.len(),
        "one series per watched prefix with a baseline"
    );

    let exported: BTreeSet<&str> = exposition
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/prometheus-rules.yml"),
    )
    .unwrap();
    let mut read: Vec<(String, String)> = observe::queries()
        .into_iter()
        .flat_map(|q| {
            observe::metric_names(&q.expr)
                .into_iter()
                .map(move |n| (q.place.clone(), n))
        })
        .collect();
    read.extend(
        observe::metric_names(&rules)
            .into_iter()
            .map(|n| ("prometheus-rules.yml".to_string(), n)),
    );
    assert!(read.len() > 20);
    for (place, name) in read {
        let base = name.strip_suffix("_bucket").unwrap_or(&name);
        assert!(
            exported.contains(base),
            "{place} reads {name}, which bgpwatch does not export"
        );
    }
    assert_eq!(m.terminate(), Some(0));
}
