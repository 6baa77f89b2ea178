//! Configuration: the raw TOML (`bgpwatch.example.toml` documents every key) and its validation
//! into [`Config`]. Every default is a named constant; unknown keys are rejected.

use crate::alert::{
    BookSettings, VisibilitySettings, DEFAULT_MIN_PEERS, DEFAULT_RESOLVE_AFTER_SECS,
};
use crate::as_rel::{AsRelationships, LineError};
use crate::engine::EngineSettings;
use crate::rpki::load_vrp_file;
use crate::sink::{OutputFormat, Secret};
use crate::store::Durability;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod http;
mod secrets;
mod sinks;
mod sources;

pub use http::MIN_TOKEN_CHARS;
pub use secrets::readable_by_others;
pub use sinks::SinkConfig;
use sinks::{check_sinks, sink_secrets};
use sources::{default_ris_live_url, parse_duration};
pub use sources::{
    RisLiveMode, Seconds, SourceConfig, DEFAULT_BMP_LISTEN, DEFAULT_RIS_LIVE_URL,
    DEFAULT_STALL_AFTER_SECS, MAX_DURATION_SECS,
};

/// Watchlist used when none is configured: every YAML file in this directory.
pub const DEFAULT_WATCHLIST: &str = "prefixes";
/// Where alert state is kept.
pub const DEFAULT_STATE: &str = "bgpwatch.db";
/// HTTP listener (metrics, health, API): loopback only by default.
pub const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:9324";
/// Updates (and feed events) that may wait for detection (`[detect] queue`), about 64 MiB; a
/// live feed that cannot be slowed down (RIS Live) drops, counts and alerts beyond it.
pub const DEFAULT_QUEUE: usize = 1 << 18;
/// Largest `[detect] queue` accepted.
pub const MAX_QUEUE: usize = 1 << 24;

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
    /// What a state commit survives: "normal" (a crash) or "full" (power loss too).
    state_sync: Option<String>,
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
    queue: Option<i64>,
}

/// Validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Watchlist files or directories.
    pub watchlist: Vec<PathBuf>,
    /// Alert state database.
    pub state: PathBuf,
    /// What a state commit survives (`state_sync`).
    pub state_sync: Durability,
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
    /// Updates that may wait for detection (`[detect] queue`).
    pub queue: usize,
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
    let queue = match detect.queue {
        None => DEFAULT_QUEUE,
        Some(n) if (1..=MAX_QUEUE as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(invalid(
                "detect.queue",
                format!("{n} is not between 1 and {MAX_QUEUE} updates"),
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
    let state_sync = match raw.state_sync.as_deref() {
        None | Some("normal") => Durability::Normal,
        Some("full") => Durability::Full,
        Some(other) => {
            return Err(invalid(
                "state_sync",
                format!("`{other}` is neither \"normal\" (survives a crash of bgpwatch) nor \"full\" (survives power loss; one fsync per alert)"),
            ))
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
        state_sync,
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
        queue,
        sources,
        sinks,
        as_rel_problems,
        vrps_file: raw.vrps.clone(),
        rtr: raw.rtr.clone(),
        vrp_problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_sync_is_normal_unless_full_is_asked_and_anything_else_is_named() {
        let path = Path::new("bgpwatch.toml");
        let parse = |text: &str| Config::parse(text, path);
        assert_eq!(parse("").unwrap().state_sync, Durability::Normal);
        let normal = parse("state_sync = \"normal\"").unwrap();
        assert_eq!(normal.state_sync, Durability::Normal);
        assert_eq!(
            parse("state_sync = \"full\"").unwrap().state_sync,
            Durability::Full
        );
        let err = parse("state_sync = \"fast\"").unwrap_err().to_string();
        assert!(
            err.contains("bgpwatch.toml") && err.contains("state_sync") && err.contains("fast"),
            "{err}"
        );
    }
}
