//! `bouncegate history import`: any history the tool reads (a provider's export, a mail log,
//! bounce messages), normalised into the generic history CSV, appended to it without the
//! events it already holds.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::bounces::history::{self, HistoryOptions, HistoryProblem};
use crate::bounces::classify::RuleSet;
use crate::write;

/// The columns the generic reader (`history.rs`) reads back, in this order.
pub const HEADER: [&str; 8] = [
    "email",
    "timestamp",
    "smtp_code",
    "enhanced_code",
    "diagnostic",
    "source",
    "source_verdict",
    "already_suppressed",
];

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub files: usize,
    pub events: usize,
    pub appended: usize,
    pub already_there: usize,
    pub problems: Vec<HistoryProblem>,
}

/// Read every file and append its events to `out` (created with a header when new).
pub fn import(
    files: &[PathBuf],
    out: &Path,
    rules: &RuleSet,
    options: HistoryOptions,
) -> Result<ImportSummary, Error> {
    let options = HistoryOptions {
        all_evidence: true,
        ..options
    };
    let mut summary = ImportSummary::default();
    let mut rows = Vec::new();
    for path in files {
        let (_, events, problems) = history::read_file(path, rules, options);
        summary.files += 1;
        summary.problems.extend(problems);
        for event in events {
            let Some(evidence) = event.evidence else {
                continue;
            };
            summary.events += 1;
            rows.push(vec![
                event.address,
                evidence.time.map(rfc3339).unwrap_or_default(),
                evidence.reply.map(|r| r.to_string()).unwrap_or_default(),
                evidence.enhanced.map(|e| e.to_string()).unwrap_or_default(),
                evidence.text,
                evidence
                    .source
                    .map(|s| s.name().to_owned())
                    .unwrap_or_default(),
                evidence.source_verdict.unwrap_or_default(),
                if evidence.already_suppressed {
                    "true".to_owned()
                } else {
                    String::new()
                },
            ]);
        }
    }
    // Appending to a file of other columns would shift every value into the wrong one.
    if let Some(found) = existing_header(out)?
        && found != HEADER
    {
        return Err(Error::BadOption {
            option: "--out",
            value: out.display().to_string(),
            expected: format!(
                "a history CSV that `history import` wrote (columns {}); this file has {}: give a new --out",
                HEADER.join(","),
                found.join(",")
            ),
        });
    }
    // An event is a duplicate when every column is the same.
    let (appended, already_there) = write::append_csv(out, &HEADER, &rows, |row| row.to_vec())
        .map_err(|source| Error::Write {
            path: out.to_path_buf(),
            source,
        })?;
    summary.appended = appended;
    summary.already_there = already_there;
    Ok(summary)
}

/// The header of an existing, non-blank file.
fn existing_header(path: &Path) -> Result<Option<Vec<String>>, Error> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Write {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    Ok(reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|record| record.iter().map(|f| f.trim().to_owned()).collect()))
}

fn rfc3339(time: i64) -> String {
    jiff::Timestamp::from_second(time)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
