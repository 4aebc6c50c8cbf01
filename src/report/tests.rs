//! The report on hand-built list reports: run totals, the run's verdict and exit code, and
//! what the human report shows.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::bounces::history::History;
use crate::gate::{AddressSet, ListStats};
use crate::table::InputProblem;

fn policy() -> Policy {
    crate::config::load(None)
        .expect("the built-in rules load")
        .policy
}

/// A list report with these unique addresses, of which `bouncing` bounce, and these findings.
fn list(path: &str, addresses: &[&str], bouncing: &[&str], findings: Vec<Finding>) -> ListReport {
    let keys: AddressSet = addresses.iter().copied().collect();
    let bouncing_keys: AddressSet = bouncing.iter().copied().collect();
    let bad_input = findings
        .iter()
        .any(|f| matches!(f.reason, Reason::BadInput { .. }));
    let verdict = Verdict::of(bad_input, &findings);
    ListReport {
        path: Arc::from(Path::new(path)),
        verdict,
        stats: ListStats {
            rows_read: addresses.len() + 1,
            rows_checked: addresses.len(),
            rows_skipped: 1,
            addresses: keys.len(),
            historic_hard: bouncing.len(),
            duplicates: 1,
            bouncing: bouncing_keys.len(),
            bounce_rate: rate(bouncing_keys.len(), keys.len()),
            ..ListStats::default()
        },
        findings,
        keys,
        bouncing_keys,
        blocked_addresses: 0,
    }
}

fn finding(file: &str, line: Option<u64>, severity: Severity, reason: Reason) -> Finding {
    Finding {
        file: Arc::from(Path::new(file)),
        line,
        severity,
        address: Some("a@gmail.com".to_owned()),
        reason,
    }
}

fn duplicate(file: &str, severity: Severity) -> Finding {
    finding(file, Some(2), severity, Reason::Duplicate { first_line: 1 })
}

fn no_history() -> HistorySummary {
    HistorySummary::new(History::default(), None, &policy())
}

#[test]
fn an_address_on_two_lists_counts_once_in_the_run_totals() {
    let lists = vec![
        list(
            "a.csv",
            &["ann@gmail.com", "bob@gmail.com"],
            &["bob@gmail.com"],
            vec![duplicate("a.csv", Severity::Warning)],
        ),
        list(
            "b.csv",
            &["bob@gmail.com", "cat@gmail.com", "dan@gmail.com"],
            &["bob@gmail.com", "dan@gmail.com"],
            vec![duplicate("b.csv", Severity::Error)],
        ),
    ];
    let report = Report::new(lists, no_history(), DomainReport::default(), policy());
    let t = &report.totals;
    // Unique across lists: ann, bob, cat, dan; bob bounces on both lists, dan on one.
    assert_eq!((t.lists, t.addresses, t.bouncing), (2, 4, 2));
    assert_eq!(t.bounce_rate, 0.5);
    // Row counts are per list, so they add up.
    assert_eq!((t.rows_read, t.rows_checked, t.rows_skipped), (7, 5, 2));
    assert_eq!((t.historic_hard, t.duplicates), (3, 2));
    assert_eq!((t.errors, t.warnings), (1, 1));
    assert_eq!((report.verdict, report.exit_code), (RunVerdict::Fail, 1));
}

#[test]
fn one_list_totals_are_its_own() {
    let one = list(
        "a.csv",
        &["ann@gmail.com", "bob@gmail.com"],
        &["bob@gmail.com"],
        vec![],
    );
    let report = Report::new(vec![one], no_history(), DomainReport::default(), policy());
    let t = &report.totals;
    assert_eq!((t.addresses, t.bouncing, t.bounce_rate), (2, 1, 0.5));
    // The run's rate is shown, not gated: each list is gated on its own.
    assert_eq!((report.verdict, report.exit_code), (RunVerdict::Pass, 0));
}

#[test]
fn bad_input_beats_a_failing_gate_and_a_history_error_fails_the_run() {
    let bad = list(
        "bad.csv",
        &[],
        &[],
        vec![finding(
            "bad.csv",
            Some(1),
            Severity::Error,
            Reason::BadInput {
                problem: InputProblem::EmptyFile,
            },
        )],
    );
    let failing = list(
        "a.csv",
        &["a@gmail.com"],
        &[],
        vec![duplicate("a.csv", Severity::Error)],
    );
    let report = Report::new(
        vec![bad, failing],
        no_history(),
        DomainReport::default(),
        policy(),
    );
    assert_eq!(
        (report.verdict, report.exit_code),
        (RunVerdict::BadInput, 2)
    );
    let human = report.to_human(&HumanOptions::default());
    assert!(human.contains("BAD INPUT: lists 2"), "{human}");
    assert!(human.contains("Some input could not be read"), "{human}");

    // Every list passes, but the history holds an error (history_row: error).
    let mut history = no_history();
    history.findings.push(finding(
        "bounces.csv",
        Some(3),
        Severity::Error,
        Reason::Duplicate { first_line: 2 },
    ));
    let passing = list("a.csv", &["a@gmail.com"], &[], vec![]);
    let report = Report::new(vec![passing], history, DomainReport::default(), policy());
    assert_eq!((report.verdict, report.exit_code), (RunVerdict::Fail, 1));
    assert_eq!(report.totals.errors, 1);

    // A history file that cannot be read is bad input.
    let mut history = no_history();
    history.bad_input = true;
    let passing = list("a.csv", &["a@gmail.com"], &[], vec![]);
    let report = Report::new(vec![passing], history, DomainReport::default(), policy());
    assert_eq!(report.exit_code, 2);
}

#[test]
fn the_human_report_shows_findings_summaries_and_totals_and_quiet_hides_warnings() {
    let lists = vec![list(
        "a.csv",
        &["ann@gmail.com", "bob@gmail.com"],
        &["bob@gmail.com"],
        vec![
            duplicate("a.csv", Severity::Warning),
            finding(
                "a.csv",
                None,
                Severity::Error,
                Reason::BounceRate {
                    rate: 0.5,
                    limit: 0.02,
                    bouncing: 1,
                    addresses: 2,
                },
            ),
        ],
    )];
    let report = Report::new(lists, no_history(), DomainReport::default(), policy());
    let human = report.to_human(&HumanOptions::default());
    for line in [
        "a.csv:2: warning[duplicate]: ",
        "a.csv: error[bounce-rate]: projected bounce rate 50.00% (1 of 2 addresses)",
        "a.csv: FAIL: addresses 2, predicted hard 0, historic hard 1, repeated soft 0, duplicates 1; bounce rate 50.00% (limit 2.00%)",
        "  rows: 3 read = 2 checked + 1 skipped",
        "FAIL: lists 1, addresses 2, predicted hard 0, historic hard 1, repeated soft 0; bounce rate 50.00% (limit 2.00%); errors 1, warnings 1",
    ] {
        assert!(human.contains(line), "{line:?} not in\n{human}");
    }
    assert!(!human.contains('\x1b'), "no colour unless asked");

    let quiet = report.to_human(&HumanOptions {
        quiet: true,
        ..HumanOptions::default()
    });
    assert!(!quiet.contains("warning[duplicate]"), "{quiet}");
    assert!(quiet.contains("error[bounce-rate]"), "{quiet}");

    let coloured = report.to_human(&HumanOptions {
        colors: true,
        ..HumanOptions::default()
    });
    assert!(coloured.contains("\x1b[1;31mFAIL\x1b[0m"), "{coloured}");
}

#[test]
fn control_characters_in_names_and_data_are_shown_escaped() {
    let file = "evil\x1b[2J.csv";
    let lists = vec![list(
        file,
        &["a@gmail.com"],
        &[],
        vec![duplicate(file, Severity::Warning)],
    )];
    let human = Report::new(lists, no_history(), DomainReport::default(), policy())
        .to_human(&HumanOptions::default());
    assert!(!human.contains('\x1b'), "{human:?}");
    assert!(human.contains("evil\\u{1b}[2J.csv:2"), "{human}");
}

#[test]
fn the_totals_line_tells_a_rate_just_over_the_limit_from_the_limit() {
    // 1001 bouncing of 50000 is 2.002%: "2.00% (limit 2.00%)" would read as no problem.
    let mut report = Report::new(vec![], no_history(), DomainReport::default(), policy());
    report.totals.bounce_rate = rate(1001, 50_000);
    assert!(
        report
            .totals_line()
            .contains("bounce rate 2.002% (limit 2.000%)"),
        "{}",
        report.totals_line()
    );
}

#[test]
fn the_json_report_carries_its_schema_version_and_ends_with_a_newline() {
    let report = Report::new(vec![], no_history(), DomainReport::default(), policy());
    let json = report.to_json();
    assert!(json.ends_with("}\n"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], JSON_SCHEMA_VERSION);
    assert_eq!(value["verdict"], "pass");
    assert_eq!(value["totals"]["lists"], 0);
}
