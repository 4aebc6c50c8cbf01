//! Providers' exports through the whole tool: `check --history` reads them as they are, and
//! `history import` normalises them into the generic CSV, which `check` reads back to the same
//! verdicts. The fixtures (tests/fixtures/history/) use example.* domains, which the syntax
//! check rightly rejects; here they are moved to ordinary domains.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn bouncegate(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bouncegate"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The fixtures with their special-use domains replaced, in `dir/exports`.
fn exports(dir: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history");
    let target = dir.join("exports");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes)
            .replace("nxdomain.example", "nxdomain-x.de")
            .replace("blocked.example", "blocked-x.de")
            .replace("example.com", "gmail.com")
            .replace("example.org", "outlook.com")
            .replace("example.net", "posteo.de");
        std::fs::write(target.join(path.file_name().unwrap()), text).unwrap();
    }
}

/// Every historic-hard and repeated-soft finding: address -> code.
fn verdicts(report: &Value) -> BTreeMap<String, String> {
    report["lists"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["code"].as_str(), Some("historic-hard" | "repeated-soft")))
        .map(|f| {
            (
                f["address"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn exports_are_read_as_they_are_and_round_trip_through_the_generic_csv() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    exports(root);

    let args = [
        "history",
        "import",
        "exports",
        "--out",
        "bounces/history.csv",
        "--log-year",
        "2026",
    ];
    let output = bouncegate(root, &args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    // The webhook fixture comes as a JSON array and as JSON lines: the same events once.
    assert!(stdout.contains("45 appended, 2 already there"), "{stdout}");
    let again = bouncegate(root, &args);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(": 0 appended,"),
        "a second import adds nothing"
    );

    // The list: every address the exports name.
    let csv = std::fs::read_to_string(root.join("bounces/history.csv")).unwrap();
    let mut addresses: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    assert!(addresses.len() >= 15, "{addresses:?}");
    std::fs::write(root.join("list.txt"), addresses.join("\n")).unwrap();

    let check = |history: &str| -> Value {
        let output = bouncegate(
            root,
            &[
                "check",
                "list.txt",
                "--offline",
                "--format",
                "json",
                "--history",
                history,
                "--log-year",
                "2026",
                "--as-of",
                "2026-03-10",
            ],
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let direct = check("exports");
    let normalised = check("bounces/history.csv");
    assert_eq!(verdicts(&direct), verdicts(&normalised));

    let verdict = verdicts(&direct);
    // Only re-suppressions, yet historic hard: the provider's word is proof.
    assert_eq!(
        verdict.get("suppressed@gmail.com").map(String::as_str),
        Some("historic-hard")
    );
    let evidence = direct["lists"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["address"] == "suppressed@gmail.com")
        .unwrap()["reason"]["evidence"]
        .clone();
    assert_eq!(evidence["already_suppressed"], true);
    assert_eq!(evidence["source"], "ses");
    assert!(
        evidence["source_verdict"]
            .as_str()
            .unwrap()
            .contains("OnAccountSuppressionList")
    );
}

#[test]
fn a_file_in_no_known_format_names_the_formats_tried() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list.txt"), "ann@gmail.com\n").unwrap();
    std::fs::write(dir.path().join("mystery.json"), "{\"what\": [1, 2, 3]}\n").unwrap();
    let output = bouncegate(
        dir.path(),
        &[
            "check",
            "list.txt",
            "--offline",
            "--history",
            "mystery.json",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("mystery.json:1: error"), "{stdout}");
    assert!(stdout.contains("tried SendGrid"), "{stdout}");
}
