//! One prefix's visibility history as an inline SVG line chart: 0-100 % of the baseline over
//! the kept samples, with the loss and withdrawal thresholds dashed.

use super::html::esc;
use super::{decode, Sample, Thresholds};
use crate::update::Timestamp;
use std::fmt::{self, Write};

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 110.0;
const LEFT: f64 = 38.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 20.0;
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;

/// Writes the chart of `samples` taken at `times` (same length, oldest first).
pub(super) fn write(
    out: &mut String,
    label: &str,
    times: &[Timestamp],
    samples: &[Sample],
    thresholds: &Thresholds,
) -> fmt::Result {
    let color = color_of(samples.last().copied().and_then(decode), thresholds);
    write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{}"><title>{}</title>"#,
        esc(label),
        esc(label)
    )?;
    write!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#f6f8fa" stroke="#d0d7de"/>"##
    )?;
    for (value, text) in [(1.0, "100%"), (0.5, "50%"), (0.0, "0%")] {
        let y = y_of(value);
        write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d7de"/><text x="{}" y="{:.1}" text-anchor="end" class="axis">{text}</text>"##,
            LEFT + PLOT_W,
            LEFT - 4.0,
            y + 4.0
        )?;
    }
    for (value, stroke) in [
        (thresholds.loss_below, "#bf8700"),
        (thresholds.withdrawal_at, "#cf222e"),
    ] {
        let y = y_of(value);
        write!(
            out,
            r#"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="{stroke}" stroke-dasharray="4 3"/>"#,
            LEFT + PLOT_W
        )?;
    }
    write_series(out, times, samples, color)?;
    if let (Some(first), Some(last)) = (times.first(), times.last()) {
        let minutes = (*last - *first).num_seconds() as f64 / 60.0;
        let span = if minutes < 1.0 {
            format!("−{} s", (*last - *first).num_seconds())
        } else {
            format!("−{minutes:.0} min")
        };
        write!(
            out,
            r#"<text x="{LEFT}" y="{}" class="axis">{span}</text><text x="{}" y="{}" text-anchor="end" class="axis">{}</text>"#,
            HEIGHT - 5.0,
            LEFT + PLOT_W,
            HEIGHT - 5.0,
            last.format("%H:%M:%S UTC")
        )?;
    }
    out.push_str("</svg>");
    Ok(())
}

/// Polylines through consecutive samples (a gap where there was no baseline); a lone sample is
/// a dot.
fn write_series(
    out: &mut String,
    times: &[Timestamp],
    samples: &[Sample],
    color: &str,
) -> fmt::Result {
    let (Some(first), Some(last)) = (times.first(), times.last()) else {
        return Ok(());
    };
    let span = (*last - *first).num_milliseconds().max(1) as f64;
    let x_of = |t: &Timestamp| {
        if times.len() == 1 {
            LEFT + PLOT_W
        } else {
            LEFT + (*t - *first).num_milliseconds() as f64 / span * PLOT_W
        }
    };
    let mut run: Vec<(f64, f64)> = Vec::new();
    let points = times
        .iter()
        .zip(samples)
        .map(|(t, s)| (x_of(t), decode(*s)));
    for (x, value) in points.chain(std::iter::once((0.0, None))) {
        match value {
            Some(v) => run.push((x, y_of(v))),
            None if run.len() == 1 => {
                let (x, y) = run[0];
                write!(
                    out,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"/>"#
                )?;
                run.clear();
            }
            None if !run.is_empty() => {
                out.push_str(
                    r#"<polyline fill="none" stroke-width="2.5" stroke-linejoin="round" stroke=""#,
                );
                out.push_str(color);
                out.push_str(r#"" points=""#);
                for (x, y) in run.drain(..) {
                    write!(out, "{x:.1},{y:.1} ")?;
                }
                out.push_str(r#""/>"#);
            }
            None => {}
        }
    }
    Ok(())
}

fn y_of(value: f64) -> f64 {
    TOP + (1.0 - value.clamp(0.0, 1.0)) * PLOT_H
}

/// Green when recovered, amber below recovery, red in loss.
pub(super) fn color_of(ratio: Option<f64>, thresholds: &Thresholds) -> &'static str {
    match ratio {
        None => "#6e7781",
        Some(r) if r < thresholds.loss_below => "#cf222e",
        Some(r) if r < thresholds.recover_at => "#bf8700",
        Some(_) => "#1a7f37",
    }
}
