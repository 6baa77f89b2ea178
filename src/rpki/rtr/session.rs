//! One RTR session over one connection (RFC 8210 section 8): Reset Query, then Serial Queries
//! on the refresh timer and on Serial Notify, until something goes wrong.

use super::error::{code, RtrProblem};
use super::pdu::{encode_error, encode_query, Pdu, PduReader, Timing};
use super::{Publisher, RtrConfig};
use crate::rpki::events;
use crate::rpki::vrps::Vrp;
use std::collections::HashSet;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::{sleep_until, timeout, Instant};

/// Refresh interval of a version-0 cache, which sends none (RFC 8210 section 6 default).
const DEFAULT_REFRESH: u32 = 3600;

/// How long a courtesy Error Report to a misbehaving cache may take.
const ERROR_REPORT_TIMEOUT: Duration = Duration::from_secs(1);

/// What survives a reconnect: the last complete set and the version to ask for.
#[derive(Debug)]
pub(super) struct SyncState {
    /// The set of the last End of Data (the one published).
    pub vrps: HashSet<Vrp>,
    /// The protocol version to ask for.
    pub version: u8,
    /// True once any session reached End of Data.
    pub synced: bool,
}

/// How a session ended.
pub(super) struct Ended {
    pub problem: RtrProblem,
    /// Reconnect at once (a version fallback), not after a backoff.
    pub retry_now: bool,
}

/// The query in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Reset,
    Serial,
}

struct Session<'a, S> {
    reader: PduReader<S>,
    config: &'a RtrConfig,
    state: &'a mut SyncState,
    publisher: &'a Publisher,
    /// The version asked for in this session, then the one the cache answered.
    version: u8,
    /// True once the cache's first PDU fixed the version.
    settled: bool,
    session_id: Option<u16>,
    serial: Option<u32>,
    pending: Option<Pending>,
    /// The set being built between Cache Response and End of Data.
    staging: Option<HashSet<Vrp>>,
    refresh_at: Option<Instant>,
}

/// Runs a session on a connected stream until it fails.
pub(super) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    config: &RtrConfig,
    state: &mut SyncState,
    publisher: &Publisher,
) -> Ended {
    let asked = state.version;
    let mut session = Session {
        reader: PduReader::new(stream),
        config,
        state,
        publisher,
        version: asked,
        settled: false,
        session_id: None,
        serial: None,
        pending: None,
        staging: None,
        refresh_at: None,
    };
    let problem = match session.exchange().await {
        Ok(never) => match never {},
        Err(problem) => problem,
    };
    if let Some(code) = problem.report_code() {
        let report = encode_error(session.version, code, &problem.to_string());
        let _ = timeout(
            ERROR_REPORT_TIMEOUT,
            session.reader.get_mut().write_all(&report),
        )
        .await;
    }
    let retry_now = asked > 0
        && matches!(problem, RtrProblem::Reported { code, .. } if code == code::UNSUPPORTED_VERSION);
    if retry_now {
        events::rtr_version_fallback(&config.server, asked, asked - 1);
        session.state.version = asked - 1;
    }
    Ended { problem, retry_now }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<'_, S> {
    async fn exchange(&mut self) -> Result<std::convert::Infallible, RtrProblem> {
        self.query(Pending::Reset).await?;
        loop {
            let (version, pdu) = match (self.pending, self.refresh_at) {
                (None, Some(at)) => {
                    tokio::select! {
                        next = self.reader.next() => next?,
                        () = sleep_until(at) => {
                            self.query(Pending::Serial).await?;
                            continue;
                        }
                    }
                }
                _ => timeout(self.config.response_timeout, self.reader.next())
                    .await
                    .map_err(|_| RtrProblem::ResponseTimeout(self.config.response_timeout))??,
            };
            self.check_version(version)?;
            self.handle(pdu).await?;
        }
    }

    async fn query(&mut self, query: Pending) -> Result<(), RtrProblem> {
        let (bytes, query) = match (query, self.session_id, self.serial) {
            (Pending::Serial, Some(id), Some(serial)) => {
                (encode_query(self.version, Some((id, serial))), query)
            }
            _ => (encode_query(self.version, None), Pending::Reset),
        };
        self.reader
            .get_mut()
            .write_all(&bytes)
            .await
            .map_err(RtrProblem::Write)?;
        self.pending = Some(query);
        self.refresh_at = None;
        Ok(())
    }

    /// The cache's first PDU fixes the session's version (stayrtr `-protocol 0` simply
    /// answers a version-1 query in version 0); every later PDU must carry it.
    fn check_version(&mut self, got: u8) -> Result<(), RtrProblem> {
        if self.settled {
            if got != self.version {
                return Err(RtrProblem::UnexpectedVersion {
                    expected: self.version,
                    got,
                });
            }
        } else if got > self.version {
            return Err(RtrProblem::NewerVersion {
                asked: self.version,
                got,
            });
        } else {
            self.settled = true;
            self.version = got; // kept for later sessions once data arrives in it
        }
        Ok(())
    }

    async fn handle(&mut self, pdu: Pdu) -> Result<(), RtrProblem> {
        let unexpected = |pdu: &Pdu, state| RtrProblem::UnexpectedPdu {
            pdu: pdu.name(),
            state,
        };
        match pdu {
            Pdu::ErrorReport { code, text } => return Err(RtrProblem::Reported { code, text }),
            Pdu::SerialNotify { .. } => {
                if self.pending.is_none() && self.serial.is_some() {
                    self.query(Pending::Serial).await?;
                }
            }
            Pdu::CacheResponse { session_id } => {
                if self.pending.is_none() || self.staging.is_some() {
                    return Err(unexpected(&pdu, "without a query outstanding"));
                }
                if self.pending == Some(Pending::Serial) {
                    self.check_session(session_id)?;
                    self.staging = Some(self.state.vrps.clone());
                } else {
                    self.session_id = Some(session_id);
                    self.staging = Some(HashSet::new());
                }
            }
            Pdu::Prefix { announce, vrp } => {
                let staging = self
                    .staging
                    .as_mut()
                    .ok_or_else(|| unexpected(&pdu, "outside a Cache Response"))?;
                if announce {
                    if !staging.insert(vrp) {
                        return Err(RtrProblem::Duplicate(vrp));
                    }
                    if staging.len() > self.config.max_vrps {
                        return Err(RtrProblem::TooManyVrps(self.config.max_vrps));
                    }
                } else if !staging.remove(&vrp) {
                    return Err(RtrProblem::UnknownWithdrawal(vrp));
                }
            }
            Pdu::RouterKey if self.staging.is_some() => {}
            Pdu::EndOfData {
                session_id,
                serial,
                timing,
            } => {
                let staging = self
                    .staging
                    .take()
                    .ok_or_else(|| unexpected(&pdu, "outside a Cache Response"))?;
                self.check_session(session_id)?;
                self.end_of_data(staging, serial, timing);
            }
            Pdu::CacheReset if self.pending == Some(Pending::Serial) && self.staging.is_none() => {
                self.query(Pending::Reset).await?;
            }
            Pdu::RouterKey | Pdu::CacheReset => {
                return Err(unexpected(&pdu, "outside the answer to a query"))
            }
            Pdu::Query(_) => return Err(unexpected(&pdu, "from a cache")),
        }
        Ok(())
    }

    fn check_session(&self, got: u16) -> Result<(), RtrProblem> {
        match self.session_id {
            Some(expected) if expected != got => Err(RtrProblem::SessionChanged { expected, got }),
            _ => Ok(()),
        }
    }

    fn end_of_data(&mut self, staging: HashSet<Vrp>, serial: u32, timing: Option<Timing>) {
        if self.version < self.state.version {
            events::rtr_version_fallback(&self.config.server, self.state.version, self.version);
            self.state.version = self.version;
        }
        let changed = !self.state.synced || staging != self.state.vrps;
        self.state.vrps = staging;
        self.state.synced = true;
        self.serial = Some(serial);
        self.pending = None;
        let refresh = self.config.refresh.unwrap_or_else(|| {
            let seconds = timing
                .map_or(DEFAULT_REFRESH, |t| t.refresh)
                .clamp(1, 86_400);
            Duration::from_secs(u64::from(seconds))
        });
        self.refresh_at = Some(Instant::now() + refresh);
        self.publisher.synced(
            self.state,
            self.version,
            self.session_id.unwrap_or_default(),
            serial,
            timing,
            changed,
        );
    }
}
