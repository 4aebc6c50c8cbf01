//! `bouncegate pre-commit` and rules.yaml discovery, on the built binary in fixture
//! repositories: the hook checks the staged lists that the `lists:` globs match, every list
//! when a history or the rules file is staged, nothing for other files; rules.yaml is found
//! in the current directory or its parents up to the repository's root, and the report's
//! first line names it and the history.

mod support {
    pub mod bin;
}

use std::path::Path;

use serde_json::Value;
use support::bin::run;

/// A repository whose rules.yaml says where the lists are: `lists/**/*.csv`, with a bad list,
/// a clean one in a subdirectory, a history, and files that are no lists at all.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    for (path, text) in [
        ("rules.yaml", "lists:\n  - \"lists/**/*.csv\"\n"),
        ("lists/bad.csv", "email\nann@gmail\n"),
        ("lists/team/ok.csv", "email\nbob@gmail.com\n"),
        ("lists/notes.txt", "not a list the globs name\n"),
        (
            "bounces/history.csv",
            "email,timestamp,smtp_code,diagnostic\nbob@gmail.com,2026-03-02,550,user unknown\n",
        ),
        ("requirements.txt", "flask==3.0\n"),
        ("docs/team.csv", "name\nops\n"),
    ] {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// `pre-commit FILES --offline --format json`: the exit code and the report (None when the
/// hook printed no report).
fn pre_commit(dir: &Path, files: &[&str]) -> (Option<i32>, Option<Value>, String) {
    let mut args = vec!["pre-commit", "--offline", "--format", "json"];
    args.extend_from_slice(files);
    let output = run(dir, &args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let report = stdout
        .find('{')
        .and_then(|start| serde_json::from_str(&stdout[start..]).ok());
    (output.status.code(), report, stdout)
}

fn checked_lists(report: &Value) -> Vec<String> {
    report["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|list| list["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn staged_files_are_sorted_by_what_they_are() {
    let repo = repository();
    // Each row: the staged files, the exit code, the lists checked (empty: no report).
    let cases: &[(&[&str], i32, &[&str])] = &[
        // The old default pattern matched requirements.txt; the globs do not.
        (&["requirements.txt"], 0, &[]),
        (
            &["requirements.txt", "docs/team.csv", "lists/notes.txt"],
            0,
            &[],
        ),
        (
            &["requirements.txt", "lists/bad.csv"],
            1,
            &["lists/bad.csv"],
        ),
        // bob@gmail.com hard-bounced in the history.
        (&["lists/team/ok.csv"], 1, &["lists/team/ok.csv"]),
        // A history or the rules file judges every list anew.
        (
            &["bounces/history.csv"],
            1,
            &["lists/bad.csv", "lists/team/ok.csv"],
        ),
        (
            &["rules.yaml", "docs/team.csv"],
            1,
            &["lists/bad.csv", "lists/team/ok.csv"],
        ),
    ];
    for (files, code, lists) in cases {
        let (status, report, stdout) = pre_commit(repo.path(), files);
        assert_eq!(status, Some(*code), "{files:?}: {stdout}");
        match report {
            Some(report) => {
                let mut checked = checked_lists(&report);
                checked.sort();
                assert_eq!(checked, *lists, "{files:?}");
            }
            None => {
                assert!(lists.is_empty(), "{files:?}: no report in {stdout}");
                assert!(
                    stdout.contains(&format!(
                        "none of the {} files is a list, a bounce history or the rules file",
                        files.len()
                    )),
                    "{stdout}"
                );
            }
        }
    }
    // Without `lists:` globs, the lists are what `check` takes by default: under lists/.
    std::fs::remove_file(repo.path().join("rules.yaml")).unwrap();
    let (status, report, _) = pre_commit(repo.path(), &["docs/team.csv", "lists/bad.csv"]);
    assert_eq!(status, Some(1));
    assert_eq!(checked_lists(&report.unwrap()), ["lists/bad.csv"]);
}

#[test]
fn rules_yaml_is_found_in_the_parents_up_to_the_repository_root() {
    let repo = repository();
    let team = repo.path().join("lists/team");
    // From a subdirectory: ../../rules.yaml is used, and its globs start where it is.
    let output = run(&team, &["check", "--offline", "--color", "never"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "bouncegate: rules ../../rules.yaml (over the built-in rules); history ../../bounces/history.csv"
    );
    assert!(
        stdout.contains("../../lists/bad.csv:2: error[no-tld]"),
        "{stdout}"
    );
    assert_eq!(output.status.code(), Some(1));
    // The hook from a subdirectory matches the same globs.
    let (status, report, stdout) = pre_commit(&team, &["ok.csv"]);
    assert_eq!(status, Some(1), "{stdout}");
    assert_eq!(checked_lists(&report.unwrap()), ["ok.csv"]);
}

#[test]
fn a_rules_file_above_the_repository_or_outside_one_is_not_used() {
    let outer = tempfile::tempdir().unwrap();
    // A rules.yaml with a key that would fail the run, above the repository's root.
    std::fs::write(outer.path().join("rules.yaml"), "not_a_key: 1\n").unwrap();
    let root = outer.path().join("repo");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("lists")).unwrap();
    std::fs::write(root.join("lists/a.csv"), "email\nann@gmail.com\n").unwrap();
    let output = run(&root, &["check", "--offline"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().next(),
        Some("bouncegate: built-in rules; no history")
    );
    // Outside any repository only the current directory is looked in.
    let plain = outer.path().join("plain");
    std::fs::create_dir_all(plain.join("lists")).unwrap();
    std::fs::write(plain.join("lists/a.csv"), "email\nann@gmail.com\n").unwrap();
    let output = run(&plain, &["check", "--offline"]);
    assert_eq!(output.status.code(), Some(0));
    // In the same directory, the bad file is read, and its error names it.
    let output = run(outer.path(), &["rules"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("rules.yaml"));
}

#[test]
fn the_json_report_names_the_rules_file() {
    let repo = repository();
    let (_, report, _) = pre_commit(repo.path(), &["lists/bad.csv"]);
    assert_eq!(report.unwrap()["rules_file"], "rules.yaml");
    std::fs::remove_file(repo.path().join("rules.yaml")).unwrap();
    let (_, report, _) = pre_commit(repo.path(), &["lists/bad.csv"]);
    assert_eq!(report.unwrap()["rules_file"], Value::Null);
}

/// .pre-commit-hooks.yaml: each hook runs `bouncegate pre-commit` on every staged file (no
/// `files:` pattern of its own), a `language: system` variant exists for an installed binary,
/// and each names the oldest pre-commit that runs it.
#[test]
fn the_hooks_filter_nothing_themselves() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    let hooks: Vec<Value> = serde_saphyr::from_str(&text).unwrap();
    assert!(hooks.len() >= 2);
    for hook in &hooks {
        let id = &hook["id"];
        assert!(
            hook["entry"]
                .as_str()
                .unwrap()
                .starts_with("bouncegate pre-commit"),
            "{id}"
        );
        assert!(
            hook.get("files").is_none(),
            "{id}: the globs of rules.yaml decide"
        );
        assert_eq!(hook["pass_filenames"], true, "{id}");
        // language: rust exists in pre-commit since 2.21.0.
        assert_eq!(hook["minimum_pre_commit_version"], "2.21.0", "{id}");
    }
    for language in ["rust", "system"] {
        assert!(
            hooks.iter().any(|hook| hook["language"] == language),
            "a {language} hook"
        );
    }
}

/// A list in `lists/` that is a link to a file elsewhere in the repository is still a list:
/// the globs see where it is, not where it points.
#[test]
#[cfg(unix)]
fn a_staged_link_in_the_lists_folder_is_a_list() {
    let repo = repository();
    std::fs::write(repo.path().join("docs/imported.csv"), "email\ndan@gmail\n").unwrap();
    std::os::unix::fs::symlink(
        "../docs/imported.csv",
        repo.path().join("lists/imported.csv"),
    )
    .unwrap();
    let (status, report, stdout) = pre_commit(repo.path(), &["lists/imported.csv"]);
    assert_eq!(status, Some(1), "{stdout}");
    assert_eq!(checked_lists(&report.unwrap()), ["lists/imported.csv"]);
}
