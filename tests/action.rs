//! The composite action, run as GitHub would run it: each `run:` step of action.yml goes to
//! bash (`--noprofile --norc -eo pipefail`) with the env its `env:` mapping gives, in a
//! simulated GitHub environment (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE, a
//! fixture repository with git history). `uses:` steps (actions/cache) are skipped, and the
//! build step is replaced by the binary this test suite built.
//!
//! The `${{ }}` expressions of action.yml only ever appear in `env:`, `with:`, `if:` and
//! `working-directory:`; a test below proves no `run:` script holds one.

mod support {
    pub mod git;
}

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::git::git;

fn action() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("action.yml parses")
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

struct Run {
    /// RUNNER_TEMP, kept while the run's files are read.
    _temp: tempfile::TempDir,
    status: i32,
    stdout: String,
    outputs: HashMap<String, String>,
    summary: String,
}

/// Parse `name<<DELIM\nvalue\nDELIM` and `name=value` lines as GitHub does.
fn parse_outputs(text: &str) -> HashMap<String, String> {
    let mut outputs = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for line in lines.by_ref() {
                if line == delimiter {
                    break;
                }
                value.push(line);
            }
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_owned(), value.to_owned());
        }
    }
    outputs
}

/// Evaluate the few `${{ }}` expressions action.yml uses.
fn evaluate(text: &str, context: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let expression = rest[start + 3..end].trim();
        let value = context
            .get(expression)
            .unwrap_or_else(|| panic!("the simulation does not know {expression}"));
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn run_action(repo: &Path, inputs: &[(&str, &str)], event_base: Option<&str>) -> Run {
    let action = action();
    let temp = tempfile::tempdir().unwrap();
    let output_file = temp.path().join("output");
    let summary_file = temp.path().join("summary");
    std::fs::write(&output_file, "").unwrap();
    std::fs::write(&summary_file, "").unwrap();

    let mut context: HashMap<String, String> = HashMap::new();
    for (name, spec) in action["inputs"].as_object().unwrap() {
        let default = spec["default"].as_str().unwrap_or_default().to_owned();
        context.insert(format!("inputs.{name}"), default);
    }
    for (name, value) in inputs {
        context.insert(format!("inputs.{name}"), (*value).to_owned());
    }
    context.insert(
        "github.event.pull_request.base.sha".into(),
        event_base.unwrap_or_default().to_owned(),
    );

    let base_env = [
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_OUTPUT", output_file.display().to_string()),
        ("GITHUB_STEP_SUMMARY", summary_file.display().to_string()),
        ("GITHUB_WORKSPACE", repo.display().to_string()),
        ("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR").to_owned()),
        ("RUNNER_TEMP", temp.path().display().to_string()),
        ("RUNNER_OS", "Linux".to_owned()),
        ("RUNNER_ARCH", "X64".to_owned()),
    ];
    let mut stdout = String::new();
    let mut status = 0;
    for step in action["runs"]["steps"].as_array().unwrap() {
        let Some(script) = step["run"].as_str() else {
            continue; // actions/cache: nothing to restore in a test
        };
        let id = step["id"].as_str().unwrap_or_default();
        if step["name"] == "Build bouncegate" {
            // Stands in for `cargo install`: the binary this suite already built.
            let bin_dir = PathBuf::from(&context["steps.key.outputs.bin"]).join("bin");
            std::fs::create_dir_all(&bin_dir).unwrap();
            std::os::unix::fs::symlink(
                env!("CARGO_BIN_EXE_bouncegate"),
                bin_dir.join("bouncegate"),
            )
            .unwrap();
            continue;
        }
        let script_file = temp.path().join(format!("step-{id}.sh"));
        std::fs::write(&script_file, script).unwrap();
        let directory = step["working-directory"]
            .as_str()
            .map(|dir| repo.join(evaluate(dir, &context)))
            .unwrap_or_else(|| repo.to_path_buf());
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(directory)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("HOME", std::env::var("HOME").unwrap_or_default());
        for (name, value) in &base_env {
            command.env(name, value);
        }
        if let Some(env) = step["env"].as_object() {
            for (name, value) in env {
                command.env(name, evaluate(value.as_str().unwrap(), &context));
            }
        }
        // The outputs file is per step: start it empty, read it after.
        std::fs::write(&output_file, "").unwrap();
        let output = command.output().unwrap();
        stdout.push_str(&String::from_utf8_lossy(&output.stdout));
        stdout.push_str(&String::from_utf8_lossy(&output.stderr));
        let step_outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
        for (name, value) in step_outputs {
            context.insert(format!("steps.{id}.outputs.{name}"), value);
        }
        status = output.status.code().unwrap_or(-1);
        if status != 0 {
            break;
        }
    }
    let outputs = context
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("steps.check.outputs.")
                .map(|n| (n.to_owned(), v.clone()))
        })
        .collect();
    Run {
        summary: std::fs::read_to_string(&summary_file).unwrap(),
        _temp: temp,
        status,
        stdout,
        outputs,
    }
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
    assert_eq!(run.status, 1, "{}", run.stdout);
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

    // One annotation on the bad line, its file name escaped so that it stays one property.
    let annotation = run
        .stdout
        .lines()
        .find(|line| line.starts_with("::error file="))
        .unwrap_or_else(|| panic!("no annotation in:\n{}", run.stdout));
    assert!(
        annotation
            .starts_with("::error file=lists/$(touch PWNED_NAME) \"q\" %250A%2Cx%3Ay.csv,line=2,"),
        "{annotation}"
    );
    assert!(
        run.stdout.contains("::notice title=bouncegate::"),
        "{}",
        run.stdout
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
    assert_eq!(run.status, 0, "{}", run.stdout);
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
        assert!(
            !canary.exists(),
            "input {input} ran as code:\n{}",
            run.stdout
        );
        // The value reached bouncegate as data, and bouncegate said what it could not use.
        assert_eq!(run.status, 2, "{input}: {}", run.stdout);
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
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("::error file=team/lists/-q.csv,line=2,"),
        "annotations are relative to the repository root:\n{}",
        run.stdout
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
