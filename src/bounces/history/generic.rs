//! The generic history CSV: a header naming the address and a code or a diagnostic, found by
//! name, and the rows read into bounces.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::file::Outcome;
use super::{Event, HistoryOptions, HistoryProblem, HistoryRowProblem, RawBounce, classify_bounce};
use crate::bounces::classify::RuleSet;
use crate::bounces::codes::{self, EnhancedCode, ReplyCode};
use crate::bounces::command::Command;
use crate::bounces::import::{self, Trace};
use crate::bounces::time::{self, TimeRead};
use crate::lists::find_header;
use crate::table::{self, InputProblem, Record};

/// Rows read, then classified on all cores, at a time.
const CLASSIFY_BATCH: usize = 16 * 1024;

const ADDRESS_HEADERS: &[&str] = &["email", "emailaddress", "recipient", "address", "to"];
const TIME_HEADERS: &[&str] = &[
    "timestamp",
    "date",
    "created",
    "createdat",
    "bouncedat",
    "time",
];
const REPLY_HEADERS: &[&str] = &["smtpcode", "replycode", "code"];
const ENHANCED_HEADERS: &[&str] = &["enhancedcode", "status", "statuscode"];
const TEXT_HEADERS: &[&str] = &[
    "diagnostic",
    "diagnosticcode",
    "reason",
    "message",
    "response",
    "error",
];

/// Whether the first row is a generic history CSV header.
pub(super) fn looks_generic(bytes: &[u8]) -> bool {
    let Ok(bytes) = table::decode_prelude(bytes) else {
        return false;
    };
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    if first_line.len() > 64 * 1024 {
        return false;
    }
    let mut generic = false;
    table::for_each_record(first_line, table::sniff_delimiter(first_line), |record| {
        if let Ok(record) = record {
            generic |= find_columns(&record).is_ok();
        }
    });
    generic
}

/// The cells of one history row that the rules read, in one allocation: address, time,
/// reply code, enhanced code, diagnostic, and (in files `history import` wrote) source,
/// source verdict, already suppressed.
struct RowCells {
    line: u64,
    text: String,
    ends: [usize; CELLS],
}

/// The cells a row keeps (see [`RowCells::get`]).
const CELLS: usize = 13;

impl RowCells {
    fn new(record: &Record<'_>, columns: &Columns) -> RowCells {
        let mut text = String::new();
        let mut ends = [0; CELLS];
        let wanted = [
            Some(columns.address),
            columns.time,
            columns.reply,
            columns.enhanced,
            columns.text,
            columns.source,
            columns.source_verdict,
            columns.already_suppressed,
            columns.command,
            columns.reporting_mta,
            columns.remote_mta,
            columns.message_id,
            columns.list_id,
        ];
        for (end, column) in ends.iter_mut().zip(wanted) {
            if let Some(field) = column.and_then(|c| record.field(c)) {
                text.push_str(unguarded(field.trim()));
            }
            *end = text.len();
        }
        RowCells {
            line: record.line,
            text,
            ends,
        }
    }

    /// Cell `index` (0 address .. 7 already suppressed, 8 command, 9 reporting MTA, 10
    /// remote MTA, 11 Message-ID, 12 List-Id); `None` when empty or absent.
    fn get(&self, index: usize) -> Option<&str> {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        let cell = &self.text[start..self.ends[index]];
        (!cell.is_empty()).then_some(cell)
    }
}

/// A cell without the `'` that bouncegate puts before a formula-like cell when it writes a
/// CSV (`history import`), so that `'=x@y.de` reads back as `=x@y.de`.
fn unguarded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// The columns of a history file.
struct Columns {
    address: usize,
    time: Option<usize>,
    reply: Option<usize>,
    enhanced: Option<usize>,
    text: Option<usize>,
    source: Option<usize>,
    source_verdict: Option<usize>,
    already_suppressed: Option<usize>,
    command: Option<usize>,
    reporting_mta: Option<usize>,
    remote_mta: Option<usize>,
    message_id: Option<usize>,
    list_id: Option<usize>,
    count: usize,
}

/// A generic history CSV: its rows read, events and problems, into `out`.
pub(super) fn read(bytes: &[u8], rules: &RuleSet, options: HistoryOptions, out: &mut Outcome<'_>) {
    let file = &out.file.clone();
    let bytes = match table::decode_prelude(bytes) {
        Ok(bytes) => bytes,
        Err(problem) => return out.whole_file(problem),
    };

    // Rows are gathered a batch at a time, each batch classified in parallel (the rules are
    // the costly part) and its events handed on before the next is read.
    let mut rows: Vec<RowCells> = Vec::with_capacity(CLASSIFY_BATCH);
    let mut columns: Option<Columns> = None;
    let mut file_problem = None;
    let mut rows_read = 0;
    table::for_each_record(&bytes, table::sniff_delimiter(&bytes), |record| {
        if file_problem.is_some() {
            return;
        }
        let record = match record {
            Ok(record) => record,
            Err((line, problem)) => {
                // An unclosed quote is not a row of its own: the last row swallowed the rest.
                let whole_file = problem == InputProblem::UnterminatedQuote;
                rows_read += usize::from(!whole_file);
                out.problems.push(HistoryProblem {
                    file: file.clone(),
                    line,
                    problem: HistoryRowProblem::BadInput { problem },
                    whole_file,
                });
                return;
            }
        };
        let Some(columns) = &columns else {
            match find_columns(&record) {
                Ok(found) => columns = Some(found),
                Err(problem) => file_problem = Some(problem),
            }
            return;
        };
        rows_read += 1;
        if record.len() != columns.count {
            out.problems.push(HistoryProblem {
                file: file.clone(),
                line: record.line,
                problem: HistoryRowProblem::BadInput {
                    problem: InputProblem::RaggedRow {
                        fields: record.len(),
                        expected: columns.count,
                    },
                },
                whole_file: false,
            });
            return;
        }
        rows.push(RowCells::new(&record, columns));
        if rows.len() == CLASSIFY_BATCH {
            classify(&rows, rules, options, out);
            rows.clear();
        }
    });
    if let Some(problem) = file_problem {
        return out.whole_file(problem);
    }
    if columns.is_none() {
        return out.whole_file(InputProblem::EmptyFile);
    }

    classify(&rows, rules, options, out);
    out.rows += rows_read;
}

/// Classify rows on all cores and hand their events on, in order.
fn classify(rows: &[RowCells], rules: &RuleSet, options: HistoryOptions, out: &mut Outcome<'_>) {
    let file = &out.file;
    let results: Vec<Result<Event, HistoryProblem>> = rows
        .par_iter()
        .map(|row| {
            read_event(row, rules, options, file).map_err(|problem| HistoryProblem {
                file: file.clone(),
                line: row.line,
                problem,
                whole_file: false,
            })
        })
        .collect();
    out.take(results);
}

fn find_columns(header: &Record<'_>) -> Result<Columns, InputProblem> {
    let names: Vec<String> = header.fields().map(|f| f.trim().to_owned()).collect();
    let find = |candidates: &[&str]| find_header(&names, candidates);
    let address = find(ADDRESS_HEADERS);
    let (reply, enhanced, text) = (
        find(REPLY_HEADERS),
        find(ENHANCED_HEADERS),
        find(TEXT_HEADERS),
    );
    match address {
        Some(address) if reply.is_some() || enhanced.is_some() || text.is_some() => Ok(Columns {
            address,
            time: find(TIME_HEADERS),
            reply,
            enhanced,
            text,
            source: find(&["source"]),
            source_verdict: find(&["sourceverdict"]),
            already_suppressed: find(&["alreadysuppressed"]),
            command: find(&["command", "smtpcommand"]),
            reporting_mta: find(&["reportingmta"]),
            remote_mta: find(&["remotemta"]),
            message_id: find(&["messageid"]),
            list_id: find(&["listid"]),
            count: names.len(),
        }),
        _ => Err(InputProblem::MissingColumns {
            detail: format!(
                "{} (email, recipient or address, and smtp_code, reply_code, code, enhanced_code, status, diagnostic, reason or message); its first row has {}",
                import::ImportError::UnknownFormat,
                names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

fn read_event(
    row: &RowCells,
    rules: &RuleSet,
    options: HistoryOptions,
    file: &Arc<Path>,
) -> Result<Event, HistoryRowProblem> {
    let cell = |index: usize| row.get(index);
    // A time that cannot be read leaves the bounce undated, not unused: a hard bounce
    // suppresses whenever it happened.
    let (time, time_problem) =
        match cell(1).map(|value| (value, time::read_time(value, options.date_order))) {
            None => (None, None),
            Some((_, TimeRead::At(time))) => (Some(time), None),
            Some((value, TimeRead::Ambiguous)) => (
                None,
                Some(HistoryRowProblem::AmbiguousTime {
                    value: value.to_owned(),
                }),
            ),
            Some((value, TimeRead::Unreadable)) => (
                None,
                Some(HistoryRowProblem::BadTime {
                    value: value.to_owned(),
                }),
            ),
        };
    let text = cell(4).unwrap_or_default();
    // Columns win over the text (read in `classify_bounce`); a code column may hold both
    // codes (`550 5.1.1`).
    let (mut reply, mut enhanced) = (None, None);
    if let Some(value) = cell(2) {
        match value.parse::<ReplyCode>() {
            Ok(code) => reply = Some(code),
            Err(_) => match codes::find_codes(value) {
                (None, None) => {
                    return Err(HistoryRowProblem::BadReplyCode {
                        value: value.to_owned(),
                    });
                }
                (found_reply, found_enhanced) => {
                    reply = found_reply.or(reply);
                    enhanced = found_enhanced.or(enhanced);
                }
            },
        }
    }
    if let Some(value) = cell(3) {
        enhanced = Some(
            value
                .parse::<EnhancedCode>()
                .ok()
                .or_else(|| codes::find_enhanced_code(value))
                .ok_or_else(|| HistoryRowProblem::BadEnhancedCode {
                    value: value.to_owned(),
                })?,
        );
    }
    let raw = RawBounce {
        line: row.line,
        address: cell(0).unwrap_or_default(),
        time,
        reply,
        enhanced,
        text,
        source: cell(5).and_then(|name| import::parse_format_name(name).ok()),
        source_verdict: cell(6),
        already_suppressed: cell(7).is_some_and(|v| v.eq_ignore_ascii_case("true")),
        command: cell(8).and_then(Command::parse),
        trace: Trace {
            reporting_mta: cell(9).and_then(Trace::value),
            remote_mta: cell(10).and_then(Trace::value),
            message_id: cell(11).and_then(Trace::value),
            list_id: cell(12).and_then(Trace::value),
        },
    };
    let mut event = classify_bounce(raw, rules, options, file)?;
    event.warning = time_problem.or(event.warning);
    Ok(event)
}
