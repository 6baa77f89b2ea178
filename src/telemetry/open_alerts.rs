//! The labels each open alert is counted under in `bgpwatch_alerts_open`.
//!
//! An alert can change kind and severity while open (a `visibility-loss` warning escalates to a
//! `withdrawal` critical under the same id), so its resolution must take back the series it was
//! last counted in, not the one its resolved event names; otherwise the gauge keeps a phantom
//! open alert in one series and goes negative in another.

use std::collections::HashMap;
use std::sync::Mutex;

/// `[kind, severity]`, the label values of `bgpwatch_alerts_open`.
pub type Labels = [&'static str; 2];

/// Open alert id -> the labels it is counted under now.
#[derive(Default)]
pub struct OpenAlertLabels {
    by_id: Mutex<HashMap<String, Labels>>,
}

/// What the gauge must do for one event: take one from `dec`, add one to `inc`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GaugeMove {
    pub dec: Option<Labels>,
    pub inc: Option<Labels>,
}

impl OpenAlertLabels {
    /// An alert opened (or was restored at start) under `labels`.
    pub fn opened(&self, id: &str, labels: Labels) -> GaugeMove {
        let previous = self.lock().insert(id.to_string(), labels);
        GaugeMove {
            // Opened twice without a resolve in between (should not happen): count it once.
            dec: previous,
            inc: Some(labels),
        }
    }

    /// An open alert was updated; it moves series if its kind or severity changed.
    pub fn updated(&self, id: &str, labels: Labels) -> GaugeMove {
        match self.lock().get_mut(id) {
            Some(current) if *current != labels => {
                let old = std::mem::replace(current, labels);
                GaugeMove {
                    dec: Some(old),
                    inc: Some(labels),
                }
            }
            _ => GaugeMove::default(),
        }
    }

    /// An alert resolved: it leaves the series it was counted in (or, if it was never seen
    /// open by this process, the one its event names).
    pub fn resolved(&self, id: &str, labels: Labels) -> GaugeMove {
        let counted = self.lock().remove(id);
        GaugeMove {
            dec: Some(counted.unwrap_or(labels)),
            inc: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Labels>> {
        // A panic elsewhere while holding the lock leaves the map consistent (one insert or
        // remove at a time), so a poisoned lock is still usable.
        self.by_id.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOSS: Labels = ["visibility-loss", "warning"];
    const WITHDRAWAL: Labels = ["withdrawal", "critical"];

    #[test]
    fn an_escalated_alert_resolves_out_of_the_series_it_escalated_to() {
        let open = OpenAlertLabels::default();
        assert_eq!(open.opened("a", LOSS).inc, Some(LOSS));
        let moved = open.updated("a", WITHDRAWAL);
        assert_eq!((moved.dec, moved.inc), (Some(LOSS), Some(WITHDRAWAL)));
        assert_eq!(open.updated("a", WITHDRAWAL), GaugeMove::default());
        // The resolved event could name either series; the counted one is taken back.
        assert_eq!(open.resolved("a", LOSS).dec, Some(WITHDRAWAL));
        assert!(open.lock().is_empty());
    }

    #[test]
    fn unknown_alerts_resolve_out_of_their_own_series_and_updates_are_ignored() {
        let open = OpenAlertLabels::default();
        assert_eq!(open.updated("b", LOSS), GaugeMove::default());
        assert_eq!(open.resolved("b", LOSS).dec, Some(LOSS));
    }
}
