//! The harness of `tests/damaged_replay.rs`: a damaged input replayed by `bgpwatch replay`
//! followed by a good input, and what each case must show (no panic, the file and place named,
//! peak RSS under a bound, the good input still alerted on). Include it beside `support` and
//! `measured`.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub const WATCHLIST: &str = "fixtures/scenarios/watchlist.yaml";
/// Peak RSS allowed for one replay of a damaged file plus the good one. A clean replay of these
/// inputs peaks near 20 MiB; before the line limit a 256 MiB line took 282 MiB.
pub const RSS_BOUND_KIB: u64 = 64 * 1024;
/// A replay of one damaged input may take this long at most (they take well under a second).
pub const CASE_LIMIT: Duration = Duration::from_secs(60);
pub const EXIT_DAMAGED: i32 = 3;
/// The good input's alert: AS64666 announces the watched 198.51.100.0/24.
pub const GOOD: &str = r#"{"timestamp":1767250800,"peer":"198.18.0.1","peer_asn":"3356","host":"rrc00","type":"UPDATE","path":[3356,64666],"announcements":[{"next_hop":"198.18.0.1","prefixes":["198.51.100.0/24"]}]}"#;

/// What a damaged input must produce.
pub enum Expect {
    /// Exit 3 and a message naming the file and this text (a byte offset, a line, a reason).
    Damaged(Vec<String>),
    /// Damage that may decode as valid data (a flipped bit in a prefix): exit 0 or 3, and when
    /// 3, the file named.
    Either,
}

/// Writes a damaged input straight to its file.
pub type Writer = Box<dyn Fn(&mut dyn Write)>;

/// A damaged input: bytes, or a writer for one too large to hold in the test process (whose
/// own peak would count in the child's: see [`crate::measured::run`]).
pub enum Content {
    /// Bytes held in the test.
    Bytes(Vec<u8>),
    /// Written straight to the file.
    Written(Writer),
}

pub struct Case {
    /// File name stem.
    pub name: String,
    /// The bytes.
    pub content: Content,
    /// What it must produce.
    pub expect: Expect,
}

pub fn case(name: impl Into<String>, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        content: Content::Bytes(bytes),
        expect,
    }
}

pub fn at_byte(offset: usize) -> Expect {
    Expect::Damaged(vec![format!("at byte {offset}")])
}

pub fn texts(needles: &[&str]) -> Expect {
    Expect::Damaged(needles.iter().map(|s| s.to_string()).collect())
}

/// Replays every case followed by the good input; returns (smallest, largest) peak RSS, KiB.
pub fn check(kind: &str, ext: &str, cases: Vec<Case>) -> (u64, u64) {
    let dir = crate::support::scratch(&format!("damaged_{kind}"));
    let good = dir.join("good.jsonl");
    std::fs::write(&good, GOOD).unwrap();
    let (mut low, mut high) = (u64::MAX, 0);
    let count = cases.len();
    for case in cases {
        let file = dir.join(format!("{}.{ext}", case.name));
        match &case.content {
            Content::Bytes(bytes) => std::fs::write(&file, bytes).unwrap(),
            Content::Written(write) => {
                let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
                write(&mut out);
                out.flush().unwrap();
            }
        }
        let mut command = crate::support::bgpwatch();
        command.args(["replay", "--no-progress", "--watchlist", WATCHLIST]);
        command.args(["--min-peers", "1"]);
        command.arg(&file).arg(&good);
        let run = crate::measured::run(command, &dir, CASE_LIMIT);
        let name = format!("{kind}/{}", case.name);
        run.assert_sane(&name, RSS_BOUND_KIB);
        let named = run.stderr.lines().any(|l| l.contains(path(&file)));
        match &case.expect {
            Expect::Damaged(needles) => {
                assert_eq!(run.code, Some(EXIT_DAMAGED), "{name}: {}", run.stderr);
                let line = run
                    .stderr
                    .lines()
                    .find(|l| l.contains(path(&file)))
                    .unwrap_or_else(|| panic!("{name}: no message names the file\n{}", run.stderr));
                for needle in needles {
                    assert!(
                        run.stderr
                            .lines()
                            .any(|l| l.contains(path(&file)) && l.contains(needle.as_str())),
                        "{name}: expected `{needle}` with the file name; first: {line}\n{}",
                        run.stderr
                    );
                }
            }
            Expect::Either => {
                assert!(
                    matches!(run.code, Some(0 | EXIT_DAMAGED)),
                    "{name}: {:?}",
                    run.code
                );
                if run.code == Some(EXIT_DAMAGED) {
                    assert!(
                        named,
                        "{name}: exit 3 but no message names the file\n{}",
                        run.stderr
                    );
                }
            }
        }
        let events = run.events();
        assert!(
            events.iter().any(|e| e["kind"] == "origin-hijack"
                && e["prefix"] == "198.51.100.0/24"
                && e["offender"] == 64666),
            "{name}: the good input after it was not alerted on: {events:?}\n{}",
            run.stderr
        );
        let _ = std::fs::remove_file(&file);
        low = low.min(run.peak_rss_kib);
        high = high.max(run.peak_rss_kib);
    }
    eprintln!("{kind}: {count} damaged cases, peak RSS {low}..{high} KiB (bound {RSS_BOUND_KIB})");
    (low, high)
}

pub fn path(file: &Path) -> &str {
    file.to_str().unwrap()
}
