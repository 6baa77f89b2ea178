//! The direct path gives exactly what the parser's elements gave, record by record, on every
//! real BGP4MP file of the data directory.

use super::emit_update;
use crate::source::convert::elem_to_update;
use crate::source::salvage::salvage_truncated_nlri;
use crate::source::unicast::keep_unicast_in_record;
use crate::source::{ReadContext, ReadStats};
use crate::update::{timestamp_from_unix, SourceItem, VantagePoint};
use bgpkit_parser::models::{Bgp4MpEnum, BgpMessage, MrtMessage};
use bgpkit_parser::{BgpkitParser, Elementor};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// BGP4MP update files of the data directory: v4 and v6, AS4_PATH merging, AS_SETs, large
/// communities, ADD-PATH-free and torn records.
const FILES: [&str; 6] = [
    "mrt/ris/rrc00.updates.20190101.0000.gz",
    "mrt/ris/updates.20070211.0141.gz",
    "mrt/ris/rrc06.updates.20150401.0000.gz",
    "mrt/edge-cases/updates.long_withdrawal.gz",
    "mrt/edge-cases/updates.nlri_mask_trailing_bits.gz",
    "mrt/routeviews/route-views.jinx.updates.20150401.0000.bz2",
];

fn data_dir() -> PathBuf {
    match std::env::var_os("BGPWATCH_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

fn open(path: &Path) -> Box<dyn Read + Send> {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    if path.extension().is_some_and(|e| e == "bz2") {
        Box::new(bzip2::read::MultiBzDecoder::new(file))
    } else {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    }
}

#[test]
fn bgp4mp_updates_convert_as_the_parsers_elements_do() {
    let collector: Arc<str> = Arc::from("test");
    let mut compared = 0usize;
    for relative in FILES {
        let path = data_dir().join(relative);
        if !path.is_file() {
            eprintln!("SKIPPED: {relative} absent (set BGPWATCH_DATA)");
            continue;
        }
        for mut record in BgpkitParser::from_reader(open(&path)).into_record_iter() {
            salvage_truncated_nlri(&mut record.message);
            keep_unicast_in_record(&mut record.message);
            let MrtMessage::Bgp4Mp(Bgp4MpEnum::Message(message)) = &record.message else {
                continue;
            };
            let BgpMessage::Update(update) = &message.bgp_message else {
                continue;
            };
            let vantage_point = VantagePoint {
                collector: collector.clone(),
                peer_ip: message.peer_ip,
                peer_asn: message.peer_asn.into(),
            };
            let time = timestamp_from_unix(
                record.common_header.timestamp as f64
                    + record.common_header.microsecond_timestamp.unwrap_or(0) as f64 / 1e6,
            );
            let mut direct = Vec::new();
            let (mut stats, mut errors) = (ReadStats::default(), Vec::new());
            let mut emit = |item: SourceItem| direct.push(item);
            let mut ctx = ReadContext {
                path: &path,
                emit: &mut emit,
                stats: &mut stats,
                errors: &mut errors,
                interest: None,
                clock: None,
            };
            emit_update(update, &vantage_point, time, &mut ctx);
            let through_elements: Vec<SourceItem> = Elementor::new()
                .record_to_elems(record.clone())
                .into_iter()
                .map(|elem| SourceItem::Update(elem_to_update(elem, &collector)))
                .collect();
            assert_eq!(direct, through_elements, "{relative}: {record:?}");
            compared += direct.len();
        }
    }
    eprintln!("{compared} updates compared");
}
