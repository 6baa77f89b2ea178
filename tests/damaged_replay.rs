//! A corpus of damaged inputs made at test time from the real files in the data dir (truncated
//! at many offsets, bit-flipped, lengths claiming up to 4 GB, wrong types and versions, deep and
//! endless JSON), each replayed by `bgpwatch replay` *followed by a good input*. Every case
//! must: end by itself with no panic, name the file and the byte or line at fault when it
//! reports damage, keep its peak RSS under [`RSS_BOUND_KIB`], and still alert on the good input
//! of the same run.

#[path = "support/bmp_reference.rs"]
mod bmp_reference;
#[path = "support/damage.rs"]
mod damage;
#[path = "support/damaged_replay.rs"]
mod harness;
#[path = "support/measured.rs"]
mod measured;
#[path = "support/pcap.rs"]
mod pcap;
mod support;

use damage::{bit_flipped, cuts_inside, mrt_records, mrt_type, with_u16, with_u32, with_u8};
use harness::{at_byte, case, check, texts, Case, Content, Expect};
use std::io::Read;
use std::path::PathBuf;

/// Bytes of real MRT records each MRT case starts from.
const MRT_PREFIX_BYTES: usize = 256 << 10;

fn gunzip(file: &PathBuf) -> Vec<u8> {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

#[test]
fn damaged_mrt_is_reported_where_it_is_with_bounded_memory() {
    let Some(file) = support::data_file("mrt/ris/rrc15.updates.20100227.1600.gz") else {
        return;
    };
    let all = gunzip(&file);
    let records = mrt_records(&all);
    let end = records
        .iter()
        .map(|&(start, len)| start + len)
        .take_while(|&end| end <= MRT_PREFIX_BYTES)
        .last()
        .unwrap();
    let bytes = all[..end].to_vec();
    let records = mrt_records(&bytes);
    assert!(records.len() > 100, "{} records", records.len());
    let mut cases = Vec::new();
    for (start, cut) in cuts_inside(&records, 16, 2) {
        cases.push(case(
            format!("cut-{cut}"),
            bytes[..cut].to_vec(),
            at_byte(start),
        ));
    }
    for seed in 1..=8u64 {
        let flipped = bit_flipped(&bytes, seed, 16, damage::MRT_HEADER);
        cases.push(case(format!("flips-{seed}"), flipped, Expect::Either));
    }
    // Aimed at records: BGP4MP MESSAGE_AS4 (type 16, subtype 4) with IPv4 peers, whose BGP
    // header starts 20 bytes into the body.
    let aimed: Vec<usize> = records
        .iter()
        .map(|r| r.0)
        .filter(|&s| s > 0 && mrt_type(&bytes, s) == (16, 4) && bytes[s + 22..s + 24] == [0, 1])
        .step_by(97)
        .take(3)
        .collect();
    assert_eq!(aimed.len(), 3);
    for &at in &aimed {
        let bgp = at + damage::MRT_HEADER + 20;
        cases.extend([
            case(
                format!("length-4g-{at}"),
                with_u32(&bytes, at + 8, u32::MAX),
                at_byte(at),
            ),
            case(
                format!("length-16m-{at}"),
                with_u32(&bytes, at + 8, 0x00ff_ffff),
                at_byte(at),
            ),
            case(
                format!("type-99-{at}"),
                with_u16(&bytes, at + 4, 99),
                at_byte(at),
            ),
            case(
                format!("subtype-99-{at}"),
                with_u16(&bytes, at + 6, 99),
                at_byte(at),
            ),
            case(
                format!("afi-99-{at}"),
                with_u16(&bytes, at + 22, 99),
                at_byte(at),
            ),
            case(
                format!("bgp-length-65535-{at}"),
                with_u16(&bytes, bgp + 16, 0xffff),
                Expect::Either,
            ),
            case(
                format!("bgp-length-0-{at}"),
                with_u16(&bytes, bgp + 16, 0),
                Expect::Either,
            ),
            case(
                format!("bgp-type-9-{at}"),
                with_u8(&bytes, bgp + 18, 9),
                at_byte(at),
            ),
        ]);
    }
    check("mrt", "mrt", cases);
}

#[test]
fn damaged_ris_live_json_is_reported_by_line_with_bounded_memory() {
    let Some(file) = support::data_file("ris-live/morrowc-rislive.1k-msgs.jsonl") else {
        return;
    };
    let bytes = std::fs::read(&file).unwrap();
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let starts: Vec<(usize, usize)> = lines
        .iter()
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l.len()))
        })
        .collect();
    let with_line = |n: usize, line: &[u8]| {
        let mut out = lines[..n].concat();
        out.extend_from_slice(line);
        out.extend(lines[n..].concat());
        out
    };
    let mut cases = Vec::new();
    for (i, (start, cut)) in cuts_inside(&starts[..starts.len() - 1], 12, 1)
        .into_iter()
        .enumerate()
    {
        let line = starts.iter().position(|s| s.0 == start).unwrap() + 1;
        let cut = cut.min(start + starts[line - 1].1 - 2); // inside the JSON, not its newline
        cases.push(case(
            format!("cut-{i}"),
            bytes[..cut].to_vec(),
            texts(&[&format!("(line {line})")]),
        ));
    }
    for seed in 1..=8u64 {
        cases.push(case(
            format!("flips-{seed}"),
            bit_flipped(&bytes, seed, 16, 0),
            Expect::Either,
        ));
    }
    let deep_array = format!("{}\n", "[".repeat(100_000));
    let deep_object = format!("{}\n", "{\"a\":".repeat(100_000));
    let huge_line = format!(
        "{{\"type\":\"ris_message\",\"data\":{{\"x\":\"{}\"}}}}\n",
        "a".repeat(2 << 20)
    );
    let mut not_utf8 = b"{\"type\":\"ris_message\",\"data\":{\"host\":\"".to_vec();
    not_utf8.extend_from_slice(&[0xff, 0xfe, 0xc0, 0x80]);
    not_utf8.extend_from_slice(b"\"}}\n");
    let wrong_types = br#"{"type":"ris_message","data":{"type":"UPDATE","timestamp":"yesterday","peer":[1],"peer_asn":{"x":1}}}
"#;
    let huge_numbers = br#"{"type":"ris_message","data":{"type":"UPDATE","timestamp":1e400,"peer":"198.18.0.9","peer_asn":"99999999999","host":"rrc00","path":[18446744073709551616],"announcements":[{"next_hop":"x","prefixes":["1.2.3.0/99"]}]}}
"#;
    cases.extend([
        case(
            "deep-array",
            with_line(500, deep_array.as_bytes()),
            texts(&["(line 501)"]),
        ),
        case(
            "deep-object",
            with_line(500, deep_object.as_bytes()),
            texts(&["(line 501)"]),
        ),
        case(
            "line-2mib",
            with_line(300, huge_line.as_bytes()),
            texts(&["(line 301)", "longer than"]),
        ),
        case(
            "not-utf8",
            with_line(10, &not_utf8),
            texts(&["(line 11)", "UTF-8"]),
        ),
        case(
            "wrong-types",
            with_line(20, wrong_types),
            texts(&["(line 21)"]),
        ),
        case(
            "huge-numbers",
            with_line(30, huge_numbers),
            texts(&["(line 31)"]),
        ),
        case(
            "deep-document",
            format!("{{\n\"a\": {}", "[".repeat(100_000)).into_bytes(),
            texts(&["recursion limit"]),
        ),
    ]);
    check("ris-live", "jsonl", cases);
}

/// A 256 MiB line with no newline: passed over, not buffered (before the fix: 282 MiB RSS), and
/// a pretty-printed document over 16 MiB: refused, not parsed (before: 8 GB and 2 minutes).
#[test]
fn endless_ris_live_lines_and_documents_are_not_buffered_whole() {
    // One pretty-printed message whose withdrawal list passes 16 MiB.
    let mut document = b"{\n\"type\": \"ris_message\",\n\"data\": {\"withdrawals\": [\n".to_vec();
    while document.len() < 17 << 20 {
        document.extend_from_slice(b"\"192.0.2.0/24\",\n");
    }
    document.extend_from_slice(b"\"192.0.2.0/24\"]}}\n");
    let cases = vec![
        Case {
            name: "line-256mib".into(),
            content: Content::Written(Box::new(|out| {
                out.write_all(b"{\"type\":\"ris_message\",\"data\":{\"x\":\"")
                    .unwrap();
                let chunk = vec![b'a'; 1 << 20];
                for _ in 0..256 {
                    out.write_all(&chunk).unwrap();
                }
            })),
            expect: texts(&["at byte 0 (line 1)", "longer than 1048576"]),
        },
        case("document-17mib", document, texts(&["larger than 16 MiB"])),
    ];
    check("ris-live-endless", "jsonl", cases);
}

#[test]
fn damaged_bmp_streams_are_reported_where_they_are_with_bounded_memory() {
    let Some(stream) = bmp_reference::first_stream("bmp/pmacct-204-BMP-CISCO-peer_down.pcap")
    else {
        return;
    };
    let frames = bmp_reference::frames(&stream);
    let mut cases = Vec::new();
    for (start, cut) in cuts_inside(&frames, 12, 1) {
        cases.push(case(
            format!("cut-{cut}"),
            stream[..cut].to_vec(),
            at_byte(start),
        ));
    }
    for seed in 1..=8u64 {
        cases.push(case(
            format!("flips-{seed}"),
            bit_flipped(&stream, seed, 16, 6),
            Expect::Either,
        ));
    }
    let monitoring: Vec<usize> = frames
        .iter()
        .filter(|&&(start, len)| stream[start + 5] == 0 && len > 48 + 19)
        .map(|f| f.0)
        .step_by(60)
        .take(3)
        .collect();
    assert_eq!(monitoring.len(), 3);
    for &at in &monitoring {
        let bgp = at + 48;
        cases.extend([
            case(
                format!("length-4g-{at}"),
                with_u32(&stream, at + 1, u32::MAX),
                texts(&[&format!("at byte {at}"), "4294967295"]),
            ),
            case(
                format!("length-5-{at}"),
                with_u32(&stream, at + 1, 5),
                texts(&[&format!("at byte {at}"), "claims 5 bytes"]),
            ),
            case(
                format!("version-2-{at}"),
                with_u8(&stream, at, 2),
                texts(&[&format!("at byte {at}"), "version 2"]),
            ),
            case(
                format!("version-255-{at}"),
                with_u8(&stream, at, 255),
                texts(&[&format!("at byte {at}"), "version 255"]),
            ),
            case(
                format!("bgp-length-65535-{at}"),
                with_u16(&stream, bgp + 16, 0xffff),
                Expect::Either,
            ),
            case(
                format!("bgp-length-0-{at}"),
                with_u16(&stream, bgp + 16, 0),
                Expect::Either,
            ),
            case(
                format!("peer-type-99-{at}"),
                with_u8(&stream, at + 6, 99),
                Expect::Either,
            ),
            case(
                format!("message-type-99-{at}"),
                with_u8(&stream, at + 5, 99),
                Expect::Either,
            ),
        ]);
    }
    check("bmp", "bmp", cases);
}
