//! Operational events of the RPKI sources, one function each, so logging (and, when wired to
//! [`crate::telemetry`], counting) happens in one place rather than in protocol code.

use super::error::ReloadRefused;
use super::json::VrpLoad;
use super::rtr::RtrError;
use std::path::Path;

/// Bad entries logged one by one before the rest are only counted.
const MAX_REJECTED_LOGGED: usize = 20;

/// A VRP file was loaded (at start or after a change); bad entries are logged.
pub(crate) fn vrp_file_loaded(path: &Path, load: &VrpLoad) {
    tracing::info!(
        file = %path.display(),
        vrps = load.vrps.len(),
        entries = load.entries,
        rejected = load.rejected.len(),
        "VRP file loaded"
    );
    for rejected in load.rejected.iter().take(MAX_REJECTED_LOGGED) {
        tracing::warn!(file = %path.display(), "VRP entry skipped: {rejected}");
    }
    if load.rejected.len() > MAX_REJECTED_LOGGED {
        tracing::warn!(
            file = %path.display(),
            "{} more VRP entries skipped",
            load.rejected.len() - MAX_REJECTED_LOGGED
        );
    }
}

/// A changed VRP file was refused; `kept` VRPs stay in force.
pub(crate) fn vrp_reload_refused(refused: &ReloadRefused, kept: usize) {
    tracing::error!(kept, "{refused}");
}

/// An RTR connection was made.
pub(crate) fn rtr_connected(server: &str, version: u8) {
    tracing::info!(server, version, "RTR cache connected");
}

/// An RTR cache delivered a complete, consistent set (End of Data).
pub(crate) fn rtr_synced(server: &str, serial: u32, vrps: usize, changed: bool) {
    tracing::info!(server, serial, vrps, changed, "RTR cache synced");
}

/// An RTR session ended; the last good set stays in force.
pub(crate) fn rtr_session_failed(error: &RtrError, kept: usize) {
    tracing::warn!(kept, "{error}; keeping the last VRPs and reconnecting");
}

/// An RTR cache answered version 1 with Unsupported Protocol Version.
pub(crate) fn rtr_version_fallback(server: &str, from: u8, to: u8) {
    tracing::info!(
        server,
        from,
        to,
        "RTR cache does not speak our version: falling back"
    );
}
