//! `bouncegate history import`: any history the tool reads (a provider's export, a mail log,
//! bounce messages), normalised into the generic history CSV, appended to it without the
//! events it already holds.

use std::path::{Path, PathBuf};

use crate::bounces::classify::RuleSet;
use crate::bounces::history::{self, HistoryOptions, HistoryProblem, HistoryRowProblem};
use crate::error::Error;
use crate::write;

/// The columns written, in this order. The generic reader (`history.rs`) reads back the
/// first eight and `command`; reason, action and rule say what bouncegate decided about each
/// bounce when it was imported, for the user to read: `check` classifies every bounce again
/// with the rules in force, so a better rule applies to old histories too. `command` (the SMTP
/// command the bounce answered, when the bounce says it) came last, after the others.
pub const HEADER: [&str; 12] = [
    "email",
    "timestamp",
    "smtp_code",
    "enhanced_code",
    "diagnostic",
    "source",
    "source_verdict",
    "already_suppressed",
    "reason",
    "action",
    "rule",
    "command",
];

/// The columns that make an event: two imports of one event are the same event, even when
/// the rules decided differently in between.
const EVENT_COLUMNS: usize = 8;

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub files: usize,
    pub events: usize,
    pub appended: usize,
    pub already_there: usize,
    /// Auto-replies among the bounce mails: recognised, and not imported.
    pub auto_replies: usize,
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
        let history::FileRead {
            rows: rows_read,
            events,
            problems,
            auto_replies,
        } = history::read_file(path, rules, options);
        summary.auto_replies += auto_replies;
        summary.files += 1;
        let whole_file_said = problems.iter().any(|problem| problem.whole_file);
        summary.problems.extend(problems);
        // Rows that all fail are a wrong file or a wrong format, not an empty history.
        if events.is_empty() && rows_read > 0 && !whole_file_said {
            summary.problems.push(HistoryProblem {
                file: std::sync::Arc::from(path.as_path()),
                line: 0,
                problem: HistoryRowProblem::NoRowUsable { rows: rows_read },
                whole_file: true,
            });
        }
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
                evidence.reason.to_string(),
                event.action.to_string(),
                evidence.rule.as_deref().unwrap_or_default().to_owned(),
                evidence
                    .command
                    .map(|command| command.as_str().to_owned())
                    .unwrap_or_default(),
            ]);
        }
    }
    if rows.is_empty() {
        // Nothing to add: no file is created or rewritten.
        return Ok(summary);
    }
    // Appending to a file of other columns would shift every value into the wrong one. A
    // file an older bouncegate wrote (the event columns alone, or without `command`) gets the
    // columns it lacks first.
    let found = existing_header(out)?;
    if found.as_deref().is_some_and(|found| {
        found.len() >= EVENT_COLUMNS
            && found.len() < HEADER.len()
            && found == &HEADER[..found.len()]
    }) {
        add_decision_columns(out).map_err(|source| Error::Write {
            path: out.to_path_buf(),
            source,
        })?;
    } else if let Some(found) = found
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
    // An event is a duplicate when every event column is the same.
    let (appended, already_there) = write::append_csv(out, &HEADER, &rows, |row| {
        row[..EVENT_COLUMNS.min(row.len())].to_vec()
    })
    .map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    summary.appended = appended;
    summary.already_there = already_there;
    Ok(summary)
}

/// Give a history CSV of fewer columns the ones it lacks, empty: its events were imported
/// before bouncegate wrote them (`check` never reads the decision columns).
fn add_decision_columns(path: &Path) -> std::io::Result<()> {
    write::locked(path, || {
        let bytes = std::fs::read(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let mut writer = csv::Writer::from_writer(Vec::new());
        for (index, record) in reader.records().enumerate() {
            let record = record.map_err(|error| std::io::Error::other(error.to_string()))?;
            let mut cells: Vec<&str> = record.iter().collect();
            if index == 0 {
                cells = HEADER.to_vec();
            } else {
                cells.resize(cells.len().max(HEADER.len()), "");
            }
            writer.write_record(&cells)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        write::write_atomically(path, &bytes)
    })
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
