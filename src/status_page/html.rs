//! The page's HTML. Every string from data goes through [`esc`]; only literals are written raw.

use super::{chart, decode, ChartData, Snapshot, Thresholds, ALERTS_SHOWN, CHARTS_SHOWN};
use crate::alert::{AlertEvent, SamplePath};
use crate::telemetry::{FeedState, FeedStatus};
use crate::update::{PathHop, Timestamp};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Write};

/// The page refreshes itself this often (a meta refresh: no script).
const REFRESH_SECS: u32 = 15;

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1f2328;background:#fff;margin:0 auto;padding:18px 28px;max-width:1240px}
h1{font-size:24px;margin:0 0 2px}h2{font-size:19px;margin:26px 0 10px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub{color:#57606a;margin:0 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;color:#fff}
.live{background:#1a7f37}.degraded{background:#bf8700}.stalled{background:#cf222e}
.critical{background:#cf222e}.warning{background:#bf8700}.info{background:#57606a}
.alert{border:1px solid #d0d7de;border-left:6px solid #cf222e;border-radius:6px;padding:10px 14px;margin:0 0 12px}
.alert.sev-warning{border-left-color:#bf8700}.alert.sev-info{border-left-color:#57606a}
.alert h3{font-size:16px;margin:0 0 4px}.summary{font-weight:600;margin:4px 0 8px}
dl{display:grid;grid-template-columns:150px 1fr;gap:3px 12px;margin:0}dt{color:#57606a}dd{margin:0}
code{font:13px/1.4 ui-monospace,'DejaVu Sans Mono',monospace;background:#f6f8fa;padding:1px 5px;border-radius:4px}
ul.paths,ul.vps{margin:0;padding:0;list-style:none}
.charts{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 10px}
.card h3{font-size:15px;margin:0}.card p{margin:0 0 4px;color:#57606a;font-size:13px}
.axis{font:11px system-ui,sans-serif;fill:#57606a}
.none{color:#57606a;font-style:italic}
.nw{white-space:nowrap}
";

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The whole page.
pub(super) fn page(
    snapshot: &Snapshot,
    feeds: &BTreeMap<String, FeedState>,
    thresholds: &Thresholds,
    now: Timestamp,
) -> String {
    let mut out = String::with_capacity(32 * 1024);
    write_page(&mut out, snapshot, feeds, thresholds, now).expect("writing to a String");
    out
}

fn write_page(
    out: &mut String,
    s: &Snapshot,
    feeds: &BTreeMap<String, FeedState>,
    thresholds: &Thresholds,
    now: Timestamp,
) -> fmt::Result {
    write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH_SECS}"><title>bgpwatch status</title><style>{STYLE}</style></head><body>"#
    )?;
    write!(
        out,
        r#"<h1>bgpwatch status</h1><p class="sub">{} · bgpwatch {} · {} open alert(s) · refreshes every {REFRESH_SECS} s · <a href="/metrics">metrics</a> · <a href="/healthz">healthz</a></p>"#,
        esc(&clock(now)),
        env!("CARGO_PKG_VERSION"),
        s.open
    )?;
    write_feeds(out, feeds, now)?;
    write_alert_table(out, s, now)?;
    write_charts(out, s, thresholds)?;
    write_alerts(out, s, now)?;
    out.push_str("</body></html>");
    Ok(())
}

fn write_feeds(
    out: &mut String,
    feeds: &BTreeMap<String, FeedState>,
    now: Timestamp,
) -> fmt::Result {
    out.push_str("<h2>Feeds</h2>");
    if feeds.is_empty() {
        out.push_str(r#"<p class="none">No source configured.</p>"#);
        return Ok(());
    }
    out.push_str("<table><tr><th>source</th><th>kind</th><th>status</th><th>sessions</th><th>last data</th><th>since</th><th>last error</th></tr>");
    for (name, feed) in feeds {
        let (class, status) = match feed.status(now) {
            FeedStatus::Live if feed.finished => ("live", "finished".to_string()),
            FeedStatus::Live => ("live", "live".to_string()),
            FeedStatus::Degraded { reason } => ("degraded", format!("degraded: {reason}")),
            FeedStatus::Stalled { reason, .. } => ("stalled", format!("stalled: {reason}")),
        };
        let last = feed
            .last_data
            .map_or_else(|| "never".to_string(), |t| ago(now, t));
        write!(
            out,
            r#"<tr><td><strong>{}</strong></td><td>{}</td><td><span class="badge {class}">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(name),
            esc(feed.kind),
            esc(&status),
            feed.sessions,
            esc(&last),
            esc(&ago(now, feed.since)),
            esc(feed.last_error.as_deref().unwrap_or("–"))
        )?;
    }
    out.push_str("</table>");
    Ok(())
}

/// One line per open alert, most severe and newest first, linking to its evidence below.
fn write_alert_table(out: &mut String, s: &Snapshot, now: Timestamp) -> fmt::Result {
    write!(out, "<h2>Open alerts ({})</h2>", s.open)?;
    if s.alerts.is_empty() {
        out.push_str(r#"<p class="none">No open alert.</p>"#);
        return Ok(());
    }
    out.push_str("<table><tr><th>severity</th><th>kind</th><th>prefix / source</th><th>summary</th><th>opened</th></tr>");
    for a in &s.alerts {
        let severity = a.severity.as_str();
        write!(
            out,
            r##"<tr><td><span class="badge {severity}">{}</span></td><td class="nw">{}</td><td><a href="#a-{}"><code>{}</code></a></td><td>{}</td><td class="nw">{}</td></tr>"##,
            esc(severity),
            esc(a.kind.as_str()),
            esc(&a.id),
            esc(&subject(a)),
            esc(&a.summary),
            esc(&ago(now, a.opened_at))
        )?;
    }
    out.push_str("</table>");
    if s.open > ALERTS_SHOWN {
        write!(
            out,
            r#"<p class="none">… and {} more (the sinks have them all).</p>"#,
            s.open - ALERTS_SHOWN
        )?;
    }
    Ok(())
}

fn write_alerts(out: &mut String, s: &Snapshot, now: Timestamp) -> fmt::Result {
    if !s.alerts.is_empty() {
        out.push_str("<h2>Evidence of the open alerts</h2>");
    }
    for alert in &s.alerts {
        write_alert(out, alert, now)?;
    }
    if !s.resolved.is_empty() {
        out.push_str("<h2>Recently resolved</h2><table><tr><th>resolved</th><th>kind</th><th>summary</th></tr>");
        for alert in &s.resolved {
            let when = alert.resolved_at.unwrap_or(alert.time);
            write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&ago(now, when)),
                esc(alert.kind.as_str()),
                esc(&alert.summary)
            )?;
        }
        out.push_str("</table>");
    }
    Ok(())
}

fn write_alert(out: &mut String, a: &AlertEvent, now: Timestamp) -> fmt::Result {
    let severity = a.severity.as_str();
    write!(
        out,
        r#"<div class="alert sev-{severity}" id="a-{}"><h3><span class="badge {severity}">{}</span> {} <code>{}</code></h3><p class="summary">{}</p><dl>"#,
        esc(&a.id),
        esc(severity),
        esc(a.kind.as_str()),
        esc(&subject(a)),
        esc(&a.summary)
    )?;
    if let Some(watched) = a.watched_prefix {
        let mut text = watched.to_string();
        if let Some(d) = &a.description {
            text = format!("{text} — {d}");
        }
        if let Some(g) = &a.group {
            text = format!("{text} (group {g})");
        }
        row(out, "watched prefix", &esc(&text))?;
    }
    if let Some(origin) = a.origin {
        let expected: Vec<String> = a
            .expected_origins
            .iter()
            .map(|o| format!("AS{o}"))
            .collect();
        let text = format!("AS{origin}; expected {}", or_none(&expected.join(", ")));
        row(out, "origin", &esc(&text))?;
    }
    let opened = format!(
        "{} ({}), first seen {}",
        clock(a.opened_at),
        ago(now, a.opened_at),
        clock(a.first_seen)
    );
    row(out, "opened", &esc(&opened))?;
    if let Some(v) = a.visibility {
        let text = format!(
            "{:.0} % of a baseline of {}",
            v * 100.0,
            a.baseline.unwrap_or(0)
        );
        row(out, "visibility", &esc(&text))?;
    }
    let mut vps = format!("{} now, peak {}", a.peers, a.peak_peers);
    if !a.evidence.vantage_points.is_empty() {
        vps.push_str(": ");
        vps.push_str(&a.evidence.vantage_points.join(", "));
    }
    row(out, "vantage points", &esc(&vps))?;
    if !a.evidence.sample_paths.is_empty() {
        let mut paths = String::from(r#"<ul class="paths">"#);
        for path in &a.evidence.sample_paths {
            write!(paths, "<li><code>{}</code></li>", esc(&path_text(path)))?;
        }
        paths.push_str("</ul>");
        row(out, "sample AS paths", &paths)?;
    }
    row(out, "rule", &esc(&a.evidence.rule))?;
    row(out, "RPKI", &esc(a.evidence.rpki))?;
    row(out, "id", &format!("<code>{}</code>", esc(&a.id)))?;
    out.push_str("</dl></div>");
    Ok(())
}

fn write_charts(out: &mut String, s: &Snapshot, thresholds: &Thresholds) -> fmt::Result {
    write!(
        out,
        "<h2>Visibility of watched prefixes</h2><p class=\"sub\">{} tracked, {} with a baseline, {} below {:.0} % of it. The {} least visible are charted (share of the baseline's vantage points that reach the prefix; dashed: loss at {:.0} %, withdrawal at {:.0} %).</p>",
        s.tracked,
        s.with_baseline,
        s.below_recover,
        thresholds.recover_at * 100.0,
        CHARTS_SHOWN.min(s.charts.len()),
        thresholds.loss_below * 100.0,
        thresholds.withdrawal_at * 100.0
    )?;
    if s.charts.is_empty() {
        out.push_str(r#"<p class="none">No watched prefix has a baseline yet (vantage points that carried it).</p>"#);
        return Ok(());
    }
    out.push_str(r#"<div class="charts">"#);
    for c in &s.charts {
        write_card(out, c, &s.times, thresholds)?;
    }
    out.push_str("</div>");
    Ok(())
}

fn write_card(
    out: &mut String,
    c: &ChartData,
    times: &[Timestamp],
    thresholds: &Thresholds,
) -> fmt::Result {
    let current = c.samples.last().copied().and_then(decode);
    let color = chart::color_of(current, thresholds);
    let percent = current.map_or_else(|| "–".to_string(), |r| format!("{:.0} %", r * 100.0));
    write!(
        out,
        r#"<div class="card"><h3><code>{}</code> <span style="color:{color}">{}</span></h3><p>{} of {} vantage points{}</p><p>{}</p>"#,
        esc(&c.prefix.to_string()),
        esc(&percent),
        c.reach,
        c.baseline,
        esc(&c
            .group
            .as_deref()
            .map(|g| format!(" · group {g}"))
            .unwrap_or_default()),
        esc(c.description.as_deref().unwrap_or("")),
    )?;
    let label = format!("visibility of {}", c.prefix);
    let from = times.len().saturating_sub(c.samples.len());
    chart::write(out, &label, &times[from..], &c.samples, thresholds)?;
    out.push_str("</div>");
    Ok(())
}

/// The announced prefix, or the source of a feed alert.
fn subject(a: &AlertEvent) -> String {
    a.prefix
        .map(|p| p.to_string())
        .or_else(|| a.source.clone())
        .unwrap_or_default()
}

/// `2026-01-01 07:00:12 UTC` (whole seconds: the page is for humans).
fn clock(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn row(out: &mut String, name: &str, html: &str) -> fmt::Result {
    write!(out, "<dt>{}</dt><dd>{html}</dd>", esc(name))
}

fn or_none(text: &str) -> &str {
    if text.is_empty() {
        "none"
    } else {
        text
    }
}

/// `3356 1299 {64500,64501}`: leftmost hop first, an AS_SET in braces.
fn path_text(path: &SamplePath) -> String {
    let hops: Vec<String> = path
        .0
        .iter()
        .map(|hop| match hop {
            PathHop::Asn(asn) => asn.to_string(),
            PathHop::Set(set) => {
                let members: Vec<String> = set.iter().map(|a| a.to_string()).collect();
                format!("{{{}}}", members.join(","))
            }
        })
        .collect();
    hops.join(" ")
}

/// `42 s ago`, `7 min ago`, `3 h ago`.
fn ago(now: Timestamp, then: Timestamp) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..=119 => format!("{secs} s ago"),
        120..=7199 => format!("{} min ago", secs / 60),
        _ => format!("{} h ago", secs / 3600),
    }
}
