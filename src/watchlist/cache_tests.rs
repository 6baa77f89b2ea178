use super::*;
use crate::watchlist::{Watchlist, WatchlistError};

const YAML: &str = r#"
groups:
  gov: { severity: critical, description: "government" }
asns:
  17557: { description: "PTCL", upstreams: [3491, 1273], originates: ["8.8.8.0/24"] }
prefixes:
  202.83.160.0/20: { origins: [17557], upstreams: [3491], group: gov, max_length: 24 }
  2400:fc00::/32: { description: "v6", origins: [45773, 17557] }
  203.0.113.0/24: { origins: [], ignore_more_specifics: true }
  198.51.100.0/24: { ignore: true }
"#;

/// A fresh directory under the system's temporary one.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "bgpwatch-watchlist-cache-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_watchlist(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("w.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn copies(cache: &WatchlistCache) -> Vec<PathBuf> {
    let Ok(listing) = std::fs::read_dir(cache.dir()) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = listing.map(|item| item.unwrap().path()).collect();
    found.sort();
    found
}

/// The compiled copy of `text` in `cache`, when stored and intact.
fn get(cache: &WatchlistCache, text: &str, source: &Arc<Path>) -> Option<FileContent> {
    cache.read(&cache.copy_path(text)?, source)
}

fn assert_same(a: &Watchlist, b: &Watchlist) {
    assert_eq!(a.entries(), b.entries());
    assert_eq!(
        a.groups().collect::<Vec<_>>(),
        b.groups().collect::<Vec<_>>()
    );
    assert_eq!(a.asns().collect::<Vec<_>>(), b.asns().collect::<Vec<_>>());
}

fn load(path: &Path, cache: &WatchlistCache) -> Result<Watchlist, WatchlistError> {
    Watchlist::load_cached(&[path.to_path_buf()], Some(cache))
}

/// The entry the tests alter and check.
const CARRIER: &str = "202.83.160.0/20";

/// The origins `list` gives the carrier entry.
fn carrier_origins(list: &Watchlist) -> Vec<u32> {
    let entry = list
        .entry(&CARRIER.parse().unwrap())
        .expect("the carrier entry");
    entry.origins.to_vec()
}

#[test]
fn a_second_load_comes_from_the_copy_and_equals_the_parse() {
    let dir = scratch("hit");
    let path = write_watchlist(&dir, YAML);
    let cache = WatchlistCache::at(dir.join("cache"));
    let parsed = Watchlist::load_cached(std::slice::from_ref(&path), None).unwrap();
    let first = load(&path, &cache).unwrap();
    assert_same(&parsed, &first);
    let stored = copies(&cache);
    assert_eq!(stored.len(), 1, "one copy written: {stored:?}");

    // Prove the second load reads the copy: replace it with one that says something else.
    let source: Arc<Path> = Arc::from(path.as_path());
    let mut content = get(&cache, YAML, &source).expect("the copy is read back");
    content.entries[0].description = Some("from the copy".into());
    std::fs::write(&stored[0], encode(&Stored::from(&content))).unwrap();
    let second = load(&path, &cache).unwrap();
    assert_eq!(
        second.entries()[0].description.as_deref(),
        Some("from the copy")
    );
    assert_eq!(second.entries()[0].source.as_ref(), path.as_path());
    assert_eq!(&second.entries()[1..], &parsed.entries()[1..]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_edited_file_misses_and_is_parsed() {
    let dir = scratch("edit");
    let path = write_watchlist(&dir, YAML);
    let cache = WatchlistCache::at(dir.join("cache"));
    load(&path, &cache).unwrap();
    let edited = YAML.replace("origins: [17557], upstreams", "origins: [64500], upstreams");
    std::fs::write(&path, &edited).unwrap();
    let list = load(&path, &cache).unwrap();
    assert_eq!(carrier_origins(&list), [64500]);
    assert_eq!(copies(&cache).len(), 2, "the edit has its own copy");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_copies_are_ignored_and_rewritten() {
    let dir = scratch("damage");
    let path = write_watchlist(&dir, YAML);
    let cache = WatchlistCache::at(dir.join("cache"));
    let parsed = load(&path, &cache).unwrap();
    let copy = copies(&cache).remove(0);
    let good = std::fs::read(&copy).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x40;
    let damages: [(&str, Vec<u8>); 5] = [
        ("bit flip in the payload", flipped),
        ("cut", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        (
            "not ours",
            b"hello world, this is not a cache copy at all".to_vec(),
        ),
        ("digest only", good[..MAGIC.len() + 32].to_vec()),
    ];
    for (what, bytes) in damages {
        std::fs::write(&copy, &bytes).unwrap();
        let list = load(&path, &cache).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_same(&parsed, &list);
        assert_eq!(std::fs::read(&copy).unwrap(), good, "{what}: rewritten");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_others_may_write_to_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("open");
    let path = write_watchlist(&dir, YAML);
    let shared = dir.join("cache");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let cache = WatchlistCache::at(&shared);
    load(&path, &cache).unwrap();
    assert!(copies(&cache).is_empty(), "nothing written to a shared dir");

    // A copy planted there by someone else is not read either.
    let private = WatchlistCache::at(dir.join("private"));
    load(&path, &private).unwrap();
    let planted = copies(&private).remove(0);
    let source: Arc<Path> = Arc::from(path.as_path());
    let mut content = get(&private, YAML, &source).unwrap();
    let carrier: ipnet::IpNet = CARRIER.parse().unwrap();
    let planted_entry = content.entries.iter_mut().find(|e| e.prefix == carrier);
    planted_entry.expect("the entry is in the copy").origins = Box::new([64666]);
    std::fs::write(
        shared.join(planted.file_name().unwrap()),
        encode(&Stored::from(&content)),
    )
    .unwrap();
    let list = load(&path, &cache).unwrap();
    assert_eq!(
        carrier_origins(&list),
        [17557],
        "the planted copy was not read"
    );

    // A private directory of another user, with the same planted copy: not read either.
    if effective_uid() == Some(0) {
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o700)).unwrap();
        let list = load(&path, &cache).unwrap();
        assert_eq!(
            carrier_origins(&list),
            [64666],
            "our own 0700 directory is used"
        );
        std::os::unix::fs::chown(&shared, Some(65534), None).unwrap();
        let list = load(&path, &cache).unwrap();
        assert_eq!(
            carrier_origins(&list),
            [17557],
            "another user's copy was read"
        );
    } else {
        eprintln!("NOTE: not root: the another-user's-directory case needs chown, not run");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_are_not_cached() {
    let dir = scratch("errors");
    let broken = YAML.replace("origins: [17557], upstreams", "origins: [AS-X], upstreams");
    let path = write_watchlist(&dir, &broken);
    let cache = WatchlistCache::at(dir.join("cache"));
    for _ in 0..2 {
        let err = load(&path, &cache).unwrap_err().to_string();
        assert!(err.contains("AS-X") && err.contains("w.yaml"), "{err}");
    }
    assert!(copies(&cache).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_oldest_copies_go_beyond_the_limit() {
    let dir = scratch("prune");
    let cache = WatchlistCache::at(dir.join("cache"));
    for n in 0..KEEP + 3 {
        let path = write_watchlist(
            &dir,
            &format!("{YAML}  10.{n}.0.0/16: {{ origins: [1] }}\n"),
        );
        load(&path, &cache).unwrap();
    }
    let kept = copies(&cache);
    assert_eq!(kept.len(), KEEP, "{kept:?}");
    let newest = write_watchlist(
        &dir,
        &format!("{YAML}  10.{}.0.0/16: {{ origins: [1] }}\n", KEEP + 2),
    );
    let source: Arc<Path> = Arc::from(newest.as_path());
    let text = std::fs::read_to_string(&newest).unwrap();
    assert!(
        get(&cache, &text, &source).is_some(),
        "the newest copy is kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
