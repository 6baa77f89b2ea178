//! `fixtures/manifest.tsv` is the provenance record of the real data the tests and benchmarks
//! read from `BGPWATCH_DATA`: every data file present has the listed size and SHA-256, the data
//! dir holds no file without a row, and no file in the repository is a copy of a shared data
//! file (shared data stays outside the repository; `fixtures/fetch.sh` restores it).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The manifest, relative to the repository root.
const MANIFEST: &str = "fixtures/manifest.tsv";
/// The manifest's header: every row has exactly these tab-separated fields, in this order.
const COLUMNS: [&str; 7] = [
    "path",
    "bytes",
    "sha256",
    "origin_url",
    "licence",
    "why",
    "notes",
];
/// The data dir's own prose description; the only file there without a manifest row.
const PROVENANCE: &str = "PROVENANCE.md";
/// Shared data files larger than this (4 KiB) must never have a copy in the repository.
const COPY_CHECK_OVER_BYTES: u64 = 4 * 1024;
/// Top-level repository directories the copy check does not walk: build output, git objects.
const NOT_WALKED: [&str; 2] = ["target", ".git"];
/// How the notes of a row begin when its bytes are made from the download, not the download.
const DERIVED: &str = "derived:";
/// The data fetcher, relative to the repository root.
const FETCH_SCRIPT: &str = "fixtures/fetch.sh";

/// One manifest row (origin URL, licence and reason are checked while parsing, not kept).
struct Row {
    path: String,
    bytes: u64,
    sha256: String,
    notes: String,
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The manifest's rows; panics naming the line of any malformed row.
fn manifest() -> Vec<Row> {
    let text = fs::read_to_string(repo_root().join(MANIFEST)).expect("reading the manifest");
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, line)| line).unwrap_or_default();
    assert_eq!(header, COLUMNS.join("\t"), "{MANIFEST} header");
    lines
        .filter(|(_, line)| !line.is_empty())
        .map(|(index, line)| parse_row(index + 1, line))
        .collect()
}

fn parse_row(number: usize, line: &str) -> Row {
    let fields: Vec<&str> = line.split('\t').collect();
    let at = format!("{MANIFEST} line {number}");
    assert_eq!(fields.len(), COLUMNS.len(), "{at}: field count");
    let [path, bytes, sha256, origin_url, licence, why, notes] = fields[..] else {
        unreachable!("field count checked above")
    };
    assert!(
        !path.is_empty() && !path.starts_with('/') && !path.split('/').any(|part| part == ".."),
        "{at}: path {path:?} must be relative to the data dir"
    );
    let bytes = bytes
        .parse()
        .unwrap_or_else(|e| panic!("{at}: bytes {bytes:?}: {e}"));
    assert!(
        sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{at}: sha256 {sha256:?} must be 64 lowercase hex digits"
    );
    assert!(
        origin_url.starts_with("https://"),
        "{at}: origin_url {origin_url:?} must be an https download URL"
    );
    assert!(!licence.is_empty(), "{at}: licence is empty");
    assert!(!why.is_empty(), "{at}: why is empty");
    Row {
        path: path.to_string(),
        bytes,
        sha256: sha256.to_string(),
        notes: notes.to_string(),
    }
}

/// Lowercase hex SHA-256 of a file's bytes.
fn sha256_of_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        write!(out, "{byte:02x}").expect("writing to a String");
    }
    out
}

/// Regular files under `root` (symlinks not followed), as `/`-separated paths relative to it,
/// skipping the top-level directories named in `skip`. Files that vanish meanwhile are ignored.
fn files_under(root: &Path, skip: &[&str]) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = fs::read_dir(root.join(&relative)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let child = relative.join(entry.file_name());
            let top_level_skipped = relative.as_os_str().is_empty()
                && skip.iter().any(|name| entry.file_name() == *name);
            if kind.is_dir() && !top_level_skipped {
                pending.push(child);
            } else if kind.is_file() {
                let parts: Vec<_> = child.iter().map(|part| part.to_string_lossy()).collect();
                files.insert(parts.join("/"));
            }
        }
    }
    files
}

/// The data dir, or `None` after a loud skip (a failure under `BGPWATCH_REQUIRE_LAB=1`).
fn data_dir_or_skip() -> Option<PathBuf> {
    let dir = support::data_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        support::missing(&format!("data dir {} is absent", dir.display()))
    }
}

#[test]
fn manifest_has_the_documented_columns_and_one_row_per_data_file() {
    let rows = manifest();
    assert!(!rows.is_empty(), "{MANIFEST} lists no files");

    let mut seen = BTreeSet::new();
    let repeated: Vec<_> = rows
        .iter()
        .filter(|row| !seen.insert(row.path.as_str()))
        .map(|row| row.path.as_str())
        .collect();
    assert!(repeated.is_empty(), "paths listed twice: {repeated:?}");

    let unexplained: Vec<_> = rows
        .iter()
        .filter(|row| {
            row.notes
                .strip_prefix(DERIVED)
                .is_some_and(|how| how.trim().is_empty())
        })
        .map(|row| row.path.as_str())
        .collect();
    assert!(
        unexplained.is_empty(),
        "derived rows must say how they are derived from their origin_url: {unexplained:?}"
    );
}

#[test]
fn every_present_data_file_has_its_listed_size_and_sha256() {
    if data_dir_or_skip().is_none() {
        return;
    }
    let mut wrong = Vec::new();
    for row in manifest() {
        let Some(file) = support::data_file(&row.path) else {
            continue;
        };
        let bytes = fs::metadata(&file)
            .expect("reading data file metadata")
            .len();
        if bytes != row.bytes {
            wrong.push(format!("{}: {bytes} bytes, listed {}", row.path, row.bytes));
            continue;
        }
        let sha256 = sha256_of_file(&file).expect("hashing data file");
        if sha256 != row.sha256 {
            wrong.push(format!(
                "{}: sha256 {sha256}, listed {}",
                row.path, row.sha256
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "data files differ from {MANIFEST} (re-fetch with {FETCH_SCRIPT}):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn data_dir_holds_no_file_without_a_manifest_row() {
    let Some(dir) = data_dir_or_skip() else {
        return;
    };
    let listed: BTreeSet<String> = manifest().into_iter().map(|row| row.path).collect();
    let unlisted: Vec<String> = files_under(&dir, &[])
        .into_iter()
        .filter(|path| path != PROVENANCE && !listed.contains(path))
        .collect();
    assert!(
        unlisted.is_empty(),
        "files in {} have no provenance row in {MANIFEST} (add path, bytes, sha256, origin_url, \
         licence, why): {unlisted:?}",
        dir.display()
    );
}

#[test]
fn repository_holds_no_copy_of_a_shared_data_file_over_4_kib() {
    // Keyed by the manifest, so the rule holds even where the data dir is absent.
    let large: Vec<Row> = manifest()
        .into_iter()
        .filter(|row| row.bytes > COPY_CHECK_OVER_BYTES)
        .collect();
    let sizes: BTreeSet<u64> = large.iter().map(|row| row.bytes).collect();
    let large: BTreeMap<String, String> = large
        .into_iter()
        .map(|row| (row.sha256, row.path))
        .collect();
    assert!(!large.is_empty(), "{MANIFEST} lists no file over 4 KiB");

    let root = repo_root();
    let mut copies = Vec::new();
    for path in files_under(root, &NOT_WALKED) {
        let file = root.join(&path);
        // Equal SHA-256 implies equal size, so only same-sized files are hashed.
        let Ok(meta) = fs::metadata(&file) else {
            continue;
        };
        if !sizes.contains(&meta.len()) {
            continue;
        }
        let Ok(sha256) = sha256_of_file(&file) else {
            continue;
        };
        if let Some(data_file) = large.get(&sha256) {
            copies.push(format!("{path} is a copy of shared data file {data_file}"));
        }
    }
    assert!(
        copies.is_empty(),
        "shared data must stay in BGPWATCH_DATA, listed in {MANIFEST}, never in the repository:\n{}",
        copies.join("\n")
    );
}

#[test]
fn fetch_script_verify_only_reports_each_file_and_never_fetches() {
    let Some(bash) = support::tool("bash") else {
        return;
    };
    let dir = support::scratch("fetch_verify_only");
    // One file as listed, one with other bytes, one absent whose URL must not be fetched.
    let rows: [(&str, &[u8]); 3] = [
        ("a/good.txt", b"good\n"),
        ("a/bad.txt", b"expected\n"),
        ("a/absent.txt", b"absent\n"),
    ];
    let mut manifest = COLUMNS.join("\t") + "\n";
    for (path, content) in rows {
        let (bytes, sha256) = (content.len(), hex(&Sha256::digest(content)));
        let url = format!("file:///nonexistent/{path}");
        manifest += &format!("{path}\t{bytes}\t{sha256}\t{url}\ttest\ttest\t\n");
    }
    let manifest_path = dir.join("manifest.tsv");
    fs::write(&manifest_path, manifest).expect("writing test manifest");
    let data = dir.join("data");
    fs::create_dir_all(data.join("a")).expect("creating test data dir");
    fs::write(data.join("a/good.txt"), "good\n").expect("writing good file");
    fs::write(data.join("a/bad.txt"), "other\n").expect("writing bad file");

    let run = || {
        Command::new(&bash)
            .arg(repo_root().join(FETCH_SCRIPT))
            .arg("--verify-only")
            .arg("--manifest")
            .arg(&manifest_path)
            .arg(&data)
            .output()
            .expect("running fetch.sh")
    };
    let statuses = |stdout: &[u8]| -> BTreeMap<String, String> {
        String::from_utf8_lossy(stdout)
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let status = words.next()?.to_string();
                let path = words.next()?.to_string();
                rows.iter()
                    .any(|(listed, _)| *listed == path)
                    .then_some((path, status))
            })
            .collect()
    };

    let output = run();
    let expected = [
        ("a/good.txt", "OK"),
        ("a/bad.txt", "MISMATCH"),
        ("a/absent.txt", "MISSING"),
    ];
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(path, status)| (path.to_string(), status.to_string()))
        .collect();
    assert_eq!(statuses(&output.stdout), expected, "{output:?}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "a mismatch exits 1: {output:?}"
    );
    assert!(
        !data.join("a/absent.txt").exists(),
        "--verify-only fetched a file"
    );

    fs::remove_file(data.join("a/bad.txt")).expect("removing bad file");
    let output = run();
    assert_eq!(
        output.status.code(),
        Some(2),
        "missing files only exit 2: {output:?}"
    );
}
