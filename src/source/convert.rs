//! `bgpkit-parser` elements to [`RouteUpdate`]s. Together with the readers, the only code that
//! knows the parser's types.

use crate::update::{
    timestamp_from_unix, AsPath, Change, Community, PathHop, Route, RouteUpdate, VantagePoint,
};
use bgpkit_parser::models::{
    AsPathSegment, BgpElem, Community as BgpCommunity, ElemType, LargeCommunity, MetaCommunity,
};
use std::sync::Arc;

/// Converts one parsed element, attributing it to `collector`.
pub fn elem_to_update(elem: BgpElem, collector: &Arc<str>) -> RouteUpdate {
    let vantage_point = VantagePoint {
        collector: collector.clone(),
        peer_ip: elem.peer_ip,
        peer_asn: elem.peer_asn.into(),
    };
    let change = match elem.elem_type {
        ElemType::WITHDRAW => Change::Withdraw,
        ElemType::ANNOUNCE => Change::Announce(Route {
            as_path: elem.as_path.as_ref().map(convert_path).unwrap_or_default(),
            next_hop: elem.next_hop,
            communities: elem
                .communities
                .as_deref()
                .map(convert_communities)
                .unwrap_or_default(),
            otc: elem.only_to_customer.map(u32::from),
        }),
    };
    RouteUpdate {
        time: timestamp_from_unix(elem.timestamp),
        vantage_point,
        prefix: elem.prefix.prefix.trunc(),
        change,
    }
}

/// Flattens a parser AS path: sequences become hops, sets become set hops, confederation
/// segments (internal to the neighbour) are dropped.
pub fn convert_path(path: &bgpkit_parser::models::AsPath) -> AsPath {
    let hop_count = path
        .iter_segments()
        .map(|segment| match segment {
            AsPathSegment::AsSequence(asns) => asns.len(),
            AsPathSegment::AsSet(_) => 1,
            AsPathSegment::ConfedSequence(_) | AsPathSegment::ConfedSet(_) => 0,
        })
        .sum();
    let mut hops = Vec::with_capacity(hop_count);
    for segment in path.iter_segments() {
        match segment {
            AsPathSegment::AsSequence(asns) => {
                hops.extend(asns.iter().map(|&a| PathHop::Asn(a.into())))
            }
            AsPathSegment::AsSet(asns) => {
                hops.push(PathHop::Set(asns.iter().map(|&a| u32::from(a)).collect()))
            }
            AsPathSegment::ConfedSequence(_) | AsPathSegment::ConfedSet(_) => {}
        }
    }
    AsPath::new(hops)
}

fn convert_communities(list: &[MetaCommunity]) -> Box<[Community]> {
    let mut out = Vec::with_capacity(list.len());
    out.extend(list.iter().filter_map(|c| match c {
        MetaCommunity::Plain(c) => convert_standard(c),
        MetaCommunity::Large(l) => Some(convert_large(l)),
        MetaCommunity::Extended(_) | MetaCommunity::Ipv6Extended(_) => None,
    }));
    out.into_boxed_slice()
}

/// A standard community (RFC 1997); `None` for kinds [`Community`] does not keep.
pub fn convert_standard(community: &BgpCommunity) -> Option<Community> {
    match community {
        BgpCommunity::Custom(asn, value) => {
            Some(Community::Standard(u32::from(*asn) as u16, *value))
        }
        BgpCommunity::NoExport => Some(Community::Standard(0xffff, 0xff01)),
        BgpCommunity::NoAdvertise => Some(Community::Standard(0xffff, 0xff02)),
        BgpCommunity::NoExportSubConfed => Some(Community::Standard(0xffff, 0xff03)),
    }
}

/// A large community (RFC 8092).
pub fn convert_large(l: &LargeCommunity) -> Community {
    Community::Large(l.global_admin, l.local_data[0], l.local_data[1])
}
