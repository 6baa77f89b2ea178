//! The `[[sources]]` of the configuration: one enum, a variant per kind of input.

use serde::Deserialize;
use std::path::PathBuf;

/// The public RIS Live websocket.
pub const DEFAULT_RIS_LIVE_URL: &str = "wss://ris-live.ripe.net/v1/ws/?client=bgpwatch";
/// BMP station listener.
pub const DEFAULT_BMP_LISTEN: &str = "127.0.0.1:11019";
/// Silence (or disconnection) after which a source counts as stalled, seconds.
pub const DEFAULT_STALL_AFTER_SECS: u64 = 300;
/// Longest duration any key takes (`resolve_after`, `stall_after`, ...), seconds: a year. More is
/// a typo, and clock or data times plus it must stay representable (a huge
/// `resolve_after` panicked at start or at the first withdrawal).
pub const MAX_DURATION_SECS: u64 = 366 * 86_400;

/// How the RIS Live client subscribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RisLiveMode {
    /// One subscription per covering block of the watchlist.
    #[default]
    Filtered,
    /// Everything; filtered locally.
    Firehose,
}

/// One input, by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SourceConfig {
    /// RIPE RIS Live websocket.
    RisLive {
        /// Name in metrics, logs and feed alerts (default `ris-live`).
        name: Option<String>,
        /// Websocket URL (tests point it at a local server).
        #[serde(default = "default_ris_live_url")]
        url: String,
        /// `filtered` or `firehose`.
        #[serde(default)]
        mode: RisLiveMode,
        /// Silence after which the feed is stalled and the session renewed (seconds or "5m").
        stall_after: Option<Seconds>,
    },
    /// BMP station for the operator's routers.
    Bmp {
        /// Name in metrics, logs and feed alerts (default `bmp`).
        name: Option<String>,
        /// Address to listen on.
        #[serde(default = "default_bmp_listen")]
        listen: String,
        /// Time with no router connected (or none sending) before the feed is stalled.
        stall_after: Option<Seconds>,
    },
    /// MRT files replayed at start (a RIB to seed state, then updates).
    Mrt {
        /// Name in metrics and logs (default `mrt`).
        name: Option<String>,
        /// The files, in order.
        paths: Vec<PathBuf>,
    },
}

impl SourceConfig {
    /// The source's name: configured, else its type.
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::RisLive { name, .. } => name.as_deref().unwrap_or("ris-live"),
            SourceConfig::Bmp { name, .. } => name.as_deref().unwrap_or("bmp"),
            SourceConfig::Mrt { name, .. } => name.as_deref().unwrap_or("mrt"),
        }
    }

    /// Allowed silence before the source counts as stalled.
    pub fn stall_after(&self) -> std::time::Duration {
        let configured = match self {
            SourceConfig::RisLive { stall_after, .. } | SourceConfig::Bmp { stall_after, .. } => {
                *stall_after
            }
            SourceConfig::Mrt { .. } => None,
        };
        std::time::Duration::from_secs(configured.map_or(DEFAULT_STALL_AFTER_SECS, |s| s.0))
    }
}

/// A duration in seconds, written as `300`, `"300s"`, `"5m"` or `"1h"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub u64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(d)?;
        parse_duration(&value)
            .map(Seconds)
            .map_err(serde::de::Error::custom)
    }
}

pub(super) fn default_ris_live_url() -> String {
    DEFAULT_RIS_LIVE_URL.to_string()
}

fn default_bmp_listen() -> String {
    DEFAULT_BMP_LISTEN.to_string()
}

/// `300`, `"300s"`, `"5m"` or `"1h"` to seconds.
pub(super) fn parse_duration(value: &toml::Value) -> Result<u64, String> {
    let bad =
        || format!("{value:?} is not a duration; write seconds (300) or \"5m\", \"90s\", \"1h\"");
    let seconds = match value {
        toml::Value::Integer(n) => u64::try_from(*n).map_err(|_| bad())?,
        toml::Value::String(s) => {
            let s = s.trim();
            let (number, unit) =
                s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
            let n: u64 = number.parse().map_err(|_| bad())?;
            let unit_seconds = match unit {
                "" | "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => return Err(bad()),
            };
            n.checked_mul(unit_seconds).ok_or_else(too_long(value))?
        }
        _ => return Err(bad()),
    };
    if seconds > MAX_DURATION_SECS {
        return Err(too_long(value)());
    }
    Ok(seconds)
}

fn too_long(value: &toml::Value) -> impl Fn() -> String + '_ {
    move || {
        format!(
            "{value:?} is longer than a year ({MAX_DURATION_SECS} s), the most any duration may be"
        )
    }
}
