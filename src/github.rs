//! GitHub Actions integration, written by the binary itself: workflow-command annotations for
//! the log, Markdown for `$GITHUB_STEP_SUMMARY` and `name<<DELIMITER` lines for
//! `$GITHUB_OUTPUT`.
//!
//! Everything that comes from the user's files (paths, addresses, bounce texts) is escaped so
//! that it can neither start a workflow command of its own nor break the Markdown.

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::path::{Component, Path};

use crate::finding::{Finding, Severity, percent, percents_apart};
use crate::gate::{ListReport, Verdict};
use crate::report::{Report, RunVerdict};

/// GitHub shows this many error annotations, and as many warnings, per step.
pub const ANNOTATIONS_PER_SEVERITY: usize = 10;

/// The findings shown in the step summary's "top findings" table.
pub const TOP_FINDINGS: usize = 20;

/// The step summary stays at or under this many bytes (GitHub's limit is 1 MiB).
pub const SUMMARY_LIMIT: usize = 1_000_000;

/// Longer messages and cells are cut in the step summary, so that one row stays small.
const CELL_CHARS: usize = 1_000;

/// The list table gets at most this many bytes, the rest of the budget is for findings.
const LIST_TABLE_BUDGET: usize = 300_000;

/// Room kept for closing the details section and the note that says what was cut.
const TAIL_RESERVE: usize = 2_000;

/// Every finding of the run (the lists', then the history's), the most important first:
/// errors before warnings, then by [`crate::finding::Reason::rank`], then by file and line.
/// The sort is stable, so ties keep the report's order.
pub fn ordered(report: &Report) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report
        .lists
        .iter()
        .flat_map(|list| &list.findings)
        .chain(&report.history.findings)
        .collect();
    findings.sort_by(|a, b| {
        (a.severity, a.reason.rank(), &a.file, a.line).cmp(&(
            b.severity,
            b.reason.rank(),
            &b.file,
            b.line,
        ))
    });
    findings
}

/// The path as GitHub wants it: relative to the repository root (`GITHUB_WORKSPACE`), also
/// when bouncegate runs in a subdirectory (`working-directory`). Outside GitHub, or for a file
/// outside the workspace, the path as given.
pub fn in_repository(path: &Path) -> std::borrow::Cow<'_, Path> {
    static WORKSPACE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let workspace = WORKSPACE.get_or_init(|| {
        std::env::var_os("GITHUB_WORKSPACE")
            .filter(|w| !w.is_empty())
            .and_then(|w| std::fs::canonicalize(w).ok())
    });
    let relative = workspace.as_ref().and_then(|workspace| {
        let absolute = std::fs::canonicalize(path).ok()?;
        absolute.strip_prefix(workspace).ok().map(Path::to_path_buf)
    });
    match relative {
        Some(relative) => std::borrow::Cow::Owned(relative),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// A path as the repository sees it: forward slashes, no `./` in front.
pub fn repo_path(path: &Path) -> String {
    let path = in_repository(path);
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::RootDir => absolute = true,
            Component::ParentDir => parts.push("..".to_owned()),
            Component::Prefix(prefix) => {
                parts.push(prefix.as_os_str().to_string_lossy().into_owned())
            }
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Percent-encode every byte but the unreserved characters of RFC 3986 and those in `keep`.
pub(crate) fn percent_encode(text: &str, keep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (byte.is_ascii() && keep.as_bytes().contains(&byte))
        {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Annotations

/// Escape the data (message) of a workflow command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// What GitHub shows when the run stops before a report (exit code 2: a bad rules.yaml, an
/// unreadable path): an error annotation on the file and line, a job summary that says what
/// failed, and the outputs with `result=error`.
pub struct RunError {
    pub annotation: String,
    pub summary: String,
    pub outputs: String,
}

pub fn run_error(message: &str, location: Option<(&Path, Option<u64>)>) -> RunError {
    let mut properties = String::new();
    if let Some((file, line)) = location {
        let _ = write!(properties, "file={},", escape_property(&repo_path(file)));
        if let Some(line) = line {
            let _ = write!(properties, "line={line},");
        }
    }
    let first = message.lines().next().unwrap_or_default();
    let mut outputs = String::new();
    output(&mut outputs, "result", "error");
    output(&mut outputs, "findings", "0");
    RunError {
        annotation: format!(
            "::error {properties}title=bouncegate could not run::{}\n",
            escape_data(message)
        ),
        summary: format!(
            "## bouncegate could not run\n\n{}\n\nThe lists were not checked (exit code 2). Fix the cause above and run again.\n",
            md(first)
        ),
        outputs,
    }
}

fn annotation(finding: &Finding) -> String {
    let level = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = format!("file={}", escape_property(&repo_path(&finding.file)));
    if let Some(line) = finding.line {
        let _ = write!(properties, ",line={line}");
    }
    let _ = write!(
        properties,
        ",title={}",
        escape_property(&format!("bouncegate {}", finding.code()))
    );
    format!(
        "::{level} {properties}::{}\n",
        escape_data(&finding.message())
    )
}

/// Workflow-command annotations, one per line: the most important findings first, at most
/// [`ANNOTATIONS_PER_SEVERITY`] errors and as many warnings (what GitHub shows of a step),
/// then one `::notice` with the totals and how many findings were not annotated.
pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let (mut errors_left, mut warnings_left) = (0usize, 0usize);
    for finding in ordered(report) {
        let (shown, left) = match finding.severity {
            Severity::Error => (&mut errors, &mut errors_left),
            Severity::Warning => (&mut warnings, &mut warnings_left),
        };
        if *shown < ANNOTATIONS_PER_SEVERITY {
            *shown += 1;
            out.push_str(&annotation(finding));
        } else {
            *left += 1;
        }
    }
    let verdict = match report.verdict {
        RunVerdict::Pass => "PASS",
        RunVerdict::Fail => "FAIL",
        RunVerdict::BadInput => "BAD INPUT",
    };
    let mut notice = format!("{verdict}: {}", report.totals_line());
    if errors_left + warnings_left > 0 {
        let _ = write!(
            notice,
            "; not annotated (GitHub shows {ANNOTATIONS_PER_SEVERITY} of each per step): {errors_left} errors, {warnings_left} warnings, see the step summary or the JSON report"
        );
    } else {
        notice.push_str("; not annotated: 0 errors, 0 warnings");
    }
    let _ = writeln!(
        out,
        "::notice title={}::{}",
        escape_property("bouncegate"),
        escape_data(&notice)
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Step summary

/// Where `file:line` links in the step summary point: the blob of the commit that was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// `GITHUB_SERVER_URL`, e.g. `https://github.com`.
    pub server: String,
    /// `GITHUB_REPOSITORY`, `owner/name`.
    pub repository: String,
    /// `GITHUB_SHA`.
    pub sha: String,
}

impl Links {
    /// From `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_SHA`, when all three are set.
    pub fn from_env() -> Option<Links> {
        Links::from_vars(|name| std::env::var(name).ok())
    }

    /// From any source of variables; `None` unless all three are set and not empty.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Option<Links> {
        let var = |name: &str| get(name).filter(|value| !value.trim().is_empty());
        Some(Links {
            server: var("GITHUB_SERVER_URL")?,
            repository: var("GITHUB_REPOSITORY")?,
            sha: var("GITHUB_SHA")?,
        })
    }

    /// `{server}/{repository}/blob/{sha}/{file}#L{line}`, each part percent-encoded.
    pub fn url(&self, file: &Path, line: Option<u64>) -> String {
        let mut url = format!(
            "{}/{}/blob/{}/{}",
            percent_encode(self.server.trim().trim_end_matches('/'), ":/"),
            percent_encode(self.repository.trim().trim_matches('/'), "/"),
            percent_encode(self.sha.trim(), ""),
            percent_encode(repo_path(file).trim_start_matches('/'), "/"),
        );
        if let Some(line) = line {
            let _ = write!(url, "#L{line}");
        }
        url
    }
}

/// User data made safe for a Markdown table cell: no HTML, no table breaks, no code spans,
/// no emphasis or links, one line, at most [`CELL_CHARS`] characters.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(CELL_CHARS * 2) + 8);
    for (count, c) in text.chars().enumerate() {
        if count == CELL_CHARS {
            out.push('…');
            break;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '`' | '\\' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn location(finding: &Finding, links: Option<&Links>) -> String {
    let path = repo_path(&finding.file);
    let text = match finding.line {
        Some(line) => md(&format!("{path}:{line}")),
        None => md(&path),
    };
    match links {
        Some(links) => format!("[{text}]({})", links.url(&finding.file, finding.line)),
        None => text,
    }
}

fn finding_row(finding: &Finding, links: Option<&Links>) -> String {
    format!(
        "| {} | {} | {} | {} |\n",
        location(finding, links),
        finding.severity,
        md(finding.code()),
        md(&finding.message())
    )
}

const FINDINGS_HEADER: &str = "| Location | Severity | Code | Message |\n|---|---|---|---|\n";

fn list_row(list: &ListReport, report: &Report) -> String {
    let s = &list.stats;
    let (rate, limit) = percents_apart(s.bounce_rate, report.policy.max_bounce_rate);
    let verdict = match list.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "**fail**",
        Verdict::BadInput => "**bad input**",
    };
    let added = s.added.map_or(String::new(), |added| {
        format!(
            "; added by this change: {} of {}",
            percent(added.bounce_rate),
            added.addresses
        )
    });
    format!(
        "| {} | {} | {} | {} | {} | {} | {rate} (limit {limit}){added} | {verdict} |\n",
        md(&repo_path(&list.path)),
        s.addresses,
        s.predicted_hard,
        s.historic_hard,
        s.repeated_soft,
        s.domains.get("dns-unknown").copied().unwrap_or(0),
    )
}

/// Markdown for `$GITHUB_STEP_SUMMARY`, with `file:line` links when `GITHUB_SERVER_URL`,
/// `GITHUB_REPOSITORY` and `GITHUB_SHA` are set. See [`step_summary_with`].
pub fn step_summary(report: &Report) -> String {
    step_summary_with(report, Links::from_env().as_ref())
}

/// Markdown for `$GITHUB_STEP_SUMMARY`: the verdict, a table per list, the top findings and
/// all findings in a `<details>` section; never more than [`SUMMARY_LIMIT`] bytes (the
/// details are cut, with a note, when they would not fit).
pub fn step_summary_with(report: &Report, links: Option<&Links>) -> String {
    let mut out = String::new();
    let verdict = match report.verdict {
        RunVerdict::Pass => "✅ pass",
        RunVerdict::Fail => "❌ fail",
        RunVerdict::BadInput => "⛔ bad input",
    };
    let _ = writeln!(out, "## bouncegate: {verdict}\n");
    // The rate over all lists is shown; each list is gated on its own.
    let _ = writeln!(out, "{}.\n", md(&report.totals_line()));
    if report.verdict == RunVerdict::BadInput {
        out.push_str("Some input could not be read: fix it and run again.\n\n");
    }
    if let Some(scope) = &report.scope {
        let mut line = scope.line();
        if let Some(first) = line.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(out, "{}.\n", md(&line));
    }
    if !report.history.files.is_empty() {
        let _ = writeln!(out, "History: {}.\n", md(&report.history.line()));
    }
    for note in report.dns.notes.iter().take(10) {
        let _ = writeln!(out, "> dns: {}\n", md(note));
    }

    if !report.lists.is_empty() {
        out.push_str("### Lists\n\n");
        out.push_str(
            "| List | Addresses | Predicted hard | Historic hard | Repeated soft | Unknown | Projected rate | Verdict |\n",
        );
        out.push_str("|---|--:|--:|--:|--:|--:|---|---|\n");
        let start = out.len();
        for (shown, list) in report.lists.iter().enumerate() {
            let row = list_row(list, report);
            if out.len() - start + row.len() > LIST_TABLE_BUDGET {
                let _ = writeln!(
                    out,
                    "\n{} more lists are not shown here; the JSON report has them all.",
                    report.lists.len() - shown
                );
                break;
            }
            out.push_str(&row);
        }
        out.push('\n');
    }

    let findings = ordered(report);
    if findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    let top = findings.len().min(TOP_FINDINGS);
    if top < findings.len() {
        let _ = writeln!(out, "### Top {top} of {} findings\n", findings.len());
    } else {
        let _ = writeln!(out, "### Findings\n");
    }
    out.push_str(FINDINGS_HEADER);
    for finding in &findings[..top] {
        out.push_str(&finding_row(finding, links));
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "<details><summary>All {} findings</summary>\n",
        findings.len()
    );
    out.push_str(FINDINGS_HEADER);
    let mut left_out = 0;
    for (shown, finding) in findings.iter().enumerate() {
        let row = finding_row(finding, links);
        if out.len() + row.len() + TAIL_RESERVE > SUMMARY_LIMIT {
            left_out = findings.len() - shown;
            break;
        }
        out.push_str(&row);
    }
    out.push_str("\n</details>\n");
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n**{left_out} of {} findings are left out** of the details above to keep this summary under GitHub's 1 MiB limit; the JSON report (`--format json`) has them all.",
            findings.len()
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Outputs

/// A token for `::stop-commands::TOKEN`: random, so that nothing in the report can guess it
/// and turn command processing back on.
pub fn stop_token() -> String {
    let a = RandomState::new().build_hasher().finish();
    let b = RandomState::new().build_hasher().finish();
    format!("bouncegate-{a:016x}{b:016x}")
}

/// A delimiter for `name<<DELIMITER` that does not occur in the value.
fn delimiter(value: &str) -> String {
    loop {
        // Each RandomState has fresh random keys: the hash of nothing is a random number.
        let suffix = RandomState::new().build_hasher().finish();
        let delimiter = format!("ghadelimiter_{suffix:016x}");
        if !value.contains(&delimiter) {
            return delimiter;
        }
    }
}

fn output(out: &mut String, name: &str, value: &str) {
    let delimiter = delimiter(value);
    let _ = write!(out, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
}

/// Lines for `$GITHUB_OUTPUT`: `result` (pass or fail; bad input is fail), `bounce-rate` (the
/// rate over all lists, a fraction with 4 decimals), `predicted-hard`, `historic-hard`,
/// `findings` and `report` (the JSON report's path, empty without one), each in the
/// multi-line form `name<<DELIMITER`.
pub fn outputs(report: &Report, report_path: Option<&Path>) -> String {
    let t = &report.totals;
    let findings = report
        .lists
        .iter()
        .map(|list| list.findings.len())
        .sum::<usize>()
        + report.history.findings.len();
    let result = match report.verdict {
        RunVerdict::Pass => "pass",
        RunVerdict::Fail | RunVerdict::BadInput => "fail",
    };
    let mut out = String::new();
    output(&mut out, "result", result);
    output(&mut out, "bounce-rate", &format!("{:.4}", t.bounce_rate));
    output(&mut out, "predicted-hard", &t.predicted_hard.to_string());
    output(&mut out, "historic-hard", &t.historic_hard.to_string());
    output(&mut out, "findings", &findings.to_string());
    output(
        &mut out,
        "report",
        &report_path.map_or(String::new(), |path| path.display().to_string()),
    );
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::bounces::history::Evidence;
    use crate::config::Policy;
    use crate::domains::{DomainReport, DomainVerdict};
    use crate::finding::Reason;
    use crate::gate::ListStats;
    use crate::report::HistorySummary;
    use crate::syntax::SyntaxError;
    use crate::table::InputProblem;

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
            evidence: Evidence {
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
            },
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
        let mut keys = crate::gate::Keys::default();
        for (i, f) in findings.iter().enumerate() {
            keys.insert(
                format!("{}#{i}", f.address.as_deref().unwrap_or("x")).into(),
                1,
            );
        }
        let bouncing: crate::gate::KeySet = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.severity == Severity::Error)
            .map(|(i, f)| format!("{}#{i}", f.address.as_deref().unwrap_or("x")).into())
            .collect();
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
        assert_eq!(
            lines[0],
            "::error file=lists/news.csv,line=3,title=bouncegate historic-hard::bob@yahoo.com hard-bounced on 2026-03-02 (smtp; 550 5.1.1 user unknown (x); bounces/history.csv:7): suppress it"
        );
        // A finding without a line has no `line=`.
        let rate = lines
            .iter()
            .find(|line| line.contains("bounce-rate"))
            .unwrap();
        assert!(rate.starts_with("::error file=lists/news.csv,title=bouncegate bounce-rate::"));
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
    fn markdown_cells_are_escaped() {
        assert_eq!(
            md("a|b <script>alert(1)</script> `x` [l](u) *e* _u_ \\ ~s~ &amp;\nnext\rline"),
            "a\\|b &lt;script&gt;alert(1)&lt;/script&gt; \\`x\\` \\[l\\](u) \\*e\\* \\_u\\_ \\\\ \\~s\\~ &amp;amp; next line"
        );
        let long = "x".repeat(5_000);
        assert_eq!(md(&long).chars().count(), CELL_CHARS + 1);
    }

    #[test]
    fn cap_and_order() {
        // 15 errors of three ranks (historic 1, predicted 2, duplicate 7), lines descending,
        // and 15 warnings of two (duplicate 7, whitespace 8): the ranks decide, then lines.
        let mut findings = Vec::new();
        for i in 0..15u64 {
            let (severity, reason) = match i % 3 {
                0 => (Severity::Error, Reason::Duplicate { first_line: 1 }),
                1 => (Severity::Error, predicted()),
                _ => (Severity::Error, historic("x")),
            };
            findings.push(finding(
                "lists/a.csv",
                Some(100 - i),
                severity,
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
        let report = report(vec![list("lists/a.csv", findings)], Vec::new());
        let text = annotations(&report);
        let lines = lines(&text);
        assert_eq!(lines.len(), 21);
        let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("::error ")).collect();
        let warnings: Vec<&&str> = lines
            .iter()
            .filter(|l| l.starts_with("::warning "))
            .collect();
        assert_eq!((errors.len(), warnings.len()), (10, 10));
        // Errors first, then warnings, then the notice.
        assert!(lines[..10].iter().all(|l| l.starts_with("::error ")));
        assert!(lines[10..20].iter().all(|l| l.starts_with("::warning ")));
        assert!(lines[20].starts_with("::notice title=bouncegate::"));
        // The 5 historic, then the 5 predicted, each by line; no duplicate made it.
        assert!(lines[..5].iter().all(|l| l.contains("historic-hard")));
        assert!(lines[5..10].iter().all(|l| l.contains("missing-at")));
        assert!(lines[0].contains(",line=86,"), "{}", lines[0]);
        assert!(lines[4].contains(",line=98,"), "{}", lines[4]);
        // The 7 duplicates (rank 7) before the whitespace ones (rank 8), which are cut to 3.
        assert!(lines[10..17].iter().all(|l| l.contains("duplicate")));
        assert!(lines[17..20].iter().all(|l| l.contains("whitespace")));
        assert!(
            lines[20]
                .contains("not annotated (GitHub shows 10 of each per step): 5 errors, 5 warnings"),
            "{}",
            lines[20]
        );
    }

    #[test]
    fn summary_shape() {
        let report = sample();
        let summary = step_summary_with(&report, None);
        assert!(summary.starts_with("## bouncegate: ❌ fail\n"));
        assert!(
            summary.contains(
                "| lists/news.csv | 5 | 2 | 1 | 0 | 2 | 80.00% (limit 2.00%) | **fail** |"
            ),
            "{summary}"
        );
        assert!(summary.contains("### Findings\n"));
        assert!(
            summary.contains(
                "| lists/news.csv:3 | error | historic-hard | bob@yahoo.com hard-bounced"
            )
        );
        assert!(summary.contains("| lists/news.csv | error | bounce-rate | projected bounce rate"));
        assert!(summary.contains("<details><summary>All 6 findings</summary>\n\n| Location"));
        assert!(summary.trim_end().ends_with("</details>"));
        assert!(!summary.contains("left out"));

        let empty = report_pass();
        let summary = step_summary_with(&empty, None);
        assert!(summary.starts_with("## bouncegate: ✅ pass\n"));
        assert!(summary.ends_with("No findings.\n"));
    }

    fn report_pass() -> Report {
        report(vec![list("lists/ok.csv", Vec::new())], Vec::new())
    }

    #[test]
    fn summary_links() {
        let links = Links::from_vars(|name| {
            Some(
                match name {
                    "GITHUB_SERVER_URL" => "https://github.com/",
                    "GITHUB_REPOSITORY" => "acme/lists",
                    "GITHUB_SHA" => "0123abcd",
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .unwrap();
        let summary = step_summary_with(&sample(), Some(&links));
        assert!(summary.contains(
            "| [lists/news.csv:3](https://github.com/acme/lists/blob/0123abcd/lists/news.csv#L3) | error | historic-hard |"
        ), "{summary}");
        assert!(summary.contains(
            "| [lists/news.csv](https://github.com/acme/lists/blob/0123abcd/lists/news.csv) | error | bounce-rate |"
        ));
        // Odd file names are encoded in the URL and escaped in the text.
        assert_eq!(
            links.url(Path::new("./lists/a b(1)#[x].csv"), Some(9)),
            "https://github.com/acme/lists/blob/0123abcd/lists/a%20b%281%29%23%5Bx%5D.csv#L9"
        );
        // Without all three variables there are no links.
        assert_eq!(
            Links::from_vars(|name| (name != "GITHUB_SHA").then(|| "x".to_owned())),
            None
        );
        assert_eq!(Links::from_vars(|_| Some(String::new())), None);
    }

    #[test]
    fn summary_stays_under_the_limit() {
        let findings: Vec<Finding> = (0..50_000u64)
            .map(|i| {
                finding(
                    "lists/big.csv",
                    Some(i + 2),
                    if i % 2 == 0 {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    Some(&format!("user{i}@example.com")),
                    if i % 2 == 0 {
                        historic("x")
                    } else {
                        Reason::Duplicate { first_line: 1 }
                    },
                )
            })
            .collect();
        let report = report(vec![list("lists/big.csv", findings)], Vec::new());
        let summary = step_summary_with(&report, None);
        assert!(summary.len() <= SUMMARY_LIMIT, "{}", summary.len());
        assert!(summary.len() > SUMMARY_LIMIT - 10 * TAIL_RESERVE);
        assert!(summary.contains("### Top 20 of 50000 findings"));
        assert!(summary.contains("</details>\n"));
        let note = summary.lines().last().unwrap();
        assert!(note.starts_with("**"), "{note}");
        assert!(note.contains("of 50000 findings are left out"));
        assert!(note.contains("the JSON report (`--format json`) has them all"));
        let left: usize = note
            .trim_start_matches('*')
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let rows = summary
            .lines()
            .filter(|l| l.starts_with("| lists/big.csv:"))
            .count();
        // Every finding is either in the details (or the top table) or counted as left out.
        assert_eq!(rows - 20 + left, 50_000);

        // Annotations stay at 10 + 10 + 1 however many findings there are.
        assert_eq!(annotations(&report).lines().count(), 21);
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
    fn outputs_format() {
        let report = sample();
        let text = outputs(&report, Some(Path::new("out/report.json")));
        let pairs = parse_outputs(&text);
        let expect = [
            ("result", "fail"),
            ("bounce-rate", "0.8000"),
            ("predicted-hard", "2"),
            ("historic-hard", "1"),
            ("findings", "6"),
            ("report", "out/report.json"),
        ];
        assert_eq!(
            pairs,
            expect
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
        let first = text.lines().next().unwrap();
        let delimiter = first.strip_prefix("result<<").unwrap();
        assert_eq!(text.lines().nth(1), Some("fail"));
        assert_eq!(text.lines().nth(2), Some(delimiter));
        assert!(text.ends_with('\n'));

        let pass = outputs(&report_pass(), None);
        let pairs = parse_outputs(&pass);
        assert_eq!(pairs[0], ("result".to_owned(), "pass".to_owned()));
        assert_eq!(pairs[1], ("bounce-rate".to_owned(), "0.0000".to_owned()));
        assert_eq!(pairs[5], ("report".to_owned(), String::new()));
    }

    #[test]
    fn bad_input_is_a_failed_result() {
        let findings = vec![finding(
            "lists/a.csv",
            Some(1),
            Severity::Error,
            None,
            Reason::BadInput {
                problem: InputProblem::EmptyFile,
            },
        )];
        let mut list = list("lists/a.csv", findings);
        list.verdict = Verdict::BadInput;
        let report = report(vec![list], Vec::new());
        assert_eq!(report.verdict, RunVerdict::BadInput);
        assert!(outputs(&report, None).contains("\nfail\n"));
        assert!(step_summary_with(&report, None).starts_with("## bouncegate: ⛔ bad input\n"));
        assert!(annotations(&report).contains("::notice title=bouncegate::BAD INPUT: "));
    }

    #[test]
    fn delimiters_avoid_the_value() {
        let a = delimiter("");
        let b = delimiter("");
        assert_ne!(a, b);
        let value = format!("x\n{a}\ny");
        assert_ne!(delimiter(&value), a);
    }

    #[test]
    fn repo_paths() {
        assert_eq!(repo_path(Path::new("./lists/a.csv")), "lists/a.csv");
        assert_eq!(repo_path(Path::new("lists//a.csv")), "lists/a.csv");
        assert_eq!(repo_path(Path::new("/abs/a.csv")), "/abs/a.csv");
        assert_eq!(repo_path(Path::new("../up/a.csv")), "../up/a.csv");
    }
}
