//! The detection engine shared by replay and the live service: one [`SourceItem`] in, alert
//! events out. It owns the route state and the alert book and never does I/O.

use crate::alert::{AlertBook, AlertEvent, BookSettings};
use crate::detect::{inspect_route, Detector};
use crate::state::RouteTable;
use crate::update::{Change, FeedEvent, RouteUpdate, SourceItem, Timestamp};
use crate::watchlist::{Relevance, Watchlist};
use std::sync::Arc;

/// Detection settings (validated; see `config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineSettings {
    /// Alert lifecycle thresholds.
    pub book: BookSettings,
}

/// Route state + detectors + alert book.
#[derive(Debug)]
pub struct Engine {
    watchlist: Arc<Watchlist>,
    detectors: Vec<Detector>,
    state: RouteTable,
    book: AlertBook,
    now: Option<Timestamp>,
}

impl Engine {
    /// An engine watching `watchlist` with every detector enabled.
    pub fn new(watchlist: Arc<Watchlist>, settings: EngineSettings) -> Self {
        Engine {
            watchlist,
            detectors: Detector::ALL.to_vec(),
            state: RouteTable::default(),
            book: AlertBook::new(settings.book),
            now: None,
        }
    }

    /// Processes one item in data time (replay); alert events it causes are appended to `out`,
    /// in time order.
    pub fn handle(&mut self, item: &SourceItem, out: &mut Vec<AlertEvent>) {
        self.handle_at(item, item.time(), out);
    }

    /// Processes one item as of `time` (the live service passes the clock).
    pub fn handle_at(&mut self, item: &SourceItem, time: Timestamp, out: &mut Vec<AlertEvent>) {
        self.advance(time, out);
        match item {
            SourceItem::Update(update) => self.handle_update(update),
            SourceItem::Event(event) => self.handle_event(event),
            SourceItem::Clock(_) => {}
        }
    }

    /// Notifies what the latest instant changed (see [`AlertBook::settle`]). Replay calls it at
    /// the end of the input; the live service whenever its queue is drained.
    pub fn flush(&mut self, out: &mut Vec<AlertEvent>) {
        self.book.settle(out);
    }

    /// Moves the clock forward (never back) and resolves what is due.
    pub fn advance(&mut self, time: Timestamp, out: &mut Vec<AlertEvent>) {
        if self.now.is_some_and(|now| now >= time) {
            return;
        }
        self.now = Some(time);
        self.book.advance(time, out);
    }

    fn handle_update(&mut self, update: &RouteUpdate) {
        let entry = match self.watchlist.relevance(&update.prefix) {
            Relevance::Unrelated => return,
            Relevance::Covering => None,
            Relevance::Inside(entry) => Some(entry),
        };
        let vp = self.state.intern(&update.vantage_point);
        let time = self.now.unwrap_or(update.time);
        match &update.change {
            Change::Announce(route) => {
                let findings = entry.map_or_else(Vec::new, |entry| {
                    inspect_route(
                        &self.detectors,
                        &self.watchlist,
                        entry,
                        &update.prefix,
                        route,
                    )
                });
                self.book.set_support(
                    vp,
                    &update.vantage_point,
                    update.prefix,
                    Some(&route.as_path),
                    findings,
                    time,
                );
                self.state.announce(vp, update.prefix, route.clone());
            }
            Change::Withdraw => {
                self.state.withdraw(vp, &update.prefix);
                self.book.set_support(
                    vp,
                    &update.vantage_point,
                    update.prefix,
                    None,
                    Vec::new(),
                    time,
                );
            }
        }
    }

    fn handle_event(&mut self, event: &FeedEvent) {
        let time = self.now.unwrap_or(event.time());
        match event {
            FeedEvent::PeerDown { vantage_point, .. } => {
                let Some(vp) = self.state.lookup(vantage_point) else {
                    return;
                };
                for (prefix, _) in self.state.peer_down(vp) {
                    self.book
                        .set_support(vp, vantage_point, prefix, None, Vec::new(), time);
                }
            }
            FeedEvent::PeerUp { vantage_point, .. } => {
                let vp = self.state.intern(vantage_point);
                self.state.peer_up(vp);
            }
        }
    }

    /// The route state.
    pub fn state(&self) -> &RouteTable {
        &self.state
    }

    /// The alert book.
    pub fn book(&self) -> &AlertBook {
        &self.book
    }

    /// The watchlist in force.
    pub fn watchlist(&self) -> &Watchlist {
        &self.watchlist
    }

    /// The engine's clock: the latest time seen.
    pub fn now(&self) -> Option<Timestamp> {
        self.now
    }
}
