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
mod tally;

pub use history::Window;
use history::history_verdict;
pub use keys::AddressSet;
use tally::{Rows, Tally};

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

impl ListStats {
    /// Add the counts of another part of the list (a shard's, a run of rows'); the rate is
    /// left to [`conclude`].
    pub fn add(&mut self, part: &ListStats) {
        self.rows_read += part.rows_read;
        self.rows_checked += part.rows_checked;
        self.rows_skipped += part.rows_skipped;
        for (code, count) in &part.skipped {
            *self.skipped.entry(code).or_default() += count;
        }
        self.addresses += part.addresses;
        self.predicted_hard += part.predicted_hard;
        self.historic_hard += part.historic_hard;
        self.repeated_soft += part.repeated_soft;
        self.complaints += part.complaints;
        self.role_account += part.role_account;
        self.disposable_domain += part.disposable_domain;
        self.typo_domain += part.typo_domain;
        self.duplicates += part.duplicates;
        self.sender_blocks += part.sender_blocks;
        for (code, count) in &part.domains {
            *self.domains.entry(code).or_default() += count;
        }
        if let Some(added) = part.added {
            let total = self.added.get_or_insert_default();
            total.addresses += added.addresses;
            total.bouncing += added.bouncing;
        }
        self.bouncing += part.bouncing;
    }
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
    // Collected in place: the vector's fresh pages are first touched on every core, not
    // zeroed on one first.
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

    // Phase 2, a run of rows on each core, added up in file order: duplicates, findings, and
    // unique counts.
    let tally_rows = Rows {
        cells: rows,
        first_rows: &first_rows,
        previous,
        file: &file,
        context,
    };
    let tallies: Vec<Tally> = rows
        .par_chunks(JUDGE_CHUNK)
        .zip(judged.into_par_iter())
        .enumerate()
        .map(|(chunk, (run, (notes, _)))| {
            Tally::of_run(&tally_rows, chunk * JUDGE_CHUNK, run, notes)
        })
        .collect();
    findings.reserve(tallies.iter().map(|tally| tally.findings.len()).sum());
    let mut tally = Tally::default();
    for mut later in tallies {
        findings.append(&mut later.findings);
        tally.add(later);
    }
    let Tally {
        stats: row_stats,
        blocked_addresses,
        groups,
        added,
        copies_with_mx,
        bouncing_rows,
        ..
    } = tally;
    stats.add(&row_stats);

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
