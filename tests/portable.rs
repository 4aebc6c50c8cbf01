//! The repository checks out and builds on the three systems CI runs on: no file name that
//! Windows refuses (git for Windows stops the whole checkout on one), and no two names that
//! differ only in case (macOS and Windows would see one file).

use std::collections::HashMap;
use std::path::Path;

/// Names Windows reserves for devices, with or without an extension.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

fn problem(name: &str) -> Option<&'static str> {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if RESERVED.contains(&stem.as_str()) {
        return Some("a device name on Windows");
    }
    if name
        .chars()
        .any(|c| "<>:\"|?*\\".contains(c) || c.is_control())
    {
        return Some("a character Windows does not allow in file names");
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Some("ends with a dot or a space, which Windows drops");
    }
    None
}

#[test]
fn every_file_name_checks_out_everywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    let mut folded: HashMap<String, String> = HashMap::new();
    let walk = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|entry| !matches!(entry.file_name().to_str(), Some(".git" | "target")));
    for entry in walk {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = entry.file_name().to_string_lossy();
        if let Some(why) = problem(&name) {
            problems.push(format!("{relative}: {why}"));
        }
        if let Some(other) = folded.insert(relative.to_lowercase(), relative.clone()) {
            problems.push(format!("{relative} and {other} differ only in case"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_knows_the_names_windows_refuses() {
    for (name, bad) in [
        ("nul.txt", true),
        ("NUL", true),
        ("com1.csv", true),
        ("a:b.csv", true),
        ("list.", true),
        ("nul-byte.txt", false),
        ("console.csv", false),
        ("lists.csv", false),
    ] {
        assert_eq!(problem(name).is_some(), bad, "{name}");
    }
}
