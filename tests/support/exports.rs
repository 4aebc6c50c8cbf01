//! The older providers' history fixtures, made usable by `check`, and the verdicts a report
//! gives: for the tests that import histories and compare what `check` says of them.

#![allow(dead_code)] // each test binary uses what it needs

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// Copy tests/fixtures/history into `target`, each file named `prefix` + its name, with the
/// special-use domains the fixtures use (which a history leaves out) replaced by real ones.
pub fn copy_older(target: &Path, prefix: &str) -> usize {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history");
    std::fs::create_dir_all(target).unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap())
            .replace("nxdomain.example", "nxdomain-x.de")
            .replace("blocked.example", "blocked-x.de")
            .replace("example.com", "gmail.com")
            .replace("example.org", "outlook.com")
            .replace("example.net", "posteo.de");
        let name = path.file_name().unwrap().to_string_lossy();
        std::fs::write(target.join(format!("{prefix}{name}")), text).unwrap();
        copied += 1;
    }
    copied
}

/// Write `list` with every address of the history CSV `history` (its first column), once;
/// how many.
pub fn list_every_address(history: &Path, list: &Path) -> usize {
    let csv = std::fs::read_to_string(history).unwrap();
    let mut addresses: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    std::fs::write(list, addresses.join("\n")).unwrap();
    addresses.len()
}

/// Every historic-hard, repeated-soft and complaint finding of the first list: address ->
/// code.
pub fn verdicts(report: &Value) -> BTreeMap<String, String> {
    report["lists"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            matches!(
                f["code"].as_str(),
                Some("historic-hard" | "repeated-soft" | "complaint")
            )
        })
        .map(|f| {
            (
                f["address"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
