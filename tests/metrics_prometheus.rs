//! Debian's Prometheus scrapes a running `bgpwatch run` (an MRT bootstrap of a real RIS file,
//! then real RIS Live lines from a local server with a hijack and the scenario prefixes'
//! routes), and every PromQL expression of `dashboards/*.json` returns data through
//! Prometheus' HTTP API; the monitor's own alert rules load and evaluate cleanly.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/observe.rs"]
mod observe;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use monitor::Monitor;
use serde_json::Value;
use server::Action;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// RIS rrc06, 2015-04-01 00:00-00:05: `bgpdump -m` counts 1,435 A and 122 W lines
/// (PROVENANCE.md of the data dir).
const MRT_FILE: &str = "mrt/ris/rrc06.updates.20150401.0000.gz";
const MRT_ANNOUNCEMENTS: f64 = 1435.0;
const MRT_WITHDRAWALS: f64 = 122.0;
/// What `$__rate_interval` becomes: long enough to span the whole test.
const RATE_INTERVAL: &str = "5m";
/// RIS_PEER_STATE, two RIS beacons and the scenario watchlist's four covering blocks.
const SUBSCRIPTIONS: usize = 7;

/// A Prometheus server run for one test; killed when dropped.
struct Prometheus {
    child: Child,
    address: String,
    dir: PathBuf,
}

impl Prometheus {
    fn start(binary: &Path, dir: &Path, target: &str) -> Prometheus {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/prometheus-rules.yml");
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [\"{}\"]\nscrape_configs: [{{job_name: bgpwatch, static_configs: [{{targets: [\"{target}\"]}}]}}]\n",
                rules.display()
            ),
        )
        .unwrap();
        let address = format!("127.0.0.1:{}", monitor::free_port());
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .expect("starting prometheus");
        let prometheus = Prometheus {
            child,
            address,
            dir: dir.to_path_buf(),
        };
        prometheus.wait_for("ready", |p| {
            observe::get(&p.address, "/-/ready").is_some_and(|r| r.status == 200)
        });
        prometheus
    }

    /// The result vector of an instant query (panics on a query error).
    fn query(&self, expr: &str) -> Vec<Value> {
        let path = format!("/api/v1/query?query={}", observe::encode(expr));
        let response = observe::get(&self.address, &path).expect("prometheus answers");
        let body: Value = serde_json::from_str(&response.body)
            .unwrap_or_else(|e| panic!("{expr}: {e}: {}", response.body));
        assert_eq!(body["status"], "success", "{expr}: {}", response.body);
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The single value of `expr` (the sum of its series), if it has any.
    fn value(&self, expr: &str) -> Option<f64> {
        let result = self.query(&format!("sum({expr})"));
        result.first().map(sample_value)
    }

    fn wait_for(&self, what: &str, done: impl Fn(&Prometheus) -> bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if done(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let log = std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default();
        panic!("timed out waiting for prometheus: {what}\n{log}");
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sample_value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Grafana's variables as a dashboard user would have them: all groups, one prefix.
fn substitute(expr: &str, prefix: &str) -> String {
    let escaped: String = prefix
        .chars()
        .map(|c| {
            if ".+*?()[]{}|^$\\".contains(c) {
                format!("\\\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect();
    let out = expr
        .replace("$__rate_interval", RATE_INTERVAL)
        .replace("$group", ".*")
        .replace("$prefix", &escaped);
    assert!(!out.contains('$'), "unknown variable left in `{out}`");
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_a_running_monitor_and_every_dashboard_query_returns_data() {
    let Some(binary) = support::tool("prometheus") else {
        return;
    };
    let Some(mrt) = support::data_file(MRT_FILE) else {
        return;
    };
    let Some(mut lines) = observe::real_lines() else {
        return;
    };
    lines.extend(observe::legit_announcements());
    lines.extend(observe::hijack());
    // A second hijack well after Prometheus' first scrape: rates and the latency histogram
    // see it happen.
    let second_hijack = observe::HIJACK_PEERS
        .iter()
        .map(|&(peer, asn)| observe::announce(peer, &[asn, 64666], &["203.0.113.0/24"]))
        .collect();
    let server = server::start(vec![vec![
        Action::AwaitSubscriptions(SUBSCRIPTIONS),
        Action::Sleep(Duration::from_secs(4)),
        Action::Send(lines),
        Action::Sleep(Duration::from_secs(8)),
        Action::Send(second_hijack),
        Action::Idle,
    ]])
    .await;
    let sources = format!(
        "[[sources]]\ntype = \"mrt\"\npaths = [\"{}\"]\n{}",
        mrt.display(),
        observe::ris_source(&server.url)
    );
    let m = Monitor::start("metrics_prometheus", &sources);
    let prometheus = Prometheus::start(&binary, &m.dir, &m.http);

    prometheus.wait_for("the hijack, the MRT file and visibility readings", |p| {
        p.value("bgpwatch_alerts_total{kind=\"origin-hijack\"}") == Some(2.0)
            && p.value("bgpwatch_updates_total{source=\"mrt\",kind=\"announce\"}")
                == Some(MRT_ANNOUNCEMENTS)
            && p.query("bgpwatch_prefix_visibility_ratio").len() == observe::TRACKED.len()
    });
    assert_eq!(
        prometheus.value("bgpwatch_updates_total{source=\"mrt\",kind=\"withdraw\"}"),
        Some(MRT_WITHDRAWALS),
        "withdrawals count like bgpdump's W lines"
    );
    assert_eq!(prometheus.value("up{job=\"bgpwatch\"}"), Some(1.0));
    let ministry = prometheus.query("bgpwatch_prefix_visibility_ratio{prefix=\"198.51.100.0/24\"}");
    assert_eq!(ministry[0]["metric"]["group"], "gov");
    assert_eq!(
        sample_value(&ministry[0]),
        1.0,
        "all six legit vantage points reach it"
    );

    // The prefix variable's values, then every expression of every dashboard.
    let prefixes = prometheus.query("count by (prefix) (bgpwatch_prefix_visibility_ratio)");
    let prefix = prefixes[0]["metric"]["prefix"]
        .as_str()
        .unwrap()
        .to_string();
    let queries = observe::queries();
    assert!(queries.len() >= 15, "{} queries", queries.len());
    let start = Instant::now();
    let without_data = loop {
        let without_data: Vec<String> = queries
            .iter()
            .map(|q| (q, substitute(&q.expr, &prefix)))
            .filter(|(_, expr)| {
                !prometheus
                    .query(expr)
                    .iter()
                    .any(|s| sample_value(s).is_finite())
            })
            .map(|(q, expr)| format!("{}: `{expr}`", q.place))
            .collect();
        if without_data.is_empty() || start.elapsed() > Duration::from_secs(60) {
            break without_data;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        without_data.is_empty(),
        "dashboard queries without data:\n{}",
        without_data.join("\n")
    );
    for q in &queries {
        let expr = substitute(&q.expr, &prefix);
        let result = prometheus.query(&expr);
        eprintln!("{:>3} series  {}  `{expr}`", result.len(), q.place);
    }

    let rules = observe::get(&prometheus.address, "/api/v1/rules").unwrap();
    let rules: Value = serde_json::from_str(&rules.body).unwrap();
    let evaluated: Vec<&Value> = rules["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect();
    assert_eq!(evaluated.len(), 6, "{rules}");
    for rule in evaluated {
        assert_eq!(rule["health"], "ok", "{rule}");
    }

    for series in prometheus.query("count by (__name__) ({__name__=~\"bgpwatch_.+\"})") {
        eprintln!(
            "{:>4}  {}",
            sample_value(&series),
            series["metric"]["__name__"].as_str().unwrap()
        );
    }
    drop(prometheus);
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}
