//! Phase 2 of the gate: each row's findings and counts, in file order. The rows are tallied a
//! run at a time on all cores, and the runs' tallies added up in file order: the same
//! findings, in the same order, and the same counts as one pass over the list.

use std::path::Path;
use std::sync::Arc;

use super::{AddedStats, Context, KeySet, ListStats, Notes, RowNote, level_severity, risk};
use crate::domains::{DomainReport, DomainVerdict};
use crate::finding::{Finding, Reason};
use crate::syntax::{CellView, CellsView, Checked};

/// What every run of a list's rows is tallied against.
pub(super) struct Rows<'r, 'a> {
    /// All the list's rows.
    pub cells: CellsView<'r>,
    /// The row each row's key first stands on (itself, unless it repeats an earlier row).
    pub first_rows: &'r [usize],
    pub previous: Option<&'r KeySet>,
    pub file: &'r Arc<Path>,
    pub context: &'r Context<'a>,
}

/// The findings and counts of a run of rows.
#[derive(Default)]
pub(super) struct Tally<'a> {
    pub findings: Vec<Finding>,
    /// The rows' counts: duplicates, bounces and complaints, risk flags, sender blocks, and
    /// unique addresses by domain verdict (but `mx`, which phase 1 counts).
    pub stats: ListStats,
    pub blocked_addresses: usize,
    pub groups: DomainGroups<'a>,
    pub added: AddedStats,
    /// Copies of an address on a domain with plain MX: counted in phase 1, but not new.
    pub copies_with_mx: usize,
    /// The rows (first copies) that bounce.
    pub bouncing_rows: Vec<usize>,
}

impl<'a> Tally<'a> {
    /// The tally of `run`, the rows from `start` on, with phase 1's notes on them.
    pub(super) fn of_run(
        rows: &Rows<'_, 'a>,
        start: usize,
        run: CellsView<'_>,
        notes: Notes<'a>,
    ) -> Tally<'a> {
        let policy = rows.context.policy;
        let mut tally = Tally::default();
        let mut notes = notes.into_iter().peekable();
        for (index, cell) in (start..).zip(run.iter()) {
            let note = notes
                .next_if(|(row, _)| *row == index)
                .map(|(_, note)| note);
            let finding = |severity, reason| Finding {
                file: rows.file.clone(),
                line: Some(cell.line()),
                severity,
                // Most rows need neither their key nor their text here: neither is read for
                // them.
                address: Some(cell.checked.shown().to_owned()),
                reason,
            };
            if cell.padded()
                && let Some(severity) = level_severity(policy.whitespace)
            {
                tally.findings.push(finding(severity, Reason::Whitespace));
            }
            let first = rows.first_rows[index];
            let is_new = first == index;
            if !is_new {
                tally.stats.duplicates += 1;
                tally.copies_with_mx += usize::from(has_mx(cell, rows.context.domains));
                if let Some(severity) = level_severity(policy.duplicate) {
                    tally.findings.push(finding(
                        severity,
                        Reason::Duplicate {
                            first_line: rows.cells.get(first).line(),
                        },
                    ));
                }
            }
            let is_added = || {
                is_new
                    && rows
                        .previous
                        .is_some_and(|previous| !previous.contains(cell.checked.key()))
            };
            let Some(note) = note else {
                if is_added() {
                    tally.added.addresses += 1;
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
                    let stats = &mut tally.stats;
                    match reason {
                        Reason::PredictedHard { .. } => stats.predicted_hard += 1,
                        Reason::HistoricHard { .. } => stats.historic_hard += 1,
                        Reason::Complaint { .. } => stats.complaints += 1,
                        _ => stats.repeated_soft += 1,
                    }
                    // A complaint is no bounce: it is reported, not counted in the rate.
                    row_bounces |= !matches!(reason, Reason::Complaint { .. });
                }
                tally.findings.push(finding(severity, reason));
            }
            if let Some(verdict) = domain
                && is_new
            {
                *tally.stats.domains.entry(verdict.code()).or_default() += 1;
            }
            let domain_name = || domain_of(cell.checked.key());
            if let Some(verdict) = domain.filter(|_| !judged_by_history) {
                let bounces = verdict.is_predicted_hard()
                    || (policy.unknown_counts_as_bounce
                        && matches!(verdict, DomainVerdict::DnsUnknown { .. }));
                if is_new {
                    if verdict.is_predicted_hard() {
                        tally.stats.predicted_hard += 1;
                    }
                    row_bounces |= bounces;
                }
                tally
                    .groups
                    .add(domain_name(), verdict, cell.line(), is_new, || {
                        cell.checked.shown().to_owned()
                    });
            }
            if let Some(row_risk) = &row_risk {
                for (severity, flag) in risk::flags(row_risk, domain_name(), policy) {
                    if is_new {
                        risk::count(&flag, &mut tally.stats);
                        row_bounces |= policy.risky_counts_as_bounce;
                    }
                    tally.findings.push(finding(severity, Reason::Risk(flag)));
                }
            }
            if is_added() {
                tally.added.addresses += 1;
                tally.added.bouncing += usize::from(row_bounces);
            }
            if is_new {
                if sender_blocks > 0 {
                    tally.stats.sender_blocks += sender_blocks;
                    tally.blocked_addresses += 1;
                }
                if row_bounces {
                    tally.bouncing_rows.push(index);
                }
            }
        }
        tally
    }

    /// Add the counts of the run that follows this one's (its findings are taken apart, to
    /// be moved once).
    pub(super) fn add(&mut self, later: Tally<'a>) {
        self.stats.add(&later.stats);
        self.blocked_addresses += later.blocked_addresses;
        self.groups.add_later(later.groups);
        self.added.addresses += later.added.addresses;
        self.added.bouncing += later.added.bouncing;
        self.copies_with_mx += later.copies_with_mx;
        self.bouncing_rows.extend(later.bouncing_rows);
    }
}

/// Whether the row's address is valid and its domain has plain MX (as phase 1 says).
fn has_mx(cell: CellView<'_>, domains: &DomainReport) -> bool {
    let valid = matches!(cell.checked, Checked::Valid(_));
    valid
        && matches!(
            domains.get(domain_of(cell.checked.key())),
            Some(DomainVerdict::Mx { .. })
        )
}

/// The domain of an address key (`local@domain`; a quoted local part may hold an @).
pub(super) fn domain_of(key: &str) -> &str {
    key.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// The addresses of one list on one domain that is not plain MX.
pub(super) struct DomainGroup<'a> {
    pub domain: String,
    pub verdict: &'a DomainVerdict,
    pub first_address: String,
    pub lines: Vec<u64>,
    pub addresses: usize,
}

/// Domain groups in order of their first line.
#[derive(Default)]
pub(super) struct DomainGroups<'a> {
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

    /// Add the groups of later rows: a domain seen already keeps its first address; a new one
    /// comes after every group here (its first line is later than theirs).
    fn add_later(&mut self, later: DomainGroups<'a>) {
        for group in later.groups {
            match self.index.get(&group.domain) {
                Some(&index) => {
                    let known = &mut self.groups[index];
                    known.lines.extend(group.lines);
                    known.addresses += group.addresses;
                }
                None => {
                    self.index.insert(group.domain.clone(), self.groups.len());
                    self.groups.push(group);
                }
            }
        }
    }

    pub(super) fn into_groups(self) -> Vec<DomainGroup<'a>> {
        self.groups
    }
}
