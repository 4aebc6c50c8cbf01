//! Cleaning lists: `bouncegate fix` removes the rows that must be suppressed from the list
//! files (and, with `--apply-suggestions`, corrects the domains a `typo-domain` finding
//! suggests), `check --write-clean DIR` writes cleaned copies, `--write-suppressions FILE`
//! writes the addresses for a provider's suppression import.
//!
//! A fixed file keeps every other byte as it was (header, quoting, order, line ends, the
//! trailing newline or its absence). The removed rows go to the suppression file first; then
//! the list is replaced atomically (a temporary file in the same directory, fsync, rename), so
//! a run killed at any point leaves each list old or new, and every row in one of the two.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bounces::history::format_day;
use crate::error::Error;
use crate::finding::{Finding, Reason, Severity};
use crate::gate::Verdict;
use crate::lists::{self, ReadOptions};
use crate::report::Report;
use crate::write;
pub use crate::write::{csv_safe, write_atomically};

mod rewrite;

use rewrite::rewrite_row;
pub use rewrite::{NotRewritten, Rewrite, Rewritten, suggestions};

/// What gets removed from the lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Historic hard and repeated soft bounces: what the history proves.
    History,
    /// Those, and every predicted hard bounce (bad syntax, a domain that takes no mail).
    HistoryAndPredicted,
}

/// Why one row is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub line: u64,
    /// The finding's code: `historic-hard`, `repeated-soft`, `domain-not-found`, ...
    pub reason: &'static str,
    pub evidence: String,
    pub date: Option<String>,
}

/// The rows to remove from each list file, from the report's findings. Lists that could not
/// be read in full are left out: a list is only rewritten from a complete reading.
pub fn removals(report: &Report, scope: Scope) -> BTreeMap<PathBuf, Vec<Removal>> {
    let mut out = BTreeMap::new();
    for list in &report.lists {
        if list.verdict == Verdict::BadInput {
            continue;
        }
        let rows: Vec<Removal> = list
            .findings
            .iter()
            .flat_map(|finding| removals_of(finding, scope))
            .collect();
        if !rows.is_empty() {
            out.insert(list.path.to_path_buf(), rows);
        }
    }
    out
}

fn removals_of(finding: &Finding, scope: Scope) -> Vec<Removal> {
    let predicted = scope == Scope::HistoryAndPredicted;
    let at = |line: Option<u64>, evidence: String, date: Option<String>| {
        line.map(|line| Removal {
            line,
            reason: finding.code(),
            evidence,
            date,
        })
    };
    match &finding.reason {
        Reason::HistoricHard { evidence } => at(
            finding.line,
            format!(
                "{} ({}:{})",
                evidence.summary(),
                evidence.file.display(),
                evidence.line
            ),
            evidence.time.map(format_day),
        )
        .into_iter()
        .collect(),
        Reason::RepeatedSoft { days, latest, .. } => at(
            finding.line,
            format!("soft-bounced on {days} days, last: {}", latest.summary()),
            latest.time.map(format_day),
        )
        .into_iter()
        .collect(),
        // `policy.complaints: suppress` makes a complaint an error: removed like a bounce.
        Reason::Complaint { evidence } if finding.severity == Severity::Error => at(
            finding.line,
            format!("complained ({}:{})", evidence.file.display(), evidence.line),
            evidence.time.map(format_day),
        )
        .into_iter()
        .collect(),
        Reason::PredictedHard { error } if predicted => at(finding.line, error.to_string(), None)
            .into_iter()
            .collect(),
        Reason::Domain {
            domain,
            verdict,
            lines,
            ..
        } if predicted && verdict.is_predicted_hard() => lines
            .iter()
            .map(|&line| Removal {
                line,
                reason: verdict.code(),
                evidence: verdict.describe(domain),
                date: None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// What `fix` does to one list file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    pub removals: Vec<Removal>,
    pub rewrites: Vec<Rewrite>,
}

/// Everything `fix` changes, per list: the rows to remove, and with `apply_suggestions` the
/// domains to correct.
pub fn plan(report: &Report, scope: Scope, apply_suggestions: bool) -> BTreeMap<PathBuf, Edits> {
    let mut out: BTreeMap<PathBuf, Edits> = BTreeMap::new();
    for (path, removals) in removals(report, scope) {
        out.entry(path).or_default().removals = removals;
    }
    if apply_suggestions {
        for (path, rewrites) in suggestions(report) {
            out.entry(path).or_default().rewrites = rewrites;
        }
    }
    out
}

/// One row of the suppression file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub address: String,
    pub reason: String,
    pub evidence: String,
    /// `file:line` the row was taken from.
    pub source: String,
    pub date: String,
}

/// A list file, cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub bytes: Vec<u8>,
    pub suppressed: Vec<Suppressed>,
    pub rows_before: usize,
    pub rows_kept: usize,
    pub rewritten: Vec<Rewritten>,
    pub not_rewritten: Vec<NotRewritten>,
}

/// The list without the removed rows, every other byte as it was.
pub fn clean(
    path: &Path,
    bytes: &[u8],
    removals: &[Removal],
    read: &ReadOptions,
    today: &str,
) -> Cleaned {
    let edits = Edits {
        removals: removals.to_vec(),
        rewrites: Vec::new(),
    };
    edit(path, bytes, &edits, read, today)
}

/// The list without the removed rows and with the corrected domains, every other byte as it
/// was.
pub fn edit(path: &Path, bytes: &[u8], edits: &Edits, read: &ReadOptions, today: &str) -> Cleaned {
    let removals = &edits.removals;
    let read = ReadOptions {
        spans: true,
        ..read.clone()
    };
    let list = lists::read_list_bytes(path, bytes, &read);
    let by_line: BTreeMap<u64, &Removal> = removals.iter().map(|r| (r.line, r)).collect();
    let rewrites: BTreeMap<u64, &Rewrite> = edits.rewrites.iter().map(|r| (r.line, r)).collect();
    let mut out = Vec::with_capacity(bytes.len());
    let mut suppressed = Vec::new();
    let (mut rewritten, mut not_rewritten) = (Vec::new(), Vec::new());
    let mut copied_to = 0;
    for (span, (_, text)) in list.spans.iter().zip(list.cells.iter()) {
        let rewrite = rewrites.get(&span.line);
        let Some(removal) = by_line.get(&span.line) else {
            if let Some(rewrite) = rewrite {
                let row = &bytes[span.start..span.end];
                match rewrite_row(row, text.trim(), rewrite) {
                    Ok((new_row, after)) => {
                        out.extend_from_slice(&bytes[copied_to..span.start]);
                        out.extend_from_slice(&new_row);
                        copied_to = span.end;
                        rewritten.push(Rewritten {
                            line: span.line,
                            before: text.trim().to_owned(),
                            after,
                        });
                    }
                    Err(why) => not_rewritten.push(NotRewritten {
                        line: span.line,
                        address: text.trim().to_owned(),
                        why,
                    }),
                }
            }
            continue;
        };
        if rewrite.is_some() {
            not_rewritten.push(NotRewritten {
                line: span.line,
                address: text.trim().to_owned(),
                why: "the row is removed",
            });
        }
        out.extend_from_slice(&bytes[copied_to..span.start]);
        copied_to = span.end;
        suppressed.push(Suppressed {
            address: text.trim().to_owned(),
            reason: removal.reason.to_owned(),
            evidence: removal.evidence.clone(),
            source: format!("{}:{}", path.display(), span.line),
            date: removal.date.clone().unwrap_or_else(|| today.to_owned()),
        });
    }
    out.extend_from_slice(&bytes[copied_to..]);
    // The last row removed from a file without a final newline: the row before it now ends
    // the file, and must lose its line end so the file still has none.
    let ended_without_newline = !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r");
    if ended_without_newline && copied_to == bytes.len() && !suppressed.is_empty() {
        for ending in [&b"\r\n"[..], b"\n", b"\r"] {
            if out.ends_with(ending) {
                out.truncate(out.len() - ending.len());
                break;
            }
        }
    }
    let rows_before = list.cells.len() + list.skips.len();
    Cleaned {
        rows_kept: rows_before - suppressed.len(),
        rows_before,
        bytes: out,
        suppressed,
        rewritten,
        not_rewritten,
    }
}

const SUPPRESSION_HEADER: [&str; 5] = ["address", "reason", "evidence", "source", "date"];

/// Add rows to the suppression file (created with a header when new), atomically, leaving out
/// rows it already holds (a rerun after an interrupted fix adds nothing twice).
pub fn append_suppressions(path: &Path, rows: &[Suppressed]) -> Result<(), Error> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                row.address.clone(),
                row.reason.clone(),
                row.evidence.clone(),
                row.source.clone(),
                row.date.clone(),
            ]
        })
        .collect();
    // One address from one row of one list is one suppression, whatever the evidence says:
    // the key is the address and the source columns.
    write::append_csv(path, &SUPPRESSION_HEADER, &rows, &[0, 3])
        .map(|_| ())
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// The outcome of fixing one list file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub path: PathBuf,
    pub rows_before: usize,
    pub rows_kept: usize,
    pub rows_moved: usize,
    pub rewritten: Vec<Rewritten>,
    pub not_rewritten: Vec<NotRewritten>,
}

/// Remove the rows from the list file and correct the domains: the suppression file gets the
/// removed rows first, then the list is replaced.
pub fn fix_file(
    path: &Path,
    edits: &Edits,
    read: &ReadOptions,
    suppressions: &Path,
    today: &str,
) -> Result<Fixed, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Path {
        path: path.to_path_buf(),
        source,
    })?;
    let cleaned = edit(path, &bytes, edits, read, today);
    if !cleaned.suppressed.is_empty() {
        append_suppressions(suppressions, &cleaned.suppressed)?;
    }
    if cleaned.bytes != bytes {
        write_atomically(path, &cleaned.bytes).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(Fixed {
        path: path.to_path_buf(),
        rows_before: cleaned.rows_before,
        rows_kept: cleaned.rows_kept,
        rows_moved: cleaned.suppressed.len(),
        rewritten: cleaned.rewritten,
        not_rewritten: cleaned.not_rewritten,
    })
}

/// Cleaned copies of the lists under `dir`, for an import; the committed files stay as they
/// are. Every list is copied, cleaned or not.
pub fn write_clean_copies(
    report: &Report,
    dir: &Path,
    read: &ReadOptions,
    today: &str,
) -> Result<usize, Error> {
    let removals = removals(report, Scope::HistoryAndPredicted);
    let mut written = 0;
    for list in &report.lists {
        if list.verdict == Verdict::BadInput {
            continue;
        }
        let path: &Path = &list.path;
        let bytes = std::fs::read(path).map_err(|source| Error::Path {
            path: path.to_path_buf(),
            source,
        })?;
        let rows = removals.get(path).map(Vec::as_slice).unwrap_or_default();
        let cleaned = clean(path, &bytes, rows, read, today);
        let target = dir.join(relative(path));
        let write_error = |source| Error::Write {
            path: target.clone(),
            source,
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        write_atomically(&target, &cleaned.bytes).map_err(write_error)?;
        written += 1;
    }
    Ok(written)
}

/// A path under the output directory: absolute paths and `..` are not let out of it.
fn relative(path: &Path) -> PathBuf {
    path.components()
        .filter_map(|part| match part {
            std::path::Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect()
}

/// The addresses to suppress at the email provider: historic hard, repeated soft, and
/// addresses on domains that take no mail (bad syntax is left out: a provider cannot import
/// an address it cannot parse). A `.txt` file gets one address per line; anything else a CSV
/// with `email` and `reason` columns.
pub fn write_suppression_import(
    report: &Report,
    path: &Path,
    read: &ReadOptions,
) -> Result<usize, Error> {
    let mut addresses: BTreeMap<String, String> = BTreeMap::new();
    for (file, rows) in removals(report, Scope::HistoryAndPredicted) {
        let rows: Vec<Removal> = rows
            .into_iter()
            .filter(|r| {
                matches!(r.reason, "historic-hard" | "repeated-soft") || is_domain_code(r.reason)
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let bytes = std::fs::read(&file).map_err(|source| Error::Path {
            path: file.clone(),
            source,
        })?;
        for row in clean(&file, &bytes, &rows, read, "").suppressed {
            addresses
                .entry(row.address.to_lowercase())
                .or_insert(row.reason);
        }
    }
    let mut out = Vec::new();
    let plain = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("txt"));
    if plain {
        // A plain list is not a spreadsheet: the addresses go as they are.
        for address in addresses.keys() {
            out.extend_from_slice(address.as_bytes());
            out.push(b'\n');
        }
    } else {
        let mut writer = csv::Writer::from_writer(&mut out);
        let csv_error = |error: csv::Error| Error::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(error),
        };
        writer
            .write_record(["email", "reason"])
            .map_err(csv_error)?;
        for (address, reason) in &addresses {
            writer
                .write_record([csv_safe(address).as_ref(), reason.as_str()])
                .map_err(csv_error)?;
        }
        writer.flush().map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
    }
    write_atomically(path, &out).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(addresses.len())
}

fn is_domain_code(code: &str) -> bool {
    matches!(
        code,
        "null-mx" | "domain-not-found" | "no-mail-host" | "mx-unusable"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removal(line: u64) -> Removal {
        Removal {
            line,
            reason: "historic-hard",
            evidence: "550 5.1.1 user unknown".to_owned(),
            date: Some("2026-03-02".to_owned()),
        }
    }

    fn cleaned(name: &str, bytes: &[u8], lines: &[u64]) -> Cleaned {
        let removals: Vec<Removal> = lines.iter().map(|&l| removal(l)).collect();
        clean(
            Path::new(name),
            bytes,
            &removals,
            &ReadOptions::default(),
            "2026-11-27",
        )
    }

    #[test]
    fn only_the_removed_rows_change_crlf_bom_quotes_and_all() {
        let original = b"\xEF\xBB\xBFname,email\r\n\"Ann\r\nLee\",ann@x.de\r\nBob,bob@x.de\r\n\"Carl\",\"carl@x.de\"\r\n";
        let out = cleaned("a.csv", original, &[3]);
        assert_eq!(
            out.bytes,
            b"\xEF\xBB\xBFname,email\r\nBob,bob@x.de\r\n\"Carl\",\"carl@x.de\"\r\n"
        );
        assert_eq!(out.suppressed[0].address, "ann@x.de");
        assert_eq!(out.suppressed[0].source, "a.csv:3");
        assert_eq!((out.rows_before, out.rows_kept), (3, 2));
    }

    #[test]
    fn no_trailing_newline_stays_so() {
        let out = cleaned("a.csv", b"email\nann@x.de\nbob@x.de", &[3]);
        assert_eq!(out.bytes, b"email\nann@x.de");
        let out = cleaned("a.txt", b"ann@x.de\r\nbob@x.de", &[2]);
        assert_eq!(out.bytes, b"ann@x.de");
        let out = cleaned("a.txt", b"ann@x.de\nbob@x.de\n", &[1]);
        assert_eq!(out.bytes, b"bob@x.de\n");
        // Removing a row in the middle keeps the missing final newline missing.
        let out = cleaned("a.txt", b"ann@x.de\nbob@x.de\ncarl@x.de", &[2]);
        assert_eq!(out.bytes, b"ann@x.de\ncarl@x.de");
    }

    #[test]
    fn comments_and_blank_lines_are_kept() {
        let out = cleaned("a.txt", b"# list\n\nann@x.de\n  bob@x.de  \n", &[4]);
        assert_eq!(out.bytes, b"# list\n\nann@x.de\n");
        assert_eq!(out.suppressed[0].address, "bob@x.de");
        assert_eq!((out.rows_before, out.rows_kept), (4, 3));
    }

    #[test]
    fn the_suppression_file_gets_a_header_once_and_no_row_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("suppressed.csv");
        let row = Suppressed {
            address: "=cmd@x.de".to_owned(),
            reason: "historic-hard".to_owned(),
            evidence: "550".to_owned(),
            source: "a.csv:3".to_owned(),
            date: "2026-03-02".to_owned(),
        };
        append_suppressions(&path, std::slice::from_ref(&row)).unwrap();
        append_suppressions(&path, std::slice::from_ref(&row)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "address,reason,evidence,source,date\n'=cmd@x.de,historic-hard,550,a.csv:3,2026-03-02\n"
        );
    }
}
