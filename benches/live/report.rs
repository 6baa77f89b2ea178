//! The live bench's table and verdicts; the figures also go to `BENCH_RESULTS`.

use crate::common::{mib, record};
use std::time::Duration;

/// The rate the targets are stated at.
const TARGET_RATE: u64 = 5_000;
/// Target: CPU per message at [`TARGET_RATE`].
const TARGET_CPU_US: f64 = 2.0;
/// Target: p99 alert latency at [`TARGET_RATE`].
const TARGET_P99_MS: f64 = 5.0;
/// The table's column titles, aligned with the rows [`print_table`] writes.
const TABLE_HEAD: &str = concat!(
    "rate target | actual msg/s | messages | CPU µs/msg quiet / alerting ",
    "| latency p50 / p99 / max (ms) | alerts exp/recv | peak RSS"
);

/// The figures of one rate.
pub struct Outcome {
    /// Frames of the quiet phase and the child's CPU over it.
    pub quiet_messages: u64,
    pub cpu_quiet: Duration,
    pub rate: u64,
    pub actual_rate: f64,
    pub messages: u64,
    pub cpu: Duration,
    pub latencies_ms: Vec<f64>,
    pub expected: usize,
    pub received: usize,
    pub peak_rss_kib: Option<u64>,
    pub server_cpu: Duration,
    pub notes: Vec<String>,
}

impl Outcome {
    /// CPU per message of the quiet phase (no alerts).
    pub fn quiet_us_per_msg(&self) -> f64 {
        self.cpu_quiet.as_secs_f64() * 1e6 / self.quiet_messages.max(1) as f64
    }

    /// CPU per message of the hijack phase (alerts recorded and written).
    pub fn cpu_us_per_msg(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.messages.max(1) as f64
    }

    pub fn latency(&self, quantile: f64) -> Option<f64> {
        percentile(&self.latencies_ms, quantile)
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], quantile: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub fn print_table(outcomes: &[Outcome]) {
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    println!();
    println!("{TABLE_HEAD}");
    println!("{}", "-".repeat(TABLE_HEAD.chars().count()));
    for o in outcomes {
        let latency = format!(
            "{} / {} / {}",
            ms(o.latency(0.50)),
            ms(o.latency(0.99)),
            ms(o.latency(1.0))
        );
        println!(
            "{:>11} | {:>12.0} | {:>8} | {:>27} | {:>28} | {:>15} | {:>9}",
            format!("{} msg/s", o.rate),
            o.actual_rate,
            o.messages,
            format!("{:.2} / {:.2}", o.quiet_us_per_msg(), o.cpu_us_per_msg()),
            latency,
            format!("{}/{}", o.expected, o.received),
            mib(o.peak_rss_kib),
        );
    }
    println!();
    for o in outcomes {
        println!(
            "{} msg/s: child CPU quiet {:.2} s over {} frames, alerting {:.2} s over {} (10 ms ticks: ±{:.2} / ±{:.2} µs/msg); server CPU {:.2} s, not counted",
            o.rate,
            o.cpu_quiet.as_secs_f64(),
            o.quiet_messages,
            o.cpu.as_secs_f64(),
            o.messages,
            0.01e6 / o.quiet_messages.max(1) as f64,
            0.01e6 / o.messages.max(1) as f64,
            o.server_cpu.as_secs_f64()
        );
        for note in &o.notes {
            println!("  {note}");
        }
        if o.actual_rate < 0.95 * o.rate as f64 {
            println!(
                "  note: the server kept only {:.0} % of the target rate",
                100.0 * o.actual_rate / o.rate as f64
            );
        }
    }
}

/// Every injected hijack must open exactly one alert; a mismatch is shouted.
/// Appends every rate's figures to `BENCH_RESULTS` (`live.<rate>.*`).
pub fn record_outcomes(outcomes: &[Outcome]) {
    for o in outcomes {
        let key = |name: &str| format!("live.{}.{name}", o.rate);
        record(&key("actual_rate"), o.actual_rate);
        record(&key("cpu_us"), o.quiet_us_per_msg());
        record(&key("cpu_us_alerting"), o.cpu_us_per_msg());
        record(&key("alerts_expected"), o.expected as f64);
        record(&key("alerts_received"), o.received as f64);
        for (name, q) in [("p50_ms", 0.50), ("p99_ms", 0.99)] {
            if let Some(v) = o.latency(q) {
                record(&key(name), v);
            }
        }
        if let Some(kib) = o.peak_rss_kib {
            record(&key("rss_kib"), kib as f64);
        }
    }
}

pub fn check_alerts(outcomes: &[Outcome]) -> bool {
    let mut complete = true;
    for o in outcomes {
        if o.expected != o.received {
            complete = false;
            println!(
                "!!!!!!!! ALERT MISMATCH at {} msg/s: {} hijacks injected, {} open alerts received !!!!!!!!",
                o.rate, o.expected, o.received
            );
        }
    }
    complete
}

pub fn print_targets(outcomes: &[Outcome]) {
    println!();
    let verdict = |holds: bool| if holds { "HOLDS" } else { "MISSED" };
    match outcomes.iter().find(|o| o.rate == TARGET_RATE) {
        Some(o) => {
            let cpu = o.quiet_us_per_msg();
            println!(
                "target <= {TARGET_CPU_US} µs CPU per message (quiet phase) at {TARGET_RATE} msg/s: {} ({cpu:.2} µs)",
                verdict(cpu <= TARGET_CPU_US)
            );
            match o.latency(0.99) {
                Some(p99) => println!(
                    "target p99 alert latency <= {TARGET_P99_MS} ms at {TARGET_RATE} msg/s: {} ({p99:.2} ms)",
                    verdict(p99 <= TARGET_P99_MS && o.received == o.expected)
                ),
                None => println!(
                    "target p99 alert latency <= {TARGET_P99_MS} ms at {TARGET_RATE} msg/s: MISSED (no alert arrived)"
                ),
            }
        }
        None => println!("targets are stated at {TARGET_RATE} msg/s, which this run did not measure (BENCH_LIVE_RATES)"),
    }
    println!(
        "reference, BGPalerter (measured by the issue author on this kind of machine, not by this bench): \
         66-80 µs CPU per message, alert latency p50 128 ms / p99 203 ms"
    );
}
