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

use crate::bounces::history::History;
use crate::config::{Level, Policy};
use crate::domains::{DomainReport, DomainVerdict};
use crate::finding::{Finding, Reason, Severity};
use crate::lists::{ListFile, SkipReason};
use crate::risk::RiskReport;
use crate::syntax::{CellView, Checked, CheckedCells, key_hash};

mod history;
mod keys;
mod risk;

pub use history::Window;
use history::history_verdict;
pub use keys::AddressSet;

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
    #[serde(serialize_with = "crate::finding::serialize_findings")]
    pub findings: Vec<Finding>,
    /// Unique keys of the list, and of those that bounce: for the run-wide rate.
    #[serde(skip)]
    pub keys: AddressSet,
    #[serde(skip)]
    pub bouncing_keys: AddressSet,
    /// Unique addresses with sender blocks (the `sender-blocks` finding says how many): kept
    /// so that shards of one list add up ([`conclude`]).
    #[serde(skip)]
    pub blocked_addresses: usize,
}

/// Rows judged a chunk at a time on each core.
const JUDGE_CHUNK: usize = 16_384;

/// The address keys a list had at the base revision of `--changed-since`.
pub type KeySet = foldhash::HashSet<Box<str>>;

/// What phase 1 of [`judge`] finds about one row, when there is anything to say (most rows
/// have nothing, and cost nothing).
struct RowNote<'a> {
    verdict: Option<(Severity, Reason)>,
    /// The domain's verdict, when DNS ran, the syntax is valid and it is not plain MX.
    domain: Option<&'a DomainVerdict>,
    sender_blocks: u32,
    risk: Option<risk::RowRisk<'a>>,
}

/// A chunk's notes, each with its row.
type Notes<'a> = Vec<(usize, Box<RowNote<'a>>)>;

/// A row's note, and whether its domain has plain MX (counted apart: it needs no note).
fn judge_row<'a>(
    cell: CellView<'_>,
    hash: u128,
    context: &Context<'a>,
) -> (Option<Box<RowNote<'a>>>, bool) {
    let Context {
        domains,
        history,
        window,
        policy,
        risk,
    } = *context;
    let key = cell.checked.key();
    let error = match cell.checked {
        Checked::Valid(_) => None,
        Checked::Invalid(invalid) => Some(&invalid.error),
    };
    let past = match error {
        Some(_) => None,
        None => history.get_hashed(key, hash),
    };
    // `local@domain`, split once (a quoted local part may hold an @).
    let parts = match error {
        Some(_) => None,
        None => memchr::memrchr(b'@', key.as_bytes()).map(|at| (&key[..at], &key[at + 1..])),
    };
    let domain = parts.and_then(|(_, domain)| domains.get(domain));
    let has_mx = matches!(domain, Some(DomainVerdict::Mx { .. }));
    let risk = parts.and_then(|(local, domain)| risk::of(local, domain, risk));
    // Bad syntax first; then the history, which is evidence (and what `fix` removes, DNS or
    // not); the domain's verdict counts for the rows the history says nothing about
    // (grouped per domain in phase 2).
    let verdict = match (error, past) {
        (Some(error), _) => Some((
            error_if(policy.fail_on_predicted_hard),
            Reason::PredictedHard {
                error: error.clone(),
            },
        )),
        (None, Some(past)) => history_verdict(past, window, policy),
        (None, None) => None,
    };
    let sender_blocks = past.map_or(0, |past| past.sender_blocks);
    let domain = domain.filter(|_| !has_mx);
    let note =
        (verdict.is_some() || domain.is_some() || sender_blocks > 0 || risk.is_some()).then(|| {
            Box::new(RowNote {
                verdict,
                domain,
                sender_blocks,
                risk,
            })
        });
    (note, has_mx)
}

/// Whether the row's address is valid and its domain has plain MX (as [`judge_row`] says).
fn has_mx(cell: CellView<'_>, domains: &DomainReport) -> bool {
    let valid = matches!(cell.checked, Checked::Valid(_));
    valid
        && matches!(
            domains.get(domain_of(cell.checked.key())),
            Some(DomainVerdict::Mx { .. })
        )
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
    cells: CheckedCells,
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

    // Phase 1, on all cores: each row's key hash (for the duplicates, the history's filter
    // and the sets of unique addresses), then, side by side, which rows repeat an earlier one
    // (a sort on one core) and each row's own verdict, from its syntax or its history (on the
    // cores the sort leaves); the rows on domains with plain MX are counted.
    let rows = cells.view();
    let mut hashes = vec![0u128; rows.len()];
    rows.par_chunks(JUDGE_CHUNK)
        .zip(hashes.par_chunks_mut(JUDGE_CHUNK))
        .for_each(|(rows, hashes)| {
            for (cell, hash) in rows.iter().zip(hashes) {
                *hash = key_hash(cell.checked.key());
            }
        });
    let key_of = |row: usize| rows.get(row).checked.key();
    let (first_rows, judged) = rayon::join(
        || keys::first_rows(&hashes, key_of),
        || {
            // Only the rows with something to say get a note, kept with their row.
            rows.par_chunks(JUDGE_CHUNK)
                .zip(hashes.par_chunks(JUDGE_CHUNK))
                .enumerate()
                .map(|(chunk, (rows, hashes))| {
                    let mut notes = Vec::new();
                    let mut with_mx = 0;
                    for (offset, (cell, &hash)) in rows.iter().zip(hashes).enumerate() {
                        let (note, has_mx) = judge_row(cell, hash, context);
                        with_mx += usize::from(has_mx);
                        notes.extend(note.map(|note| (chunk * JUDGE_CHUNK + offset, note)));
                    }
                    (notes, with_mx)
                })
                .collect::<Vec<(Notes, usize)>>()
        },
    );
    let rows_with_mx: usize = judged.iter().map(|(_, count)| count).sum();
    let mut notes = judged.into_iter().flat_map(|(notes, _)| notes).peekable();

    // Phase 2, in file order: duplicates, findings, and unique counts.
    let mut bouncing_rows = Vec::new();
    let mut predicted = 0;
    let mut historic = 0;
    let mut repeated = 0;
    let mut blocked_addresses = 0;
    let mut groups = DomainGroups::default();
    let mut added = AddedStats::default();
    // A copy of an address on a domain with plain MX: counted in phase 1, but not new.
    let mut copies_with_mx = 0;
    for (index, cell) in rows.iter().enumerate() {
        let note = notes
            .next_if(|(row, _)| *row == index)
            .map(|(_, note)| note);
        // Most rows need neither their key nor their text here: neither is read for them.
        let key = || cell.checked.key();
        let shown = || cell.checked.shown().to_owned();
        if cell.padded()
            && let Some(severity) = level_severity(policy.whitespace)
        {
            findings.push(finding(
                cell.line(),
                severity,
                Some(shown()),
                Reason::Whitespace,
            ));
        }
        let first = first_rows[index];
        let is_new = first == index;
        if !is_new {
            stats.duplicates += 1;
            copies_with_mx += usize::from(has_mx(cell, domains));
            if let Some(severity) = level_severity(policy.duplicate) {
                findings.push(finding(
                    cell.line(),
                    severity,
                    Some(shown()),
                    Reason::Duplicate {
                        first_line: rows.get(first).line(),
                    },
                ));
            }
        }
        let Some(note) = note else {
            if is_new && previous.is_some_and(|previous| !previous.contains(key())) {
                added.addresses += 1;
            }
            continue;
        };
        let RowNote {
            verdict,
            domain,
            sender_blocks,
            risk: row_risk,
        } = *note;
        let mut row_bounces = false;
        // A bounce in the history outweighs the domain's verdict; a complaint does not.
        let judged_by_history = verdict
            .as_ref()
            .is_some_and(|verdict| !matches!(verdict.1, Reason::Complaint { .. }));
        if let Some((severity, reason)) = verdict {
            if is_new {
                match reason {
                    Reason::PredictedHard { .. } => predicted += 1,
                    Reason::HistoricHard { .. } => historic += 1,
                    Reason::Complaint { .. } => stats.complaints += 1,
                    _ => repeated += 1,
                }
                // A complaint is no bounce: it is reported, not counted in the rate.
                row_bounces |= !matches!(reason, Reason::Complaint { .. });
            }
            findings.push(finding(cell.line(), severity, Some(shown()), reason));
        }
        if let Some(verdict) = domain
            && is_new
        {
            *stats.domains.entry(verdict.code()).or_default() += 1;
        }
        if let Some(verdict) = domain.filter(|_| !judged_by_history) {
            let bounces = verdict.is_predicted_hard()
                || (policy.unknown_counts_as_bounce
                    && matches!(verdict, DomainVerdict::DnsUnknown { .. }));
            if is_new {
                if verdict.is_predicted_hard() {
                    predicted += 1;
                }
                row_bounces |= bounces;
            }
            groups.add(domain_of(key()), verdict, cell.line(), is_new, shown);
        }
        if let Some(row_risk) = &row_risk {
            for (severity, flag) in risk::flags(row_risk, domain_of(key()), policy) {
                if is_new {
                    risk::count(&flag, &mut stats);
                    row_bounces |= policy.risky_counts_as_bounce;
                }
                findings.push(finding(
                    cell.line(),
                    severity,
                    Some(shown()),
                    Reason::Risk(flag),
                ));
            }
        }
        if is_new && previous.is_some_and(|previous| !previous.contains(key())) {
            added.addresses += 1;
            added.bouncing += usize::from(row_bounces);
        }
        if is_new {
            if sender_blocks > 0 {
                stats.sender_blocks += sender_blocks;
                blocked_addresses += 1;
            }
            if row_bounces {
                bouncing_rows.push(index);
            }
        }
    }

    let new_with_mx = rows_with_mx - copies_with_mx;
    if new_with_mx > 0 {
        // `DomainVerdict::Mx`'s code.
        stats.domains.insert("mx", new_with_mx);
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

    let bouncing = AddressSet::of_distinct_rows(&bouncing_rows, &hashes);
    let keys = AddressSet::of_first_rows(&first_rows, hashes);
    crate::drop_in_background(cells);
    stats.addresses = keys.len();
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
            keys,
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
