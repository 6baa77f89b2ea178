//! An RPKI-RTR client (RFC 8210 version 1, falling back to RFC 6810 version 0): keeps a VRP
//! set in sync with a cache such as stayrtr, Routinator or rtrtr.
//!
//! [`RtrClient::spawn`] runs the client as a task that connects, sends a Reset Query,
//! publishes an `Arc<Vrps>` at every End of Data that changed the set, follows Serial Notify
//! and the refresh timer with Serial Queries, and on any failure (disconnect, garbage,
//! timeout, Error Report) logs it, keeps the last good set and reconnects with backoff.

mod error;
mod pdu;
mod session;

pub use error::{RtrError, RtrProblem};
pub use pdu::{PduError, Timing, MAX_PDU_LEN};

use super::events;
use super::vrps::Vrps;
use crate::source::live::Backoff;
use crate::update::Timestamp;
use session::SyncState;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Default time allowed for the TCP connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed between PDUs while a query is outstanding.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default first reconnection delay (doubling, with jitter).
pub const DEFAULT_BACKOFF_MIN: Duration = Duration::from_secs(1);
/// Default longest reconnection delay.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(120);
/// Default limit of VRPs held from one cache (the global RPKI has under one million).
pub const DEFAULT_MAX_VRPS: usize = 10_000_000;
/// The protocol version asked for first.
pub const RTR_VERSION: u8 = 1;

/// Where and how to reach an RTR cache.
#[derive(Debug, Clone)]
pub struct RtrConfig {
    /// `host:port` of the cache (plain TCP).
    pub server: String,
    /// Time allowed for the TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed between PDUs while a query is outstanding.
    pub response_timeout: Duration,
    /// First reconnection delay.
    pub backoff_min: Duration,
    /// Longest reconnection delay.
    pub backoff_max: Duration,
    /// Most VRPs accepted from the cache; more end the session.
    pub max_vrps: usize,
    /// Serial Query interval; `None` uses the cache's refresh interval (3600 s in version 0).
    pub refresh: Option<Duration>,
}

impl RtrConfig {
    /// The defaults for the cache at `server` (`host:port`).
    pub fn new(server: impl Into<String>) -> Self {
        RtrConfig {
            server: server.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            backoff_min: DEFAULT_BACKOFF_MIN,
            backoff_max: DEFAULT_BACKOFF_MAX,
            max_vrps: DEFAULT_MAX_VRPS,
            refresh: None,
        }
    }
}

/// What the client knows about its cache, for health checks and staleness alerts.
#[derive(Debug, Clone, Default)]
pub struct RtrStatus {
    /// True while a TCP session is up.
    pub connected: bool,
    /// Protocol version of the current (or last) session.
    pub version: Option<u8>,
    /// The cache's session id at the last sync.
    pub session_id: Option<u16>,
    /// The cache's serial at the last sync.
    pub serial: Option<u32>,
    /// The intervals the cache asked for (version 1 only).
    pub timing: Option<Timing>,
    /// VRPs in the set in force.
    pub vrps: usize,
    /// Monotonic time of the last End of Data.
    pub last_sync: Option<Instant>,
    /// Wall-clock time of the last End of Data.
    pub last_sync_at: Option<Timestamp>,
    /// End of Data PDUs received since start.
    pub syncs: u64,
    /// Failed sessions (and connection attempts) since start.
    pub failures: u64,
    /// Why the last session ended.
    pub last_error: Option<Arc<RtrError>>,
}

impl RtrStatus {
    /// Time since the last End of Data; `None` before the first. The set in force is kept
    /// across failures, so this is what to alert on (compare with `timing.expire`).
    pub fn staleness(&self) -> Option<Duration> {
        self.last_sync.map(|t| t.elapsed())
    }
}

/// A running RTR client. Dropping it stops the client.
#[derive(Debug)]
pub struct RtrClient {
    vrps: watch::Receiver<Arc<Vrps>>,
    status: watch::Receiver<RtrStatus>,
    task: JoinHandle<()>,
}

impl RtrClient {
    /// Starts the client as a task on the current tokio runtime (panics outside one). The VRP
    /// set is empty until the first End of Data.
    pub fn spawn(config: RtrConfig) -> RtrClient {
        let (vrps_tx, vrps) = watch::channel(Arc::new(Vrps::new()));
        let (status_tx, status) = watch::channel(RtrStatus::default());
        let publisher = Publisher {
            server: config.server.clone(),
            vrps: vrps_tx,
            status: status_tx,
        };
        let task = tokio::spawn(run(config, publisher));
        RtrClient { vrps, status, task }
    }

    /// The VRP set in force, updated at every End of Data that changed it.
    pub fn vrps(&self) -> watch::Receiver<Arc<Vrps>> {
        self.vrps.clone()
    }

    /// The client's status, updated on every connection, sync and failure; a sync is counted
    /// after its set is published, so a status waiter sees the new set.
    pub fn status(&self) -> watch::Receiver<RtrStatus> {
        self.status.clone()
    }
}

impl Drop for RtrClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The client's outputs.
struct Publisher {
    server: String,
    vrps: watch::Sender<Arc<Vrps>>,
    status: watch::Sender<RtrStatus>,
}

impl Publisher {
    fn connected(&self, version: u8) {
        events::rtr_connected(&self.server, version);
        self.status.send_modify(|s| {
            s.connected = true;
            s.version = Some(version);
        });
    }

    fn synced(
        &self,
        state: &SyncState,
        version: u8,
        session_id: u16,
        serial: u32,
        timing: Option<Timing>,
        changed: bool,
    ) {
        if changed {
            let vrps: Vrps = state.vrps.iter().copied().collect();
            self.vrps.send_replace(Arc::new(vrps));
        }
        events::rtr_synced(&self.server, serial, state.vrps.len(), changed);
        self.status.send_modify(|s| {
            s.version = Some(version);
            s.session_id = Some(session_id);
            s.serial = Some(serial);
            s.timing = timing.or(s.timing);
            s.vrps = state.vrps.len();
            s.last_sync = Some(Instant::now());
            s.last_sync_at = Some(chrono::Utc::now());
            s.syncs += 1;
        });
    }

    fn failed(&self, error: RtrError, kept: usize) {
        events::rtr_session_failed(&error, kept);
        self.status.send_modify(|s| {
            s.connected = false;
            s.failures += 1;
            s.last_error = Some(Arc::new(error));
        });
    }
}

/// Connects, runs sessions and reconnects, forever (until aborted).
async fn run(config: RtrConfig, publisher: Publisher) {
    let mut state = SyncState {
        vrps: HashSet::new(),
        version: RTR_VERSION,
        synced: false,
    };
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    loop {
        let syncs_before = publisher.status.borrow().syncs;
        let (problem, retry_now) = match connect(&config).await {
            Ok(stream) => {
                publisher.connected(state.version);
                let ended = session::run(stream, &config, &mut state, &publisher).await;
                (ended.problem, ended.retry_now)
            }
            Err(problem) => (problem, false),
        };
        if publisher.status.borrow().syncs > syncs_before {
            backoff.reset();
        }
        let error = RtrError {
            server: config.server.clone(),
            problem,
        };
        publisher.failed(error, state.vrps.len());
        if !retry_now {
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
}

async fn connect(config: &RtrConfig) -> Result<TcpStream, RtrProblem> {
    let stream = tokio::time::timeout(
        config.connect_timeout,
        TcpStream::connect(config.server.as_str()),
    )
    .await
    .map_err(|_| RtrProblem::ConnectTimeout(config.connect_timeout))?
    .map_err(RtrProblem::Connect)?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}
