use std::path::PathBuf;
use std::sync::Arc;

use super::annotations::*;
use super::outputs::*;
use super::summary::*;
use super::*;
use crate::bounces::history::Evidence;
use crate::config::Policy;
use crate::domains::{DomainReport, DomainVerdict};
use crate::finding::Reason;
use crate::finding::Severity;
use crate::gate::ListStats;
use crate::gate::{ListReport, Verdict};
use crate::report::HistorySummary;
use crate::report::RunVerdict;
use crate::syntax::SyntaxError;
use crate::table::InputProblem;

mod summary_and_outputs;

pub(crate) fn policy() -> Policy {
    crate::config::load(None)
        .expect("the built-in rules load")
        .policy
}

pub(crate) fn path(text: &str) -> Arc<Path> {
    Arc::from(Path::new(text))
}

pub(crate) fn historic(tag: &str) -> Reason {
    Reason::HistoricHard {
        evidence: Arc::new(Evidence {
            file: path("bounces/history.csv"),
            line: 7,
            time: Some(1_772_442_840),
            reply: Some(550),
            enhanced: None,
            text: format!("smtp; 550 5.1.1 user unknown ({tag})"),
            reason: crate::bounces::reason::Reason::UserUnknown,
            rule: None,
            source: None,
            source_verdict: None,
            already_suppressed: false,
            command: None,
            trace: None,
        }),
    }
}

pub(crate) fn predicted() -> Reason {
    Reason::PredictedHard {
        error: SyntaxError::MissingAt,
    }
}

pub(crate) fn domain() -> Reason {
    Reason::Domain {
        domain: "exmaple.com".to_owned(),
        verdict: DomainVerdict::DomainNotFound,
        addresses: 3,
        lines: vec![4, 9, 12],
    }
}

pub(crate) fn finding(
    file: &str,
    line: Option<u64>,
    severity: Severity,
    address: Option<&str>,
    reason: Reason,
) -> Finding {
    Finding {
        file: path(file),
        line,
        severity,
        address: address.map(str::to_owned),
        reason,
    }
}

pub(crate) fn list(file: &str, findings: Vec<Finding>) -> ListReport {
    let errors = findings.iter().any(|f| f.severity == Severity::Error);
    let key = |(i, f): (usize, &Finding)| format!("{}#{i}", f.address.as_deref().unwrap_or("x"));
    let all: Vec<String> = findings.iter().enumerate().map(key).collect();
    let bouncing: Vec<String> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.severity == Severity::Error)
        .map(key)
        .collect();
    let keys: crate::gate::AddressSet = all.iter().map(String::as_str).collect();
    let bouncing: crate::gate::AddressSet = bouncing.iter().map(String::as_str).collect();
    let mut domains = std::collections::BTreeMap::new();
    domains.insert("dns-unknown", 2);
    domains.insert("mx", keys.len());
    ListReport {
        path: path(file),
        verdict: if errors { Verdict::Fail } else { Verdict::Pass },
        stats: ListStats {
            rows_read: keys.len(),
            rows_checked: keys.len(),
            addresses: keys.len(),
            predicted_hard: findings.iter().filter(|f| f.reason.rank() == 2).count(),
            historic_hard: findings.iter().filter(|f| f.reason.rank() == 1).count(),
            bouncing: bouncing.len(),
            bounce_rate: crate::gate::rate(bouncing.len(), keys.len()),
            domains,
            ..ListStats::default()
        },
        findings,
        keys,
        bouncing_keys: bouncing,
        blocked_addresses: 0,
    }
}

pub(crate) fn history(findings: Vec<Finding>) -> HistorySummary {
    HistorySummary {
        files: vec![PathBuf::from("bounces/history.csv")],
        events_read: 10,
        events_used: 9,
        addresses: 8,
        window_end: Some("2026-04-07".to_owned()),
        window_days: 90,
        findings,
        bad_input: false,
    }
}

pub(crate) fn report(lists: Vec<ListReport>, history_findings: Vec<Finding>) -> Report {
    Report::new(
        lists,
        history(history_findings),
        DomainReport::default(),
        policy(),
    )
}

/// A small report with one finding of most kinds.
pub(crate) fn sample() -> Report {
    let findings = vec![
        finding(
            "lists/news.csv",
            Some(3),
            Severity::Error,
            Some("bob@yahoo.com"),
            historic("x"),
        ),
        finding(
            "lists/news.csv",
            Some(4),
            Severity::Error,
            Some("ann@exmaple.com"),
            domain(),
        ),
        finding(
            "lists/news.csv",
            Some(5),
            Severity::Error,
            Some("nobody"),
            predicted(),
        ),
        finding(
            "lists/news.csv",
            Some(6),
            Severity::Warning,
            Some("bob@yahoo.com"),
            Reason::Duplicate { first_line: 3 },
        ),
        finding(
            "lists/news.csv",
            None,
            Severity::Error,
            None,
            Reason::BounceRate {
                rate: 0.5,
                limit: 0.02,
                bouncing: 3,
                addresses: 6,
            },
        ),
    ];
    let history_findings = vec![finding(
        "bounces/history.csv",
        Some(12),
        Severity::Warning,
        None,
        Reason::HistoryRow {
            problem: crate::bounces::history::HistoryRowProblem::NoBounceInfo,
        },
    )];
    report(vec![list("./lists/news.csv", findings)], history_findings)
}

/// Every annotation line, without its trailing newline.
fn lines(text: &str) -> Vec<&str> {
    assert!(text.ends_with('\n'));
    text.lines().collect()
}

#[test]
fn escapes_data_and_properties() {
    assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
    assert_eq!(
        escape_property("100% a\r\nb: c, d"),
        "100%25 a%0D%0Ab%3A c%2C d"
    );
    // `%` first: an escape in the input is not taken for one of ours.
    assert_eq!(escape_property("%3A"), "%253A");
    assert_eq!(escape_data("%0A"), "%250A");
}

#[test]
fn annotation_format() {
    let report = sample();
    let text = annotations(&report);
    let lines = lines(&text);
    // The rate that failed the gate comes first; a finding without a line has no `line=`.
    assert!(
        lines[0].starts_with("::error file=lists/news.csv,title=bouncegate bounce-rate::"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "::error file=lists/news.csv,line=3,title=bouncegate historic-hard::bob@yahoo.com hard-bounced on 2026-03-02 (smtp; 550 5.1.1 user unknown (x); bounces/history.csv:7): suppress it"
    );
    // The history's findings are annotated too.
    assert!(lines.iter().any(|line| line.starts_with(
        "::warning file=bounces/history.csv,line=12,title=bouncegate history-no-bounce-info::"
    )));
    let notice = lines.last().unwrap();
    assert!(notice.starts_with("::notice title=bouncegate::FAIL: lists 1, "));
    assert!(notice.contains("historic hard 1"));
    assert!(
        notice.contains("bounce rate 80.00%25 (limit 2.00%25)"),
        "{notice}"
    );
    assert!(notice.contains("not annotated: 0 errors, 0 warnings"));
    assert_eq!(lines.len(), 7);
}

#[test]
fn hostile_file_names_and_messages_are_escaped() {
    let hostile = "lists/a,b:c%d\nx\r::error::pwned $(touch /tmp/pwned).csv";
    let address = "evil\n::warning::injected@example.com";
    let findings = vec![finding(
        hostile,
        Some(2),
        Severity::Error,
        Some(address),
        predicted(),
    )];
    let report = report(vec![list(hostile, findings)], Vec::new());
    let text = annotations(&report);
    let lines = lines(&text);
    // One finding, one notice: no line was smuggled in.
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0],
        "::error file=lists/a%2Cb%3Ac%25d%0Ax%0D%3A%3Aerror%3A%3Apwned $(touch /tmp/pwned).csv,line=2,title=bouncegate missing-at::evil%0A::warning::injected@example.com has no @: it will hard-bounce; fix or remove it"
    );
    for line in &lines {
        assert!(line.starts_with("::error ") || line.starts_with("::notice "));
    }

    // The summary keeps them on one line, without HTML.
    let summary = step_summary_with(&report, None);
    assert!(!summary.contains("\n::"));
    assert!(!summary.contains("<script"));
    let row = summary
        .lines()
        .find(|line| line.contains("pwned") && line.contains("missing-at"))
        .unwrap();
    assert!(row.contains("$(touch /tmp/pwned).csv:2"));
    assert_eq!(row.matches(" | ").count(), 3, "{row}");

    // The outputs keep the path as a value, never as a new name.
    let out = outputs(&report, Some(Path::new(hostile)));
    let parsed = parse_outputs(&out);
    assert_eq!(
        parsed.last().unwrap(),
        &("report".to_owned(), hostile.to_owned())
    );
}

#[test]
fn findings_of_one_code_in_one_file_make_one_annotation() {
    // 15 errors of three codes, lines descending, and 15 warnings of two, all in one file;
    // one more historic-hard in a second file, and the list's bounce rate.
    let mut findings = Vec::new();
    for i in 0..15u64 {
        let reason = match i % 3 {
            0 => Reason::Duplicate { first_line: 1 },
            1 => predicted(),
            _ => historic("x"),
        };
        findings.push(finding(
            "lists/a.csv",
            Some(100 - i),
            Severity::Error,
            Some("a@b.c"),
            reason,
        ));
    }
    for i in 0..15u64 {
        let reason = if i % 2 == 0 {
            Reason::Whitespace
        } else {
            Reason::Duplicate { first_line: 1 }
        };
        findings.push(finding(
            "lists/a.csv",
            Some(i + 1),
            Severity::Warning,
            Some("a@b.c"),
            reason,
        ));
    }
    findings.push(finding(
        "lists/a.csv",
        None,
        Severity::Error,
        None,
        Reason::BounceRate {
            rate: 0.5,
            limit: 0.02,
            bouncing: 10,
            addresses: 20,
        },
    ));
    let other = vec![finding(
        "lists/b.csv",
        Some(4),
        Severity::Error,
        Some("c@d.e"),
        historic("y"),
    )];
    let report = report(
        vec![list("lists/a.csv", findings), list("lists/b.csv", other)],
        Vec::new(),
    );
    let text = annotations(&report);
    let lines = lines(&text);
    // The rate; historic-hard in a.csv, then in b.csv; missing-at; duplicate errors; then the
    // two warning groups (duplicate rank 7 before whitespace rank 8); the notice.
    assert_eq!(lines.len(), 8, "{text}");
    assert!(
        lines[0].contains("title=bouncegate bounce-rate::"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "::error file=lists/a.csv,line=86,title=bouncegate historic-hard (5 in this file)::5 findings of historic-hard on lines 86, 89, 92, 95, 98. Line 86: a@b.c hard-bounced on 2026-03-02 (smtp; 550 5.1.1 user unknown (x); bounces/history.csv:7): suppress it"
    );
    assert!(
        lines[2].starts_with("::error file=lists/b.csv,line=4,title=bouncegate historic-hard::"),
        "a lone finding is annotated as it is: {}",
        lines[2]
    );
    assert!(lines[3].contains("title=bouncegate missing-at (5 in this file)::5 findings of missing-at on lines 87, 90, 93, 96, 99."));
    assert!(lines[4].contains("title=bouncegate duplicate (5 in this file)::"));
    assert!(lines[5].starts_with("::warning file=lists/a.csv,line=2,title=bouncegate duplicate (7 in this file)::7 findings of duplicate on lines 2, 4, 6, 8, 10, 12, 14."));
    assert!(lines[6].starts_with(
        "::warning file=lists/a.csv,line=1,title=bouncegate whitespace (8 in this file)::"
    ));
    assert!(
        lines[7].contains("not annotated: 0 errors, 0 warnings"),
        "{}",
        lines[7]
    );
}

#[test]
fn the_cap_counts_annotations_and_the_notice_counts_the_findings_left() {
    // 15 files with three predicted-hard rows each: 15 groups of errors, 10 annotated.
    let lists = (0..15)
        .map(|n| {
            let file = format!("lists/{n:02}.csv");
            let findings = (1..=3)
                .map(|line| finding(&file, Some(line), Severity::Error, Some("a@b"), predicted()))
                .collect();
            list(&file, findings)
        })
        .collect();
    let report = report(lists, Vec::new());
    let text = annotations(&report);
    let lines = lines(&text);
    assert_eq!(lines.len(), 11, "{text}");
    assert!(lines[..10].iter().all(|l| l.contains("(3 in this file)")));
    assert!(
        lines[0].starts_with("::error file=lists/00.csv,line=1,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[10]
            .contains("not annotated (GitHub shows 10 of each per step): 15 errors, 0 warnings"),
        "5 groups of 3 findings were left: {}",
        lines[10]
    );
}

#[test]
fn a_group_lists_twenty_lines_and_counts_the_rest() {
    let findings = (1..=25)
        .map(|line| {
            finding(
                "lists/a.csv",
                Some(line),
                Severity::Error,
                Some("a@b"),
                predicted(),
            )
        })
        .collect();
    let report = report(vec![list("lists/a.csv", findings)], Vec::new());
    let text = annotations(&report);
    let first = text.lines().next().unwrap();
    let listed: String = (1..=20)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(
        first.contains(&format!(
            "25 findings of missing-at on lines {listed} and 5 more. Line 1: "
        )),
        "{first}"
    );
}

/// `name<<DELIMITER` blocks back into (name, value) pairs, as the runner reads them.
fn parse_outputs(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut lines = text.split('\n');
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let (name, delimiter) = line.split_once("<<").expect("name<<DELIMITER");
        assert!(delimiter.starts_with("ghadelimiter_"));
        let mut value = Vec::new();
        loop {
            let line = lines.next().expect("the closing delimiter");
            if line == delimiter {
                break;
            }
            value.push(line);
        }
        pairs.push((name.to_owned(), value.join("\n")));
    }
    pairs
}

#[test]
fn repo_paths() {
    assert_eq!(repo_path(Path::new("./lists/a.csv")), "lists/a.csv");
    assert_eq!(repo_path(Path::new("lists//a.csv")), "lists/a.csv");
    assert_eq!(repo_path(Path::new("/abs/a.csv")), "/abs/a.csv");
    assert_eq!(repo_path(Path::new("../up/a.csv")), "../up/a.csv");
}
