//! Delimited text as users commit it: UTF-8 with or without a BOM, CRLF or LF, `,` `;` tab or
//! `|`, quoted fields with newlines inside. Shared by the list reader and the history reader so
//! that both report the same true line numbers and the same input problems.

use std::borrow::Cow;
use std::fmt;

use csv::{ByteRecord, ReaderBuilder};
use serde::{Deserialize, Serialize};

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

/// One record of a delimited file, with the line where each field starts.
pub struct Record<'a> {
    record: &'a ByteRecord,
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// The record's bytes in the input, its line terminator included.
    pub span: (usize, usize),
}

impl Record<'_> {
    pub fn len(&self) -> usize {
        self.record.len()
    }

    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
    }

    /// The field as text (the whole record was checked to be UTF-8).
    pub fn field(&self, index: usize) -> Option<&str> {
        self.record
            .get(index)
            .map(|bytes| std::str::from_utf8(bytes).unwrap_or_default())
    }

    /// The true line of a field: quoted newlines in earlier fields push it down.
    pub fn line_of_field(&self, index: usize) -> u64 {
        let earlier: usize = (0..index.min(self.record.len()))
            .map(|i| memchr::memchr_iter(b'\n', &self.record[i]).count())
            .sum();
        self.line + earlier as u64
    }

    pub fn fields(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.field(i).unwrap_or_default())
    }
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
    if memchr::memchr(b'\r', bytes).is_some() && memchr::memchr(b'\n', bytes).is_none() {
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
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut record = ByteRecord::new();
    let mut last: Option<(u64, usize)> = None;
    // The csv reader's own line count lags behind CRLF and blank lines, so lines are counted
    // here from byte offsets: (offset, line at that offset).
    let mut cursor = (0usize, 1u64);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            // Reading from a slice fails only on I/O, which a slice never does; treat it as
            // the end of the data rather than looping.
            Err(_) => break,
        }
        let mut end = (reader.position().byte() as usize).min(bytes.len());
        // The reader stops after the CR of a CRLF; the LF belongs to this record too.
        if end > 0 && bytes[end - 1] == b'\r' && bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        let mut start = record.position().map_or(cursor.0, |p| p.byte() as usize);
        // The reported start may sit on the previous line's terminator or on skipped blank
        // lines; a record itself never starts with a line break.
        while start < end && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        let line = cursor.1 + memchr::memchr_iter(b'\n', &bytes[cursor.0..start]).count() as u64;
        cursor = (start, line);
        last = Some((line, start));
        match check_raw(&bytes[start..end], line) {
            Ok(()) => visit(Ok(Record {
                record: &record,
                line,
                span: (start, end),
            })),
            Err(problem) => visit(Err(problem)),
        }
    }
    // csv reads an unclosed quote to the end of the file without complaint, so the last
    // record swallows every line after it. A last record that spans lines with an odd number
    // of quotes is that; a stray quote inside one line (`5" floppy`) is not.
    if let Some((line, start)) = last {
        let tail = &bytes[start..];
        let body = tail.trim_ascii_end();
        let quotes = memchr::memchr_iter(b'"', tail).count();
        if quotes % 2 == 1 && memchr::memchr(b'\n', body).is_some() {
            visit(Err((line, InputProblem::UnterminatedQuote)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of_first_field(data: &str) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for_each_record(data.as_bytes(), b',', |record| {
            let record = record.unwrap();
            let last = record.len() - 1;
            out.push((
                record.line_of_field(last),
                record.field(last).unwrap().to_owned(),
            ));
        });
        out
    }

    #[test]
    fn line_numbers_survive_crlf_and_quoted_newlines() {
        let data =
            "name,email\r\n\"Ann\r\nSmith\",ann@x.de\r\n\r\nbob,bob@x.de\r\n\"a\nb\nc\",\"c@x.de\"";
        assert_eq!(
            lines_of_first_field(data),
            vec![
                (1, "email".to_owned()),
                (3, "ann@x.de".to_owned()),
                (5, "bob@x.de".to_owned()),
                (8, "c@x.de".to_owned()),
            ]
        );
    }

    #[test]
    fn sniffs_the_delimiter_outside_quotes() {
        assert_eq!(sniff_delimiter(b"email;name\na;b"), b';');
        assert_eq!(sniff_delimiter(b"\"a,b,c\";d;e\n"), b';');
        assert_eq!(sniff_delimiter(b"email\tname"), b'\t');
        assert_eq!(sniff_delimiter(b"email|name|x"), b'|');
        assert_eq!(sniff_delimiter(b"email\n"), b',');
    }

    #[test]
    fn reports_bad_bytes_with_their_line_and_column() {
        let mut problems = Vec::new();
        for_each_record(b"email\nann@x.de\nb\xE9b@x.de\nc\0@x.de\n", b',', |r| {
            if let Err(problem) = r {
                problems.push(problem);
            }
        });
        assert_eq!(
            problems,
            vec![
                (
                    3,
                    InputProblem::NotUtf8 {
                        byte: 0xE9,
                        column: 2
                    }
                ),
                (4, InputProblem::NulByte { column: 2 }),
            ]
        );
    }

    #[test]
    fn a_stray_quote_inside_one_line_is_data() {
        let mut problems = Vec::new();
        for_each_record(b"email,item\na@x.de,5\" floppy\n", b',', |r| {
            if let Err(problem) = r {
                problems.push(problem);
            }
        });
        assert_eq!(problems, vec![]);
    }

    #[test]
    fn an_unclosed_quote_is_reported() {
        let mut problems = Vec::new();
        for_each_record(b"email,name\na@x.de,\"Ann\nb@x.de,Bob\n", b',', |r| {
            if let Err(problem) = r {
                problems.push(problem);
            }
        });
        assert_eq!(problems, vec![(2, InputProblem::UnterminatedQuote)]);
    }

    #[test]
    fn prelude_strips_bom_and_rejects_empty_and_utf16() {
        assert_eq!(&*decode_prelude(b"\xEF\xBB\xBFemail").unwrap(), b"email");
        assert_eq!(&*decode_prelude(b"a\rb\r").unwrap(), b"a\nb\n");
        assert_eq!(&*decode_prelude(b"a\r\nb").unwrap(), b"a\r\nb");
        assert_eq!(decode_prelude(b" \n\r\n"), Err(InputProblem::EmptyFile));
        assert_eq!(decode_prelude(b"\xFF\xFEe\0"), Err(InputProblem::Utf16));
    }
}
