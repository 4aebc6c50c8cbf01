//! The composite action, run as GitHub would run it: each `run:` step of action.yml goes to
//! bash (`--noprofile --norc -eo pipefail`) with the env its `env:` mapping gives, in a
//! simulated GitHub environment (GITHUB_OUTPUT per step, GITHUB_STEP_SUMMARY,
//! GITHUB_WORKSPACE, RUNNER_TEMP) and a cleared process environment. A step runs when its
//! `if:` holds (the simulation evaluates the `==`, `!=` and `&&` that action.yml uses).
//! `uses:` steps (actions/cache) are skipped, as a cache miss, and the build step is replaced
//! by the binary this test suite built, saying so in the log.
//!
//! The `${{ }}` expressions of action.yml only ever appear in `env:`, `with:`, `if:` and
//! `working-directory:`; tests/action.rs proves no `run:` script holds one.

#![allow(dead_code)] // each test binary uses what it needs

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// action.yml, parsed.
pub fn action() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("action.yml parses")
}

/// What a run of the action left.
pub struct Run {
    /// RUNNER_TEMP, kept while the run's files are read.
    pub temp: tempfile::TempDir,
    /// The exit code of the last step that ran.
    pub status: i32,
    /// Every step's stdout, in order.
    pub stdout: String,
    /// Each step's stdout, by step id.
    pub step_stdout: HashMap<String, String>,
    /// Every step's stdout then stderr, step by step: the job log.
    pub log: String,
    /// The outputs of the `check` step.
    pub outputs: HashMap<String, String>,
    /// Every step's outputs, as `id.name`.
    pub step_outputs: HashMap<String, String>,
    /// The job summary.
    pub summary: String,
}

impl Run {
    /// The JSON report the check step writes to RUNNER_TEMP.
    pub fn report(&self) -> Value {
        let path = self.temp.path().join("bouncegate-report.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }
}

/// What the log says when the simulated build step ran.
pub const BUILT_FROM_SOURCE: &str = "simulation: built bouncegate from source";

/// The runner's context beyond the inputs.
#[derive(Default)]
pub struct Runner<'a> {
    /// Run as a pull request against this base.
    pub pull_request_base: Option<&'a str>,
    /// `github.action_ref`: the tag or branch the workflow's `uses:` names ("" for `uses: ./`).
    pub action_ref: &'a str,
    /// GITHUB_SERVER_URL, where releases are downloaded from ("" for none).
    pub server_url: &'a str,
}

/// Run the action's steps in `repo` with `inputs` (the others take their defaults), as a
/// pull request against `pull_request_base` when given.
pub fn run(repo: &Path, inputs: &[(&str, &str)], pull_request_base: Option<&str>) -> Run {
    let runner = Runner {
        pull_request_base,
        ..Runner::default()
    };
    run_as(repo, inputs, &runner)
}

/// Run the action's steps in `repo` with `inputs` on `runner`.
pub fn run_as(repo: &Path, inputs: &[(&str, &str)], runner: &Runner) -> Run {
    let action = action();
    let temp = tempfile::tempdir().unwrap();
    let output_file = temp.path().join("output");
    let summary_file = temp.path().join("summary");
    std::fs::write(&summary_file, "").unwrap();

    let mut context: HashMap<String, String> = HashMap::new();
    context.insert(
        "github.event.pull_request.base.sha".into(),
        runner.pull_request_base.unwrap_or_default().to_owned(),
    );
    context.insert("github.token".into(), "simulated-token".into());
    context.insert("github.action_ref".into(), runner.action_ref.into());
    context.insert(
        "github.action_repository".into(),
        "bouncegate/bouncegate".into(),
    );
    for (name, spec) in action["inputs"].as_object().unwrap() {
        let default = evaluate(spec["default"].as_str().unwrap_or_default(), &context);
        context.insert(format!("inputs.{name}"), default);
    }
    for (name, value) in inputs {
        context.insert(format!("inputs.{name}"), (*value).to_owned());
    }

    let base_env = [
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_OUTPUT", output_file.display().to_string()),
        ("GITHUB_STEP_SUMMARY", summary_file.display().to_string()),
        ("GITHUB_WORKSPACE", repo.display().to_string()),
        ("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR").to_owned()),
        ("RUNNER_TEMP", temp.path().display().to_string()),
        ("RUNNER_OS", "Linux".to_owned()),
        ("RUNNER_ARCH", "X64".to_owned()),
        ("GITHUB_SERVER_URL", runner.server_url.to_owned()),
        ("GITHUB_API_URL", format!("{}/api", runner.server_url)),
    ];
    let mut stdout = String::new();
    let mut step_stdouts = HashMap::new();
    let mut log = String::new();
    let mut status = 0;
    for step in action["runs"]["steps"].as_array().unwrap() {
        if let Some(condition) = step["if"].as_str()
            && !holds(condition, &context)
        {
            continue;
        }
        let Some(script) = step["run"].as_str() else {
            continue; // actions/cache: a miss, nothing to restore in a test
        };
        let id = step["id"].as_str().unwrap_or_default();
        if step["name"] == "Build bouncegate" {
            // Stands in for `cargo install`: the binary this suite already built.
            let bin_dir = PathBuf::from(&context["steps.key.outputs.bin"]).join("bin");
            std::fs::create_dir_all(&bin_dir).unwrap();
            std::os::unix::fs::symlink(super::bin::path(), bin_dir.join("bouncegate")).unwrap();
            log.push_str(BUILT_FROM_SOURCE);
            log.push('\n');
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
        let step_stdout = String::from_utf8_lossy(&output.stdout);
        stdout.push_str(&step_stdout);
        log.push_str(&step_stdout);
        step_stdouts.insert(id.to_owned(), step_stdout.into_owned());
        log.push_str(&String::from_utf8_lossy(&output.stderr));
        let step_outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
        for (name, value) in step_outputs {
            context.insert(format!("steps.{id}.outputs.{name}"), value);
        }
        status = output.status.code().unwrap_or(-1);
        if status != 0 {
            break;
        }
    }
    let step_outputs = context
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("steps.")
                .map(|n| (n.replacen(".outputs.", ".", 1), v.clone()))
        })
        .collect();
    let outputs = context
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("steps.check.outputs.")
                .map(|n| (n.to_owned(), v.clone()))
        })
        .collect();
    Run {
        summary: std::fs::read_to_string(&summary_file).unwrap(),
        temp,
        status,
        stdout,
        step_stdout: step_stdouts,
        log,
        outputs,
        step_outputs,
    }
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

/// Whether an `if:` holds: clauses `a == 'x'` or `a != 'x'` joined by `&&`, where `a` is a
/// context name (an unset step output is "", as on GitHub).
fn holds(condition: &str, context: &HashMap<String, String>) -> bool {
    condition.split("&&").all(|clause| {
        let (name, equal, literal) = if let Some((name, literal)) = clause.split_once("!=") {
            (name, false, literal)
        } else if let Some((name, literal)) = clause.split_once("==") {
            (name, true, literal)
        } else {
            panic!("the simulation does not know the condition {clause:?}")
        };
        let literal = literal.trim().trim_matches('\'');
        let value = context.get(name.trim()).map(String::as_str).unwrap_or("");
        (value == literal) == equal
    })
}

/// Evaluate the few `${{ }}` expressions action.yml uses.
fn evaluate(text: &str, context: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let expression = rest[start + 3..end].trim();
        // A step output that was never set is "", as on GitHub; anything else must be known.
        let value = match context.get(expression) {
            Some(value) => value.as_str(),
            None if expression.starts_with("steps.") => "",
            None => panic!("the simulation does not know {expression}"),
        };
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}
