//! Records alert events with their notifications and writes the JSON-lines sinks.

use super::NamedSink;
use crate::alert::{paging, AlertEvent, Lifecycle};
use crate::sink::Sink;
use crate::store::{HeldAlert, Route, SharedStore, Store, StoreError};
use crate::telemetry::Telemetry;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// How often held alerts are checked for a hold that has ended.
pub const RELEASE_CHECK: Duration = Duration::from_secs(5);

/// The task between detection and the sinks.
pub struct Dispatcher {
    /// The alert database.
    pub store: SharedStore,
    /// Paging sinks, for routing decisions (delivery is the workers').
    pub paging: Arc<Vec<NamedSink>>,
    /// Sinks written directly (JSON lines), every event, held or not.
    pub direct: Vec<Sink>,
    /// Rung after notifications are enqueued.
    pub wake: Arc<Notify>,
    /// Metrics and logs.
    pub telemetry: Arc<Telemetry>,
}

impl Dispatcher {
    /// Runs until detection hangs up; hands the direct sinks back for flushing.
    pub async fn run(mut self, mut events: mpsc::UnboundedReceiver<Vec<AlertEvent>>) -> Vec<Sink> {
        let mut release = tokio::time::interval(RELEASE_CHECK);
        release.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                batch = events.recv() => match batch {
                    Some(batch) => self.dispatch(batch).await,
                    None => break,
                },
                _ = release.tick() => self.release_ended_holds().await,
            }
        }
        self.direct
    }

    async fn dispatch(&mut self, batch: Vec<AlertEvent>) {
        let paging = self.paging.clone();
        let recorded = self
            .store
            .call(move |store| Ok(record(store, &paging, batch)))
            .await;
        let batch = match recorded {
            Ok((batch, Ok(enqueued))) => {
                if enqueued > 0 {
                    self.wake.notify_one();
                }
                batch
            }
            Ok((batch, Err(e))) => {
                self.telemetry.store_failed(&e);
                batch
            }
            Err(e) => {
                self.telemetry.store_failed(&e);
                return;
            }
        };
        // Writing may block (a full pipe, a slow disk): the worker first hands its other tasks
        // on (sources, detection, HTTP), so only this task waits.
        let (direct, telemetry) = (&mut self.direct, &self.telemetry);
        blocking(|| {
            for event in &batch {
                for sink in direct.iter_mut() {
                    let result = sink.deliver(event);
                    telemetry.notification(sink.name(), result.is_ok());
                    if let Err(e) = result {
                        tracing::error!("{e}");
                    }
                }
            }
        });
    }

    /// Routes held alerts whose silence or maintenance window has ended.
    async fn release_ended_holds(&mut self) {
        let paging = self.paging.clone();
        let released = self.store.call(move |store| release(store, &paging)).await;
        match released {
            Ok(0) => {}
            Ok(_) => self.wake.notify_one(),
            Err(e) => self.telemetry.store_failed(&e),
        }
    }
}

/// Runs blocking work after handing this worker's other tasks to another thread (on the
/// multi-thread runtime `run` gets from `main`); elsewhere it runs in place.
fn blocking<R>(work: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Decides each event's route and records the batch in one transaction; returns the batch
/// (for the direct sinks, whatever happened) and the number of notifications enqueued.
fn record(
    store: &mut Store,
    paging: &[NamedSink],
    batch: Vec<AlertEvent>,
) -> (Vec<AlertEvent>, Result<usize, StoreError>) {
    let now = Utc::now();
    let mut batch = batch;
    let decide = |store: &mut Store, batch: &mut Vec<AlertEvent>| -> Result<usize, StoreError> {
        group_incidents(store, batch)?;
        let needs_rules = batch.iter().any(|e| e.event == Lifecycle::Open);
        let (silences, windows) = if needs_rules {
            (store.active_silences(now)?, store.active_maintenance(now)?)
        } else {
            (Vec::new(), Vec::new())
        };
        let items: Vec<(&AlertEvent, Route)> = batch
            .iter()
            .map(|event| {
                let route = match event.event {
                    Lifecycle::Open => match paging::hold(event, &silences, &windows) {
                        Some(reason) => Route::Hold(reason),
                        None => Route::Open(targets(event, paging)),
                    },
                    Lifecycle::Update | Lifecycle::Resolved => Route::Follow,
                };
                (event, route)
            })
            .collect();
        let enqueued = store.record_routed(&items)?.len();
        close_incidents(store, batch)?;
        Ok(enqueued)
    };
    let result = decide(store, &mut batch);
    (batch, result)
}

/// Puts each route alert into its incident (same offender within [`paging::INCIDENT_WINDOW`]),
/// sets the event's `incident`, and resolves an incident whose last open alert resolved.
fn group_incidents(store: &mut Store, batch: &mut [AlertEvent]) -> Result<(), StoreError> {
    for event in batch.iter_mut() {
        let Some(key) = paging::incident_key(event) else {
            continue;
        };
        let incident = match event.event {
            Lifecycle::Open => Some(
                store
                    .add_to_incident(&key, &event.id, event.time, paging::INCIDENT_WINDOW)?
                    .0
                    .id,
            ),
            Lifecycle::Update | Lifecycle::Resolved => store.incident_of(&event.id)?,
        };
        event.incident = incident;
    }
    Ok(())
}

/// Marks resolved the incidents of this batch whose alerts are all resolved (after recording).
fn close_incidents(store: &mut Store, batch: &[AlertEvent]) -> Result<(), StoreError> {
    for event in batch.iter().filter(|e| e.event == Lifecycle::Resolved) {
        let Some(id) = event.incident.as_deref() else {
            continue;
        };
        if paging::incident_key(event).is_none() {
            continue;
        }
        let members = store.incident_alerts(id)?;
        if members.iter().all(|m| m.event == Lifecycle::Resolved) {
            store.resolve_incident(id, event.time)?;
        }
    }
    Ok(())
}

/// Releases every held alert no active silence or window holds any more; returns how many
/// notifications that enqueued.
fn release(store: &mut Store, paging: &[NamedSink]) -> Result<usize, StoreError> {
    let held = store.held_alerts()?;
    if held.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let silences = store.active_silences(now)?;
    let windows = store.active_maintenance(now)?;
    let mut enqueued = 0;
    for HeldAlert { event, reason } in held {
        if paging::hold(&event, &silences, &windows).is_none() {
            tracing::info!(alert = %event.id, was = %reason, "hold ended: alert pages now");
            enqueued += store
                .release(&event.id, &targets(&event, paging), now)?
                .len();
        }
    }
    Ok(enqueued)
}

fn targets(event: &AlertEvent, paging: &[NamedSink]) -> Vec<String> {
    paging::route(
        event,
        paging.iter().map(|s| (s.name.as_str(), &s.sink)),
        |sink, event| sink.accepts(event),
    )
}

#[cfg(test)]
#[path = "dispatch_tests.rs"]
mod tests;
