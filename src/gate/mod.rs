//! Stage 5: apply the policy to one list: findings per line, the projected bounce rate, and
//! the list's verdict.
//!
//! Projected bounce rate = unique addresses predicted to hard-bounce or suppressed by history
//! (historic hard or repeated soft) / unique addresses of the list. The gate fails when it is
//! strictly greater than `max_bounce_rate`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bounces::history::{AddressHistory, History};
use crate::config::{ComplaintPolicy, Level, Policy};
use crate::domains::{DomainReport, DomainVerdict};
use crate::finding::{Finding, Reason, Severity};
use crate::lists::{ListFile, SkipReason};
use crate::risk::RiskReport;
use crate::syntax::{Checked, CheckedCell};

mod risk;

/// What a list is measured by, for the summary and JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListStats {
    pub rows_read: usize,
    pub rows_checked: usize,
    pub rows_skipped: usize,
    /// Skipped rows by reason code (`blank`, `comment`, `empty-cell`, `ragged-row`, ...).
    #[serde(deserialize_with = "crate::intern::code_keys")]
    pub skipped: BTreeMap<&'static str, usize>,
    /// Unique addresses (an invalid cell counts by its text).
    pub addresses: usize,
    pub predicted_hard: usize,
    pub historic_hard: usize,
    pub repeated_soft: usize,
    /// Unique addresses with a complaint in the history (not bounces: not in the rate).
    pub complaints: usize,
    /// Unique addresses with each risk flag reported (not bounces, unless
    /// `policy.risky_counts_as_bounce`).
    pub role_account: usize,
    pub disposable_domain: usize,
    pub typo_domain: usize,
    pub duplicates: usize,
    pub sender_blocks: u32,
    /// Unique addresses by domain verdict (`mx`, `domain-not-found`, ...), when DNS ran.
    #[serde(deserialize_with = "crate::intern::code_keys")]
    pub domains: BTreeMap<&'static str, usize>,
    /// With `--changed-since`: the addresses the change adds, judged on their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<AddedStats>,
    /// Unique addresses that are predicted or historic bounces.
    pub bouncing: usize,
    pub bounce_rate: f64,
}

/// The addresses a change adds to a list (not in the list at the base revision).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AddedStats {
    pub addresses: usize,
    pub bouncing: usize,
    pub bounce_rate: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    /// The list could not be read in full (exit code 2).
    BadInput,
}

impl Verdict {
    /// Bad input wins; else any error fails the list.
    pub(crate) fn of(bad_input: bool, findings: &[Finding]) -> Verdict {
        if bad_input {
            Verdict::BadInput
        } else if findings.iter().any(|f| f.severity == Severity::Error) {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }
}

/// The gate's word on one list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListReport {
    pub path: Arc<Path>,
    pub verdict: Verdict,
    pub stats: ListStats,
    pub findings: Vec<Finding>,
    /// Unique keys of the list, and of those that bounce: for the run-wide rate.
    #[serde(skip)]
    pub keys: Keys,
    #[serde(skip)]
    pub bouncing_keys: KeySet,
    /// Unique addresses with sender blocks (the `sender-blocks` finding says how many): kept
    /// so that shards of one list add up ([`conclude`]).
    #[serde(skip)]
    pub blocked_addresses: usize,
}

/// Each unique address key of a list, with the line it first appears on.
pub type Keys = foldhash::HashMap<Box<str>, u64>;
pub type KeySet = foldhash::HashSet<Box<str>>;

/// One row after phase 1 of [`judge`].
struct JudgedRow<'a> {
    line: u64,
    /// The identity the row is matched by.
    key: Box<str>,
    /// The address as shown, when it differs from the key (a case-folded local part).
    display: Option<Box<str>>,
    padded: bool,
    /// Boxed: most rows have none, and a million rows must stay small.
    verdict: Option<Box<(Severity, Reason)>>,
    /// The domain's verdict, when DNS ran and the syntax is valid.
    domain: Option<&'a DomainVerdict>,
    sender_blocks: u32,
    risk: Option<Box<risk::RowRisk<'a>>>,
}

fn judge_row<'a>(cell: CheckedCell, context: &Context<'a>) -> JudgedRow<'a> {
    let Context {
        domains,
        history,
        window,
        policy,
        risk,
    } = *context;
    let (key, display, error) = match cell.checked {
        Checked::Valid(address) => {
            let (key, display) = address.into_key_and_display();
            (key, display, None)
        }
        Checked::Invalid { text, error } => (text, None, Some(error)),
    };
    let past = match error {
        Some(_) => None,
        None => history.by_address.get(&*key),
    };
    // `local@domain`, split once (a quoted local part may hold an @).
    let parts = match error {
        Some(_) => None,
        None => memchr::memrchr(b'@', key.as_bytes()).map(|at| (&key[..at], &key[at + 1..])),
    };
    let domain = parts.and_then(|(_, domain)| domains.get(domain));
    let risk = parts.and_then(|(local, domain)| risk::of(local, domain, risk));
    // Bad syntax first; then the history, which is evidence (and what `fix` removes, DNS or
    // not); the domain's verdict counts for the rows the history says nothing about
    // (grouped per domain in phase 2).
    let verdict = match (error, past) {
        (Some(error), _) => Some(Box::new((
            error_if(policy.fail_on_predicted_hard),
            Reason::PredictedHard { error: *error },
        ))),
        (None, Some(past)) => history_verdict(past, window, policy).map(Box::new),
        (None, None) => None,
    };
    JudgedRow {
        line: cell.line,
        key,
        display,
        padded: cell.padded,
        verdict,
        domain,
        sender_blocks: past.map_or(0, |past| past.sender_blocks),
        risk,
    }
}

/// The domain of an address key (`local@domain`; a quoted local part may hold an @).
fn domain_of(key: &str) -> &str {
    key.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// The addresses of one list on one domain that is not plain MX.
struct DomainGroup<'a> {
    domain: String,
    verdict: &'a DomainVerdict,
    first_address: String,
    lines: Vec<u64>,
    addresses: usize,
}

/// Domain groups in order of their first line.
#[derive(Default)]
struct DomainGroups<'a> {
    index: foldhash::HashMap<String, usize>,
    groups: Vec<DomainGroup<'a>>,
}

impl<'a> DomainGroups<'a> {
    fn add(
        &mut self,
        domain: &str,
        verdict: &'a DomainVerdict,
        line: u64,
        is_new: bool,
        shown: impl FnOnce() -> String,
    ) {
        let index = match self.index.get(domain) {
            Some(&index) => index,
            None => {
                self.index.insert(domain.to_owned(), self.groups.len());
                self.groups.push(DomainGroup {
                    domain: domain.to_owned(),
                    verdict,
                    first_address: shown(),
                    lines: Vec::new(),
                    addresses: 0,
                });
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[index];
        group.lines.push(line);
        group.addresses += usize::from(is_new);
    }

    fn into_groups(self) -> Vec<DomainGroup<'a>> {
        self.groups
    }
}

/// A suppressing bounce, or enough counted soft bounces inside the window; else a complaint,
/// as the policy says.
fn history_verdict(
    past: &AddressHistory,
    window: Option<Window>,
    policy: &Policy,
) -> Option<(Severity, Reason)> {
    if let Some(evidence) = &past.suppressed_by {
        return Some((
            error_if(policy.fail_on_historic_hard),
            Reason::HistoricHard {
                evidence: evidence.clone(),
            },
        ));
    }
    let complaint = || {
        let evidence = past.complained_by.as_deref()?.clone();
        let severity = match policy.complaints {
            ComplaintPolicy::Suppress => Severity::Error,
            ComplaintPolicy::Warn => Severity::Warning,
            ComplaintPolicy::Ignore => return None,
        };
        Some((
            severity,
            Reason::Complaint {
                evidence: Box::new(evidence),
            },
        ))
    };
    let Some(window) = window else {
        return complaint();
    };
    let days = past.soft_days_within(window.end_day, window.days);
    if days.len() < policy.soft_suppress_after as usize {
        return complaint();
    }
    let latest = days.iter().max_by_key(|e| e.time)?;
    Some((
        error_if(policy.fail_on_repeated_soft),
        Reason::RepeatedSoft {
            days: days.len(),
            window_days: window.days,
            latest: Box::new((*latest).clone()),
        },
    ))
}

/// The end of the soft-bounce window: a day number (UTC days since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub end_day: i64,
    pub days: u32,
}

pub(crate) fn error_if(fails: bool) -> Severity {
    if fails {
        Severity::Error
    } else {
        Severity::Warning
    }
}

pub(crate) fn level_severity(level: Level) -> Option<Severity> {
    match level {
        Level::Error => Some(Severity::Error),
        Level::Warning => Some(Severity::Warning),
        Level::Off => None,
    }
}

/// What every list is judged against.
pub struct Context<'a> {
    pub domains: &'a DomainReport,
    pub history: &'a History,
    pub window: Option<Window>,
    pub policy: &'a Policy,
    /// The risk flags' lookups (role names, flagged domains).
    pub risk: &'a RiskReport,
}

/// Judge one list. `previous` holds the keys the list had at the base revision of
/// `--changed-since`: the addresses not among them are the ones the change adds.
pub fn judge(
    list: &ListFile,
    cells: Vec<CheckedCell>,
    previous: Option<&KeySet>,
    context: &Context<'_>,
) -> ListReport {
    let Context {
        domains, policy, ..
    } = *context;
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

    if let Some((used, other)) = &list.other_email_column {
        findings.push(finding(
            1,
            Severity::Warning,
            None,
            Reason::OtherEmailColumn {
                used: used.clone(),
                other: other.clone(),
            },
        ));
    }
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

    // Phase 1, on all cores: each row's own verdict, from its syntax or its history.
    let rows: Vec<JudgedRow> = cells
        .into_par_iter()
        .with_min_len(4096)
        .map(|cell| judge_row(cell, context))
        .collect();

    // Phase 2, in file order: duplicates, findings, and unique counts.
    let mut first_line: Keys = Keys::with_capacity_and_hasher(rows.len(), Default::default());
    let mut bouncing = KeySet::default();
    let mut predicted = 0;
    let mut historic = 0;
    let mut repeated = 0;
    let mut blocked_addresses = 0;
    let mut groups = DomainGroups::default();
    let mut added = AddedStats::default();
    for row in rows {
        let mut row_bounces = false;
        // A bounce in the history outweighs the domain's verdict; a complaint does not.
        let judged_by_history = row
            .verdict
            .as_ref()
            .is_some_and(|verdict| !matches!(verdict.1, Reason::Complaint { .. }));
        let shown = || row.display.as_deref().unwrap_or(&row.key).to_owned();
        if row.padded
            && let Some(severity) = level_severity(policy.whitespace)
        {
            findings.push(finding(
                row.line,
                severity,
                Some(shown()),
                Reason::Whitespace,
            ));
        }
        let is_new = match first_line.get(&row.key) {
            Some(&first) => {
                stats.duplicates += 1;
                if let Some(severity) = level_severity(policy.duplicate) {
                    findings.push(finding(
                        row.line,
                        severity,
                        Some(shown()),
                        Reason::Duplicate { first_line: first },
                    ));
                }
                false
            }
            None => true,
        };
        if let Some(verdict) = row.verdict {
            let (severity, reason) = *verdict;
            if is_new {
                match reason {
                    Reason::PredictedHard { .. } => predicted += 1,
                    Reason::HistoricHard { .. } => historic += 1,
                    Reason::Complaint { .. } => stats.complaints += 1,
                    _ => repeated += 1,
                }
                // A complaint is no bounce: it is reported, not counted in the rate.
                if !matches!(reason, Reason::Complaint { .. }) {
                    bouncing.insert(row.key.clone());
                    row_bounces = true;
                }
            }
            findings.push(finding(row.line, severity, Some(shown()), reason));
        }
        if let Some(verdict) = row.domain
            && is_new
        {
            *stats.domains.entry(verdict.code()).or_default() += 1;
        }
        if let Some(verdict) = row
            .domain
            .filter(|v| !judged_by_history && !matches!(v, DomainVerdict::Mx { .. }))
        {
            let bounces = verdict.is_predicted_hard()
                || (policy.unknown_counts_as_bounce
                    && matches!(verdict, DomainVerdict::DnsUnknown { .. }));
            if is_new {
                if verdict.is_predicted_hard() {
                    predicted += 1;
                }
                if bounces {
                    bouncing.insert(row.key.clone());
                    row_bounces = true;
                }
            }
            groups.add(domain_of(&row.key), verdict, row.line, is_new, shown);
        }
        if let Some(row_risk) = &row.risk {
            for (severity, flag) in risk::flags(row_risk, domain_of(&row.key), policy) {
                if is_new {
                    risk::count(&flag, &mut stats);
                    if policy.risky_counts_as_bounce {
                        bouncing.insert(row.key.clone());
                        row_bounces = true;
                    }
                }
                findings.push(finding(
                    row.line,
                    severity,
                    Some(shown()),
                    Reason::Risk(flag),
                ));
            }
        }
        if is_new && previous.is_some_and(|previous| !previous.contains(&row.key)) {
            added.addresses += 1;
            added.bouncing += usize::from(row_bounces);
        }
        if is_new {
            if row.sender_blocks > 0 {
                stats.sender_blocks += row.sender_blocks;
                blocked_addresses += 1;
            }
            first_line.insert(row.key, row.line);
        }
    }

    for group in groups.into_groups() {
        let severity = if group.verdict.is_predicted_hard() {
            Some(error_if(policy.fail_on_predicted_hard))
        } else if matches!(group.verdict, DomainVerdict::DnsUnknown { .. }) {
            // When no name server answered at all, that was said once, and a warning per
            // domain would only repeat it; but a gate told to fail on unknown domains fails,
            // and names their lines.
            match (policy.fail_on_unknown, domains.all_unknown()) {
                (true, _) => Some(Severity::Error),
                (false, true) => None,
                (false, false) => Some(Severity::Warning),
            }
        } else {
            level_severity(policy.implicit_mx)
        };
        if let Some(severity) = severity {
            findings.push(finding(
                group.lines[0],
                severity,
                Some(group.first_address),
                Reason::Domain {
                    domain: group.domain,
                    verdict: group.verdict.clone(),
                    addresses: group.addresses,
                    lines: group.lines,
                },
            ));
        }
    }

    stats.addresses = first_line.len();
    stats.predicted_hard = predicted;
    stats.historic_hard = historic;
    stats.repeated_soft = repeated;
    stats.bouncing = bouncing.len();
    if previous.is_some() {
        stats.added = Some(added);
    }
    conclude(
        ListReport {
            path: file,
            verdict: if bad_input {
                Verdict::BadInput
            } else {
                Verdict::Pass
            },
            stats,
            findings,
            keys: first_line,
            bouncing_keys: bouncing,
            blocked_addresses,
        },
        policy,
    )
}

mod conclude;
pub use conclude::{conclude, is_conclusion, rate};

#[cfg(test)]
mod tests;
