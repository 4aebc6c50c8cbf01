//! Stage 5: apply the policy to one list: findings per line, the projected bounce rate, and
//! the list's verdict.
//!
//! Projected bounce rate = unique addresses predicted to hard-bounce or suppressed by history
//! (historic hard or repeated soft) / unique addresses of the list. The gate fails when it is
//! strictly greater than `max_bounce_rate`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::finding::{Finding, Reason, Severity};
use crate::history::History;
use crate::lists::{ListFile, SkipReason};
use crate::rules::{Level, Policy};
use crate::syntax::{Checked, CheckedCell};

/// What a list is measured by, for the summary and JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ListStats {
    pub rows_read: usize,
    pub rows_checked: usize,
    pub rows_skipped: usize,
    /// Skipped rows by reason code (`blank`, `comment`, `empty-cell`, `ragged-row`, ...).
    pub skipped: BTreeMap<&'static str, usize>,
    /// Unique addresses (an invalid cell counts by its text).
    pub addresses: usize,
    pub predicted_hard: usize,
    pub historic_hard: usize,
    pub repeated_soft: usize,
    pub duplicates: usize,
    pub sender_blocks: u32,
    /// Unique addresses that are predicted or historic bounces.
    pub bouncing: usize,
    pub bounce_rate: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    /// The list could not be read in full (exit code 2).
    BadInput,
}

/// The gate's word on one list.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    pub path: Arc<Path>,
    pub verdict: Verdict,
    pub stats: ListStats,
    pub findings: Vec<Finding>,
    /// Unique keys of the list, and of those that bounce: for the run-wide rate.
    #[serde(skip)]
    pub keys: HashSet<String>,
    #[serde(skip)]
    pub bouncing_keys: HashSet<String>,
}

/// The end of the soft-bounce window: a day number (UTC days since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub end_day: i64,
    pub days: u32,
}

fn error_if(fails: bool) -> Severity {
    if fails {
        Severity::Error
    } else {
        Severity::Warning
    }
}

fn level_severity(level: Level) -> Option<Severity> {
    match level {
        Level::Error => Some(Severity::Error),
        Level::Warning => Some(Severity::Warning),
        Level::Off => None,
    }
}

/// Judge one list.
pub fn judge(
    list: &ListFile,
    cells: Vec<CheckedCell>,
    history: &History,
    window: Option<Window>,
    policy: &Policy,
) -> ListReport {
    let file: Arc<Path> = Arc::from(list.path.as_path());
    let mut findings = Vec::new();
    let mut stats = ListStats {
        rows_read: cells.len() + list.skips.len(),
        rows_checked: cells.len(),
        rows_skipped: list.skips.len(),
        ..ListStats::default()
    };
    let finding = |line: u64, severity, address: Option<String>, reason| Finding {
        file: file.clone(),
        line: Some(line),
        severity,
        address,
        reason,
    };

    let mut bad_input = false;
    if let Some((line, problem)) = &list.file_problem {
        bad_input = true;
        findings.push(finding(
            *line,
            Severity::Error,
            None,
            Reason::BadInput {
                problem: problem.clone(),
            },
        ));
    }
    for skip in &list.skips {
        *stats.skipped.entry(skip.reason.code()).or_default() += 1;
        match &skip.reason {
            SkipReason::BadInput { problem } => {
                bad_input = true;
                findings.push(finding(
                    skip.line,
                    Severity::Error,
                    None,
                    Reason::BadInput {
                        problem: problem.clone(),
                    },
                ));
            }
            SkipReason::EmptyCell => {
                if let Some(severity) = level_severity(policy.empty_cell) {
                    findings.push(finding(skip.line, severity, None, Reason::EmptyCell));
                }
            }
            SkipReason::Blank | SkipReason::Comment => {}
        }
    }

    // First line of each key; keys that bounce; counted once per unique address.
    let mut first_line: HashMap<String, u64> = HashMap::with_capacity(cells.len());
    let mut bouncing: HashSet<String> = HashSet::new();
    let mut historic: HashSet<String> = HashSet::new();
    let mut repeated: HashSet<String> = HashSet::new();
    let mut predicted: HashSet<String> = HashSet::new();
    for cell in cells {
        let line = cell.line;
        // Only a finding needs the address as text; most rows make none.
        let (key, shown) = match &cell.checked {
            Checked::Valid(address) => (address.key(), address.as_str()),
            Checked::Invalid { text, .. } => (text.as_str(), text.as_str()),
        };
        if cell.padded
            && let Some(severity) = level_severity(policy.whitespace)
        {
            findings.push(finding(
                line,
                severity,
                Some(shown.to_owned()),
                Reason::Whitespace,
            ));
        }
        if let Some(&first) = first_line.get(key) {
            stats.duplicates += 1;
            if let Some(severity) = level_severity(policy.duplicate) {
                findings.push(finding(
                    line,
                    severity,
                    Some(shown.to_owned()),
                    Reason::Duplicate { first_line: first },
                ));
            }
        } else {
            first_line.insert(key.to_owned(), line);
        }
        let reason = match &cell.checked {
            Checked::Invalid { error, .. } => {
                predicted.insert(key.to_owned());
                Some((
                    error_if(policy.fail_on_predicted_hard),
                    Reason::PredictedHard {
                        error: error.clone(),
                    },
                ))
            }
            Checked::Valid(_) => match history.by_address.get(key) {
                None => None,
                Some(past) => match (&past.suppressed_by, window) {
                    (Some(evidence), _) => {
                        historic.insert(key.to_owned());
                        Some((
                            error_if(policy.fail_on_historic_hard),
                            Reason::HistoricHard {
                                evidence: evidence.clone(),
                            },
                        ))
                    }
                    (None, Some(window)) => {
                        let days = past.soft_days_within(window.end_day, window.days);
                        let latest = days.iter().max_by_key(|e| e.time);
                        match latest {
                            Some(latest) if days.len() >= policy.soft_suppress_after as usize => {
                                repeated.insert(key.to_owned());
                                Some((
                                    error_if(policy.fail_on_repeated_soft),
                                    Reason::RepeatedSoft {
                                        days: days.len(),
                                        window_days: window.days,
                                        latest: (*latest).clone(),
                                    },
                                ))
                            }
                            _ => None,
                        }
                    }
                    (None, None) => None,
                },
            },
        };
        if let Some((severity, reason)) = reason {
            bouncing.insert(key.to_owned());
            findings.push(finding(line, severity, Some(shown.to_owned()), reason));
        }
    }

    stats.addresses = first_line.len();
    stats.predicted_hard = predicted.len();
    stats.historic_hard = historic.len();
    stats.repeated_soft = repeated.len();
    stats.bouncing = bouncing.len();
    stats.bounce_rate = rate(stats.bouncing, stats.addresses);
    stats.sender_blocks = first_line
        .keys()
        .filter_map(|key| history.by_address.get(key))
        .map(|past| past.sender_blocks)
        .sum();

    if stats.sender_blocks > 0
        && let Some(severity) = level_severity(policy.sender_blocks)
    {
        let addresses = first_line
            .keys()
            .filter(|key| {
                history
                    .by_address
                    .get(*key)
                    .is_some_and(|past| past.sender_blocks > 0)
            })
            .count();
        findings.push(Finding {
            file: file.clone(),
            line: None,
            severity,
            address: None,
            reason: Reason::SenderBlocks {
                blocks: stats.sender_blocks,
                addresses,
            },
        });
    }
    if stats.bounce_rate > policy.max_bounce_rate {
        findings.push(Finding {
            file: file.clone(),
            line: None,
            severity: error_if(policy.fail_on_bounce_rate),
            address: None,
            reason: Reason::BounceRate {
                rate: stats.bounce_rate,
                limit: policy.max_bounce_rate,
                bouncing: stats.bouncing,
                addresses: stats.addresses,
            },
        });
    }

    findings.sort_by_key(|f| (f.line.unwrap_or(u64::MAX), f.reason.rank()));
    let verdict = if bad_input {
        Verdict::BadInput
    } else if findings.iter().any(|f| f.severity == Severity::Error) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    ListReport {
        path: file,
        verdict,
        stats,
        findings,
        keys: first_line.into_keys().collect(),
        bouncing_keys: bouncing,
    }
}

/// `bouncing / addresses`, 0 for an empty list.
pub fn rate(bouncing: usize, addresses: usize) -> f64 {
    if addresses == 0 {
        0.0
    } else {
        bouncing as f64 / addresses as f64
    }
}
