//! `--changed-since` and `--files-from` on a fixture git repository with commits.

mod support {
    pub mod bin;
    pub mod git;
}

use std::path::Path;

use serde_json::Value;
use support::git::git;

fn addresses(range: std::ops::Range<usize>, domain: &str) -> String {
    range.map(|n| format!("user{n}@{domain}\n")).collect()
}

/// main: big.csv with 200 good addresses and 1 bad (0.5%), other.csv; branch `import`
/// appends 10 addresses to big.csv, one of them bad: 10% of what it adds, 1% of the list.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::write(
        root.join("rules.yaml"),
        "policy:\n  fail_on:\n    predicted_hard: false\n",
    )
    .unwrap();
    let big = format!("email\n{}broken@gmail\n", addresses(0..200, "gmail.com"));
    std::fs::write(root.join("lists/big.csv"), &big).unwrap();
    std::fs::write(root.join("lists/other.csv"), "email\nbad@nowhere\n").unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "lists"]);
    git(root, &["checkout", "-qb", "import"]);
    let grown = format!("{big}{}oops@gmail\n", addresses(200..209, "outlook.com"));
    std::fs::write(root.join("lists/big.csv"), grown).unwrap();
    git(root, &["commit", "-qam", "import"]);
    dir
}

fn check(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let output = support::bin::bouncegate()
        .args(["check", "--offline", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), report)
}

#[test]
fn a_bad_import_fails_even_when_the_whole_list_stays_under_the_limit() {
    let dir = fixture();
    // The whole of big.csv: 2 bad of 211 = 0.95%, and other.csv (100% bad) fails on its own.
    let (code, report) = check(dir.path(), &["lists"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["lists"].as_array().unwrap().len(), 2);

    let (code, report) = check(dir.path(), &["lists", "--changed-since", "main"]);
    assert_eq!(code, Some(1), "the added addresses are 10% bad");
    let lists = report["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 1, "other.csv did not change: skipped");
    assert_eq!(lists[0]["path"], "lists/big.csv");
    let stats = &lists[0]["stats"];
    assert_eq!(stats["addresses"], 211);
    assert_eq!(stats["added"]["addresses"], 10);
    assert_eq!(stats["added"]["bouncing"], 1);
    assert!(
        stats["bounce_rate"].as_f64().unwrap() < 0.01,
        "the whole list is under 1%"
    );
    let codes: Vec<&str> = lists[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"added-bounce-rate"), "{codes:?}");
    assert!(!codes.contains(&"bounce-rate"), "{codes:?}");
    assert_eq!(report["scope"]["lists_changed"], 1);
    assert_eq!(report["scope"]["lists_unchanged"], 1);
}

#[test]
fn a_clean_change_passes_and_uncommitted_work_counts() {
    let dir = fixture();
    let root = dir.path();
    git(root, &["checkout", "-q", "main"]);
    // Uncommitted: ten good addresses appended to big.csv.
    let big = std::fs::read_to_string(root.join("lists/big.csv")).unwrap();
    std::fs::write(
        root.join("lists/big.csv"),
        format!("{big}{}", addresses(300..310, "posteo.de")),
    )
    .unwrap();
    // And a new, untracked list.
    std::fs::write(root.join("lists/new.csv"), "email\nann@gmail.com\n").unwrap();
    let (code, report) = check(root, &["lists", "--changed-since", "HEAD"]);
    assert_eq!(code, Some(0), "{report}");
    let paths: Vec<&str> = report["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["lists/big.csv", "lists/new.csv"]);
    assert_eq!(report["lists"][0]["stats"]["added"]["addresses"], 10);
    assert_eq!(
        report["lists"][1]["stats"]["added"]["addresses"], 1,
        "a new file adds all"
    );
}

#[test]
fn a_bad_revision_is_a_usage_error() {
    let dir = fixture();
    let output = support::bin::bouncegate()
        .args([
            "check",
            "lists",
            "--offline",
            "--changed-since",
            "no-such-branch",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--changed-since \"no-such-branch\""),
        "{stderr}"
    );

    // A revision that git would take for one of its options.
    let output = support::bin::bouncegate()
        .args(["check", "lists", "--offline", "--changed-since=--octopus"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot start with '-'"));
}

#[test]
fn a_changed_list_is_found_however_its_path_is_spelled() {
    let dir = fixture();
    let absolute = dir.path().join("lists");
    for spelling in [absolute.to_str().unwrap(), "./lists", "lists/../lists"] {
        let (code, report) = check(dir.path(), &[spelling, "--changed-since", "main"]);
        assert_eq!(code, Some(1), "{spelling}");
        assert_eq!(report["scope"]["lists_changed"], 1, "{spelling}");
    }
}

#[test]
fn files_from_names_the_files_and_exclusions_still_hold() {
    let dir = fixture();
    let root = dir.path();
    std::fs::write(
        root.join("rules.yaml"),
        "exclude: [\"lists/other.csv\"]\npolicy:\n  fail_on:\n    predicted_hard: false\n",
    )
    .unwrap();
    std::fs::write(root.join("files.txt"), "lists/other.csv\nlists/big.csv\n\n").unwrap();
    let (_, report) = check(root, &["--files-from", "files.txt"]);
    let paths: Vec<&str> = report["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["lists/big.csv"],
        "other.csv is excluded even when named"
    );

    // NUL-separated on stdin, as `git diff -z --name-only` writes it.
    let mut child = support::bin::bouncegate()
        .args([
            "check",
            "--offline",
            "--format",
            "json",
            "--files-from",
            "-",
        ])
        .current_dir(root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"lists/big.csv\0")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["lists"][0]["path"], "lists/big.csv");
}

/// A change to a history file, or to rules.yaml, can change the verdict of every list: every
/// list is checked, and the report says which file made it so.
#[test]
fn a_change_to_the_history_or_the_rules_checks_every_list() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::create_dir(root.join("bounces")).unwrap();
    std::fs::write(root.join("lists/a.csv"), "email\nann@gmail.com\n").unwrap();
    std::fs::write(root.join("lists/b.csv"), "email\nbob@gmail.com\n").unwrap();
    let header = "email,timestamp,smtp_code,diagnostic\n";
    std::fs::write(root.join("bounces/h.csv"), header).unwrap();
    std::fs::write(root.join("rules.yaml"), "policy:\n  max_bounce_rate: 0.5\n").unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "lists"]);

    // Only the history changes: bob hard-bounced.
    git(root, &["checkout", "-qb", "bounces"]);
    std::fs::write(
        root.join("bounces/h.csv"),
        format!("{header}bob@gmail.com,2026-03-02,550,user unknown\n"),
    )
    .unwrap();
    git(root, &["commit", "-qam", "bounces"]);
    let (code, report) = check(root, &["--changed-since", "main"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["scope"]["lists_changed"], 2, "{report}");
    assert_eq!(report["scope"]["all_lists_because"], "bounces/h.csv");
    assert_eq!(report["totals"]["historic_hard"], 1);

    // Only the rules change: the same, named by the rules file.
    git(root, &["checkout", "-q", "main"]);
    git(root, &["checkout", "-qb", "rules"]);
    std::fs::write(
        root.join("rules.yaml"),
        "policy:\n  max_bounce_rate: 0.01\n",
    )
    .unwrap();
    git(root, &["commit", "-qam", "rules"]);
    let (_, report) = check(root, &["--changed-since", "main"]);
    assert_eq!(report["scope"]["lists_changed"], 2, "{report}");
    assert_eq!(report["scope"]["all_lists_because"], "rules.yaml");

    // A deleted history file takes its bounces out of every verdict: every list again.
    std::fs::write(root.join("bounces/old.csv"), header).unwrap();
    git(root, &["checkout", "-q", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "old history"]);
    git(root, &["checkout", "-qb", "deleted"]);
    git(root, &["rm", "-q", "bounces/old.csv"]);
    git(root, &["commit", "-qm", "drop the old history"]);
    let (_, report) = check(root, &["--changed-since", "main"]);
    assert_eq!(report["scope"]["lists_changed"], 2, "{report}");
    assert_eq!(report["scope"]["all_lists_because"], "bounces/old.csv");
    // So does a deleted rules.yaml: the built-in rules judge every list now.
    git(root, &["checkout", "-q", "main"]);
    git(root, &["checkout", "-qb", "rules-gone"]);
    git(root, &["rm", "-q", "rules.yaml"]);
    git(root, &["commit", "-qm", "drop the rules"]);
    let (_, report) = check(root, &["--changed-since", "main"]);
    assert_eq!(report["scope"]["lists_changed"], 2, "{report}");
    assert_eq!(report["scope"]["all_lists_because"], "rules.yaml");
    // A deleted file that is neither does not widen the scope.
    git(root, &["checkout", "-q", "main"]);
    std::fs::write(root.join("notes.txt"), "x\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "notes"]);
    git(root, &["checkout", "-qb", "notes-gone"]);
    git(root, &["rm", "-q", "notes.txt"]);
    git(root, &["commit", "-qm", "drop notes"]);
    let (_, report) = check(root, &["--changed-since", "main"]);
    assert_eq!(report["scope"]["lists_changed"], 0, "{report}");
    assert_eq!(report["scope"]["lists_unchanged"], 2, "{report}");

    // A change to a list alone checks that list alone, as before.
    git(root, &["checkout", "-q", "main"]);
    git(root, &["checkout", "-qb", "list"]);
    std::fs::write(
        root.join("lists/a.csv"),
        "email\nann@gmail.com\ncid@gmail.com\n",
    )
    .unwrap();
    git(root, &["commit", "-qam", "list"]);
    let (_, report) = check(root, &["--changed-since", "main"]);
    assert_eq!(report["scope"]["lists_changed"], 1, "{report}");
    assert!(
        report["scope"].get("all_lists_because").is_none(),
        "{report}"
    );
}
