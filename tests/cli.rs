//! CLI tests as data: each folder under tests/cases/ is a case, run with the built binary in
//! that folder. Its `case` file says what to run and what must come out:
//!
//! ```text
//! args: check lists --history bounces     # one line, split on spaces
//! exit: 1
//! finding: lists/a.csv:3 error historic-hard bob@x.com evidence=bounces/h.csv:2 evidence.reason=userunknown
//! findings: none                          # or: there is none
//! totals: lists=1 rows_read=4 ...         # every run total
//! stats: lists/a.csv rows_read=4 addresses=3   # named per-list statistics, if the case is about them
//! report: none                            # instead of the three above: the run stops before a report
//! stdout: some text                       # stdout contains it
//! stdout-lacks: some text                 # stdout does not contain it
//! stderr: some text                       # stderr contains it
//! ```
//!
//! A case says everything it expects: each `check` case is run as written (for the exit code,
//! stdout and stderr) and again with `--format json`, whose findings must be exactly the case's
//! `finding:` lines, and whose totals must be the case's `totals:`. A finding is written as
//! `file:line severity code [address]` and then every field of its reason, keys in
//! alphabetical order: the counts, first line, days, rate and the history row that proves it.
//! A new finding, or a changed count, fails the case.
//!
//! Every `check` also gets `--offline`: these cases are about everything but DNS, which
//! tests/dns.rs covers against a DNS server of its own (the tests never ask the machine's
//! resolver).

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
    /// `totals:` every run total, as `key=value` pairs.
    totals: Option<String>,
    /// `report: none`: the run stops before any report (a bad rules file, no list).
    no_report: bool,
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
            "totals" => case.totals = Some(value),
            "report" if value == "none" => case.no_report = true,
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

/// A finding as a case states it: `file:line severity code [address] key=value...`, where the
/// pairs are the reason's fields (counts, first line, days, rate, the history row that proves
/// it), so that a case says everything the finding means, not just where it is.
fn finding_line(finding: &Value) -> String {
    let location = match finding["line"].as_u64() {
        Some(line) => format!("{}:{line}", finding["file"].as_str().unwrap()),
        None => finding["file"].as_str().unwrap().to_owned(),
    };
    let mut words = vec![
        location,
        finding["severity"].as_str().unwrap().to_owned(),
        finding["code"].as_str().unwrap().to_owned(),
    ];
    if let Some(address) = finding["address"].as_str() {
        words.push(address.to_owned());
    }
    for (key, value) in finding["reason"].as_object().unwrap() {
        if key != "kind" {
            reason_words(key, value, &mut words);
        }
    }
    words.join(" ")
}

/// `key=value` words for one field of a reason. A history row that proves a finding is
/// `key=file:line` plus its bounce reason; a nested problem or error gives its fields but its
/// code, which is the finding's code already.
fn reason_words(key: &str, value: &Value, words: &mut Vec<String>) {
    match value {
        Value::Object(fields) if fields.contains_key("file") => {
            words.push(format!(
                "{key}={}:{}",
                plain(&fields["file"]),
                plain(&fields["line"])
            ));
            words.push(format!("{key}.reason={}", plain(&fields["reason"])));
        }
        Value::Object(fields) => {
            for (inner, value) in fields.iter().filter(|(inner, _)| *inner != "code") {
                words.push(format!("{key}.{inner}={}", plain(value)));
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(plain).collect();
            words.push(format!("{key}={}", items.join(",")));
        }
        _ => words.push(format!("{key}={}", plain(value))),
    }
}

/// A JSON value as a case writes it: strings without quotes.
fn plain(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// Run the binary in the case's folder; `check` runs offline (see the top of this file).
fn run(dir: &Path, args: &[String]) -> Result<Run, String> {
    let mut args = args.to_vec();
    if args[0] == "check" {
        args.push("--offline".to_owned());
    }
    let output = support::bin::bouncegate()
        .args(&args)
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    Ok(Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        args,
    })
}

struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn context(&self) -> String {
        format!(
            "args: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.stdout, self.stderr
        )
    }
}

fn run_case(dir: &Path) -> Result<(), String> {
    let case = parse_case(&std::fs::read_to_string(dir.join("case")).unwrap());
    let run_as_written = run(dir, &case.args)?;
    if run_as_written.code != case.exit {
        return Err(format!(
            "exit code {:?}, expected {:?}\n{}",
            run_as_written.code,
            case.exit,
            run_as_written.context()
        ));
    }
    let stdout = &run_as_written.stdout;
    for wanted in &case.stdout {
        if !stdout.contains(wanted.as_str()) {
            return Err(format!(
                "stdout lacks {wanted:?}\n{}",
                run_as_written.context()
            ));
        }
    }
    for unwanted in &case.stdout_lacks {
        if stdout.contains(unwanted.as_str()) {
            return Err(format!(
                "stdout holds {unwanted:?}\n{}",
                run_as_written.context()
            ));
        }
    }
    for wanted in &case.stderr {
        if !run_as_written.stderr.contains(wanted.as_str()) {
            return Err(format!(
                "stderr lacks {wanted:?}\n{}",
                run_as_written.context()
            ));
        }
    }
    let states_report = !case.findings.is_empty()
        || case.no_findings
        || case.totals.is_some()
        || !case.stats.is_empty();
    if case.args[0] != "check" {
        return match states_report {
            true => Err("only a `check` case has a report to state".to_owned()),
            false => Ok(()),
        };
    }

    // Every check case states its whole report, whatever format it runs in: the same run
    // again as JSON.
    let mut json_args = case.args.clone();
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let json_run = run(dir, &json_args)?;
    if json_run.code != case.exit {
        return Err(format!(
            "as JSON: exit code {:?}\n{}",
            json_run.code,
            json_run.context()
        ));
    }
    if case.no_report {
        return match (states_report, json_run.stdout.is_empty()) {
            (false, true) => Ok(()),
            (true, _) => Err("`report: none` and a stated report contradict".to_owned()),
            (false, false) => Err(format!("a report came out\n{}", json_run.context())),
        };
    }
    if case.findings.is_empty() && !case.no_findings {
        return Err("a check case lists its findings, or says `findings: none`".to_owned());
    }
    let Some(totals) = &case.totals else {
        return Err("a check case states its `totals:`".to_owned());
    };
    let report: Value = serde_json::from_str(&json_run.stdout).map_err(|e| {
        format!(
            "the JSON report does not parse: {e}\n{}",
            json_run.context()
        )
    })?;
    let context = || json_run.context();

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

    let stated_totals = compare_fields("totals", &report["totals"], totals, context)?;
    let all_totals = report["totals"].as_object().unwrap().len();
    if stated_totals != all_totals {
        return Err(format!(
            "`totals:` names {stated_totals} of the {all_totals} totals: name them all\n  {}",
            fields_line(&report["totals"])
        ));
    }
    for line in &case.stats {
        let (path, pairs) = line.split_once(' ').unwrap_or((line, ""));
        let list = report["lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["path"] == path)
            .ok_or_else(|| format!("no list {path} in the report\n{}", context()))?;
        compare_fields(path, &list["stats"], pairs, context)?;
    }
    Ok(())
}

/// Compare `key=value` pairs with the fields of a JSON object; returns how many were named.
fn compare_fields(
    what: &str,
    object: &Value,
    pairs: &str,
    context: impl Fn() -> String,
) -> Result<usize, String> {
    let mut named = 0;
    for pair in pairs.split_whitespace() {
        let (key, want) = pair
            .split_once('=')
            .ok_or_else(|| format!("{what}: {pair:?} is not key=value"))?;
        let got = object
            .get(key)
            .ok_or_else(|| format!("{what}: there is no {key}"))?;
        if plain(got) != want {
            return Err(format!(
                "{what}: {key} = {got}, expected {want}\n{}",
                context()
            ));
        }
        named += 1;
    }
    Ok(named)
}

/// The scalar fields of an object as `key=value` pairs.
fn fields_line(object: &Value) -> String {
    let pairs: Vec<String> = object
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, value)| !value.is_object())
        .map(|(key, value)| format!("{key}={}", plain(value)))
        .collect();
    pairs.join(" ")
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
