//! Helpers of the metrics, dashboard and status-page tests: RIS Live lines that give the
//! scenario watchlist visibility and an alert, the PromQL of `dashboards/*.json`, and a plain
//! HTTP GET that keeps the headers.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Vantage points that carry the scenario prefixes from their expected origins.
pub const LEGIT_PEERS: [(&str, u32); 6] = [
    ("198.18.1.1", 3356),
    ("198.18.1.2", 1299),
    ("198.18.1.3", 174),
    ("198.18.1.4", 2914),
    ("198.18.1.5", 6939),
    ("198.18.1.6", 3257),
];
/// Vantage points that carry AS64666's hijack of 198.51.100.0/24.
pub const HIJACK_PEERS: [(&str, u32); 2] = [("198.18.0.1", 3356), ("198.18.0.2", 1299)];
/// The scenario watchlist's prefixes with expected origins (visibility is tracked for these).
pub const TRACKED: [&str; 3] = ["100.64.0.0/16", "198.51.100.0/24", "203.0.113.0/24"];

/// A RIS Live UPDATE announcing `prefixes` with `path` (peer AS first).
pub fn announce(peer: &str, path: &[u32], prefixes: &[&str]) -> String {
    json!({"type": "ris_message", "data": {"timestamp": 1_767_225_600.0, "peer": peer,
        "peer_asn": path[0].to_string(), "host": "rrc00.ripe.net", "type": "UPDATE", "path": path,
        "announcements": [{"next_hop": peer, "prefixes": prefixes}]}})
    .to_string()
}

/// A RIS Live UPDATE withdrawing `prefixes`.
pub fn withdraw(peer: &str, peer_asn: u32, prefixes: &[&str]) -> String {
    json!({"type": "ris_message", "data": {"timestamp": 1_767_225_600.0, "peer": peer,
        "peer_asn": peer_asn.to_string(), "host": "rrc00.ripe.net", "type": "UPDATE",
        "withdrawals": prefixes}})
    .to_string()
}

/// Every legit peer announces the tracked prefixes from their expected origins.
pub fn legit_announcements() -> Vec<String> {
    LEGIT_PEERS
        .iter()
        .flat_map(|&(peer, asn)| {
            [
                announce(peer, &[asn, 64500], &["198.51.100.0/24", "203.0.113.0/24"]),
                announce(peer, &[asn, 64501], &["100.64.0.0/16"]),
            ]
        })
        .collect()
}

/// Two vantage points carry 198.51.100.0/24 from AS64666: an origin-hijack.
pub fn hijack() -> Vec<String> {
    HIJACK_PEERS
        .iter()
        .map(|&(peer, asn)| announce(peer, &[asn, 64666], &["198.51.100.0/24"]))
        .collect()
}

/// Real RIS Live lines (1,000 frames of 2019), or a loud skip.
pub fn real_lines() -> Option<Vec<String>> {
    let file = crate::support::data_file("ris-live/morrowc-rislive.1k-msgs.jsonl")?;
    Some(
        std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .map(String::from)
            .collect(),
    )
}

/// `[[sources]]` of a RIS Live source at `url`.
pub fn ris_source(url: &str) -> String {
    format!("[[sources]]\ntype = \"ris-live\"\nurl = \"{url}\"\nstall_after = \"60s\"\n")
}

/// A response: status, headers (lower-case names) and body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` (already percent-encoded) over HTTP/1.0.
pub fn get(address: &str, path: &str) -> Option<Response> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Response {
        status,
        headers,
        body: body.to_string(),
    })
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The Grafana dashboards shipped in `dashboards/`.
pub fn dashboard_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A dashboard file, parsed.
pub fn dashboard(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One PromQL expression of a dashboard, with where it is.
#[derive(Debug, Clone)]
pub struct Query {
    /// `file: panel title` or `file: variable NAME`.
    pub place: String,
    /// The expression as written (with Grafana variables).
    pub expr: String,
}

/// Every panel target's `expr` and every query variable (its `label_values(SELECTOR, LABEL)`
/// as the PromQL `count by (LABEL) (SELECTOR)`), of every dashboard.
pub fn queries() -> Vec<Query> {
    let mut out = Vec::new();
    for file in dashboard_files() {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let d = dashboard(&file);
        for panel in panels(&d) {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push(Query {
                        place: format!("{name}: {}", panel["title"].as_str().unwrap_or("?")),
                        expr: expr.to_string(),
                    });
                }
            }
        }
        for var in d["templating"]["list"].as_array().into_iter().flatten() {
            if var["type"] != "query" {
                continue;
            }
            let text = var["query"]["query"]
                .as_str()
                .or(var["query"].as_str())
                .unwrap_or_default();
            out.push(Query {
                place: format!("{name}: variable {}", var["name"].as_str().unwrap_or("?")),
                expr: label_values_as_promql(text),
            });
        }
    }
    out
}

/// Panels of a dashboard, rows flattened.
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        out.push(panel);
        out.extend(panel["panels"].as_array().into_iter().flatten());
    }
    out
}

/// `label_values(SELECTOR, LABEL)` → `count by (LABEL) (SELECTOR)`.
pub fn label_values_as_promql(text: &str) -> String {
    let inner = text
        .trim()
        .strip_prefix("label_values(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or_else(|| panic!("variable query `{text}` is not label_values(SELECTOR, LABEL)"));
    let (selector, label) = inner
        .rsplit_once(',')
        .unwrap_or_else(|| panic!("`{text}`: no label"));
    format!("count by ({}) ({})", label.trim(), selector.trim())
}

/// Metric names (`bgpwatch_…`) an expression reads.
pub fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("bgpwatch_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}
