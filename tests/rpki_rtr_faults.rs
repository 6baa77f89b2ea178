//! The RTR client against a scripted fake cache on loopback: garbage, a 4 GB length, a
//! disconnect inside a PDU, silence and protocol violations each end the session with a clear
//! error (sent back to the cache as an Error Report where RFC 8210 asks for one), the last good
//! set stays published, and the client reconnects. Also the version-0 fallback after
//! "Unsupported Protocol Version", and Serial Notify / Cache Reset handling.
//!
//! The test plays the cache itself, one accepted connection at a time: the client records a
//! failure before it reconnects, so each `accept` is the moment to check the error.

use bgpwatch::rpki::{RtrClient, RtrConfig, RtrStatus, Vrp, Vrps};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long any step may take.
const STEP: Duration = Duration::from_secs(10);
/// The client's response timeout in these tests.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
const SESSION: u16 = 4242;

/// Encodes one PDU: header (version, type, field, length) and body.
fn pdu(version: u8, pdu_type: u8, field: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![version, pdu_type];
    out.extend_from_slice(&field.to_be_bytes());
    out.extend_from_slice(&(8 + body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn prefix(version: u8, announce: bool, vrp: &Vrp) -> Vec<u8> {
    let mut body = vec![
        u8::from(announce),
        vrp.prefix.prefix_len(),
        vrp.max_length,
        0,
    ];
    let pdu_type = match vrp.prefix {
        ipnet::IpNet::V4(p) => {
            body.extend_from_slice(&p.addr().octets());
            4
        }
        ipnet::IpNet::V6(p) => {
            body.extend_from_slice(&p.addr().octets());
            6
        }
    };
    body.extend_from_slice(&vrp.asn.to_be_bytes());
    pdu(version, pdu_type, 0, &body)
}

fn end_of_data(version: u8, serial: u32) -> Vec<u8> {
    let mut body = serial.to_be_bytes().to_vec();
    if version > 0 {
        for interval in [3600u32, 600, 7200] {
            body.extend_from_slice(&interval.to_be_bytes());
        }
    }
    pdu(version, 7, SESSION, &body)
}

/// A complete answer: Cache Response, announcements, End of Data.
fn answer(version: u8, vrps: &[Vrp], serial: u32) -> Vec<u8> {
    let mut out = pdu(version, 3, SESSION, &[]);
    for vrp in vrps {
        out.extend(prefix(version, true, vrp));
    }
    out.extend(end_of_data(version, serial));
    out
}

fn vrp(prefix: &str, max_length: u8, asn: u32) -> Vrp {
    Vrp {
        prefix: prefix.parse().expect("test prefix"),
        max_length,
        asn,
    }
}

fn first_set() -> Vec<Vrp> {
    vec![
        vrp("198.51.100.0/24", 24, 64500),
        vrp("2001:db8::/32", 48, 64501),
    ]
}

/// A PDU the client sent: (version, type, field, body).
async fn read_pdu(stream: &mut TcpStream) -> (u8, u8, u16, Vec<u8>) {
    let read = async {
        let mut header = [0u8; 8];
        stream.read_exact(&mut header).await?;
        let length = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let mut body = vec![0u8; length.saturating_sub(8).min(65536) as usize];
        stream.read_exact(&mut body).await?;
        let field = u16::from_be_bytes([header[2], header[3]]);
        Ok::<_, std::io::Error>((header[0], header[1], field, body))
    };
    tokio::time::timeout(STEP, read)
        .await
        .expect("the client sent nothing")
        .expect("reading the client's PDU")
}

/// The client's Error Report: (code, text).
async fn read_error_report(stream: &mut TcpStream) -> (u16, String) {
    let (_, pdu_type, code, body) = read_pdu(stream).await;
    assert_eq!(pdu_type, 10, "expected an Error Report");
    let text = String::from_utf8_lossy(&body[8..]).into_owned();
    (code, text)
}

async fn accept(listener: &TcpListener) -> TcpStream {
    tokio::time::timeout(STEP, listener.accept())
        .await
        .expect("the client did not reconnect")
        .expect("accept")
        .0
}

/// Accepts the client and checks its Reset Query in `version`.
async fn accept_reset_query(listener: &TcpListener, version: u8) -> TcpStream {
    let mut stream = accept(listener).await;
    let (got_version, pdu_type, _, _) = read_pdu(&mut stream).await;
    assert_eq!(
        (got_version, pdu_type),
        (version, 2),
        "expected a Reset Query"
    );
    stream
}

async fn start() -> (TcpListener, RtrClient) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut config = RtrConfig::new(listener.local_addr().expect("addr").to_string());
    config.backoff_min = Duration::from_millis(20);
    config.backoff_max = Duration::from_millis(100);
    config.response_timeout = RESPONSE_TIMEOUT;
    (listener, RtrClient::spawn(config))
}

async fn wait_syncs(client: &RtrClient, syncs: u64) -> RtrStatus {
    let mut status = client.status();
    let waited = tokio::time::timeout(STEP, status.wait_for(|s| s.syncs >= syncs))
        .await
        .is_ok();
    let current = status.borrow().clone();
    assert!(waited, "no sync #{syncs}: {current:?}");
    current
}

fn published(client: &RtrClient) -> Arc<Vrps> {
    client.vrps().borrow().clone()
}

fn last_error(client: &RtrClient) -> String {
    let status = client.status();
    let error = status.borrow().last_error.clone();
    error.map(|e| e.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_truncation_and_silence_keep_the_last_good_set_and_reconnect() {
    let (listener, client) = start().await;
    let addr = listener.local_addr().expect("addr");
    let good: Vrps = first_set().into_iter().collect();

    // Given a synced client.
    let mut cache = accept_reset_query(&listener, 1).await;
    cache
        .write_all(&answer(1, &first_set(), 1))
        .await
        .expect("answer");
    wait_syncs(&client, 1).await;
    assert_eq!(*published(&client), good);

    // When the cache sends an HTTP error page: Corrupt Data, named as such.
    cache
        .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        .await
        .expect("garbage");
    let (code, text) = read_error_report(&mut cache).await;
    assert_eq!(code, 0);
    assert!(text.contains("not an RTR cache?"), "{text}");
    let mut cache = accept_reset_query(&listener, 1).await;
    assert_eq!(
        last_error(&client),
        format!("RTR cache {addr}: PDU type 84 with protocol version 72: not an RTR cache?")
    );
    assert_eq!(*published(&client), good);

    // A header claiming 4 GB: refused from the header, nothing allocated.
    cache
        .write_all(&[1, 4, 0, 0, 0xff, 0xff, 0xff, 0xff])
        .await
        .expect("header");
    assert_eq!(read_error_report(&mut cache).await.0, 0);
    let mut cache = accept_reset_query(&listener, 1).await;
    assert!(last_error(&client)
        .ends_with("PDU type 4 claims length 4294967295, over the 65536-byte limit"));

    // A disconnect inside a Prefix PDU, in the middle of a new answer.
    let mut partial = pdu(1, 3, SESSION, &[]);
    partial.extend_from_slice(&prefix(1, true, &vrp("203.0.113.0/24", 24, 64666))[..10]);
    cache.write_all(&partial).await.expect("partial");
    drop(cache);
    let mut cache = accept_reset_query(&listener, 1).await;
    assert!(last_error(&client)
        .ends_with("connection closed in the middle of a PDU (10 of 20 bytes received)"));

    // Silence in the middle of an answer.
    cache
        .write_all(&pdu(1, 3, SESSION, &[]))
        .await
        .expect("cache response");
    let mut cache = accept_reset_query(&listener, 1).await;
    assert!(last_error(&client).ends_with(&format!("no answer within {RESPONSE_TIMEOUT:?}")));

    // Withdrawal of a record never announced: Error Report code 6.
    let mut bad = pdu(1, 3, SESSION, &[]);
    bad.extend(prefix(1, false, &vrp("192.0.2.0/24", 24, 64500)));
    cache.write_all(&bad).await.expect("withdrawal");
    assert_eq!(read_error_report(&mut cache).await.0, 6);
    let mut cache = accept_reset_query(&listener, 1).await;
    assert!(last_error(&client).ends_with("withdrawal of unknown 192.0.2.0/24-24 AS64500"));

    // Through all of it the first set stayed in force; a good answer replaces it.
    assert_eq!(*published(&client), good);
    let status = client.status().borrow().clone();
    assert_eq!(
        (status.syncs, status.failures, status.connected),
        (1, 5, true)
    );
    let second = vec![vrp("203.0.113.0/24", 24, 64502)];
    cache
        .write_all(&answer(1, &second, 9))
        .await
        .expect("answer");
    let status = wait_syncs(&client, 2).await;
    assert_eq!(*published(&client), second.into_iter().collect::<Vrps>());
    assert_eq!(status.serial, Some(9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_protocol_version_falls_back_to_version_0() {
    let (listener, client) = start().await;
    let mut cache = accept_reset_query(&listener, 1).await;
    let mut report = 0u32.to_be_bytes().to_vec();
    report.extend_from_slice(&0u32.to_be_bytes());
    cache
        .write_all(&pdu(0, 10, 4, &report))
        .await
        .expect("error report");
    drop(cache);

    let mut cache = accept_reset_query(&listener, 0).await;
    assert!(last_error(&client).contains("cache reported error 4 (Unsupported Protocol Version)"));
    cache
        .write_all(&answer(0, &first_set(), 3))
        .await
        .expect("answer");
    let status = wait_syncs(&client, 1).await;
    assert_eq!(
        (status.version, status.timing, status.serial),
        (Some(0), None, Some(3))
    );
    assert_eq!(
        *published(&client),
        first_set().into_iter().collect::<Vrps>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_notify_gets_an_incremental_update_and_cache_reset_a_full_one() {
    let (listener, client) = start().await;
    let mut cache = accept_reset_query(&listener, 1).await;
    cache
        .write_all(&answer(1, &first_set(), 1))
        .await
        .expect("answer");
    wait_syncs(&client, 1).await;

    // Serial Notify -> Serial Query for our session and serial -> one withdrawal, one
    // announcement.
    cache
        .write_all(&pdu(1, 0, SESSION, &2u32.to_be_bytes()))
        .await
        .expect("notify");
    assert_eq!(
        read_pdu(&mut cache).await,
        (1, 1, SESSION, 1u32.to_be_bytes().to_vec())
    );
    let added = vrp("203.0.113.0/24", 24, 64502);
    let mut delta = pdu(1, 3, SESSION, &[]);
    delta.extend(prefix(1, false, &first_set()[0]));
    delta.extend(prefix(1, true, &added));
    delta.extend(end_of_data(1, 2));
    cache.write_all(&delta).await.expect("delta");
    wait_syncs(&client, 2).await;
    let expected: Vrps = [first_set()[1], added].into_iter().collect();
    assert_eq!(*published(&client), expected);

    // Serial Notify -> Serial Query -> Cache Reset -> Reset Query -> full answer.
    cache
        .write_all(&pdu(1, 0, SESSION, &3u32.to_be_bytes()))
        .await
        .expect("notify");
    assert_eq!(
        read_pdu(&mut cache).await,
        (1, 1, SESSION, 2u32.to_be_bytes().to_vec())
    );
    cache
        .write_all(&pdu(1, 8, 0, &[]))
        .await
        .expect("cache reset");
    assert_eq!(read_pdu(&mut cache).await.1, 2, "expected a Reset Query");
    cache
        .write_all(&answer(1, &[added], 3))
        .await
        .expect("answer");
    let status = wait_syncs(&client, 3).await;
    assert_eq!(*published(&client), [added].into_iter().collect::<Vrps>());
    assert_eq!((status.serial, status.failures), (Some(3), 0));
}
