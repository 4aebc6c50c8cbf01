//! Reading one list file: a plain list (`.txt`) or delimited text with or without a header.
//! A big file is read on all cores, a chunk of lines each (see `table::parallel`); the cells
//! are places in the file's bytes, which the list keeps until the syntax stage.

use std::ops::ControlFlow;
use std::path::Path;

use rayon::prelude::*;

use super::cells::{CellPart, Cells};
use super::{EMAIL_HEADERS, ListFile, ReadOptions, RowSpan, Skip, SkipReason, find_header};
use crate::table::{self, FileBytes, InputProblem, Position, Record, Scanner};

/// What one chunk of a file read.
#[derive(Default)]
struct Part {
    cells: CellPart,
    skips: Vec<Skip>,
    spans: Vec<RowSpan>,
    /// An unclosed quote swallowed the rest of the file (the last part only).
    unterminated: Option<(u64, InputProblem)>,
}

impl Part {
    /// Room for a cell (and a span, when asked for) on each line.
    fn with_room(lines: usize, options: &ReadOptions) -> Part {
        Part {
            cells: CellPart::with_capacity(lines),
            spans: Vec::with_capacity(if options.spans { lines } else { 0 }),
            ..Part::default()
        }
    }
}

/// Read one list file.
pub fn read_list(path: &Path, options: &ReadOptions) -> ListFile {
    match std::fs::File::open(path).and_then(|file| table::read_rest(file, Vec::new())) {
        Ok(bytes) => read_owned(path, bytes, options),
        Err(error) => {
            let detail = if path.is_dir() {
                "it is a directory, not a list file".to_owned()
            } else {
                error.to_string()
            };
            let mut list = ListFile::empty(path);
            list.file_problem = Some((1, InputProblem::Unreadable { detail }));
            list
        }
    }
}

/// Read a list from bytes already in memory (the file at another git revision, say); `path`
/// names it and decides its format.
pub fn read_list_bytes(path: &Path, bytes: &[u8], options: &ReadOptions) -> ListFile {
    read_owned(path, FileBytes::Read(bytes.to_vec()), options)
}

fn read_owned(path: &Path, bytes: FileBytes, options: &ReadOptions) -> ListFile {
    read_chunked(path, bytes, options, table::CHUNK_BYTES)
}

/// Read a list, a chunk of about `chunk_bytes` on each core at a time.
pub(super) fn read_chunked(
    path: &Path,
    bytes: FileBytes,
    options: &ReadOptions,
    chunk_bytes: usize,
) -> ListFile {
    let mut list = ListFile::empty(path);
    // Spans count from the file's first byte: past a BOM the decoded bytes start later (and
    // CR line ends become LF in place, so nothing else moves).
    let offset = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let decoded = match table::decode_prelude(&bytes) {
        Ok(decoded) => decoded,
        Err(problem) => {
            list.file_problem = Some((1, problem));
            return list;
        }
    };
    let extension = path
        .extension()
        .and_then(|ext| ext.to_str())
        .unwrap_or_default();
    let mut parts = if extension.eq_ignore_ascii_case("txt") {
        read_plain(&decoded, options, chunk_bytes)
    } else {
        let delimiter = if extension.eq_ignore_ascii_case("tsv") {
            b'\t'
        } else {
            table::sniff_delimiter(&decoded)
        };
        read_delimited(&decoded, delimiter, options, chunk_bytes, &mut list)
    };
    for part in &mut parts {
        list.skips.append(&mut part.skips);
        list.spans.extend(part.spans.iter().map(|span| RowSpan {
            start: span.start + offset,
            end: span.end + offset,
            ..*span
        }));
        if let Some(problem) = part.unterminated.take() {
            list.file_problem = Some(problem);
        }
    }
    // The cells keep the bytes they stand in: the file's, or the copy with LF line ends.
    let (bytes, base) = match decoded {
        std::borrow::Cow::Borrowed(_) => (bytes, offset),
        std::borrow::Cow::Owned(converted) => (FileBytes::Read(converted), 0),
    };
    let cell_parts = parts.into_iter().map(|part| part.cells).collect();
    list.cells = Cells::from_parts(bytes, base, cell_parts);
    list
}

fn read_plain(bytes: &[u8], options: &ReadOptions, chunk_bytes: usize) -> Vec<Part> {
    // A final newline ends the last line; it does not start an empty one.
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let start = Position { offset: 0, line: 1 };
    let chunks = table::line_chunks(bytes, start, chunk_bytes);
    chunks
        .par_iter()
        .map(|chunk| {
            let mut part = Part::with_room(chunk.lines, options);
            let Position {
                offset: mut start,
                mut line,
            } = chunk.start;
            let end = chunk.end;
            // The body's last line, even an empty one, starts before the end of the bytes.
            while start < end {
                let newline = memchr::memchr(b'\n', &body[start..]);
                let raw = &body[start..newline.map_or(body.len(), |n| start + n)];
                let span = RowSpan {
                    line,
                    start,
                    end: (start + raw.len() + 1).min(bytes.len()),
                };
                plain_line(raw, span, options, &mut part);
                match newline {
                    Some(n) => start += n + 1,
                    None => break,
                }
                line += 1;
            }
            part
        })
        .collect()
}

fn plain_line(raw: &[u8], span: RowSpan, options: &ReadOptions, part: &mut Part) {
    let line = span.line;
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if let Err((line, problem)) = table::check_raw(raw, line) {
        part.skips.push(Skip {
            line,
            reason: SkipReason::BadInput { problem },
        });
        return;
    }
    let text = std::str::from_utf8(raw).unwrap_or_default();
    let trimmed = text.trim();
    let reason = if trimmed.is_empty() {
        SkipReason::Blank
    } else if trimmed.starts_with('#') {
        SkipReason::Comment
    } else {
        part.cells.push_span(line, span.start, raw.len());
        if options.spans {
            part.spans.push(span);
        }
        return;
    };
    part.skips.push(Skip { line, reason });
}

/// The first row decides the email column (and whether it is a header), then the rest is
/// read on all cores.
fn read_delimited(
    bytes: &[u8],
    delimiter: u8,
    options: &ReadOptions,
    chunk_bytes: usize,
    list: &mut ListFile,
) -> Vec<Part> {
    let mut head = Part::default();
    // The email column and the field count of the first row.
    let mut layout: Option<(usize, usize)> = None;
    let start = Position { offset: 0, line: 1 };
    let stopped = Scanner::new(delimiter).scan(bytes, start, usize::MAX, |record| {
        let record = match record {
            Ok(record) => record,
            Err((line, problem)) => {
                head.skips.push(Skip {
                    line,
                    reason: SkipReason::BadInput { problem },
                });
                return ControlFlow::Continue(());
            }
        };
        match find_email_column(&record, options) {
            Ok((column, is_header)) => {
                layout = Some((column, record.len()));
                if is_header && options.column.is_none() {
                    list.other_email_column = other_email_column(&record, column);
                }
                if !is_header {
                    take_cell(&record, column, record.len(), options, &mut head);
                }
            }
            Err(problem) => list.file_problem = Some((record.line, problem)),
        }
        ControlFlow::Break(())
    });
    if list.file_problem.is_some() {
        return vec![head];
    }
    let Some((column, expected)) = layout else {
        // No row could be read; the last may still have swallowed the file.
        head.unterminated = table::unterminated_quote(bytes, stopped.last);
        return vec![head];
    };
    let mut parts = table::par_for_each_record(
        bytes,
        delimiter,
        stopped,
        chunk_bytes,
        |lines| Part::with_room(lines, options),
        |part, record| match record {
            Ok(record) => take_cell(&record, column, expected, options, part),
            // Not a row of its own: the last row swallowed the rest of the file.
            Err((line, problem @ InputProblem::UnterminatedQuote)) => {
                part.unterminated = Some((line, problem));
            }
            Err((line, problem)) => part.skips.push(Skip {
                line,
                reason: SkipReason::BadInput { problem },
            }),
        },
    );
    parts.insert(0, head);
    parts
}

fn take_cell(
    record: &Record<'_>,
    column: usize,
    expected: usize,
    options: &ReadOptions,
    part: &mut Part,
) {
    let line = record.line_of_field(column);
    if record.len() != expected {
        part.skips.push(Skip {
            line: record.line,
            reason: SkipReason::BadInput {
                problem: InputProblem::RaggedRow {
                    fields: record.len(),
                    expected,
                },
            },
        });
        return;
    }
    let (in_line, bytes) = match record.field_in_line(column) {
        Some((offset, bytes)) => (Some(offset), bytes),
        None => (None, record.field_bytes(column).unwrap_or_default()),
    };
    if is_blank(bytes) {
        part.skips.push(Skip {
            line,
            reason: SkipReason::EmptyCell,
        });
        return;
    }
    match in_line {
        Some(offset) => part
            .cells
            .push_span(line, record.span.0 + offset, bytes.len()),
        None => part.cells.push_unquoted(line, bytes),
    }
    if options.spans {
        part.spans.push(RowSpan {
            line,
            start: record.span.0,
            end: record.span.1,
        });
    }
}

/// Whether a cell (UTF-8, checked by the scanner) holds nothing but white space. Most start
/// with a byte that settles it.
fn is_blank(cell: &[u8]) -> bool {
    match cell.trim_ascii() {
        [] => true,
        // ASCII and not white space (the vertical tab is, for `str::trim`).
        [first, ..] if first.is_ascii() && *first != b'\x0B' => false,
        _ => std::str::from_utf8(cell)
            .unwrap_or_default()
            .trim()
            .is_empty(),
    }
}

/// The email column of the first row, and whether that row is a header. A first row with an
/// `@` in some field is data: the file has no header.
fn find_email_column(
    first: &Record<'_>,
    options: &ReadOptions,
) -> Result<(usize, bool), InputProblem> {
    let header: Vec<String> = first.fields().map(|f| f.trim().to_owned()).collect();
    if let Some(wanted) = &options.column {
        if let Some(index) = header
            .iter()
            .position(|name| name.eq_ignore_ascii_case(wanted.trim()))
        {
            return Ok((index, true));
        }
        return Err(InputProblem::ColumnNotFound {
            column: wanted.clone(),
            header,
        });
    }
    if let Some(index) = header.iter().position(|field| field.contains('@')) {
        return Ok((index, false));
    }
    find_header(&header, EMAIL_HEADERS)
        .map(|index| (index, true))
        .ok_or(InputProblem::NoEmailColumn { header })
}

/// A header beside `column` that also names an email column (`email` and `e-mail`, `Email`
/// and `Mail Address`): the list may hold its addresses in the other one. Headers that only say
/// `address` or `recipient` are left alone: often a postal address or a name.
fn other_email_column(header: &Record<'_>, column: usize) -> Option<(String, String)> {
    let names: Vec<String> = header.fields().map(|f| f.trim().to_owned()).collect();
    let is_email = |name: &String| {
        let folded: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        folded.contains("mail")
    };
    let other = names
        .iter()
        .enumerate()
        .find(|(index, name)| *index != column && is_email(name))?
        .1;
    Some((names.get(column)?.clone(), other.clone()))
}
