//! `fix --apply-suggestions`: a `typo-domain` finding's suggestion written into its row, the
//! domain's bytes alone changed; and what `fix` says about each file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::Reason;
use crate::gate::Verdict;
use crate::report::Report;
use crate::risk::RiskFlag;
use crate::shown;

use super::Fixed;

/// A domain to correct in place: a `typo-domain` finding's suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub line: u64,
    /// The domain as the address key holds it (lowercased), and the provider's.
    pub domain: String,
    pub suggestion: String,
}

/// The suggestions of the report's `typo-domain` findings, per list (whatever their
/// severity); lists that could not be read in full are left out, as for removals.
pub fn suggestions(report: &Report) -> BTreeMap<PathBuf, Vec<Rewrite>> {
    let mut out = BTreeMap::new();
    for list in report
        .lists
        .iter()
        .filter(|l| l.verdict != Verdict::BadInput)
    {
        let rows: Vec<Rewrite> = list
            .findings
            .iter()
            .filter_map(|finding| match (&finding.reason, finding.line) {
                (
                    Reason::Risk(RiskFlag::TypoDomain {
                        domain, suggestion, ..
                    }),
                    Some(line),
                ) => Some(Rewrite {
                    line,
                    domain: domain.clone(),
                    suggestion: suggestion.clone(),
                }),
                _ => None,
            })
            .collect();
        if !rows.is_empty() {
            out.insert(list.path.to_path_buf(), rows);
        }
    }
    out
}

/// A domain corrected in a row: the address before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    pub line: u64,
    pub before: String,
    pub after: String,
}

/// A suggestion left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRewritten {
    pub line: u64,
    pub address: String,
    pub why: &'static str,
}

/// The row with the address's domain replaced by the suggestion, and the new address. The
/// address must be written once in the row, as the cell reads (not escaped), with the domain
/// the finding names: else the row is left as it is.
pub(super) fn rewrite_row(
    row: &[u8],
    address: &str,
    rewrite: &Rewrite,
) -> Result<(Vec<u8>, String), &'static str> {
    let (local, domain) = address
        .rsplit_once('@')
        .ok_or("the cell holds no address")?;
    if !domain.eq_ignore_ascii_case(&rewrite.domain) {
        return Err("the domain is not written as the finding names it");
    }
    let mut found = memchr::memmem::find_iter(row, address.as_bytes());
    let (Some(at), None) = (found.next(), found.next()) else {
        return Err("the address is not written exactly once in the row");
    };
    let domain_start = at + local.len() + 1;
    let mut new_row = Vec::with_capacity(row.len() + rewrite.suggestion.len());
    new_row.extend_from_slice(&row[..domain_start]);
    new_row.extend_from_slice(rewrite.suggestion.as_bytes());
    new_row.extend_from_slice(&row[domain_start + domain.len()..]);
    Ok((new_row, format!("{local}@{}", rewrite.suggestion)))
}

impl Fixed {
    /// What `fix` says about the file: the rows moved, then each domain corrected (or not).
    pub fn lines(&self, suppressions: &Path) -> String {
        let path = shown::path(&self.path);
        let mut out = String::new();
        if self.rows_moved > 0 {
            out.push_str(&format!(
                "{path}: {} rows moved to {} (rows before {} = kept {} + moved {})\n",
                self.rows_moved,
                shown::path(suppressions),
                self.rows_before,
                self.rows_kept,
                self.rows_moved
            ));
        }
        let mut changes: Vec<(u64, String)> = self
            .rewritten
            .iter()
            .map(|change| {
                let (before, after) = (
                    shown::visible(&change.before),
                    shown::visible(&change.after),
                );
                (change.line, format!("{before} -> {after} (typo-domain)"))
            })
            .chain(self.not_rewritten.iter().map(|left| {
                let address = shown::visible(&left.address);
                (left.line, format!("{address} not rewritten: {}", left.why))
            }))
            .collect();
        changes.sort();
        for (line, change) in changes {
            out.push_str(&format!("{path}:{line}: {change}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Edits, Removal, edit};
    use super::*;
    use crate::lists::ReadOptions;

    fn removal(line: u64) -> Removal {
        Removal {
            line,
            reason: "historic-hard",
            evidence: "550 5.1.1 user unknown".to_owned(),
            date: Some("2026-03-02".to_owned()),
        }
    }

    #[test]
    fn a_suggestion_changes_the_domain_alone_and_a_removal_wins() {
        let rewrite = |line: u64, domain: &str, suggestion: &str| Rewrite {
            line,
            domain: domain.to_owned(),
            suggestion: suggestion.to_owned(),
        };
        let edits = Edits {
            removals: vec![removal(5)],
            rewrites: vec![
                rewrite(2, "gmial.com", "gmail.com"),
                rewrite(3, "gmail.con", "gmail.com"),
                rewrite(4, "yaho.com", "yahoo.com"),
                rewrite(5, "hotmial.com", "hotmail.com"),
            ],
        };
        let original =
            b"email;n\r\n\"ann@gmial.com\";1\r\nBob@GMAIL.con;2\r\nyaho.com@yaho.com;yaho.com@yaho.com\r\nx@hotmial.com;3";
        let out = edit(
            Path::new("a.csv"),
            original,
            &edits,
            &ReadOptions::default(),
            "2026-11-27",
        );
        assert_eq!(
            out.bytes,
            b"email;n\r\n\"ann@gmail.com\";1\r\nBob@gmail.com;2\r\nyaho.com@yaho.com;yaho.com@yaho.com"
        );
        let changes: Vec<(u64, &str, &str)> = out
            .rewritten
            .iter()
            .map(|r| (r.line, r.before.as_str(), r.after.as_str()))
            .collect();
        assert_eq!(
            changes,
            [
                (2, "ann@gmial.com", "ann@gmail.com"),
                (3, "Bob@GMAIL.con", "Bob@gmail.com")
            ]
        );
        let left: Vec<(u64, &str)> = out.not_rewritten.iter().map(|r| (r.line, r.why)).collect();
        assert_eq!(
            left,
            [
                (4, "the address is not written exactly once in the row"),
                (5, "the row is removed")
            ]
        );
        assert_eq!(out.suppressed.len(), 1);
    }
}
