//! Thresholds of the visibility lifecycle (DESIGN.md section 6) and their defaults.

use chrono::Duration;

/// Visibility below this share of the baseline is a loss.
pub const DEFAULT_LOSS_BELOW: f64 = 0.5;
/// Visibility at or below this share of the baseline is a withdrawal.
pub const DEFAULT_WITHDRAWAL_AT: f64 = 0.1;
/// Visibility at or above this share of the baseline ends an alert.
pub const DEFAULT_RECOVER_AT: f64 = 0.8;
/// How long a condition must hold before it opens or resolves an alert, seconds.
pub const DEFAULT_PERSIST_SECS: i64 = 120;
/// Fewer vantage points than this in the baseline: too few to judge.
pub const DEFAULT_MIN_BASELINE: usize = 5;
/// A vantage point counts in the baseline if it reached the prefix within this window, seconds.
pub const DEFAULT_BASELINE_WINDOW_SECS: i64 = 24 * 3600;
/// A vantage point that just came up joins the baseline after this, seconds (or once it
/// reaches the prefix again).
pub const DEFAULT_SETTLE_SECS: i64 = 300;
/// After start, no visibility alert for this long (the baseline is being learnt), seconds.
pub const DEFAULT_WARMUP_SECS: i64 = 300;
/// A group incident needs this share of the group's prefixes ...
pub const DEFAULT_MASS_SHARE: f64 = 0.05;
/// ... and at least this many prefixes ...
pub const DEFAULT_MASS_MIN_PREFIXES: usize = 10;
/// ... opened within this window, seconds.
pub const DEFAULT_MASS_WINDOW_SECS: i64 = 300;
/// Visibility is evaluated this often, seconds of data time.
pub const EVALUATE_EVERY_SECS: i64 = 10;

/// Thresholds of the visibility lifecycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VisibilitySettings {
    /// Loss below this ratio.
    pub loss_below: f64,
    /// Withdrawal at or below this ratio.
    pub withdrawal_at: f64,
    /// Recovery at or above this ratio.
    pub recover_at: f64,
    /// Persistence for opening and resolving.
    pub persist: Duration,
    /// Smallest baseline judged.
    pub min_baseline: usize,
    /// Baseline window.
    pub window: Duration,
    /// Settling time of a vantage point that came up.
    pub settle: Duration,
    /// Warm-up after start.
    pub warmup: Duration,
    /// Group share for a mass withdrawal.
    pub mass_share: f64,
    /// Minimum prefixes for a mass withdrawal.
    pub mass_min: usize,
    /// Window of a mass withdrawal.
    pub mass_window: Duration,
}

impl Default for VisibilitySettings {
    fn default() -> Self {
        VisibilitySettings {
            loss_below: DEFAULT_LOSS_BELOW,
            withdrawal_at: DEFAULT_WITHDRAWAL_AT,
            recover_at: DEFAULT_RECOVER_AT,
            persist: Duration::seconds(DEFAULT_PERSIST_SECS),
            min_baseline: DEFAULT_MIN_BASELINE,
            window: Duration::seconds(DEFAULT_BASELINE_WINDOW_SECS),
            settle: Duration::seconds(DEFAULT_SETTLE_SECS),
            warmup: Duration::seconds(DEFAULT_WARMUP_SECS),
            mass_share: DEFAULT_MASS_SHARE,
            mass_min: DEFAULT_MASS_MIN_PREFIXES,
            mass_window: Duration::seconds(DEFAULT_MASS_WINDOW_SECS),
        }
    }
}
