//! The Grafana dashboards of `dashboards/`: each type-checks against Grafana's own schema
//! (npm `@grafana/schema`, TypeScript `--strict`), uses no legacy key or panel, reads its data
//! source from its own variable, lays its panels out without overlap; the provisioning file
//! points Grafana at them.

#[path = "support/observe.rs"]
mod observe;
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The schema the dashboards are checked against (Grafana 13.2).
const SCHEMA_PACKAGE: &str = "@grafana/schema@13.2.3";
const TYPESCRIPT_PACKAGE: &str = "typescript@5";
/// Panel types Grafana replaced (Angular panels) and top-level keys it dropped.
const LEGACY_PANELS: [&str; 5] = [
    "graph",
    "singlestat",
    "table-old",
    "grafana-piechart-panel",
    "grafana-worldmap-panel",
];
/// `datasource` references became objects in schema 36.
const MIN_SCHEMA_VERSION: u64 = 36;
/// JSON has no TypeScript enums: each enum type is checked as the union of its values, so
/// `"absolute"` passes where `ThresholdsMode.Absolute` is expected and `"absolut"` fails.
const JSON_TYPE: &str = "type Json<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : T extends Array<infer U> ? Array<Json<U>> : T extends object ? { [K in keyof T]: Json<T[K]> } : T;";

/// Node and a directory whose `node_modules` has the schema and TypeScript.
struct Checker {
    node: PathBuf,
    dir: PathBuf,
}

/// The checker, its packages installed once into the target dir (kept between runs), or a
/// loud skip.
fn schema_checker() -> Option<&'static Checker> {
    static CHECKER: OnceLock<Option<Checker>> = OnceLock::new();
    CHECKER
        .get_or_init(|| {
            let npm = support::tool("npm")?;
            let node = support::tool("node")?;
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("grafana-schema-13.2.3");
            let installed = dir.join("node_modules/@grafana/schema/package.json");
            if !installed.is_file() || !dir.join("node_modules/typescript/bin/tsc").is_file() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(
                    dir.join("package.json"),
                    r#"{"name":"bgpwatch-dashboard-check","private":true}"#,
                )
                .unwrap();
                let out = Command::new(npm)
                    .args([
                        "install",
                        "--no-audit",
                        "--no-fund",
                        SCHEMA_PACKAGE,
                        TYPESCRIPT_PACKAGE,
                    ])
                    .current_dir(&dir)
                    .output()
                    .expect("running npm");
                if !out.status.success() {
                    return support::missing(&format!(
                        "`npm install {SCHEMA_PACKAGE} {TYPESCRIPT_PACKAGE}` failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
            let version: Value =
                serde_json::from_str(&std::fs::read_to_string(installed).unwrap()).unwrap();
            assert_eq!(version["version"], "13.2.3");
            Some(Checker { node, dir })
        })
        .as_ref()
}

/// Writes one `.ts` per `(name, dashboard JSON)` assigning it to `Dashboard`, runs
/// `tsc --noEmit --strict` over all of them, and returns (success, compiler output).
fn type_check(checker: &Checker, dashboards: &[(String, String)]) -> (bool, String) {
    let mut files = Vec::new();
    for (name, json) in dashboards {
        let file = checker.dir.join(format!("{name}.check.ts"));
        std::fs::write(
            &file,
            format!(
                "import type {{ Dashboard }} from '@grafana/schema';\n{JSON_TYPE}\nexport const dashboard: Json<Dashboard> = {json};\n"
            ),
        )
        .unwrap();
        files.push(file);
    }
    let out = Command::new(&checker.node)
        .arg(checker.dir.join("node_modules/typescript/bin/tsc"))
        .args([
            "--noEmit",
            "--strict",
            "--moduleResolution",
            "node",
            "--skipLibCheck",
        ])
        .args(&files)
        .current_dir(&checker.dir)
        .output()
        .expect("running tsc");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn shipped() -> Vec<(String, Value)> {
    let files = observe::dashboard_files();
    assert_eq!(files.len(), 2, "overview and prefix dashboards: {files:?}");
    files
        .iter()
        .map(|f| {
            let name = f.file_stem().unwrap().to_string_lossy().to_string();
            (name, observe::dashboard(f))
        })
        .collect()
}

#[test]
fn each_dashboard_type_checks_against_grafanas_schema() {
    let Some(checker) = schema_checker() else {
        return;
    };
    let dashboards: Vec<(String, String)> = shipped()
        .into_iter()
        .map(|(name, d)| (name, d.to_string()))
        .collect();
    let (ok, output) = type_check(checker, &dashboards);
    assert!(ok, "{output}");
}

#[test]
fn the_schema_check_rejects_legacy_keys_unknown_fields_and_bad_enum_values() {
    let Some(checker) = schema_checker() else {
        return;
    };
    let (_, overview) = shipped().remove(0);
    let mut legacy_top = overview.clone();
    legacy_top["style"] = "dark".into();
    let mut legacy_panel = overview.clone();
    legacy_panel["panels"][0]["nullPointMode"] = "connected".into();
    let mut bad_enum = overview.clone();
    bad_enum["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["mode"] = "absolut".into();
    let mut bad_type = overview;
    bad_type["graphTooltip"] = "often".into();
    let broken = [
        ("legacy_top", legacy_top),
        ("legacy_panel", legacy_panel),
        ("bad_enum", bad_enum),
        ("bad_type", bad_type),
    ];
    let dashboards: Vec<(String, String)> = broken
        .iter()
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .collect();
    let (ok, output) = type_check(checker, &dashboards);
    assert!(!ok, "broken dashboards passed:\n{output}");
    for (name, _) in &broken {
        assert!(
            output.contains(&format!("{name}.check.ts(")),
            "{name} not rejected:\n{output}"
        );
    }
}

#[test]
fn dashboards_use_current_panels_their_own_datasource_and_a_clean_layout() {
    for (name, d) in shipped() {
        assert!(
            d["schemaVersion"].as_u64().unwrap() >= MIN_SCHEMA_VERSION,
            "{name}"
        );
        assert!(
            d["uid"]
                .as_str()
                .is_some_and(|u| u.starts_with("bgpwatch-")),
            "{name}"
        );
        assert!(
            d["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("bgpwatch ")),
            "{name}"
        );
        assert!(
            d.get("rows").is_none() && d.get("style").is_none(),
            "{name}: legacy keys"
        );
        let variables = d["templating"]["list"].as_array().unwrap();
        assert!(
            variables.iter().any(|v| v["name"] == "datasource"
                && v["type"] == "datasource"
                && v["query"] == "prometheus"),
            "{name}: a Prometheus data source variable"
        );
        let mut ids = Vec::new();
        let mut boxes: Vec<(String, [u64; 4])> = Vec::new();
        for panel in observe::panels(&d) {
            let title = panel["title"].as_str().unwrap_or_default().to_string();
            let kind = panel["type"].as_str().unwrap();
            assert!(
                !LEGACY_PANELS.contains(&kind),
                "{name}: {title} is a legacy {kind}"
            );
            ids.push(panel["id"].as_u64().unwrap());
            let pos = &panel["gridPos"];
            let [x, y, w, h] = ["x", "y", "w", "h"].map(|k| pos[k].as_u64().unwrap());
            assert!(
                x + w <= 24 && w > 0 && h > 0,
                "{name}: {title} off the grid"
            );
            for (other, [ox, oy, ow, oh]) in &boxes {
                let overlap = x < ox + ow && *ox < x + w && y < oy + oh && *oy < y + h;
                assert!(!overlap, "{name}: {title} overlaps {other}");
            }
            boxes.push((title.clone(), [x, y, w, h]));
            for target in panel["targets"].as_array().unwrap() {
                assert_eq!(
                    target["datasource"]["uid"], "${datasource}",
                    "{name}: {title}"
                );
                assert!(target["expr"].as_str().is_some_and(|e| !e.is_empty()));
            }
        }
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "{name}: panel ids are unique");
    }
}

#[test]
fn the_provisioning_file_points_grafana_at_the_dashboards() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/grafana-provisioning.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let provisioning: Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(provisioning["apiVersion"], 1);
    let provider = &provisioning["providers"][0];
    assert_eq!(provider["type"], "file");
    assert_eq!(provider["folder"], "bgpwatch");
    assert!(provider["options"]["path"]
        .as_str()
        .is_some_and(|p| p.starts_with('/')));
}
