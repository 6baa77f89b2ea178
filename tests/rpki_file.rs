//! A watched VRP file replaced mid-run (issue 4, bad input): by an empty one, by one whose
//! every entry is bad, by garbage. The last good set stays in force, the refusal says why,
//! and staleness keeps growing until a good file arrives.

mod support;

use bgpwatch::rpki::{ReloadRefused, RpkiState, VrpFile, VrpFileError};
use std::path::Path;
use std::time::Duration;

const GOOD: &str = r#"{"metadata": {"buildtime": "2026-11-22T00:00:00Z"},
 "roas": [
  {"asn": "AS64500", "prefix": "198.51.100.0/24", "maxLength": 24, "ta": "apnic"},
  {"asn": 64501, "prefix": "2001:db8::/32", "maxLength": 48, "ta": "apnic"}
 ]}"#;

/// What rpki-client writes when it could fetch nothing (LAB.md section 7).
const EMPTY: &str =
    r#"{"metadata": {"buildtime": "2026-11-22T01:00:00Z", "vrps": 0}, "roas": [ ]}"#;

const ALL_BAD: &str =
    r#"{"roas": [{"asn": "AS64500", "prefix": "198.51.100.0/33", "maxLength": 24}]}"#;

const CHANGED: &str = r#"{"roas": [
  {"asn": "AS64666", "prefix": "198.51.100.0/24", "maxLength": 24, "ta": "apnic"}]}"#;

/// Long enough to measure, short enough not to slow the suite.
const PAUSE: Duration = Duration::from_millis(30);

fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("writing VRP file");
    std::fs::rename(&tmp, path).expect("renaming VRP file");
}

fn origin_state(file: &VrpFile, origin: u32) -> RpkiState {
    file.current()
        .validate(&"198.51.100.0/24".parse().expect("prefix"), Some(origin))
}

#[test]
fn an_empty_replacement_keeps_the_last_good_set_and_staleness_grows() {
    let path = support::scratch("rpki-file-empty").join("vrps.json");
    replace(&path, GOOD);
    let mut file = VrpFile::open(&path).expect("GOOD loads");
    assert_eq!(file.current().len(), 2);
    let loaded_at = file.loaded_at();

    // Given the validator writes an empty set.
    replace(&path, EMPTY);
    // Then the reload is refused and says why.
    assert!(file.poll().is_none());
    match file.refused() {
        Some(ReloadRefused::EmptyReplacesNonEmpty {
            entries: 0,
            previous: 2,
            ..
        }) => {}
        other => panic!("expected EmptyReplacesNonEmpty, got {other:?}"),
    }
    let message = file.refused().expect("refused").to_string();
    assert!(message.contains("keeping the previous VRPs"), "{message}");
    // And the old set still validates, while staleness grows from the last good load.
    assert_eq!(origin_state(&file, 64500), RpkiState::Valid);
    std::thread::sleep(PAUSE);
    assert!(file.staleness() >= PAUSE);
    assert_eq!(file.loaded_at(), loaded_at);
    // A second poll of the same empty file changes nothing and reports nothing new.
    assert!(file.poll().is_none());
    assert_eq!(file.current().len(), 2);

    // When a set whose only entry is bad arrives, that is as empty as empty.
    replace(&path, ALL_BAD);
    assert!(file.poll().is_none());
    assert!(matches!(
        file.refused(),
        Some(ReloadRefused::EmptyReplacesNonEmpty { entries: 1, .. })
    ));

    // When garbage arrives, it is refused as not JSON, naming the file.
    replace(&path, "<html>504 Gateway Timeout</html>");
    assert!(file.poll().is_none());
    let refused = file.refused().expect("refused");
    assert!(matches!(
        refused,
        ReloadRefused::File(VrpFileError::NotJson { .. })
    ));
    assert!(
        refused.to_string().contains("vrps.json is not JSON"),
        "{refused}"
    );

    // When a good file arrives, it is taken and staleness restarts.
    let stale = file.staleness();
    replace(&path, CHANGED);
    let new = file.poll().expect("CHANGED is taken");
    assert_eq!(new.len(), 1);
    assert!(file.refused().is_none());
    assert!(file.staleness() < stale);
    assert_eq!(origin_state(&file, 64666), RpkiState::Valid);
    assert_eq!(origin_state(&file, 64500).as_str(), "invalid");
}

#[test]
fn bad_entries_are_reported_with_index_and_line_while_the_rest_loads() {
    let path = support::scratch("rpki-file-bad-entries").join("vrps.json");
    replace(
        &path,
        "{\"roas\": [\n\
         {\"asn\": \"AS64500\", \"prefix\": \"198.51.100.0/24\", \"maxLength\": 24},\n\
         {\"asn\": \"AS64501\", \"prefix\": \"198.51.100.0/24\", \"maxLength\": 23},\n\
         {\"asn\": \"AS64502\", \"prefix\": \"2001:db8::/32\", \"maxLength\": 48}\n]}",
    );
    let file = VrpFile::open(&path).expect("loads");
    assert_eq!(file.current().len(), 2);
    let rejected: Vec<String> = file.rejected().iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        ["roas[1] (line 3): maxLength 23 is shorter than the prefix 198.51.100.0/24"]
    );
}
