//! CLI tests as data: each folder under tests/cases/ is a case, run with the built binary in
//! that folder. Its `case` file says what to run and what must come out:
//!
//! ```text
//! args: check lists --history bounces     # one line, split on spaces
//! exit: 1
//! finding: lists/a.csv:3 error historic-hard   # every finding, exactly (JSON report)
//! findings: none                               # or: there is none
//! stats: lists/a.csv rows_read=4 addresses=3   # the named per-list statistics
//! stdout: some text                            # stdout contains it
//! stdout-lacks: some text                      # stdout does not contain it
//! stderr: some text                            # stderr contains it
//! ```
//!
//! For `check`, the harness adds `--format json` whenever the case lists findings or stats,
//! and then the findings must match exactly: a case cannot pass by saying nothing. It also
//! adds `--offline`: these cases are about everything but DNS, which tests/dns.rs covers
//! against a DNS server of its own (the tests never ask the machine's resolver).

mod support {
    pub mod bin;
}

use std::path::Path;

use serde_json::Value;

#[derive(Default)]
struct Case {
    args: Vec<String>,
    exit: Option<i32>,
    findings: Vec<String>,
    /// `findings: none`: the report must hold no finding.
    no_findings: bool,
    stats: Vec<String>,
    stdout: Vec<String>,
    stdout_lacks: Vec<String>,
    stderr: Vec<String>,
}

fn parse_case(text: &str) -> Case {
    let mut case = Case::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(':').expect("case lines are `key: value`");
        let value = value.trim().to_owned();
        match key {
            "args" => case.args = split_args(&value),
            "exit" => case.exit = Some(value.parse().expect("exit code")),
            "finding" => case.findings.push(value),
            "findings" if value == "none" => case.no_findings = true,
            "stats" => case.stats.push(value),
            "stdout" => case.stdout.push(value),
            "stdout-lacks" => case.stdout_lacks.push(value),
            "stderr" => case.stderr.push(value),
            other => panic!("unknown case key {other:?}"),
        }
    }
    assert!(!case.args.is_empty(), "a case needs args");
    assert!(case.exit.is_some(), "a case needs an exit code");
    case
}

/// Split on spaces, keeping "double-quoted words" together.
fn split_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !current.is_empty() {
                    args.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        args.push(current);
    }
    args
}

fn finding_line(finding: &Value) -> String {
    let location = match finding["line"].as_u64() {
        Some(line) => format!("{}:{line}", finding["file"].as_str().unwrap()),
        None => finding["file"].as_str().unwrap().to_owned(),
    };
    format!(
        "{location} {} {}",
        finding["severity"].as_str().unwrap(),
        finding["code"].as_str().unwrap()
    )
}

fn run_case(dir: &Path) -> Result<(), String> {
    let case = parse_case(&std::fs::read_to_string(dir.join("case")).unwrap());
    let mut args = case.args.clone();
    let wants_json = !case.findings.is_empty() || case.no_findings || !case.stats.is_empty();
    if args[0] == "check" {
        args.push("--offline".to_owned());
        if wants_json {
            args.extend(["--format".to_owned(), "json".to_owned()]);
        }
    }
    let output = support::bin::bouncegate()
        .args(&args)
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = || format!("args: {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    if output.status.code() != case.exit {
        return Err(format!(
            "exit code {:?}, expected {:?}\n{}",
            output.status.code(),
            case.exit,
            context()
        ));
    }
    for wanted in &case.stdout {
        if !stdout.contains(wanted.as_str()) {
            return Err(format!("stdout lacks {wanted:?}\n{}", context()));
        }
    }
    for unwanted in &case.stdout_lacks {
        if stdout.contains(unwanted.as_str()) {
            return Err(format!("stdout holds {unwanted:?}\n{}", context()));
        }
    }
    for wanted in &case.stderr {
        if !stderr.contains(wanted.as_str()) {
            return Err(format!("stderr lacks {wanted:?}\n{}", context()));
        }
    }
    if !wants_json {
        return Ok(());
    }
    let report: Value = serde_json::from_str(&stdout)
        .map_err(|e| format!("the JSON report does not parse: {e}\n{}", context()))?;

    let mut found: Vec<String> = report["lists"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|list| list["findings"].as_array().unwrap())
        .chain(report["history"]["findings"].as_array().unwrap())
        .map(finding_line)
        .collect();
    let mut expected = case.findings.clone();
    found.sort();
    expected.sort();
    if found != expected {
        return Err(format!(
            "findings differ\n  found:    {found:#?}\n  expected: {expected:#?}\n{}",
            context()
        ));
    }

    for line in &case.stats {
        let mut parts = line.split_whitespace();
        let path = parts.next().unwrap();
        let list = report["lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["path"] == path)
            .ok_or_else(|| format!("no list {path} in the report\n{}", context()))?;
        for pair in parts {
            let (key, want) = pair.split_once('=').unwrap();
            let got = &list["stats"][key];
            let shown = got.as_str().map_or_else(|| got.to_string(), str::to_owned);
            if shown != want {
                return Err(format!(
                    "{path}: {key} = {got}, expected {want}\n{}",
                    context()
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn cli_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("case").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "the cases folder lost its cases");
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|dir| {
            run_case(dir).err().map(|error| {
                format!(
                    "case {}: {error}",
                    dir.file_name().unwrap().to_string_lossy()
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_test_starts_the_binary_in_a_cleared_environment() {
    // Spelled in two pieces, so that this file does not match itself.
    let direct = ["Command::new(env!(\"CARGO_BIN_EXE_", "bouncegate\"))"].concat();
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for entry in std::fs::read_dir(&tests).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains(&direct),
                "{}: start the binary through support::bin, which clears the environment",
                path.display()
            );
        }
    }
}
