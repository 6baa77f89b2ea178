//! Why an RTR session ended. The client logs it, keeps its VRPs and reconnects.

use super::pdu::PduError;
use crate::rpki::vrps::Vrp;
use std::time::Duration;

/// An RTR session failure, naming the cache.
#[derive(Debug, thiserror::Error)]
#[error("RTR cache {server}: {problem}")]
pub struct RtrError {
    /// The cache address as configured.
    pub server: String,
    /// What went wrong.
    pub problem: RtrProblem,
}

/// What went wrong in an RTR session.
#[derive(Debug, thiserror::Error)]
pub enum RtrProblem {
    /// The TCP connection could not be made.
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    /// The TCP connection was not made in time.
    #[error("no connection within {0:?}")]
    ConnectTimeout(Duration),
    /// Sending a query failed.
    #[error("write failed: {0}")]
    Write(std::io::Error),
    /// A PDU could not be read (closed, truncated, oversized, malformed).
    #[error(transparent)]
    Pdu(#[from] PduError),
    /// The cache did not answer a query in time.
    #[error("no answer within {0:?}")]
    ResponseTimeout(Duration),
    /// The cache changed protocol version within a session.
    #[error("protocol version {got} in a version {expected} session")]
    UnexpectedVersion {
        /// The session's version.
        expected: u8,
        /// The version in the PDU.
        got: u8,
    },
    /// The cache speaks a newer version than asked for.
    #[error("answered version {got} to a version {asked} query")]
    NewerVersion {
        /// The version asked for.
        asked: u8,
        /// The version answered.
        got: u8,
    },
    /// A PDU that makes no sense at this point of the exchange.
    #[error("unexpected {pdu} {state}")]
    UnexpectedPdu {
        /// The PDU's name.
        pdu: &'static str,
        /// Where the exchange was.
        state: &'static str,
    },
    /// The cache answered a Serial Query for another session.
    #[error("session id changed from {expected} to {got}")]
    SessionChanged {
        /// The session synced so far.
        expected: u16,
        /// The session in the PDU.
        got: u16,
    },
    /// The cache announced a VRP it had already announced.
    #[error("duplicate announcement of {0}")]
    Duplicate(Vrp),
    /// The cache withdrew a VRP it never announced.
    #[error("withdrawal of unknown {0}")]
    UnknownWithdrawal(Vrp),
    /// The cache sent more VRPs than the configured limit.
    #[error("more than {0} VRPs: refusing the rest")]
    TooManyVrps(usize),
    /// The cache sent an Error Report.
    #[error("cache reported error {code} ({}): {text:?}", code_name(*code))]
    Reported {
        /// Error code.
        code: u16,
        /// The cache's text.
        text: String,
    },
}

impl RtrProblem {
    /// The Error Report code to send the cache before hanging up, when it should hear why.
    pub(crate) fn report_code(&self) -> Option<u16> {
        match self {
            RtrProblem::Pdu(e) => e.report_code(),
            RtrProblem::UnexpectedVersion { .. } => Some(code::UNEXPECTED_VERSION),
            RtrProblem::NewerVersion { .. } => Some(code::UNSUPPORTED_VERSION),
            RtrProblem::UnexpectedPdu { .. } | RtrProblem::SessionChanged { .. } => {
                Some(code::INVALID_REQUEST)
            }
            RtrProblem::Duplicate(_) => Some(code::DUPLICATE),
            RtrProblem::UnknownWithdrawal(_) => Some(code::UNKNOWN_WITHDRAWAL),
            RtrProblem::TooManyVrps(_) => Some(code::CORRUPT_DATA),
            _ => None,
        }
    }
}

/// Error Report codes (RFC 8210 section 12).
pub mod code {
    /// Corrupt Data.
    pub const CORRUPT_DATA: u16 = 0;
    /// Invalid Request.
    pub const INVALID_REQUEST: u16 = 3;
    /// Unsupported Protocol Version.
    pub const UNSUPPORTED_VERSION: u16 = 4;
    /// Unsupported PDU Type.
    pub const UNSUPPORTED_PDU: u16 = 5;
    /// Withdrawal of Unknown Record.
    pub const UNKNOWN_WITHDRAWAL: u16 = 6;
    /// Duplicate Announcement Received.
    pub const DUPLICATE: u16 = 7;
    /// Unexpected Protocol Version.
    pub const UNEXPECTED_VERSION: u16 = 8;
}

/// The name of an Error Report code, for messages.
pub fn code_name(code: u16) -> &'static str {
    match code {
        0 => "Corrupt Data",
        1 => "Internal Error",
        2 => "No Data Available",
        3 => "Invalid Request",
        4 => "Unsupported Protocol Version",
        5 => "Unsupported PDU Type",
        6 => "Withdrawal of Unknown Record",
        7 => "Duplicate Announcement Received",
        8 => "Unexpected Protocol Version",
        _ => "unknown error code",
    }
}
