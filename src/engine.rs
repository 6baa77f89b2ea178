//! The detection engine shared by replay and the live service: one [`SourceItem`] in, alert
//! events out. It owns the route state and the alert book and never does I/O.

use crate::alert::{AlertBook, AlertEvent, BookSettings, VisibilityAlerts, VisibilitySettings};
use crate::as_rel::AsRelationships;
use crate::detect::{inspect_route, DetectContext, Detector};
use crate::rpki::Vrps;
use crate::state::{Reading, RouteTable, Visibility};
use crate::update::{Asn, Change, FeedEvent, RouteUpdate, SourceItem, Timestamp};
use crate::watchlist::{Relevance, Watchlist};
use ipnet::IpNet;
use std::sync::Arc;

/// Which updates the engine needs, so sources can skip converting the rest: everything inside
/// or covering the watched space, announcements originated by a watched AS, and any later
/// update of a prefix such an announcement used.
#[derive(Debug)]
pub struct InterestFilter {
    watchlist: Arc<Watchlist>,
    /// Asked for every unrelated update: a fast (not DoS-resistant) hash, the keys come from
    /// announcements of watched ASes only.
    originated: foldhash::HashSet<IpNet>,
}

impl InterestFilter {
    /// A filter for `watchlist`.
    pub fn new(watchlist: Arc<Watchlist>) -> Self {
        InterestFilter {
            watchlist,
            originated: foldhash::HashSet::default(),
        }
    }

    /// Whether the engine needs this update (`origins` is `None` for a withdrawal).
    pub fn wants(&mut self, prefix: &IpNet, origins: Option<&[Asn]>) -> bool {
        if !matches!(self.watchlist.relevance(prefix), Relevance::Unrelated) {
            return true;
        }
        let watched_origin =
            origins.is_some_and(|o| o.iter().any(|&a| self.watchlist.watches_origin(a)));
        if watched_origin {
            self.originated.insert(*prefix);
            return true;
        }
        self.originated.contains(prefix)
    }
}

/// Detection settings (validated; see `config`).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    /// Alert lifecycle thresholds.
    pub book: BookSettings,
    /// Visibility thresholds.
    pub visibility: VisibilitySettings,
    /// AS relationships for `route-leak` (config `as_rel`, `--as-rel`); none: built-in tier-1 list.
    pub as_rel: Option<Arc<AsRelationships>>,
    /// Validated ROA payloads at start (config `vrps`, `--vrps`); replaced live by
    /// [`Engine::set_vrps`].
    pub vrps: Option<Arc<Vrps>>,
    /// Lower RPKI-valid hijacks to warning (config `[detect] rpki_valid_downgrade`).
    pub rpki_valid_downgrade: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            book: BookSettings::default(),
            visibility: VisibilitySettings::default(),
            as_rel: None,
            vrps: None,
            rpki_valid_downgrade: true,
        }
    }
}

/// Route state + detectors + alert book.
#[derive(Debug)]
pub struct Engine {
    watchlist: Arc<Watchlist>,
    detectors: Vec<Detector>,
    state: RouteTable,
    book: AlertBook,
    visibility: Visibility,
    visibility_alerts: VisibilityAlerts,
    readings: Vec<Reading>,
    now: Option<Timestamp>,
    as_rel: Option<Arc<AsRelationships>>,
    vrps: Option<Arc<Vrps>>,
    rpki_valid_downgrade: bool,
}

impl Engine {
    /// An engine watching `watchlist` with every detector enabled.
    pub fn new(watchlist: Arc<Watchlist>, settings: EngineSettings) -> Self {
        Engine {
            watchlist: watchlist.clone(),
            detectors: Detector::ALL.to_vec(),
            state: RouteTable::default(),
            book: AlertBook::new(settings.book),
            visibility: Visibility::new(&watchlist),
            visibility_alerts: VisibilityAlerts::new(settings.visibility),
            readings: Vec::new(),
            now: None,
            as_rel: settings.as_rel,
            vrps: settings.vrps,
            rpki_valid_downgrade: settings.rpki_valid_downgrade,
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

    /// Takes back an alert that was open when the service stopped (see [`AlertBook::restore`]
    /// and [`VisibilityAlerts::restore`]); `false` for kinds the engine does not judge.
    pub fn restore(&mut self, event: &AlertEvent) -> bool {
        self.book.restore(event) || self.visibility_alerts.restore(event)
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
        if self.visibility_alerts.due(time) {
            let s = *self.visibility_alerts.settings();
            let readings = self
                .visibility
                .readings(&self.state, time, s.window, s.settle);
            let sizes = self.visibility.group_sizes();
            self.visibility_alerts.evaluate(&readings, sizes, time, out);
            self.readings = readings;
        }
    }

    fn handle_update(&mut self, update: &RouteUpdate) {
        let entry = match self.watchlist.relevance(&update.prefix) {
            Relevance::Inside(entry) => Some(entry),
            Relevance::Covering => None,
            Relevance::Unrelated
                if self.unwatched_route_matters(update)
                    || self.book.awaits_evidence(&update.prefix) =>
            {
                None
            }
            Relevance::Unrelated => return,
        };
        let vp = self.state.intern(&update.vantage_point);
        let time = self.now.unwrap_or(update.time);
        match &update.change {
            Change::Announce(route) => {
                let ctx = DetectContext {
                    watchlist: &self.watchlist,
                    as_rel: self.as_rel.as_deref(),
                    vrps: self.vrps.as_deref(),
                    downgrade_rpki_valid: self.rpki_valid_downgrade,
                };
                let findings = inspect_route(&self.detectors, ctx, entry, &update.prefix, route);
                self.book.set_support(
                    vp,
                    &update.vantage_point,
                    update.prefix,
                    Some(&route.as_path),
                    findings,
                    time,
                );
                self.state.mark_seen(vp, time);
                self.state.announce(vp, update.prefix, route.clone());
                self.visibility
                    .route_changed(&self.state, vp, &update.prefix, time);
            }
            Change::Withdraw => {
                self.state.withdraw(vp, &update.prefix);
                self.visibility
                    .route_changed(&self.state, vp, &update.prefix, time);
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

    /// A route outside the watched space matters when a watched AS originates it, and its
    /// withdrawal when state holds it.
    fn unwatched_route_matters(&self, update: &RouteUpdate) -> bool {
        match &update.change {
            Change::Announce(route) => route
                .as_path
                .origins()
                .iter()
                .any(|&asn| self.watchlist.watches_origin(asn)),
            Change::Withdraw => self
                .state
                .lookup(&update.vantage_point)
                .is_some_and(|vp| self.state.route(vp, &update.prefix).is_some()),
        }
    }

    fn handle_event(&mut self, event: &FeedEvent) {
        let time = self.now.unwrap_or(event.time());
        match event {
            FeedEvent::PeerDown { vantage_point, .. } => {
                let Some(vp) = self.state.lookup(vantage_point) else {
                    return;
                };
                self.visibility.peer_down(vp, time);
                for (prefix, _) in self.state.peer_down(vp) {
                    self.book
                        .set_support(vp, vantage_point, prefix, None, Vec::new(), time);
                }
            }
            FeedEvent::PeerUp { vantage_point, .. } => {
                let vp = self.state.intern(vantage_point);
                self.state.peer_up(vp, time);
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

    /// Replaces the VRP set (a reloaded file, an RTR sync). Routes already judged keep their
    /// findings until they change.
    pub fn set_vrps(&mut self, vrps: Arc<Vrps>) {
        self.vrps = Some(vrps);
    }

    /// The latest visibility reading of every tracked watched prefix (refreshed every 10 s of
    /// data time), for metrics and the status page.
    pub fn visibility_readings(&self) -> &[Reading] {
        &self.readings
    }

    /// Alerts opened since start, of every kind the engine raises.
    pub fn alerts_opened(&self) -> u64 {
        self.book.opened_total() + self.visibility_alerts.opened_total()
    }

    /// Alerts open now, of every kind the engine raises.
    pub fn alerts_open(&self) -> usize {
        self.book.open_alerts() + self.visibility_alerts.open_alerts()
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
