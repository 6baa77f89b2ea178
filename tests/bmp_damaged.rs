//! Damaged BMP streams through `bgpwatch replay`: real capture streams cut inside a message,
//! claiming 4 GiB, with a wrong version, and random bytes and bodies. Each exits 3 with the file
//! and byte named, keeps what came intact before, and never panics.

#[path = "support/bmp_captures.rs"]
mod bmp_captures;
#[path = "support/bmp_reference.rs"]
mod bmp_reference;
#[path = "support/pcap.rs"]
mod pcap;
mod support;

use bmp_captures::*;

/// Replays the first `intact` messages of the Cisco peer-down stream followed by `tail`, and
/// the intact part alone; the damaged run must exit 3, name the file and the byte where the
/// damage starts (`reason` in the message), and count exactly what the intact run counts.
fn damaged_after_intact_messages(test: &str, intact: usize, tail: &[u8], reason: &str) {
    let Some((_, streams)) = bmp_streams(&CISCO_PEER_DOWN) else {
        return;
    };
    let stream = &streams[0].payload;
    let offset = bmp_reference::frames(stream)[intact].0;
    let dir = support::scratch(test);
    let good = dir.join("intact.bmp");
    std::fs::write(&good, &stream[..offset]).expect("writing");
    let bad = dir.join("damaged.bmp");
    std::fs::write(&bad, [&stream[..offset], tail].concat()).expect("writing");

    let (good_out, good_summary) = replay(&dir, &[good], &[]);
    assert_eq!(good_out.status.code(), Some(0));
    let (bad_out, bad_summary) = replay(&dir, std::slice::from_ref(&bad), &[]);
    let stderr = String::from_utf8_lossy(&bad_out.stderr);
    assert_eq!(bad_out.status.code(), Some(3), "stderr: {stderr}");
    let error_line = stderr
        .lines()
        .find(|l| l.contains(path_str(&bad)))
        .unwrap_or_else(|| panic!("no error names {}: {stderr}", bad.display()));
    assert!(
        error_line.contains(&format!("byte {offset}")),
        "{error_line}"
    );
    assert!(error_line.contains(reason), "{error_line}");
    assert_eq!(count(&bad_summary, "errors"), 1);
    assert_eq!(count(&bad_summary, "records"), intact as u64);
    for field in [
        "records",
        "announcements",
        "withdrawals",
        "peer_events",
        "skipped",
    ] {
        assert_eq!(bad_summary[field], good_summary[field], "{field}");
    }
}

#[test]
fn stream_cut_inside_a_message_body_exits_3_and_keeps_the_intact_messages() {
    let Some((_, streams)) = bmp_streams(&CISCO_PEER_DOWN) else {
        return;
    };
    let frames = bmp_reference::frames(&streams[0].payload);
    let (start, len) = frames[200];
    let half = &streams[0].payload[start..start + len / 2];
    damaged_after_intact_messages("cut-body", 200, half, "stream ends inside a");
}

#[test]
fn stream_cut_inside_a_message_header_exits_3_and_keeps_the_intact_messages() {
    damaged_after_intact_messages("cut-header", 100, &[3, 0, 0], "3 of 6 bytes");
}

#[test]
fn message_claiming_4_gib_exits_3_without_reading_on() {
    let tail = [3, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    damaged_after_intact_messages("4gib", 20, &tail, "4294967295");
}

#[test]
fn wrong_version_byte_exits_3_without_reading_on() {
    // A well-formed Termination message, but BMP version 2.
    let tail = [2, 0, 0, 0, 12, 5, 0, 1, 0, 2, 0, 0];
    damaged_after_intact_messages("version", 20, &tail, "version 2");
}

#[test]
fn random_bytes_read_as_bmp_exit_3_with_a_message_not_a_panic() {
    let dir = support::scratch("random");
    let file = dir.join("random.bmp");
    let mut bytes = support::noise(0x5eed, 64 * 1024);
    bytes[0] = 0x5a; // not version 3: the reader must say so
    std::fs::write(&file, &bytes).expect("writing");
    let (output, summary) = replay(
        &dir,
        std::slice::from_ref(&file),
        &["--input-format", "bmp"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: damaged BMP at byte 0", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("version 90"), "{stderr}");
    assert_eq!(count(&summary, "records"), 0);
}

/// Valid framing around random bodies reaches the message decoder: every message is read,
/// undecodable ones are damage (exit 3), and nothing panics.
#[test]
fn random_message_bodies_are_damage_not_a_panic() {
    const MESSAGES: usize = 400;
    let mut bytes = Vec::new();
    for (i, shape) in support::noise(0xb0d1e5, MESSAGES * 2).chunks(2).enumerate() {
        let body = support::noise(
            i as u64 + 1,
            usize::from(shape[1]) + 42 * usize::from(shape[0] & 1),
        );
        let length = (6 + body.len()) as u32;
        bytes.push(3);
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.push(shape[0] % 7); // every defined message type
        bytes.extend_from_slice(&body);
    }
    let dir = support::scratch("random-bodies");
    let file = dir.join("bodies.bmp");
    std::fs::write(&file, &bytes).expect("writing");
    let (output, summary) = replay(&dir, &[file], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("damaged BMP at byte"), "{stderr}");
    assert_eq!(count(&summary, "records"), MESSAGES as u64);
    assert!(count(&summary, "errors") > 0);
}
