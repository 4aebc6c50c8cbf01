//! The SARIF log on hand-built reports: what GitHub code scanning needs, the rules, the cap on
//! results and the artifact URIs.

use std::collections::HashSet;

use serde_json::Value;

use super::*;
use crate::report::github::tests::{finding, list, predicted, report, sample};

fn parse(report: &Report) -> Value {
    let text = sarif(report);
    assert!(text.ends_with('\n'));
    serde_json::from_str(&text).expect("the SARIF is JSON")
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} is a string in {value}"))
}

/// Everything GitHub code scanning needs, well-typed; returns the run.
fn check_log(log: &Value) -> &Value {
    assert_eq!(str_at(log, "/$schema"), SCHEMA);
    assert_eq!(str_at(log, "/version"), "2.1.0");
    let runs = log["runs"].as_array().expect("runs is an array");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(str_at(run, "/tool/driver/name"), "bouncegate");
    assert_eq!(
        str_at(run, "/tool/driver/version"),
        env!("CARGO_PKG_VERSION")
    );
    if let Some(uri) = run.pointer("/tool/driver/informationUri") {
        assert!(uri.as_str().is_some_and(|uri| uri.contains("://")));
    }
    let rules = run
        .pointer("/tool/driver/rules")
        .and_then(Value::as_array)
        .expect("rules is an array");
    let mut ids = HashSet::new();
    for rule in rules {
        let id = str_at(rule, "/id");
        assert!(ids.insert(id), "rule id {id} is unique");
        assert!(!str_at(rule, "/name").is_empty());
        for field in [
            "/shortDescription/text",
            "/fullDescription/text",
            "/help/text",
        ] {
            assert!(!str_at(rule, field).is_empty(), "{field} of {id}");
        }
        assert!(matches!(
            str_at(rule, "/defaultConfiguration/level"),
            "error" | "warning"
        ));
    }
    assert_eq!(
        run.pointer("/invocations/0/executionSuccessful"),
        Some(&Value::Bool(true))
    );
    let results = run["results"].as_array().expect("results is an array");
    for result in results {
        let id = str_at(result, "/ruleId");
        assert!(ids.contains(id), "result rule {id} has a rule");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(str_at(&rules[index], "/id"), id);
        assert!(matches!(str_at(result, "/level"), "error" | "warning"));
        assert!(!str_at(result, "/message/text").is_empty());
        let locations = result["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        let uri = str_at(&locations[0], "/physicalLocation/artifactLocation/uri");
        assert!(!uri.is_empty() && !uri.starts_with("./") && !uri.contains('\\'));
        let line = locations[0]
            .pointer("/physicalLocation/region/startLine")
            .and_then(Value::as_u64)
            .expect("startLine is a number");
        assert!(line >= 1);
    }
    run
}

#[test]
fn sarif_has_what_github_needs() {
    let log = parse(&sample());
    let run = check_log(&log);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    // The most important first.
    assert_eq!(str_at(&results[0], "/ruleId"), "historic-hard");
    assert_eq!(str_at(&results[0], "/level"), "error");
    assert_eq!(
        str_at(
            &results[0],
            "/locations/0/physicalLocation/artifactLocation/uri"
        ),
        "lists/news.csv"
    );
    assert_eq!(
        results[0].pointer("/locations/0/physicalLocation/region/startLine"),
        Some(&Value::from(3))
    );
    // The bounce rate has no line: line 1.
    let rate = results
        .iter()
        .find(|r| r["ruleId"] == "bounce-rate")
        .unwrap();
    assert_eq!(
        rate.pointer("/locations/0/physicalLocation/region/startLine"),
        Some(&Value::from(1))
    );
    let history = results
        .iter()
        .find(|r| r["ruleId"] == "history-no-bounce-info")
        .unwrap();
    assert_eq!(str_at(history, "/level"), "warning");
    assert_eq!(
        str_at(
            history,
            "/locations/0/physicalLocation/artifactLocation/uri"
        ),
        "bounces/history.csv"
    );
    let rules = run
        .pointer("/tool/driver/rules")
        .unwrap()
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| str_at(r, "/id")).collect();
    assert_eq!(
        ids,
        [
            "historic-hard",
            "domain-not-found",
            "missing-at",
            "bounce-rate",
            "history-no-bounce-info",
            "duplicate"
        ]
    );
    assert_eq!(str_at(&rules[0], "/name"), "HistoricHard");
    assert!(
        run.pointer("/invocations/0/toolExecutionNotifications")
            .is_none()
    );
}

#[test]
fn rules_are_unique_and_take_the_worst_level() {
    let findings = vec![
        finding(
            "lists/a.csv",
            Some(2),
            Severity::Warning,
            Some("x"),
            predicted(),
        ),
        finding(
            "lists/a.csv",
            Some(3),
            Severity::Error,
            Some("y"),
            predicted(),
        ),
        finding(
            "lists/a.csv",
            Some(4),
            Severity::Warning,
            Some("z"),
            predicted(),
        ),
    ];
    let log = parse(&report(vec![list("lists/a.csv", findings)], Vec::new()));
    let run = check_log(&log);
    let rules = run
        .pointer("/tool/driver/rules")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(str_at(&rules[0], "/defaultConfiguration/level"), "error");
    let levels: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| str_at(r, "/level"))
        .collect();
    assert_eq!(levels, ["error", "warning", "warning"]);
}

#[test]
fn empty_report() {
    let log = parse(&report(vec![list("lists/ok.csv", Vec::new())], Vec::new()));
    let run = check_log(&log);
    assert_eq!(run["results"], Value::Array(Vec::new()));
    assert_eq!(
        run.pointer("/tool/driver/rules"),
        Some(&Value::Array(Vec::new()))
    );
}

#[test]
fn uris() {
    assert_eq!(artifact_uri(Path::new("./lists/a.csv")), "lists/a.csv");
    assert_eq!(
        artifact_uri(Path::new("lists/a b:c%d#e?.csv")),
        "lists/a%20b%3Ac%25d%23e%3F.csv"
    );
    assert_eq!(
        artifact_uri(Path::new("lists/ünï.csv")),
        "lists/%C3%BCn%C3%AF.csv"
    );
    assert_eq!(
        artifact_uri(Path::new("/work/repo/lists/a.csv")),
        "file:///work/repo/lists/a.csv"
    );
    let hostile = "lists/x\n$(touch /tmp/pwned).csv";
    let findings = vec![finding(
        hostile,
        Some(1),
        Severity::Error,
        Some("a"),
        predicted(),
    )];
    let log = parse(&report(vec![list(hostile, findings)], Vec::new()));
    let run = check_log(&log);
    assert_eq!(
        str_at(
            &run["results"][0],
            "/locations/0/physicalLocation/artifactLocation/uri"
        ),
        "lists/x%0A%24%28touch%20/tmp/pwned%29.csv"
    );
}

#[test]
fn results_are_capped_for_github() {
    let findings: Vec<Finding> = (0..MAX_RESULTS as u64 + 10)
        .map(|i| {
            let severity = if i < 10 {
                Severity::Warning
            } else {
                Severity::Error
            };
            finding(
                "lists/big.csv",
                Some(i + 1),
                severity,
                Some("a"),
                predicted(),
            )
        })
        .collect();
    let log = parse(&report(vec![list("lists/big.csv", findings)], Vec::new()));
    let run = check_log(&log);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), MAX_RESULTS);
    // The errors made it; the warnings were left out.
    assert!(results.iter().all(|r| r["level"] == "error"));
    let note = str_at(
        run,
        "/invocations/0/toolExecutionNotifications/0/message/text",
    );
    assert!(
        note.starts_with("10 of 25010 findings are left out"),
        "{note}"
    );
}
