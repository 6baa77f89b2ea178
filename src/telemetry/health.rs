//! Feed health: is each source connected and delivering? Written by sources, read by the
//! pipeline (to raise `feed-stalled`) and by `/healthz`.

use crate::update::Timestamp;
use chrono::{Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What one source last reported.
#[derive(Debug, Clone, Serialize)]
pub struct FeedState {
    /// `ris-live`, `bmp` or `mrt`.
    pub kind: &'static str,
    /// Connected sessions (websocket: 0 or 1; BMP: routers connected).
    pub sessions: usize,
    /// When the last data message arrived.
    pub last_data: Option<Timestamp>,
    /// When the current connected/disconnected spell began.
    pub since: Timestamp,
    /// Why the last session ended or failed.
    pub last_error: Option<String>,
    /// Silence allowed before the feed counts as stalled, seconds.
    pub stall_after_seconds: i64,
    /// A one-shot source (MRT bootstrap) that has finished.
    pub finished: bool,
    /// Silence counts (RIS Live always carries data) rather than only disconnection (a BMP
    /// router with nothing new to say is quiet).
    pub silence_is_stall: bool,
    /// When the source was registered.
    pub registered: Timestamp,
}

/// Whether a source can be trusted right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FeedStatus {
    /// Connected and delivering (or within its allowed silence).
    Live,
    /// Briefly disconnected or silent, not yet beyond its limit.
    Degraded {
        /// Why.
        reason: String,
    },
    /// Disconnected or silent beyond its limit since `since`.
    Stalled {
        /// Start of the silence.
        since: Timestamp,
        /// Why.
        reason: String,
    },
}

impl FeedState {
    /// The status at `now`. A source is stalled when it has had no session for `stall_after`,
    /// or (for sources that always carry data) no data for `stall_after`, however often it
    /// reconnected meanwhile.
    pub fn status(&self, now: Timestamp) -> FeedStatus {
        if self.finished {
            return FeedStatus::Live;
        }
        let limit = Duration::seconds(self.stall_after_seconds);
        let error = || {
            self.last_error
                .clone()
                .unwrap_or_else(|| "not connected".to_string())
        };
        if self.silence_is_stall {
            let quiet_since = self.last_data.unwrap_or(self.registered);
            if now - quiet_since >= limit {
                let reason = if self.sessions == 0 {
                    error()
                } else {
                    format!(
                        "connected but no data for {} s",
                        (now - quiet_since).num_seconds()
                    )
                };
                return FeedStatus::Stalled {
                    since: quiet_since,
                    reason,
                };
            }
        } else if self.sessions == 0 && now - self.since >= limit {
            return FeedStatus::Stalled {
                since: self.since,
                reason: error(),
            };
        }
        if self.sessions == 0 {
            FeedStatus::Degraded { reason: error() }
        } else {
            FeedStatus::Live
        }
    }
}

/// Every source's state.
#[derive(Debug, Default)]
pub struct FeedHealth {
    feeds: Mutex<BTreeMap<String, FeedState>>,
}

impl FeedHealth {
    /// Registers a source (disconnected, as of now). `silence_is_stall`: see [`FeedState`].
    pub fn register(
        &self,
        name: &str,
        kind: &'static str,
        stall_after: Duration,
        silence_is_stall: bool,
    ) {
        let now = Utc::now();
        self.with(|feeds| {
            feeds.insert(
                name.to_string(),
                FeedState {
                    silence_is_stall,
                    registered: now,
                    kind,
                    sessions: 0,
                    last_data: None,
                    since: now,
                    last_error: None,
                    stall_after_seconds: stall_after.num_seconds(),
                    finished: false,
                },
            );
        });
    }

    /// A session of `name` opened.
    pub fn session_opened(&self, name: &str) {
        self.update(name, |f| {
            if f.sessions == 0 {
                f.since = Utc::now();
            }
            f.sessions += 1;
        });
    }

    /// A session of `name` ended.
    pub fn session_closed(&self, name: &str, reason: &str) {
        self.update(name, |f| {
            f.sessions = f.sessions.saturating_sub(1);
            f.last_error = Some(reason.to_string());
            if f.sessions == 0 {
                f.since = Utc::now();
            }
        });
    }

    /// A connection attempt failed.
    pub fn failed(&self, name: &str, reason: &str) {
        self.update(name, |f| f.last_error = Some(reason.to_string()));
    }

    /// Data arrived.
    pub fn data(&self, name: &str) {
        self.update(name, |f| f.last_data = Some(Utc::now()));
    }

    /// A one-shot source finished its work.
    pub fn finished(&self, name: &str) {
        self.update(name, |f| f.finished = true);
    }

    /// A copy of every source's state.
    pub fn snapshot(&self) -> BTreeMap<String, FeedState> {
        self.with(|feeds| feeds.clone())
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut FeedState)) {
        self.with(|feeds| {
            if let Some(feed) = feeds.get_mut(name) {
                change(feed);
            }
        });
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, FeedState>) -> T) -> T {
        // A poisoned lock only means a panic elsewhere; the map itself stays consistent.
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut feeds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(
        silence_is_stall: bool,
        sessions: usize,
        last_data_ago: Option<i64>,
        since_ago: i64,
    ) -> (FeedState, Timestamp) {
        let now = Utc::now();
        let state = FeedState {
            kind: "test",
            sessions,
            last_data: last_data_ago.map(|s| now - Duration::seconds(s)),
            since: now - Duration::seconds(since_ago),
            last_error: Some("refused".into()),
            stall_after_seconds: 60,
            finished: false,
            silence_is_stall,
            registered: now - Duration::seconds(600),
        };
        (state, now)
    }

    #[test]
    fn a_data_feed_is_stalled_after_silence_however_often_it_reconnected() {
        let (feed, now) = state(true, 1, Some(90), 5);
        assert!(
            matches!(feed.status(now), FeedStatus::Stalled { .. }),
            "reconnected 5 s ago, no data for 90 s"
        );
        let (feed, now) = state(true, 1, Some(10), 5);
        assert_eq!(feed.status(now), FeedStatus::Live);
        let (feed, now) = state(true, 0, Some(10), 5);
        assert!(
            matches!(feed.status(now), FeedStatus::Degraded { .. }),
            "briefly disconnected"
        );
    }

    #[test]
    fn a_quiet_bmp_router_is_live_and_no_router_for_long_is_stalled() {
        let (feed, now) = state(false, 1, None, 3600);
        assert_eq!(
            feed.status(now),
            FeedStatus::Live,
            "connected routers may be quiet"
        );
        let (feed, now) = state(false, 0, None, 90);
        assert!(
            matches!(feed.status(now), FeedStatus::Stalled { reason, .. } if reason == "refused")
        );
    }
}
