//! `bouncegate history import`: any history the tool reads (a provider's export, a mail log,
//! bounce messages), normalised into the generic history CSV, appended to it without the
//! events it already holds.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::history::{self, HistoryOptions, HistoryProblem};
use crate::rules::RuleSet;
use crate::write::{csv_safe, write_atomically};

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
    let write_error = |source| Error::Write {
        path: out.to_path_buf(),
        source,
    };
    let existing = match std::fs::read(out) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(write_error(error)),
    };
    let mut known: HashSet<Vec<String>> = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(existing.as_slice())
        .records()
        .flatten()
        .map(|record| record.iter().map(str::to_owned).collect())
        .collect();

    let mut summary = ImportSummary::default();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |error: csv::Error| write_error(std::io::Error::other(error));
    if existing.is_empty() {
        writer.write_record(HEADER).map_err(csv_error)?;
    }
    for path in files {
        let (_, events, problems) = history::read_file(path, rules, options);
        summary.files += 1;
        summary.problems.extend(problems);
        for event in events {
            let Some(evidence) = event.evidence else {
                continue;
            };
            summary.events += 1;
            let row: Vec<String> = [
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
            ]
            .iter()
            .map(|cell| csv_safe(cell).into_owned())
            .collect();
            if known.insert(row.clone()) {
                writer.write_record(&row).map_err(csv_error)?;
                summary.appended += 1;
            } else {
                summary.already_there += 1;
            }
        }
    }
    let added = writer
        .into_inner()
        .map_err(|error| write_error(std::io::Error::other(error.to_string())))?;
    let mut bytes = existing;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(&added);
    write_atomically(out, &bytes).map_err(write_error)?;
    Ok(summary)
}

fn rfc3339(time: i64) -> String {
    jiff::Timestamp::from_second(time)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
