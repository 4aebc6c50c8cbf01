//! The composite action on a fixture repository with git history, run as GitHub would run it
//! (tests/support/action.rs simulates the runner).
#![cfg(unix)] // the simulated runner is bash with Unix paths

mod support {
    pub mod action;
    pub mod bin;
    pub mod git;
}

use std::path::Path;

use serde_json::Value;
use support::action::{Run, action};
use support::git::git;

/// The action's steps in `repo`, as a pull request against `base` when given.
fn run_action(repo: &Path, inputs: &[(&str, &str)], base: Option<&str>) -> Run {
    support::action::run(repo, inputs, base)
}

const HOSTILE_NAME: &str = "lists/$(touch PWNED_NAME) \"q\" %0A,x:y.csv";

/// A repository whose `main` has a clean list, and a branch that adds a list with a bad
/// address under a hostile file name, and a historic hard bounce.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("lists")).unwrap();
    std::fs::create_dir_all(root.join("bounces")).unwrap();
    let good: String = (0..60).map(|n| format!("user{n}@gmail.com\n")).collect();
    std::fs::write(root.join("lists/news.csv"), format!("email\n{good}")).unwrap();
    std::fs::write(
        root.join("bounces/history.csv"),
        "email,timestamp,smtp_code,diagnostic\nuser7@gmail.com,2026-03-02,550,user unknown\n",
    )
    .unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "lists"]);
    git(root, &["checkout", "-qb", "import"]);
    std::fs::write(
        root.join(HOSTILE_NAME),
        "email\nann@gmail\nbob@outlook.com\n",
    )
    .unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "import"]);
    dir
}

#[test]
fn no_run_script_holds_an_expression() {
    for step in action()["runs"]["steps"].as_array().unwrap() {
        if let Some(script) = step["run"].as_str() {
            assert!(
                !script.contains("${{"),
                "step {:?} puts an expression in its script: pass it through env",
                step["name"]
            );
        }
    }
}

#[test]
fn a_pull_request_with_a_bad_import_fails_with_annotations_summary_and_outputs() {
    let repo = fixture();
    let sarif = "results.sarif";
    let run = run_action(
        repo.path(),
        &[("offline", "true"), ("sarif-file", sarif)],
        Some("main"),
    );
    assert_eq!(run.status, 1, "{}", run.log);
    assert_eq!(run.outputs["result"], "fail");
    assert_eq!(run.outputs["predicted-hard"], "1");
    assert_eq!(
        run.outputs["historic-hard"], "0",
        "news.csv did not change: not checked"
    );
    assert!(Path::new(&run.outputs["report"]).is_file());
    let report: Value =
        serde_json::from_slice(&std::fs::read(&run.outputs["report"]).unwrap()).unwrap();
    assert_eq!(report["scope"]["lists_unchanged"], 1);

    // The rate that failed the gate first, then one annotation on the bad line; the file
    // name escaped so that it stays one property.
    let file = "lists/$(touch PWNED_NAME) \"q\" %250A%2Cx%3Ay.csv";
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("::error file="))
        .collect();
    assert_eq!(errors.len(), 3, "{}", run.log);
    assert!(
        errors[0].starts_with(&format!(
            "::error file={file},title=bouncegate added-bounce-rate::"
        )),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with(&format!(
            "::error file={file},title=bouncegate bounce-rate::"
        )),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].starts_with(&format!("::error file={file},line=2,")),
        "{}",
        errors[2]
    );
    assert!(
        run.log.contains("::notice title=bouncegate::"),
        "{}",
        run.log
    );
    assert!(
        run.summary.contains("fail") || run.summary.contains("FAIL"),
        "{}",
        run.summary
    );
    assert!(
        repo.path().join(sarif).is_file(),
        "the SARIF file is written"
    );
    assert!(!repo.path().join("lists/PWNED_NAME").exists());
    assert!(
        !repo.path().join("PWNED_NAME").exists(),
        "a file name ran as code"
    );
}

#[test]
fn fail_false_keeps_the_step_green_and_the_outputs_say_fail() {
    let repo = fixture();
    let run = run_action(repo.path(), &[("offline", "true"), ("fail", "false")], None);
    assert_eq!(run.status, 0, "{}", run.log);
    assert_eq!(run.outputs["result"], "fail");
    // Without a pull request, every list is checked: the historic hard bounce shows.
    assert_eq!(run.outputs["historic-hard"], "1");
}

#[test]
fn hostile_inputs_execute_nothing() {
    let repo = fixture();
    let canary = repo.path().join("PWNED_INPUT");
    let hostile = [
        (
            "paths",
            "lists/news.csv\n$(touch PWNED_INPUT)\n`touch PWNED_INPUT`",
        ),
        ("history", "bounces\n\"; touch PWNED_INPUT; \""),
        ("max-bounce-rate", "0.02; touch PWNED_INPUT"),
        ("rules", "$(touch PWNED_INPUT).yaml"),
    ];
    for (input, value) in hostile {
        let run = run_action(repo.path(), &[("offline", "true"), (input, value)], None);
        assert!(!canary.exists(), "input {input} ran as code:\n{}", run.log);
        // The value reached bouncegate as data, and bouncegate said what it could not use.
        assert_eq!(run.status, 2, "{input}: {}", run.log);
    }
}

#[test]
fn in_a_working_directory_annotations_name_repository_paths() {
    let repo = fixture();
    let sub = repo.path().join("team");
    std::fs::create_dir_all(sub.join("lists")).unwrap();
    // A file name that starts with a dash must be a path, not an option.
    std::fs::write(sub.join("lists/-q.csv"), "email\nann@gmail\n").unwrap();
    let run = run_action(
        repo.path(),
        &[
            ("offline", "true"),
            ("working-directory", "team"),
            ("paths", "lists/-q.csv"),
        ],
        None,
    );
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log.contains("::error file=team/lists/-q.csv,line=2,"),
        "annotations are relative to the repository root:\n{}",
        run.log
    );
}

#[test]
fn list_data_cannot_inject_workflow_commands() {
    let repo = fixture();
    std::fs::write(
        repo.path().join("lists/evil.csv"),
        "email\n\"x@y\n::error file=a.txt,line=1::INJECTED\"\n",
    )
    .unwrap();
    let run = run_action(
        repo.path(),
        &[("offline", "true"), ("paths", "lists/evil.csv")],
        None,
    );
    // The raw report is printed between ::stop-commands:: and its token, so the runner
    // ignores a command inside it; the escaped annotations come after.
    let stop = run
        .stdout
        .lines()
        .position(|line| line.starts_with("::stop-commands::"))
        .expect("command processing is stopped around the report");
    let token = run.stdout.lines().nth(stop).unwrap()["::stop-commands::".len()..].to_owned();
    let resume = run
        .stdout
        .lines()
        .position(|line| line == format!("::{token}::"))
        .expect("and resumed after it");
    for (n, line) in run.stdout.lines().enumerate() {
        if line.starts_with("::error file=a.txt") {
            assert!(
                stop < n && n < resume,
                "an injected command outside the stopped part: {line}"
            );
        }
    }
    assert!(token.len() > 30, "the token is long and random: {token}");
}

/// A bad rules.yaml stops the run (exit 2): the action annotates the file and line, the job
/// summary says what failed, and the outputs say `result=error`.
#[test]
fn a_bad_rules_file_is_an_annotation_on_its_line_and_result_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::write(root.join("lists/a.csv"), "email\nann@gmail.com\n").unwrap();
    std::fs::write(root.join("rules.yaml"), "policy:\n  max_bounce_rat: 0.1\n").unwrap();
    let run = run_action(root, &[("offline", "true")], None);
    assert_eq!(run.status, 2, "{}", run.log);
    assert!(
        run.log.lines().any(|line| line
            .starts_with("::error file=rules.yaml,line=2,title=bouncegate could not run::")),
        "{}",
        run.log
    );
    assert!(
        run.summary.contains("bouncegate could not run"),
        "{}",
        run.summary
    );
    assert_eq!(run.outputs["result"], "error");
}

/// The README's matrix: shard jobs upload their reports, one job downloads them (a directory
/// per artifact) and merges. The merge job says what one unsharded run says.
#[test]
fn shard_jobs_and_a_merge_job_say_what_one_run_says() {
    let repo = fixture();
    let one = run_action(repo.path(), &[("offline", "true")], None);
    assert_eq!(one.status, 1, "{}", one.log);

    let downloads = tempfile::tempdir().unwrap();
    for index in 1..=3 {
        let shard = format!("{index}/3");
        let run = run_action(repo.path(), &[("offline", "true"), ("shard", &shard)], None);
        assert_eq!(run.status, 0, "shard {shard}: {}", run.log);
        assert_eq!(run.outputs["result"], "shard");
        assert!(
            !run.stdout.contains("::error") && run.summary.is_empty(),
            "a shard speaks only through its report: {}",
            run.log
        );
        let artifact = downloads.path().join(format!("bouncegate-shard-{index}"));
        std::fs::create_dir_all(&artifact).unwrap();
        let report = Path::new(&run.outputs["report"]);
        assert!(report.ends_with(format!("bouncegate-shard-{index}-3.json")));
        std::fs::copy(report, artifact.join(report.file_name().unwrap())).unwrap();
    }

    let merged = run_action(
        repo.path(),
        &[("merge", &downloads.path().display().to_string())],
        None,
    );
    assert_eq!(merged.status, one.status, "{}", merged.log);
    for output in [
        "result",
        "predicted-hard",
        "historic-hard",
        "findings",
        "bounce-rate",
    ] {
        assert_eq!(merged.outputs[output], one.outputs[output], "{output}");
    }
    let annotations = |run: &Run| -> Vec<String> {
        run.stdout
            .lines()
            .filter(|line| line.starts_with("::error") || line.starts_with("::warning"))
            .map(str::to_owned)
            .collect()
    };
    assert!(!annotations(&one).is_empty());
    assert_eq!(annotations(&merged), annotations(&one));
    assert_eq!(merged.summary, one.summary);

    // A missing shard (its job failed) stops the merge with an error, never a pass.
    std::fs::remove_dir_all(downloads.path().join("bouncegate-shard-2")).unwrap();
    let incomplete = run_action(
        repo.path(),
        &[
            ("merge", &downloads.path().display().to_string()),
            ("fail", "false"),
        ],
        None,
    );
    assert_eq!(incomplete.status, 2, "{}", incomplete.log);
    assert!(
        incomplete.log.contains("shard 2 of 3 is missing"),
        "{}",
        incomplete.log
    );
}
