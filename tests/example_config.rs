//! `bgpwatch.example.toml` documents every key: it is valid as shipped, and still valid with every
//! commented-out key and block switched on.

mod support;

fn check_config(name: &str, text: &str) -> std::process::Output {
    let dir = support::scratch(name);
    let file = dir.join("bgpwatch.toml");
    std::fs::write(&file, text).unwrap();
    support::bgpwatch()
        .args([
            "check-config",
            "--config",
            file.to_str().unwrap(),
            "--watchlist",
            "fixtures/scenarios/watchlist.yaml",
        ])
        .output()
        .unwrap()
}

fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/bgpwatch.example.toml"
    ))
    .unwrap()
}

#[test]
fn the_example_config_is_valid_as_shipped() {
    let output = check_config("example_as_shipped", &example());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 sources, 1 sinks"));
}

#[test]
fn the_example_config_is_valid_with_every_commented_key_switched_on() {
    let key = |l: &str| {
        let rest = l.trim_start_matches("# ");
        rest.starts_with('[')
            || rest
                .split_once(" = ")
                .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    };
    let mut switched = 0;
    let text: String = example()
        .lines()
        .map(|l| {
            if l.starts_with("# ") && !l.starts_with("# # ") && key(l) {
                switched += 1;
                l.trim_start_matches("# ").to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        switched >= 10,
        "expected the commented blocks to be found ({switched})"
    );
    let output = check_config("example_all_on", &text);
    assert!(
        output.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("3 sources, 5 sinks"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
