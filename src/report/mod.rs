//! Stage 6: the report, for people (grouped by file, colour on a terminal) and as JSON (a
//! versioned schema, documented in docs/report-schema.md); [`github`] writes it for GitHub
//! Actions (annotations, job summary, outputs) and [`sarif`] for code scanning.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::bounces::history::{History, HistoryRowProblem};
use crate::config::{Level, Policy};
use crate::domains::DomainReport;
use crate::finding::{Finding, Reason, Severity, percents_apart};
use crate::gate::{AddressSet, ListReport, Verdict, Window, rate};
use crate::walk::SkippedPath;

pub mod github;
mod human;
mod json;
pub mod sarif;

pub use human::{DEFAULT_MAX_FINDINGS, HumanOptions};

/// Bump on any change that could break a reader of the JSON report.
pub const JSON_SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunVerdict {
    Pass,
    Fail,
    /// Some input could not be read: exit code 2, whatever the gate says.
    BadInput,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub lists: usize,
    pub rows_read: usize,
    pub rows_checked: usize,
    pub rows_skipped: usize,
    /// Unique addresses across all lists.
    pub addresses: usize,
    pub predicted_hard: usize,
    pub historic_hard: usize,
    pub repeated_soft: usize,
    pub complaints: usize,
    /// Addresses with each risk flag reported, summed over the lists.
    pub role_account: usize,
    pub disposable_domain: usize,
    pub typo_domain: usize,
    pub duplicates: usize,
    pub bouncing: usize,
    pub bounce_rate: f64,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistorySummary {
    pub files: Vec<PathBuf>,
    pub events_read: usize,
    pub events_used: usize,
    pub addresses: usize,
    /// The last day of the soft-bounce window (UTC), when there is one.
    pub window_end: Option<String>,
    pub window_days: u32,
    #[serde(serialize_with = "crate::finding::serialize_findings")]
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub bad_input: bool,
}

impl HistorySummary {
    pub fn new(history: History, window: Option<Window>, policy: &Policy) -> HistorySummary {
        let row_severity = match policy.history_row {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        };
        let mut bad_input = false;
        let findings = history
            .problems
            .into_iter()
            .filter_map(|problem| {
                let severity = if problem.whole_file {
                    bad_input = true;
                    Severity::Error
                } else {
                    row_severity?
                };
                let reason = match problem.problem {
                    HistoryRowProblem::BadInput { problem } if problem.is_whole_file() => {
                        Reason::BadInput { problem }
                    }
                    // A provider's export that cannot be read at all.
                    HistoryRowProblem::Import { format, message } if problem.whole_file => {
                        Reason::BadInput {
                            problem: crate::table::InputProblem::Unreadable {
                                detail: format!("as {format}: it {message}"),
                            },
                        }
                    }
                    problem => Reason::HistoryRow { problem },
                };
                Some(Finding {
                    file: problem.file,
                    line: (problem.line > 0).then_some(problem.line),
                    severity,
                    address: None,
                    reason,
                })
            })
            .collect();
        let addresses = history.by_address.len();
        crate::drop_in_background(history.by_address);
        HistorySummary {
            files: history.files,
            events_read: history.events_read,
            events_used: history.events_used,
            addresses,
            window_end: window.map(|w| crate::bounces::history::format_day(w.end_day * 86_400)),
            window_days: policy.soft_within_days,
            findings,
            bad_input,
        }
    }
}

/// What `--changed-since` limited the check to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScopeSummary {
    pub reference: String,
    /// The merge base of the reference and HEAD.
    pub base: String,
    pub lists_changed: usize,
    pub lists_unchanged: usize,
    /// The changed history or rules file that made every list be checked, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_lists_because: Option<PathBuf>,
}

impl ScopeSummary {
    /// `changed since main (base 1a2b3c4d5e6f): 2 lists checked, 3 unchanged lists skipped`,
    /// or why every list was checked.
    pub fn line(&self) -> String {
        let base = &self.base[..self.base.len().min(12)];
        match &self.all_lists_because {
            Some(file) => format!(
                "changed since {} (base {base}): {} changed, so all {} lists checked",
                self.reference,
                file.display(),
                self.lists_changed
            ),
            None => format!(
                "changed since {} (base {base}): {} lists checked, {} unchanged lists skipped",
                self.reference, self.lists_changed, self.lists_unchanged
            ),
        }
    }
}

/// How long each stage took, in milliseconds (lists are read and checked while the history
/// loads, so the stages overlap).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Reading the lists and checking their syntax.
    pub lists_ms: u128,
    /// Checking the domains over DNS (overlaps the history).
    pub dns_ms: u128,
    pub history_ms: u128,
    pub gate_ms: u128,
    pub total_ms: u128,
}

impl HistorySummary {
    /// `files 1, events read 7, used 7, addresses 5; soft-bounce window: 90 days to 2026-04-07`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "files {}, events read {}, used {}, addresses {}",
            self.files.len(),
            self.events_read,
            self.events_used,
            self.addresses
        );
        if let Some(end) = &self.window_end {
            line.push_str(&format!(
                "; soft-bounce window: {} days to {end}",
                self.window_days
            ));
        }
        line
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub verdict: RunVerdict,
    pub exit_code: i32,
    pub policy: Policy,
    pub totals: Totals,
    pub lists: Vec<ListReport>,
    pub history: HistorySummary,
    /// Every domain verdict of the run.
    pub dns: DomainReport,
    /// Set with `--changed-since`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeSummary>,
    /// Paths a directory walk left out, with why (a symbolic link out of the repository, a
    /// FIFO): no list is skipped without a word.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_paths: Vec<SkippedPath>,
    /// The user's rules file layered over the built-in rules; `null`: the built-in rules.
    pub rules_file: Option<PathBuf>,
    pub timings: Timings,
    /// Set by `check --shard`: what `merge` needs beyond the report of the shard's share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Box<crate::shard::ShardInfo>>,
}

impl Report {
    pub fn new(
        lists: Vec<ListReport>,
        history: HistorySummary,
        dns: DomainReport,
        policy: Policy,
    ) -> Report {
        let mut totals = Totals {
            lists: lists.len(),
            ..Totals::default()
        };
        for list in &lists {
            let s = &list.stats;
            totals.rows_read += s.rows_read;
            totals.rows_checked += s.rows_checked;
            totals.rows_skipped += s.rows_skipped;
            totals.predicted_hard += s.predicted_hard;
            totals.historic_hard += s.historic_hard;
            totals.repeated_soft += s.repeated_soft;
            totals.complaints += s.complaints;
            totals.role_account += s.role_account;
            totals.disposable_domain += s.disposable_domain;
            totals.typo_domain += s.typo_domain;
            totals.duplicates += s.duplicates;
        }
        (totals.addresses, totals.bouncing) = unique_across(&lists);
        totals.bounce_rate = rate(totals.bouncing, totals.addresses);
        let all_findings = lists
            .iter()
            .flat_map(|l| &l.findings)
            .chain(&history.findings);
        for finding in all_findings {
            match finding.severity {
                Severity::Error => totals.errors += 1,
                Severity::Warning => totals.warnings += 1,
            }
        }

        let bad_input = history.bad_input || lists.iter().any(|l| l.verdict == Verdict::BadInput);
        // The run fails when a list fails. The rate over all lists is shown, not gated: each
        // list is gated on its own, so a failure always names the list it is about.
        let verdict = if bad_input {
            RunVerdict::BadInput
        } else if lists.iter().any(|l| l.verdict == Verdict::Fail)
            || history
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error)
        {
            RunVerdict::Fail
        } else {
            RunVerdict::Pass
        };
        Report {
            schema_version: JSON_SCHEMA_VERSION,
            exit_code: match verdict {
                RunVerdict::Pass => 0,
                RunVerdict::Fail => 1,
                RunVerdict::BadInput => 2,
            },
            verdict,
            policy,
            totals,
            lists,
            history,
            dns,
            scope: None,
            skipped_paths: Vec::new(),
            rules_file: None,
            timings: Timings::default(),
            shard: None,
        }
    }

    /// `lists 3, addresses 40, ...; bounce rate 10.00% (limit 2.00%); errors 5, warnings 3`:
    /// the totals as every output says them (terminal, annotations, job summary).
    pub fn totals_line(&self) -> String {
        let t = &self.totals;
        let (rate, limit) = percents_apart(t.bounce_rate, self.policy.max_bounce_rate);
        format!(
            "lists {}, addresses {}, predicted hard {}, historic hard {}, repeated soft {}{}{}; bounce rate {rate} (limit {limit}); errors {}, warnings {}",
            t.lists,
            t.addresses,
            t.predicted_hard,
            t.historic_hard,
            t.repeated_soft,
            complaints(t.complaints),
            risk_counts([t.role_account, t.disposable_domain, t.typo_domain]),
            t.errors,
            t.warnings
        )
    }

    /// What judged the lists: `rules rules.yaml (over the built-in rules); history
    /// bounces/a.csv, bounces/b.csv`, or `built-in rules; no history`.
    pub fn inputs_line(&self) -> String {
        const NAMED: usize = 3;
        let rules = match &self.rules_file {
            Some(path) => format!("rules {} (over the built-in rules)", path.display()),
            None => "built-in rules".to_owned(),
        };
        let files = &self.history.files;
        let history = if files.is_empty() {
            "no history".to_owned()
        } else {
            let named: Vec<String> = files
                .iter()
                .take(NAMED)
                .map(|path| path.display().to_string())
                .collect();
            let more = files.len().saturating_sub(NAMED);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("history {}{more}", named.join(", "))
        };
        format!("bouncegate: {rules}; {history}")
    }
}

/// `, complaints N` when there are any: most histories hold none, and the summary lines stay
/// as they were for them.
fn complaints(count: usize) -> String {
    if count == 0 {
        String::new()
    } else {
        format!(", complaints {count}")
    }
}

/// `, role accounts 2, typo domains 1`: the risk flags' counts that are not 0.
pub(crate) fn risk_counts(counts: [usize; 3]) -> String {
    let names = ["role accounts", "disposable domains", "typo domains"];
    names
        .iter()
        .zip(counts)
        .filter(|(_, count)| *count > 0)
        .map(|(name, count)| format!(", {name} {count}"))
        .collect()
}

/// Unique addresses, and unique bouncing ones, across all lists: an address on two lists
/// counts once.
fn unique_across(lists: &[ListReport]) -> (usize, usize) {
    (
        AddressSet::union_len(lists.iter().map(|list| &list.keys)),
        AddressSet::union_len(lists.iter().map(|list| &list.bouncing_keys)),
    )
}

#[cfg(test)]
mod tests;
