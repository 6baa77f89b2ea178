//! BGP4MP UPDATE records straight to [`RouteUpdate`]s, without the parser's per-prefix
//! elements: the attributes are read once per record, by reference, and a route is built only
//! for prefixes the engine wants (most prefixes of a feed are nowhere near the watched space).
//!
//! Same result as going through `Elementor` (announcements first, then withdrawals; AS_PATH
//! merged with AS4_PATH; NEXT_HOP or else the MP_REACH next hop; the last of a repeated
//! attribute wins), which `tests/bgpdump_counts.rs` and the scenarios pin.

use super::convert::{convert_large, convert_path, convert_standard};
use super::ReadContext;
use crate::update::{
    Asn, Change, Community, Route, RouteUpdate, SourceItem, Timestamp, VantagePoint,
};
use bgpkit_parser::models::{AsPath, AttributeValue, BgpUpdateMessage, NetworkPrefix};
use std::borrow::Cow;
use std::net::IpAddr;

/// Origins of the usual path fit here without allocating.
const ORIGINS_INLINE: usize = 8;

/// Emits the updates of one BGP UPDATE received from `vantage_point` at `time`.
pub fn emit_update(
    update: &BgpUpdateMessage,
    vantage_point: &VantagePoint,
    time: Timestamp,
    ctx: &mut ReadContext<'_>,
) {
    let view = View::of(update);
    let announced = update.announced_prefixes.iter().chain(view.reach);
    if announced.clone().next().is_some() {
        let path = view.path();
        let mut buffer = [0u32; ORIGINS_INLINE];
        let origins = origins_of(path.as_deref(), &mut buffer);
        let mut route: Option<Route> = None;
        for prefix in announced {
            let prefix = prefix.prefix.trunc();
            if !ctx.wants(&prefix, Some(&origins)) {
                ctx.count_unwanted(true, time);
                continue;
            }
            let route = route
                .get_or_insert_with(|| view.route(path.as_deref()))
                .clone();
            ctx.count_and_emit(SourceItem::Update(RouteUpdate {
                time,
                vantage_point: vantage_point.clone(),
                prefix,
                change: Change::Announce(route),
            }));
        }
    }
    for prefix in update.withdrawn_prefixes.iter().chain(view.unreach) {
        let prefix = prefix.prefix.trunc();
        if ctx.wants(&prefix, None) {
            ctx.count_and_emit(SourceItem::Update(RouteUpdate {
                time,
                vantage_point: vantage_point.clone(),
                prefix,
                change: Change::Withdraw,
            }));
        } else {
            ctx.count_unwanted(false, time);
        }
    }
}

/// The attributes an update's routes are built from, borrowed.
struct View<'a> {
    as_path: Option<&'a AsPath>,
    as4_path: Option<&'a AsPath>,
    next_hop: Option<IpAddr>,
    reach_next_hop: Option<IpAddr>,
    reach: &'a [NetworkPrefix],
    unreach: &'a [NetworkPrefix],
    otc: Option<Asn>,
    update: &'a BgpUpdateMessage,
}

impl<'a> View<'a> {
    fn of(update: &'a BgpUpdateMessage) -> View<'a> {
        let mut view = View {
            as_path: None,
            as4_path: None,
            next_hop: None,
            reach_next_hop: None,
            reach: &[],
            unreach: &[],
            otc: None,
            update,
        };
        for value in update.attributes.iter() {
            match value {
                AttributeValue::AsPath(path) => view.as_path = Some(path),
                AttributeValue::As4Path(path) => view.as4_path = Some(path),
                AttributeValue::NextHop(hop) => view.next_hop = Some(*hop),
                AttributeValue::MpReachNlri(nlri) => {
                    view.reach = &nlri.prefixes;
                    view.reach_next_hop = nlri.next_hop.as_ref().map(|h| h.global_addr());
                }
                AttributeValue::MpUnreachNlri(nlri) => view.unreach = &nlri.prefixes,
                AttributeValue::OnlyToCustomer(asn) => view.otc = Some(u32::from(*asn)),
                _ => {}
            }
        }
        view
    }

    /// The effective AS path (RFC 6793: AS_PATH merged with AS4_PATH when both are present).
    fn path(&self) -> Option<Cow<'a, AsPath>> {
        match (self.as_path, self.as4_path) {
            (None, None) => None,
            (Some(path), None) | (None, Some(path)) => Some(Cow::Borrowed(path)),
            (Some(path), Some(as4)) => Some(Cow::Owned(AsPath::merge_aspath_as4path(path, as4))),
        }
    }

    /// The route every announced prefix of the update shares.
    fn route(&self, path: Option<&AsPath>) -> Route {
        let mut communities: Vec<Community> = Vec::new();
        for value in self.update.attributes.iter() {
            match value {
                AttributeValue::Communities(list) => {
                    communities.extend(list.iter().filter_map(convert_standard))
                }
                AttributeValue::LargeCommunities(list) => {
                    communities.extend(list.iter().map(convert_large))
                }
                _ => {}
            }
        }
        Route {
            as_path: path.map(convert_path).unwrap_or_default(),
            next_hop: self.next_hop.or(self.reach_next_hop),
            communities: communities.into_boxed_slice(),
            otc: self.otc,
        }
    }
}

/// The origin ASes of a path, without allocating for the usual one or few.
fn origins_of<'b>(path: Option<&AsPath>, buffer: &'b mut [u32; ORIGINS_INLINE]) -> Cow<'b, [u32]> {
    let Some(path) = path else {
        return Cow::Borrowed(&buffer[..0]);
    };
    let mut n = 0;
    for asn in path.iter_origins() {
        if n == buffer.len() {
            return Cow::Owned(path.iter_origins().map(u32::from).collect());
        }
        buffer[n] = u32::from(asn);
        n += 1;
    }
    Cow::Borrowed(&buffer[..n])
}

#[cfg(test)]
#[path = "mrt_update_tests.rs"]
mod tests;
