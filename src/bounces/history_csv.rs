//! `bouncegate history import`: any history the tool reads (a provider's export, a mail log,
//! bounce messages), normalised into the generic history CSV, appended to it without the
//! events it already holds.

use std::path::{Path, PathBuf};

use crate::bounces::classify::RuleSet;
use crate::bounces::history::{self, HistoryOptions, HistoryProblem, HistoryRowProblem};
use crate::error::Error;
use crate::write;

/// The columns written, in this order. The generic reader (`history/generic.rs`) reads back
/// all but reason, action and rule, which say what bouncegate decided about each bounce when
/// it was imported, for the user to read: `check` classifies every bounce again with the rules
/// in force, so a better rule applies to old histories too. Columns added later come last:
/// `command` (the SMTP command the bounce answered), then the trace (the servers, and the
/// returned message's Message-ID and List-Id), so that an older file only gains columns.
pub const HEADER: [&str; 16] = [
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
    "reporting_mta",
    "remote_mta",
    "message_id",
    "list_id",
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

/// Read every file and append its events to `out` (created with a header when new). Each
/// event is written as it is read: memory holds a batch of bounce mails and one hash per
/// event, not the histories.
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
    // Appending to a file of other columns would shift every value into the wrong one. (A
    // file an older bouncegate wrote, the event columns alone or without `command`, gets the
    // columns it lacks.)
    if let Some(found) = existing_header(out)?
        && !(found.len() >= EVENT_COLUMNS && found == HEADER[..found.len().min(HEADER.len())])
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
    let write_error = |source| Error::Write {
        path: out.to_path_buf(),
        source,
    };
    // Locked from the first read of `out` to its replacement: two imports at once lose
    // nothing.
    write::locked(out, || {
        let event_columns: Vec<usize> = (0..EVENT_COLUMNS).collect();
        let mut appender = write::CsvAppender::open(out, &HEADER, &event_columns)?;
        let mut summary = ImportSummary::default();
        let mut failed = None;
        for path in files {
            let mut each = |event: history::Event| {
                let Some(row) = row_of(event) else {
                    return;
                };
                if failed.is_none() {
                    match appender.push(&row) {
                        Ok(true) => summary.appended += 1,
                        Ok(false) => summary.already_there += 1,
                        Err(error) => failed = Some(error),
                    }
                }
            };
            let history::FileSummary {
                rows: rows_read,
                events,
                problems,
                auto_replies,
            } = history::read_file_each(path, rules, options, &mut each);
            summary.events += events;
            summary.auto_replies += auto_replies;
            summary.files += 1;
            let whole_file_said = problems.iter().any(|problem| problem.whole_file);
            summary.problems.extend(problems);
            // Rows that all fail are a wrong file or a wrong format, not an empty history.
            if events == 0 && rows_read > 0 && !whole_file_said {
                summary.problems.push(HistoryProblem {
                    file: std::sync::Arc::from(path.as_path()),
                    line: 0,
                    problem: HistoryRowProblem::NoRowUsable { rows: rows_read },
                    whole_file: true,
                });
            }
        }
        if let Some(error) = failed {
            return Err(error);
        }
        // Nothing to add: no file is created or rewritten.
        if summary.events > 0 {
            appender.finish()?;
        }
        Ok(summary)
    })
    .map_err(write_error)
}

/// The history CSV row of an event (every event `history import` reads keeps its evidence).
fn row_of(event: history::Event) -> Option<Vec<String>> {
    let address = event.address().to_owned();
    let evidence = std::sync::Arc::unwrap_or_clone(event.evidence?);
    let mut row = vec![
        address,
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
    ];
    let trace = evidence.trace.map(|trace| *trace).unwrap_or_default();
    row.extend(
        [
            trace.reporting_mta,
            trace.remote_mta,
            trace.message_id,
            trace.list_id,
        ]
        .map(Option::unwrap_or_default),
    );
    Some(row)
}

/// The header of an existing, non-blank file.
fn existing_header(path: &Path) -> Result<Option<Vec<String>>, Error> {
    let error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(error(source)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    for record in reader.byte_records() {
        let record = record.map_err(|e| error(std::io::Error::other(e)))?;
        // Blank lines before the header are no header.
        if record.len() <= 1 && record.iter().all(|cell| cell.trim_ascii().is_empty()) {
            continue;
        }
        return Ok(Some(
            record
                .iter()
                .map(|cell| String::from_utf8_lossy(cell).trim().to_owned())
                .collect(),
        ));
    }
    Ok(None)
}

fn rfc3339(time: i64) -> String {
    jiff::Timestamp::from_second(time)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
