//! MRT files (BGP4MP, BGP4MP_ET, TABLE_DUMP, TABLE_DUMP_V2; ADD-PATH; any compression).
//! A BGP4MP state change out of Established is a peer-down event.

use super::convert::elem_to_update;
use super::mrt_update::emit_update;
use super::open::CountingReader;
use super::salvage::salvage_truncated_nlri;
use super::unicast::keep_unicast_in_record;
use super::ReadContext;
use crate::update::{timestamp_from_unix, FeedEvent, SourceItem, VantagePoint};
use bgpkit_parser::models::{
    Bgp4MpEnum, Bgp4MpMessage, BgpMessage, BgpState, ElemType, MrtMessage,
};
use bgpkit_parser::{BgpkitParser, Elementor};
use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;
use std::sync::Arc;

/// Reads every MRT record of `reader`, emitting updates and peer events.
pub fn read(reader: Box<dyn Read + Send>, collector: Arc<str>, ctx: &mut ReadContext<'_>) {
    let position = Rc::new(Cell::new(0u64));
    let counting = CountingReader::new(reader, position.clone());
    let records = BgpkitParser::from_reader(counting)
        .disable_warnings()
        .into_fallible_record_iter();
    let mut elementor = Elementor::new();
    let mut record_start = 0u64;
    for result in records {
        match result {
            Ok(mut record) => {
                ctx.stats.records += 1;
                salvage_truncated_nlri(&mut record.message);
                let removed = keep_unicast_in_record(&mut record.message);
                ctx.count_removed(removed);
                let time = timestamp_from_unix(
                    record.common_header.timestamp as f64
                        + record.common_header.microsecond_timestamp.unwrap_or(0) as f64 / 1e6,
                );
                if let MrtMessage::Bgp4Mp(Bgp4MpEnum::StateChange(change)) = &record.message {
                    let vantage_point = VantagePoint {
                        collector: collector.clone(),
                        peer_ip: change.peer_ip,
                        peer_asn: change.peer_asn.into(),
                    };
                    if let Some(event) =
                        state_event(change.old_state, change.new_state, time, vantage_point)
                    {
                        ctx.stats.peer_events += 1;
                        (ctx.emit)(SourceItem::Event(event));
                    }
                } else if let MrtMessage::Bgp4Mp(Bgp4MpEnum::Message(Bgp4MpMessage {
                    peer_ip,
                    peer_asn,
                    bgp_message: BgpMessage::Update(update),
                    ..
                })) = &record.message
                {
                    let vantage_point = VantagePoint {
                        collector: collector.clone(),
                        peer_ip: *peer_ip,
                        peer_asn: (*peer_asn).into(),
                    };
                    emit_update(update, &vantage_point, time, ctx);
                } else {
                    for elem in elementor.record_to_elems(record) {
                        let prefix = elem.prefix.prefix.trunc();
                        let announce = elem.elem_type == ElemType::ANNOUNCE;
                        let mut buffer = [0u32; 8];
                        let origins = announce.then(|| origins_of(&elem, &mut buffer));
                        if ctx.wants(&prefix, origins.as_deref()) {
                            ctx.count_and_emit(SourceItem::Update(elem_to_update(
                                elem, &collector,
                            )));
                        } else {
                            ctx.count_unwanted(announce, timestamp_from_unix(elem.timestamp));
                        }
                    }
                }
            }
            Err(error) => ctx.damage("MRT", record_start, error.error.to_string()),
        }
        record_start = position.get();
    }
}

/// The origin ASes of an element, without allocating for the usual one or few.
fn origins_of<'b>(
    elem: &bgpkit_parser::models::BgpElem,
    buffer: &'b mut [u32; 8],
) -> std::borrow::Cow<'b, [u32]> {
    let asns = elem.origin_asns.as_deref().unwrap_or_default();
    if asns.len() <= buffer.len() {
        for (slot, asn) in buffer.iter_mut().zip(asns) {
            *slot = u32::from(*asn);
        }
        std::borrow::Cow::Borrowed(&buffer[..asns.len()])
    } else {
        std::borrow::Cow::Owned(asns.iter().map(|&a| u32::from(a)).collect())
    }
}

fn state_event(
    old: BgpState,
    new: BgpState,
    time: crate::update::Timestamp,
    vantage_point: VantagePoint,
) -> Option<FeedEvent> {
    match (old, new) {
        (BgpState::Established, new) if new != BgpState::Established => Some(FeedEvent::PeerDown {
            time,
            vantage_point,
            reason: format!("BGP4MP state change Established -> {new:?}"),
        }),
        (old, BgpState::Established) if old != BgpState::Established => Some(FeedEvent::PeerUp {
            time,
            vantage_point,
        }),
        _ => None,
    }
}
