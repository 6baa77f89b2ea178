//! What live sources hand to the pipeline, and the plumbing they share.

use super::{ReadContext, ReadStats, SourceError};
use crate::telemetry::{FeedHealth, Telemetry};
use crate::update::{Asn, SourceItem};
use ipnet::IpNet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};

/// Which updates a live source converts (see [`super::Interest`]); the others are only counted.
pub type LiveInterest = Box<dyn FnMut(&IpNet, Option<&[Asn]>) -> bool + Send>;

/// Items decoded from the messages of one wake-up, with their counts and arrival time.
#[derive(Debug)]
pub struct LiveBatch {
    /// The source's configured name.
    pub source: Arc<str>,
    /// Updates and feed events, in arrival order.
    pub items: Vec<SourceItem>,
    /// Counts for metrics.
    pub stats: ReadStats,
    /// When the message arrived (for detection latency).
    pub received: Instant,
    /// The room in the detection queue this batch holds while it waits and is handled; given
    /// back when the batch is dropped. Set by [`SourceHandle::send`] / `try_send`.
    pub room: Option<OwnedSemaphorePermit>,
}

/// The detection queue's size in items (updates and feed events), shared by every source: the
/// batch count alone does not bound memory, since a batch may carry 256 RIS Live messages of
/// hundreds of prefixes each.
#[derive(Debug, Clone)]
pub struct QueueRoom {
    permits: Arc<Semaphore>,
    size: u32,
}

impl QueueRoom {
    /// Room for `size` items (at least 1).
    pub fn new(size: usize) -> Self {
        let size = size.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize)) as u32;
        QueueRoom {
            permits: Arc::new(Semaphore::new(size as usize)),
            size,
        }
    }

    /// Room a batch of `items` takes: a batch larger than the whole queue takes all of it.
    fn needed(&self, items: usize) -> u32 {
        (items.max(1).min(self.size as usize)) as u32
    }

    /// Waits for room for `items`.
    async fn take(&self, items: usize) -> Option<OwnedSemaphorePermit> {
        self.permits
            .clone()
            .acquire_many_owned(self.needed(items))
            .await
            .ok()
    }

    /// Room for `items` now, or `None`.
    fn try_take(&self, items: usize) -> Option<OwnedSemaphorePermit> {
        self.permits
            .clone()
            .try_acquire_many_owned(self.needed(items))
            .ok()
    }
}

impl LiveBatch {
    /// Updates and feed events in the batch, the ones only counted (of no interest) included.
    pub fn updates(&self) -> u64 {
        self.stats.announcements + self.stats.withdrawals + self.stats.peer_events
    }

    /// Nothing to hand on: no item and no update counted.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.updates() == 0
    }
}

/// Everything a live source task needs.
#[derive(Clone)]
pub struct SourceHandle {
    /// Its name (also its metrics label).
    pub name: Arc<str>,
    /// Towards detection.
    pub tx: mpsc::Sender<LiveBatch>,
    /// Feed health registry.
    pub health: Arc<FeedHealth>,
    /// Metrics and logs.
    pub telemetry: Arc<Telemetry>,
    /// Becomes true when the service shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Updates dropped since the pipeline last looked.
    pub dropped: Arc<AtomicU64>,
    /// Room in the detection queue, in items.
    pub room: QueueRoom,
}

impl SourceHandle {
    /// Decodes with `decode` into a batch; decoding errors are logged and counted.
    pub fn decode(&self, peer: &str, decode: impl FnOnce(&mut ReadContext<'_>)) -> LiveBatch {
        let received = Instant::now();
        let mut items = Vec::new();
        let mut stats = ReadStats::default();
        let mut errors: Vec<SourceError> = Vec::new();
        {
            let mut emit = |item| items.push(item);
            let mut ctx = ReadContext {
                path: Path::new(peer),
                emit: &mut emit,
                stats: &mut stats,
                errors: &mut errors,
                interest: None,
                clock: None,
            };
            decode(&mut ctx);
        }
        for error in &errors {
            self.telemetry
                .input_rejected(&self.name, peer, &error.to_string());
        }
        LiveBatch {
            source: self.name.clone(),
            items,
            stats,
            received,
            room: None,
        }
    }

    /// Hands a batch on, waiting for room (TCP backpressure reaches the sender).
    pub async fn send(&self, mut batch: LiveBatch) -> bool {
        if batch.is_empty() {
            return true;
        }
        batch.room = self.room.take(batch.items.len()).await;
        self.tx.send(batch).await.is_ok()
    }

    /// [`SourceHandle::send`] from a thread outside the runtime (the MRT bootstrap).
    pub fn blocking_send(&self, batch: LiveBatch) -> bool {
        tokio::runtime::Handle::current().block_on(self.send(batch))
    }

    /// Hands a batch on without waiting; when detection is behind (the queue has no room for
    /// its items, or no free slot), the batch is dropped, counted and alerted (a websocket
    /// cannot be slowed down without losing the session).
    pub fn try_send(&self, mut batch: LiveBatch) {
        if batch.is_empty() {
            return;
        }
        let n = batch.updates();
        let full = match self.room.try_take(batch.items.len()) {
            None => true,
            Some(room) => {
                batch.room = Some(room);
                matches!(
                    self.tx.try_send(batch),
                    Err(mpsc::error::TrySendError::Full(_))
                )
            }
        };
        if full {
            self.dropped.fetch_add(n, Ordering::Relaxed);
            self.telemetry.updates_dropped(&self.name, n);
        }
    }

    /// True once shutdown began.
    pub fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }
}

/// Jittered exponential backoff between reconnection attempts.
#[derive(Debug)]
pub struct Backoff {
    next: std::time::Duration,
    min: std::time::Duration,
    max: std::time::Duration,
}

impl Backoff {
    /// Starts at `min`, doubles up to `max`.
    pub fn new(min: std::time::Duration, max: std::time::Duration) -> Self {
        Backoff {
            next: min,
            min,
            max,
        }
    }

    /// The next delay: the current step with ±50 % jitter; the step then doubles.
    pub fn next_delay(&mut self) -> std::time::Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        base.mul_f64(0.5 + fastrand::f64())
    }

    /// Back to the minimum after a healthy session.
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::{FeedEvent, VantagePoint};

    fn handle(capacity: usize) -> (SourceHandle, mpsc::Receiver<LiveBatch>) {
        handle_with_room(capacity, 1 << 20)
    }

    fn handle_with_room(capacity: usize, room: usize) -> (SourceHandle, mpsc::Receiver<LiveBatch>) {
        let (tx, rx) = mpsc::channel(capacity);
        let (_stop, shutdown) = watch::channel(false);
        let handle = SourceHandle {
            name: Arc::from("test"),
            tx,
            health: Arc::new(FeedHealth::default()),
            telemetry: Arc::new(Telemetry::new()),
            shutdown,
            dropped: Arc::new(AtomicU64::new(0)),
            room: QueueRoom::new(room),
        };
        (handle, rx)
    }

    fn batch(handle: &SourceHandle, n: usize) -> LiveBatch {
        let vantage_point = VantagePoint {
            collector: Arc::from("rrc00"),
            peer_ip: "192.0.2.1".parse().unwrap(),
            peer_asn: 64500,
        };
        handle.decode("peer", |ctx| {
            for _ in 0..n {
                ctx.stats.peer_events += 1;
                (ctx.emit)(SourceItem::Event(FeedEvent::PeerUp {
                    time: chrono::DateTime::UNIX_EPOCH,
                    vantage_point: vantage_point.clone(),
                }));
            }
        })
    }

    #[test]
    fn a_full_queue_drops_and_counts_every_item_never_silently() {
        let (handle, mut rx) = handle(1);
        handle.try_send(batch(&handle, 3));
        handle.try_send(batch(&handle, 5));
        handle.try_send(batch(&handle, 7));
        assert_eq!(
            handle.dropped.load(Ordering::Relaxed),
            12,
            "the 2nd and 3rd batches"
        );
        assert!(handle
            .telemetry
            .render()
            .contains("bgpwatch_dropped_updates_total{source=\"test\"} 12"));
        assert_eq!(rx.try_recv().unwrap().items.len(), 3);
    }

    #[test]
    fn the_queue_is_bounded_in_items_and_a_handled_batch_gives_its_room_back() {
        let (handle, mut rx) = handle_with_room(100, 8);
        handle.try_send(batch(&handle, 5));
        handle.try_send(batch(&handle, 4));
        assert_eq!(handle.dropped.load(Ordering::Relaxed), 4, "5 + 4 > 8 items");
        handle.try_send(batch(&handle, 3));
        assert_eq!(handle.dropped.load(Ordering::Relaxed), 4, "5 + 3 fit");
        drop(rx.try_recv().unwrap());
        handle.try_send(batch(&handle, 20));
        assert_eq!(
            handle.dropped.load(Ordering::Relaxed),
            24,
            "a batch larger than the queue needs all of it: 3 items still wait"
        );
        drop(rx.try_recv().unwrap());
        handle.try_send(batch(&handle, 20));
        assert_eq!(
            handle.dropped.load(Ordering::Relaxed),
            24,
            "the queue is empty"
        );
        assert_eq!(rx.try_recv().unwrap().items.len(), 20);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_resets() {
        let min = std::time::Duration::from_secs(1);
        let mut backoff = Backoff::new(min, std::time::Duration::from_secs(8));
        let delays: Vec<f64> = (0..6).map(|_| backoff.next_delay().as_secs_f64()).collect();
        for (delay, step) in delays.iter().zip([1.0, 2.0, 4.0, 8.0, 8.0, 8.0]) {
            assert!((0.5 * step..=1.5 * step).contains(delay), "{delays:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() <= min.mul_f64(1.5));
    }
}
