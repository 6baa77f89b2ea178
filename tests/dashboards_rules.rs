//! The Prometheus alert rules for the monitor itself (`dashboards/prometheus-rules.yml`):
//! `promtool check rules` accepts them, `promtool test rules` passes their unit tests (and
//! fails a wrong expectation), and every rule has a test that fires it and one that keeps it
//! quiet.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RULES: &str = "dashboards/prometheus-rules.yml";
const RULE_TESTS: &str = "dashboards/prometheus-rules.test.yml";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Alert names of the rules file, in order.
fn alert_names() -> Vec<String> {
    yaml(&repo(RULES))["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .filter_map(|r| r["alert"].as_str().map(String::from))
        .collect()
}

fn run(promtool: &Path, args: &[&str]) -> Output {
    Command::new(promtool)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running promtool")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn promtool_accepts_the_rules_and_their_unit_tests_pass() {
    let Some(promtool) = support::tool("promtool") else {
        return;
    };
    let check = run(&promtool, &["check", "rules", RULES]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        text(&check).contains(&format!("SUCCESS: {} rules found", alert_names().len())),
        "{}",
        text(&check)
    );
    let test = run(&promtool, &["test", "rules", RULE_TESTS]);
    assert!(test.status.success(), "{}", text(&test));
    assert!(text(&test).contains("SUCCESS"), "{}", text(&test));

    // The harness has teeth: one wrong expectation fails the run.
    let dir = support::scratch("dashboards_rules_wrong");
    std::fs::copy(repo(RULES), dir.join("prometheus-rules.yml")).unwrap();
    let tests = std::fs::read_to_string(repo(RULE_TESTS)).unwrap();
    let wrong = tests.replacen("opened 100 alerts", "opened 99 alerts", 1);
    assert_ne!(wrong, tests, "the storm test's expected summary moved");
    std::fs::write(dir.join("wrong.test.yml"), wrong).unwrap();
    let failed = run(
        &promtool,
        &[
            "test",
            "rules",
            dir.join("wrong.test.yml").to_str().unwrap(),
        ],
    );
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(text(&failed).contains("BgpwatchAlertStorm"));
}

#[test]
fn every_rule_has_a_test_that_fires_it_and_one_that_keeps_it_quiet() {
    let names = alert_names();
    assert_eq!(
        names,
        [
            "BgpwatchDown",
            "BgpwatchFeedDown",
            "BgpwatchNoUpdates",
            "BgpwatchNotificationFailures",
            "BgpwatchAlertStorm",
            "BgpwatchDroppedUpdates"
        ]
    );
    let tests = yaml(&repo(RULE_TESTS));
    assert_eq!(tests["rule_files"][0], "prometheus-rules.yml");
    // alertname -> (fires somewhere, stays quiet somewhere)
    let mut seen: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for test in tests["tests"].as_array().unwrap() {
        for case in test["alert_rule_test"].as_array().unwrap() {
            let name = case["alertname"].as_str().unwrap().to_string();
            let fires = case["exp_alerts"].as_array().is_some_and(|a| !a.is_empty());
            let entry = seen.entry(name).or_default();
            entry.0 |= fires;
            entry.1 |= !fires;
        }
    }
    for name in &names {
        assert_eq!(
            seen.get(name),
            Some(&(true, true)),
            "{name}: needs a case that fires and one that stays quiet"
        );
    }
    assert_eq!(seen.len(), names.len(), "tests of unknown rules: {seen:?}");
}
