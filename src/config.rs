//! Configuration: the raw TOML (`bgpwatch.example.toml` documents every key) and its validation
//! into [`Config`]. Every default is a named constant; unknown keys are rejected.

use crate::alert::{
    BookSettings, VisibilitySettings, DEFAULT_MIN_PEERS, DEFAULT_RESOLVE_AFTER_SECS,
};
use crate::as_rel::{AsRelationships, LineError};
use crate::engine::EngineSettings;
use crate::rpki::load_vrp_file;
use crate::sink::alertmanager::AlertmanagerConfig;
use crate::sink::pagerduty::PagerDutyConfig;
use crate::sink::syslog::SyslogConfig;
use crate::sink::webhook::WebhookConfig;
use crate::sink::{http_client, OutputFormat, PagingSink, Secret};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod http;
mod secrets;

pub use http::MIN_TOKEN_CHARS;
pub use secrets::readable_by_others;

/// Watchlist used when none is configured: every YAML file in this directory.
pub const DEFAULT_WATCHLIST: &str = "prefixes";
/// Where alert state is kept.
pub const DEFAULT_STATE: &str = "bgpwatch.db";
/// HTTP listener (metrics, health, API): loopback only by default.
pub const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:9324";
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

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML, or a key the format does not know.
    #[error("config {path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (with line and column).
        message: String,
    },
    /// A value is out of range.
    #[error("config {path}: `{key}`: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key at fault.
        key: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Watchlist files or directories.
    watchlist: Option<OneOrMany>,
    /// Alert state database.
    state: Option<PathBuf>,
    /// CAIDA as-rel / as-rel2 file for `route-leak`.
    as_rel: Option<PathBuf>,
    /// VRP JSON file (rpki-client / Routinator / stayrtr format).
    vrps: Option<PathBuf>,
    /// RTR cache `host:port`.
    rtr: Option<String>,
    http: Option<http::RawHttp>,
    detect: Option<RawDetect>,
    sources: Option<Vec<SourceConfig>>,
    sinks: Option<Vec<SinkConfig>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    min_peers: Option<i64>,
    resolve_after: Option<toml::Value>,
    visibility_for: Option<toml::Value>,
    min_baseline: Option<i64>,
    warmup: Option<toml::Value>,
    rpki_valid_downgrade: Option<bool>,
}

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

/// One output, by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SinkConfig {
    /// JSON lines to a file, or stdout when no path is given.
    Jsonl {
        /// File to append to.
        path: Option<PathBuf>,
        /// `jsonl` (default) or `text`.
        #[serde(default)]
        format: OutputFormat,
    },
    /// Prometheus Alertmanager (`POST /api/v2/alerts`), from the outbox.
    Alertmanager(AlertmanagerConfig),
    /// PagerDuty Events API v2, from the outbox.
    #[serde(rename = "pagerduty")]
    PagerDuty(PagerDutyConfig),
    /// The alert JSON to any URL, from the outbox.
    Webhook(WebhookConfig),
    /// RFC 5424 syslog over UDP or TCP, from the outbox.
    Syslog(SyslogConfig),
}

impl SinkConfig {
    /// The sink's name: configured, else its type. Paging sinks are known by it in the
    /// outbox, so it must stay the same across restarts.
    pub fn name(&self) -> &str {
        match self {
            SinkConfig::Jsonl { .. } => "jsonl",
            SinkConfig::Alertmanager(c) => c.name.as_deref().unwrap_or("alertmanager"),
            SinkConfig::PagerDuty(c) => c.name.as_deref().unwrap_or("pagerduty"),
            SinkConfig::Webhook(c) => c.name.as_deref().unwrap_or("webhook"),
            SinkConfig::Syslog(c) => c.name.as_deref().unwrap_or("syslog"),
        }
    }
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

fn default_ris_live_url() -> String {
    DEFAULT_RIS_LIVE_URL.to_string()
}

fn default_bmp_listen() -> String {
    DEFAULT_BMP_LISTEN.to_string()
}

/// Validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Watchlist files or directories.
    pub watchlist: Vec<PathBuf>,
    /// Alert state database.
    pub state: PathBuf,
    /// HTTP listener.
    pub http_listen: SocketAddr,
    /// The bearer token API writes need (`[http] token` or the contents of `token_file`);
    /// without one the API refuses writes.
    pub http_token: Option<Secret>,
    /// The keys of the file that hold a secret written inline (`http.token`, ...): the file
    /// itself must then be private. Every key that takes a [`Secret`] adds itself here.
    inline_secrets: Vec<&'static str>,
    /// Detection thresholds.
    pub engine: EngineSettings,
    /// Inputs (RIS Live alone when none are configured).
    pub sources: Vec<SourceConfig>,
    /// Outputs (JSON lines on stdout when none are configured).
    pub sinks: Vec<SinkConfig>,
    /// Lines of the `as_rel` file that were skipped (the rest loaded); the caller reports them.
    pub as_rel_problems: Vec<LineError>,
    /// The VRP file, reloaded by the live service when it changes.
    pub vrps_file: Option<PathBuf>,
    /// The RTR cache to follow, `host:port`.
    pub rtr: Option<String>,
    /// Entries of the VRP file that were skipped (the rest loaded); the caller reports them.
    pub vrp_problems: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        validate(RawConfig::default(), Path::new("(defaults)")).expect("defaults are valid")
    }
}

impl Config {
    /// Reads and validates a TOML file. Warns (once) when the file holds a secret and its
    /// group or everybody may read it.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let config = Config::parse(&text, path)?;
        if config.holds_secrets() {
            let what = format!("the config file ({})", config.inline_secrets.join(", "));
            secrets::warn_if_readable_by_others(path, &what);
        }
        Ok(config)
    }

    /// Whether the configuration file itself holds a secret (a token or key written inline,
    /// not read from a file of its own). Extend it for every key that takes a [`Secret`].
    pub fn holds_secrets(&self) -> bool {
        !self.inline_secrets.is_empty()
    }

    /// Validates TOML text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: secrets::toml_error_message(text, &e),
        })?;
        validate(raw, path)
    }
}

fn validate(raw: RawConfig, path: &Path) -> Result<Config, ConfigError> {
    let invalid = |key: &str, problem: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        problem,
    };
    let watchlist = match raw.watchlist {
        None => vec![PathBuf::from(DEFAULT_WATCHLIST)],
        Some(OneOrMany::One(p)) => vec![p],
        Some(OneOrMany::Many(list)) if list.is_empty() => {
            return Err(invalid(
                "watchlist",
                "is empty; list at least one file, or leave the key out to use prefixes/".into(),
            ))
        }
        Some(OneOrMany::Many(list)) => list,
    };
    let http = http::validate(raw.http, path)?;
    let detect = raw.detect.unwrap_or_default();
    let min_peers = match detect.min_peers {
        None => DEFAULT_MIN_PEERS,
        Some(n) if n >= 1 => n as usize,
        Some(n) => {
            return Err(invalid(
                "detect.min_peers",
                format!("{n} is below 1; use 1 to alert on a single vantage point"),
            ))
        }
    };
    let resolve_after = match detect.resolve_after {
        None => DEFAULT_RESOLVE_AFTER_SECS,
        Some(value) => {
            parse_duration(&value).map_err(|problem| invalid("detect.resolve_after", problem))?
        }
    };
    let mut visibility = VisibilitySettings::default();
    let seconds =
        |value: Option<&toml::Value>, key: &str| -> Result<Option<chrono::Duration>, ConfigError> {
            value
                .map(|v| parse_duration(v).map(|s| chrono::Duration::seconds(s as i64)))
                .transpose()
                .map_err(|problem| invalid(key, problem))
        };
    if let Some(d) = seconds(detect.visibility_for.as_ref(), "detect.visibility_for")? {
        visibility.persist = d;
    }
    if let Some(d) = seconds(detect.warmup.as_ref(), "detect.warmup")? {
        visibility.warmup = d;
    }
    match detect.min_baseline {
        None => {}
        Some(n) if n >= 1 => visibility.min_baseline = n as usize,
        Some(n) => return Err(invalid("detect.min_baseline", format!("{n} is below 1"))),
    }
    let sources = raw.sources.unwrap_or_else(|| {
        vec![SourceConfig::RisLive {
            name: None,
            url: default_ris_live_url(),
            mode: RisLiveMode::Filtered,
            stall_after: None,
        }]
    });
    let mut names = std::collections::BTreeSet::new();
    for (i, source) in sources.iter().enumerate() {
        if !names.insert(source.name().to_string()) {
            return Err(invalid(
                &format!("sources[{i}].name"),
                format!(
                    "`{}` names two sources; give each a distinct `name`",
                    source.name()
                ),
            ));
        }
        match source {
            SourceConfig::Bmp { listen, .. } if listen.parse::<SocketAddr>().is_err() => {
                return Err(invalid(
                    &format!("sources[{i}].listen"),
                    format!("`{listen}` is not an address:port, like {DEFAULT_BMP_LISTEN}"),
                ))
            }
            SourceConfig::Mrt { paths, .. } if paths.is_empty() => {
                return Err(invalid(
                    &format!("sources[{i}].paths"),
                    "is empty; list the MRT files to load".into(),
                ))
            }
            SourceConfig::RisLive { url, .. }
                if !(url.starts_with("ws://") || url.starts_with("wss://")) =>
            {
                return Err(invalid(
                    &format!("sources[{i}].url"),
                    format!("`{url}` is not a ws:// or wss:// URL"),
                ))
            }
            _ => {}
        }
    }
    let sinks = raw.sinks.unwrap_or_else(|| {
        vec![SinkConfig::Jsonl {
            path: None,
            format: OutputFormat::Jsonl,
        }]
    });
    check_sinks(&sinks, &invalid)?;
    let (as_rel, as_rel_problems) = match &raw.as_rel {
        None => (None, Vec::new()),
        Some(file) => {
            let (rels, problems) =
                AsRelationships::load(file).map_err(|e| invalid("as_rel", e.to_string()))?;
            (Some(Arc::new(rels)), problems)
        }
    };
    let (vrps, vrp_problems) = match &raw.vrps {
        None => (None, Vec::new()),
        Some(file) => {
            let load = load_vrp_file(file).map_err(|e| invalid("vrps", e.to_string()))?;
            let problems = load
                .rejected
                .iter()
                .map(|r| format!("{}: {r}", file.display()))
                .collect();
            (Some(Arc::new(load.vrps)), problems)
        }
    };
    if let Some(rtr) = &raw.rtr {
        if rtr
            .rsplit_once(':')
            .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
        {
            return Err(invalid(
                "rtr",
                format!("`{rtr}` is not host:port, like 127.0.0.1:8323"),
            ));
        }
    }
    Ok(Config {
        watchlist,
        state: raw.state.unwrap_or_else(|| PathBuf::from(DEFAULT_STATE)),
        http_listen: http.listen,
        http_token: http.token,
        inline_secrets: http
            .inline_key
            .into_iter()
            .chain(sinks.iter().flat_map(sink_secrets))
            .collect(),
        engine: EngineSettings {
            book: BookSettings {
                min_peers,
                resolve_after: chrono::Duration::seconds(resolve_after as i64),
            },
            visibility,
            as_rel,
            vrps,
            rpki_valid_downgrade: detect.rpki_valid_downgrade.unwrap_or(true),
        },
        sources,
        sinks,
        as_rel_problems,
        vrps_file: raw.vrps.clone(),
        rtr: raw.rtr.clone(),
        vrp_problems,
    })
}

/// The secret keys a sink's settings hold inline (all of its secrets live in the file).
fn sink_secrets(sink: &SinkConfig) -> Vec<&'static str> {
    match sink {
        SinkConfig::PagerDuty(_) => vec!["routing_key"],
        SinkConfig::Webhook(c) if c.bearer_token.is_some() => vec!["webhook url", "bearer_token"],
        SinkConfig::Webhook(_) => vec!["webhook url"],
        SinkConfig::Jsonl { .. } | SinkConfig::Alertmanager(_) | SinkConfig::Syslog(_) => vec![],
    }
}

/// Sink names are unique (the outbox knows sinks by name) and every paging sink's settings
/// are checked by building it once, so `check-config` catches what `run` would refuse.
fn check_sinks(
    sinks: &[SinkConfig],
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let mut names = std::collections::BTreeSet::new();
    let mut client = None;
    for (i, sink) in sinks.iter().enumerate() {
        if !names.insert(sink.name()) {
            return Err(invalid(
                &format!("sinks[{i}].name"),
                format!(
                    "`{}` names two sinks; give each sink of one type a distinct `name`",
                    sink.name()
                ),
            ));
        }
        if matches!(sink, SinkConfig::Jsonl { .. }) {
            continue;
        }
        if client.is_none() {
            client = Some(
                http_client::build().map_err(|e| invalid(&format!("sinks[{i}]"), e.to_string()))?,
            );
        }
        let client = client.clone().expect("built above");
        if let Err(e) = PagingSink::open(sink, client) {
            return Err(invalid(&format!("sinks[{i}].{}", e.key), e.problem));
        }
    }
    Ok(())
}

/// `300`, `"300s"`, `"5m"` or `"1h"` to seconds.
fn parse_duration(value: &toml::Value) -> Result<u64, String> {
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
