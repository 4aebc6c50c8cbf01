//! Delimited text as users commit it: UTF-8 with or without a BOM, CRLF or LF, `,` `;` tab or
//! `|`, quoted fields with newlines inside. Shared by the list reader and the history reader so
//! that both report the same true line numbers and the same input problems.

use std::borrow::Cow;
use std::fmt;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

mod bytes;
mod parallel;
mod record;
mod scan;

pub use bytes::{FileBytes, FileText, read_rest};
pub use parallel::{
    CHUNK_BYTES, Chunk, Chunking, line_chunks, par_for_each_record, par_for_each_record_in_rounds,
};
pub use record::Record;
pub use scan::{Position, Scanner, Stopped};

/// A record longer than this is not a list row but a broken file (a lost quote, a binary blob).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a row, or a whole file, could not be read. Each is a bad-input error (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum InputProblem {
    Unreadable { detail: String },
    EmptyFile,
    Utf16,
    NotUtf8 { byte: u8, column: usize },
    NulByte { column: usize },
    LineTooLong { octets: usize },
    UnterminatedQuote,
    RaggedRow { fields: usize, expected: usize },
    NoEmailColumn { header: Vec<String> },
    ColumnNotFound { column: String, header: Vec<String> },
    MissingColumns { detail: String },
}

impl InputProblem {
    /// Whether the problem stopped the whole file from being read.
    pub fn is_whole_file(&self) -> bool {
        matches!(
            self,
            InputProblem::Unreadable { .. }
                | InputProblem::EmptyFile
                | InputProblem::Utf16
                | InputProblem::NoEmailColumn { .. }
                | InputProblem::ColumnNotFound { .. }
                | InputProblem::MissingColumns { .. }
        )
    }

    pub fn code(&self) -> &'static str {
        match self {
            InputProblem::Unreadable { .. } => "unreadable",
            InputProblem::EmptyFile => "empty-file",
            InputProblem::Utf16 => "not-utf8",
            InputProblem::NotUtf8 { .. } => "not-utf8",
            InputProblem::NulByte { .. } => "nul-byte",
            InputProblem::LineTooLong { .. } => "line-too-long",
            InputProblem::UnterminatedQuote => "unterminated-quote",
            InputProblem::RaggedRow { .. } => "ragged-row",
            InputProblem::NoEmailColumn { .. } => "no-email-column",
            InputProblem::ColumnNotFound { .. } => "column-not-found",
            InputProblem::MissingColumns { .. } => "missing-columns",
        }
    }
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputProblem::Unreadable { detail } => write!(f, "cannot be read: {detail}"),
            InputProblem::EmptyFile => {
                f.write_str("is empty: expected a header row and addresses, or one address per line")
            }
            InputProblem::Utf16 => {
                f.write_str("is UTF-16: expected UTF-8; save the file as UTF-8 (CSV UTF-8 in spreadsheets)")
            }
            InputProblem::NotUtf8 { byte, column } => write!(
                f,
                "has the byte 0x{byte:02X} at column {column}, which is not UTF-8: expected UTF-8; re-save the file as UTF-8"
            ),
            InputProblem::NulByte { column } => write!(
                f,
                "has a NUL byte at column {column}: expected text; is this a binary or UTF-16 file?"
            ),
            InputProblem::LineTooLong { octets } => write!(
                f,
                "is a row of {octets} bytes: expected at most {MAX_RECORD_BYTES} (a lost quote or a binary blob?)"
            ),
            InputProblem::UnterminatedQuote => f.write_str(
                "opens a quoted field that never closes, so the rest of the file is one field: expected a closing '\"'",
            ),
            InputProblem::RaggedRow { fields, expected } => write!(
                f,
                "has {}: expected {expected}, as in the first row (a missing or extra delimiter?)",
                crate::finding::plural(*fields, "field")
            ),
            InputProblem::NoEmailColumn { header } => write!(
                f,
                "has no email column: expected a header naming it (email, e-mail, email_address, mail, address, ...) or addresses in the first row; found {}; name it with --column",
                quote_list(header)
            ),
            InputProblem::ColumnNotFound { column, header } => write!(
                f,
                "has no column '{column}': the header has {}",
                quote_list(header)
            ),
            InputProblem::MissingColumns { detail } => f.write_str(detail),
        }
    }
}

fn quote_list(items: &[String]) -> String {
    if items.is_empty() {
        return "nothing".to_owned();
    }
    items
        .iter()
        .map(|item| format!("'{item}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Strip a UTF-8 BOM; reject UTF-16 and empty files up front. A file whose lines end in a
/// bare CR (classic Mac) gets LF line ends, so that rows and line numbers come out right.
pub fn decode_prelude(bytes: &[u8]) -> Result<Cow<'_, [u8]>, InputProblem> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(InputProblem::Utf16);
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputProblem::EmptyFile);
    }
    // A LF is found at once in nearly every file; a CR is searched for only in a file without.
    if memchr::memchr(b'\n', bytes).is_none() && memchr::memchr(b'\r', bytes).is_some() {
        return Ok(Cow::Owned(
            bytes
                .iter()
                .map(|&b| if b == b'\r' { b'\n' } else { b })
                .collect(),
        ));
    }
    Ok(Cow::Borrowed(bytes))
}

/// The delimiter used most often outside quotes on the first line; `,` when none is used.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    for &byte in bytes {
        match byte {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == byte) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        CANDIDATES[best]
    }
}

/// Check a line or record's raw bytes: length, NUL and UTF-8. `line` is where `raw` starts.
pub fn check_raw(raw: &[u8], line: u64) -> Result<(), (u64, InputProblem)> {
    if raw.len() > MAX_RECORD_BYTES {
        return Err((line, InputProblem::LineTooLong { octets: raw.len() }));
    }
    let locate = |offset: usize| {
        let before = &raw[..offset];
        let newlines = memchr::memchr_iter(b'\n', before).count() as u64;
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        (line + newlines, offset - line_start + 1)
    };
    if let Some(offset) = memchr::memchr(0, raw) {
        let (line, column) = locate(offset);
        return Err((line, InputProblem::NulByte { column }));
    }
    if let Err(error) = std::str::from_utf8(raw) {
        let offset = error.valid_up_to();
        let (line, column) = locate(offset);
        return Err((
            line,
            InputProblem::NotUtf8 {
                byte: raw[offset],
                column,
            },
        ));
    }
    Ok(())
}

/// Visit every record of a delimited file. Records that fail [`check_raw`] are handed to the
/// visitor as problems, never dropped, so the caller can account for every row.
pub fn for_each_record(
    bytes: &[u8],
    delimiter: u8,
    mut visit: impl FnMut(Result<Record<'_>, (u64, InputProblem)>),
) {
    let start = Position { offset: 0, line: 1 };
    let stopped = Scanner::new(delimiter).scan(bytes, start, usize::MAX, |record| {
        visit(record);
        ControlFlow::Continue(())
    });
    if let Some(problem) = unterminated_quote(bytes, stopped.last) {
        visit(Err(problem));
    }
}

/// csv reads an unclosed quote to the end of the file without complaint, so the last record
/// swallows every line after it. A last record (line, start) that spans lines with an odd
/// number of quotes is that; a stray quote inside one line (`5" floppy`) is not.
pub fn unterminated_quote(bytes: &[u8], last: Option<(u64, usize)>) -> Option<(u64, InputProblem)> {
    let (line, start) = last?;
    let tail = &bytes[start..];
    let body = tail.trim_ascii_end();
    let quotes = memchr::memchr_iter(b'"', tail).count();
    (quotes % 2 == 1 && memchr::memchr(b'\n', body).is_some())
        .then_some((line, InputProblem::UnterminatedQuote))
}

#[cfg(test)]
mod tests;
