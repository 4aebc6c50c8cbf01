//! The generic history CSV: a header naming the address and a code or a diagnostic, found by
//! name, and the rows read into bounces.

use std::path::Path;
use std::sync::Arc;

use std::ops::ControlFlow;

use super::file::Outcome;
use super::{Event, HistoryOptions, HistoryProblem, HistoryRowProblem, RawBounce, classify_bounce};
use crate::bounces::classify::RuleSet;
use crate::bounces::codes::{self, EnhancedCode, ReplyCode};
use crate::bounces::command::Command;
use crate::bounces::import::{self, Trace};
use crate::bounces::time::{self, TimeRead};
use crate::lists::find_header;
use crate::table::{self, InputProblem, Position, Record, Scanner};

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

/// The cells of one history row that the rules read: address, time, reply code, enhanced
/// code, diagnostic, and (in files `history import` wrote) source, source verdict, already
/// suppressed, command, reporting MTA, remote MTA, Message-ID, List-Id.
struct RowCells<'r> {
    line: u64,
    cells: [Option<&'r str>; CELLS],
}

/// The cells a row keeps (see [`RowCells::get`]).
const CELLS: usize = 13;

impl<'r> RowCells<'r> {
    fn new(record: &Record<'r>, columns: &Columns) -> RowCells<'r> {
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
        RowCells {
            line: record.line,
            cells: wanted.map(|column| {
                column
                    .and_then(|c| record.field(c))
                    .map(|field| unguarded(field.trim()))
                    .filter(|cell| !cell.is_empty())
            }),
        }
    }

    /// Cell `index` (0 address .. 7 already suppressed, 8 command, 9 reporting MTA, 10
    /// remote MTA, 11 Message-ID, 12 List-Id); `None` when empty or absent.
    fn get(&self, index: usize) -> Option<&'r str> {
        self.cells[index]
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

/// A generic history CSV: its rows read, events and problems, into `out`. A big file is read
/// on all cores, a chunk each (see `table::par_for_each_record`), and the chunks are taken in
/// file order.
pub(super) fn read(bytes: &[u8], rules: &RuleSet, options: HistoryOptions, out: &mut Outcome<'_>) {
    read_chunked(bytes, rules, options, out, table::CHUNK_BYTES);
}

/// [`read`], a chunk of about `chunk_bytes` on each core at a time.
pub(super) fn read_chunked(
    bytes: &[u8],
    rules: &RuleSet,
    options: HistoryOptions,
    out: &mut Outcome<'_>,
    chunk_bytes: usize,
) {
    let file = &out.file.clone();
    let bytes = match table::decode_prelude(bytes) {
        Ok(bytes) => bytes,
        Err(problem) => return out.whole_file(problem),
    };
    let delimiter = table::sniff_delimiter(&bytes);
    let bad_input = |line, problem: InputProblem| HistoryProblem {
        file: file.clone(),
        line,
        // An unclosed quote is not a row of its own: the last row swallowed the rest.
        whole_file: problem == InputProblem::UnterminatedQuote,
        problem: HistoryRowProblem::BadInput { problem },
    };

    // The header: the first row that can be read.
    let mut head = out.piece(0);
    let mut columns: Option<Columns> = None;
    let mut file_problem = None;
    let start = Position { offset: 0, line: 1 };
    let stopped = Scanner::new(delimiter).scan(&bytes, start, usize::MAX, |record| {
        match record {
            Ok(record) => match find_columns(&record) {
                Ok(found) => columns = Some(found),
                Err(problem) => file_problem = Some(problem),
            },
            Err((line, problem)) => {
                let problem = bad_input(line, problem);
                head.tally.rows += usize::from(!problem.whole_file);
                head.tally.problems.push(problem);
                return ControlFlow::Continue(());
            }
        }
        ControlFlow::Break(())
    });
    if let Some(problem) = file_problem {
        return out.whole_file(problem);
    }
    let Some(columns) = columns else {
        return out.whole_file(InputProblem::EmptyFile);
    };
    out.absorb(head);
    out.expect_rows(memchr::memchr_iter(b'\n', &bytes).count() + 1);

    // A few chunks a core at a time: `history import` writes each round's events before the
    // next round is read, so memory holds a round's events, not the file's.
    let chunking = table::Chunking {
        chunk_bytes,
        round: 4 * rayon::current_num_threads(),
    };
    let pieces = out.pieces();
    table::par_for_each_record_in_rounds(
        &bytes,
        delimiter,
        stopped,
        chunking,
        pieces,
        |piece, record| {
            let record = match record {
                Ok(record) => record,
                Err((line, problem)) => {
                    let problem = bad_input(line, problem);
                    piece.tally.rows += usize::from(!problem.whole_file);
                    return piece.tally.problems.push(problem);
                }
            };
            piece.tally.rows += 1;
            let result = if record.len() == columns.count {
                let row = RowCells::new(&record, &columns);
                read_event(&row, rules, options, file).map_err(|problem| HistoryProblem {
                    file: file.clone(),
                    line: row.line,
                    problem,
                    whole_file: false,
                })
            } else {
                Err(bad_input(
                    record.line,
                    InputProblem::RaggedRow {
                        fields: record.len(),
                        expected: columns.count,
                    },
                ))
            };
            piece.take(file, result);
        },
        |piece| out.absorb(piece),
    );
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
    row: &RowCells<'_>,
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
