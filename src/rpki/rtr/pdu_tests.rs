//! PDU framing: what is accepted, and every way a PDU is refused without panicking or
//! allocating what the header claims.

use super::*;

/// Error Report code No Data Available.
const NO_DATA: u16 = 2;

/// The bytes stayrtr 0.5.1 sent for `{"asn": 64504, "prefix": "192.0.2.0/24", "maxLength": 24}`
/// (version 1), captured on this machine.
const STAYRTR_IPV4_PREFIX: [u8; 20] = [
    1, 4, 0, 0, 0, 0, 0, 20, 0x01, 0x18, 0x18, 0x00, 0xc0, 0x00, 0x02, 0x00, 0x00, 0x00, 0xfb, 0xf8,
];

/// stayrtr's version-1 End of Data: session 43765, serial 0, refresh 3600, retry 600, expire
/// 7200.
const STAYRTR_END_OF_DATA: [u8; 24] = [
    1, 7, 0xaa, 0xf5, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 0, 0x1c, 0x20,
];

async fn read_all(bytes: &[u8]) -> Vec<Result<(u8, Pdu), String>> {
    let mut reader = PduReader::new(bytes);
    let mut out = Vec::new();
    loop {
        match reader.next().await {
            Ok(pdu) => out.push(Ok(pdu)),
            Err(PduError::Closed) => return out,
            Err(e) => {
                out.push(Err(e.to_string()));
                return out;
            }
        }
    }
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(future)
}

#[test]
fn stayrtr_prefix_and_end_of_data_decode() {
    let mut bytes = STAYRTR_IPV4_PREFIX.to_vec();
    bytes.extend_from_slice(&STAYRTR_END_OF_DATA);
    let got = run(read_all(&bytes));
    assert_eq!(
        got,
        [
            Ok((
                1,
                Pdu::Prefix {
                    announce: true,
                    vrp: Vrp {
                        prefix: "192.0.2.0/24".parse().expect("prefix"),
                        max_length: 24,
                        asn: 64504
                    }
                }
            )),
            Ok((
                1,
                Pdu::EndOfData {
                    session_id: 43765,
                    serial: 0,
                    timing: Some(Timing {
                        refresh: 3600,
                        retry: 600,
                        expire: 7200
                    })
                }
            ))
        ]
    );
}

#[test]
fn ipv6_withdrawal_and_version_0_end_of_data_decode() {
    let mut bytes = vec![0, 6, 0, 0, 0, 0, 0, 32, 0, 32, 48, 0];
    bytes.extend_from_slice(&"2001:db8::".parse::<Ipv6Addr>().expect("v6").octets());
    bytes.extend_from_slice(&64500u32.to_be_bytes());
    bytes.extend_from_slice(&[0, 7, 0, 9, 0, 0, 0, 12, 0, 0, 0, 5]);
    let got = run(read_all(&bytes));
    assert!(matches!(
        &got[0],
        Ok((0, Pdu::Prefix { announce: false, vrp })) if vrp.to_string() == "2001:db8::/32-48 AS64500"
    ));
    assert!(matches!(
        got[1],
        Ok((
            0,
            Pdu::EndOfData {
                session_id: 9,
                serial: 5,
                timing: None
            }
        ))
    ));
}

#[test]
fn a_4_gb_length_is_refused_from_the_header_alone() {
    let got = run(read_all(&[1, 4, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    assert_eq!(
        got,
        [Err(
            "PDU type 4 claims length 4294967295, over the 65536-byte limit".to_owned()
        )]
    );
}

#[test]
fn wrong_fixed_lengths_and_unknown_types_are_refused() {
    let cases: [(&[u8], &str); 5] = [
        (
            &[1, 4, 0, 0, 0, 0, 0, 8],
            "PDU type 4 (version 1) with length 8: expected 20",
        ),
        (
            &[1, 7, 0, 0, 0, 0, 0, 12],
            "PDU type 7 (version 1) with length 12: expected 24",
        ),
        (
            &[1, 10, 0, 0, 0, 0, 0, 0],
            "PDU type 10 (version 1) with length 0: expected at least 16",
        ),
        (&[1, 11, 0, 0, 0, 0, 0, 12], "unsupported PDU type 11"),
        (
            b"HTTP/1.1 400",
            "PDU type 84 with protocol version 72: not an RTR cache?",
        ),
    ];
    for (bytes, message) in cases {
        assert_eq!(run(read_all(bytes)), [Err(message.to_owned())]);
    }
}

#[test]
fn a_connection_closed_inside_a_pdu_is_truncation_not_a_clean_close() {
    let got = run(read_all(&STAYRTR_IPV4_PREFIX[..13]));
    assert_eq!(
        got,
        [Err(
            "connection closed in the middle of a PDU (13 of 20 bytes received)".to_owned()
        )]
    );
    let got = run(read_all(&STAYRTR_IPV4_PREFIX[..3]));
    assert_eq!(
        got,
        [Err(
            "connection closed in the middle of a PDU (3 of 8 bytes received)".to_owned()
        )]
    );
}

#[test]
fn malformed_prefixes_are_refused() {
    let mut too_long = STAYRTR_IPV4_PREFIX;
    too_long[9] = 33;
    let mut short_max = STAYRTR_IPV4_PREFIX;
    short_max[10] = 20;
    let mut host_bits = STAYRTR_IPV4_PREFIX;
    host_bits[15] = 1;
    for (bytes, message) in [
        (too_long, "malformed prefix PDU: 192.0.2.0/33"),
        (
            short_max,
            "malformed prefix PDU: max length 20 for 192.0.2.0/24",
        ),
        (
            host_bits,
            "malformed prefix PDU: 192.0.2.1/24 has host bits set",
        ),
    ] {
        assert_eq!(run(read_all(&bytes)), [Err(message.to_owned())]);
    }
}

#[test]
fn error_reports_decode_and_bad_inner_lengths_are_refused() {
    let report = encode_error(1, NO_DATA, "no data yet");
    let got = run(read_all(&report));
    assert_eq!(
        got,
        [Ok((
            1,
            Pdu::ErrorReport {
                code: NO_DATA,
                text: "no data yet".to_owned()
            }
        ))]
    );
    let mut lying = report.clone();
    lying[11] = 200; // encapsulated PDU longer than the PDU
    assert!(run(read_all(&lying))[0]
        .as_ref()
        .is_err_and(|e| e.starts_with("malformed Error Report")));
}

#[test]
fn queries_encode_as_rfc_8210_says() {
    assert_eq!(encode_query(1, None), [1, 2, 0, 0, 0, 0, 0, 8]);
    assert_eq!(
        encode_query(0, Some((0x1234, 7))),
        [0, 1, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 0, 7]
    );
}
