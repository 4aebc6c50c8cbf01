//! Markdown for `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;
use std::path::Path;

use super::{SUMMARY_LIMIT, TOP_FINDINGS, ordered, percent_encode, repo_path};
use crate::finding::{Finding, percent, percents_apart};
use crate::gate::{ListReport, Verdict};
use crate::report::{Report, RunVerdict};

/// Longer messages and cells are cut in the step summary, so that one row stays small.
pub(super) const CELL_CHARS: usize = 1_000;

/// The list table gets at most this many bytes, the rest of the budget is for findings.
pub(super) const LIST_TABLE_BUDGET: usize = 300_000;

/// Room kept for closing the details section and the note that says what was cut.
pub(super) const TAIL_RESERVE: usize = 2_000;

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
pub(super) fn md(text: &str) -> String {
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

pub(super) fn location(finding: &Finding, links: Option<&Links>) -> String {
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

pub(super) fn finding_row(finding: &Finding, links: Option<&Links>) -> String {
    format!(
        "| {} | {} | {} | {} |\n",
        location(finding, links),
        finding.severity,
        md(finding.code()),
        md(&finding.message())
    )
}

pub(super) const FINDINGS_HEADER: &str =
    "| Location | Severity | Code | Message |\n|---|---|---|---|\n";

pub(super) fn list_row(list: &ListReport, report: &Report) -> String {
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

/// The risk flags per list, when any list has one (the lists with none are left out).
fn risk_table(out: &mut String, report: &Report) {
    let flagged: Vec<&ListReport> = report
        .lists
        .iter()
        .filter(|l| l.stats.role_account + l.stats.disposable_domain + l.stats.typo_domain > 0)
        .collect();
    if flagged.is_empty() {
        return;
    }
    out.push_str("### Risk flags (advisories)\n\n");
    out.push_str(
        "| List | Role accounts | Disposable domains | Typo domains |\n|---|--:|--:|--:|\n",
    );
    let start = out.len();
    for (shown, list) in flagged.iter().enumerate() {
        let s = &list.stats;
        let row = format!(
            "| {} | {} | {} | {} |\n",
            md(&repo_path(&list.path)),
            s.role_account,
            s.disposable_domain,
            s.typo_domain
        );
        if out.len() - start + row.len() > LIST_TABLE_BUDGET {
            let _ = writeln!(
                out,
                "\n{} more lists are not shown here.",
                flagged.len() - shown
            );
            break;
        }
        out.push_str(&row);
    }
    out.push('\n');
}

/// Markdown for `$GITHUB_STEP_SUMMARY`, with `file:line` links when `GITHUB_SERVER_URL`,
/// `GITHUB_REPOSITORY` and `GITHUB_SHA` are set. See [`step_summary_with`].
pub fn step_summary(report: &Report) -> String {
    step_summary_with(report, Links::from_env().as_ref())
}

/// Markdown for `$GITHUB_STEP_SUMMARY`: the verdict, a table per list, the top findings and
/// the other findings in a `<details>` section; never more than [`SUMMARY_LIMIT`] bytes (the
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
        risk_table(&mut out, report);
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

    // The details hold the findings the table above does not show: none is listed twice.
    let rest = &findings[top..];
    if rest.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "<details><summary>The other {} findings</summary>\n",
        rest.len()
    );
    out.push_str(FINDINGS_HEADER);
    let mut left_out = 0;
    for (shown, finding) in rest.iter().enumerate() {
        let row = finding_row(finding, links);
        if out.len() + row.len() + TAIL_RESERVE > SUMMARY_LIMIT {
            left_out = rest.len() - shown;
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
