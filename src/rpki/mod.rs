//! RPKI route origin validation (RFC 6811) against validated ROA payloads (VRPs), from a
//! VRP JSON file or an RTR cache (RFC 8210).
//!
//! ```text
//! rpki-client / Routinator JSON ──VrpFile::poll──┐
//!                                                 ├──Arc<Vrps>──▶ Vrps::validate ──▶ RpkiState
//! RTR cache (stayrtr, …) ──RtrClient (watch)─────┘
//! ```
//!
//! Both sources keep the last good set when their input goes bad (an unreadable or empty
//! file, a cache that disconnects or sends garbage) and expose how stale it is, so the
//! monitor can alert on staleness instead of silently validating against nothing.
//! Validation itself is pure and does no I/O.

mod error;
mod events;
mod file;
mod json;
pub mod live;
pub mod rtr;
mod vrps;

pub use error::{RejectedRoa, ReloadRefused, RoaProblem, VrpFileError};
pub use file::VrpFile;
pub use json::{load_vrp_file, parse_vrp_json, VrpLoad};
pub use rtr::{RtrClient, RtrConfig, RtrError, RtrStatus};
pub use vrps::{RpkiState, Vrp, Vrps};
