//! The record scanner: one loop over the bytes that reads a line without quotes by splitting
//! it at the delimiters, and hands any other record to csv-core. Its only state between
//! records is where it stands and on which line, so a scan that starts at any line start that
//! a scan of the whole file passes through reads what that scan reads from there on: the
//! parallel reader relies on it.

use std::ops::ControlFlow;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use super::record::{Fields, Record};
use super::{InputProblem, MAX_RECORD_BYTES, UTF8_BOM, check_raw};

/// Where a scan stands between two records: a byte offset and the 1-based line there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub offset: usize,
    pub line: u64,
}

/// Where a scan stopped, and the last record it read: (line, start).
#[derive(Debug, Clone, Copy)]
pub struct Stopped {
    pub at: Position,
    pub last: Option<(u64, usize)>,
}

/// Bytes that send a line to csv-core, or that need a closer look (NUL, non-ASCII).
const QUOTE: u8 = 1;
const CR: u8 = 2;
const CHECK: u8 = 4;

pub struct Scanner {
    delimiter: u8,
    classes: [u8; 256],
    core: Reader,
    /// The fields of the last record csv-core read, and where each ends.
    output: Vec<u8>,
    ends: Vec<usize>,
    /// How much of `output` and `ends` that record fills.
    written: usize,
    fields: usize,
}

impl Scanner {
    pub fn new(delimiter: u8) -> Scanner {
        let mut classes = [0; 256];
        classes[usize::from(b'"')] = QUOTE;
        classes[usize::from(b'\r')] = CR;
        classes[0] = CHECK;
        for class in &mut classes[0x80..] {
            *class = CHECK;
        }
        Scanner {
            delimiter,
            classes,
            core: primed(delimiter),
            output: vec![0; 1024],
            ends: vec![0; 32],
            written: 0,
            fields: 0,
        }
    }

    /// Visit the records from `from` on, until the first position between records at or past
    /// `stop` (or the end), or until `visit` breaks. Records that fail [`check_raw`] are
    /// handed on as problems.
    pub fn scan(
        &mut self,
        bytes: &[u8],
        from: Position,
        stop: usize,
        mut visit: impl FnMut(Result<Record<'_>, (u64, InputProblem)>) -> ControlFlow<()>,
    ) -> Stopped {
        let Position {
            offset: mut pos,
            mut line,
        } = from;
        let mut last = None;
        loop {
            // Line ends between records are skipped (blank lines), as csv does; a chunk's end
            // is checked at each line start.
            while pos < stop && pos < bytes.len() && matches!(bytes[pos], b'\r' | b'\n') {
                line += u64::from(bytes[pos] == b'\n');
                pos += 1;
            }
            if pos >= stop || pos >= bytes.len() {
                break;
            }
            let start = pos;
            let rest = &bytes[start..];
            let newline = memchr::memchr(b'\n', rest);
            let mut text = &rest[..newline.unwrap_or(rest.len())];
            text = text.strip_suffix(b"\r").unwrap_or(text);
            // A file that starts with a second BOM: csv-core drops it, so csv-core reads it.
            let bom = start == 0 && bytes.starts_with(UTF8_BOM);
            let (count, flags) = self.classify(text);
            let flow = if flags & (QUOTE | CR) == 0 && !bom {
                let end = newline.map_or(bytes.len(), |n| start + n + 1);
                let raw = &bytes[start..end];
                let checked = if flags & CHECK != 0 || raw.len() > MAX_RECORD_BYTES {
                    check_raw(raw, line)
                } else {
                    Ok(())
                };
                let record = checked.map(|()| Record {
                    fields: Fields::Plain {
                        line: text,
                        delimiter: self.delimiter,
                        count,
                    },
                    line,
                    span: (start, end),
                });
                last = Some((line, start));
                pos = end;
                line += u64::from(newline.is_some());
                visit(record)
            } else {
                let Some(end) = self.read_parsed(bytes, start, bom) else {
                    // Nothing but line ends was left.
                    pos = bytes.len();
                    break;
                };
                let raw = &bytes[start..end];
                let record = check_raw(raw, line).map(|()| Record {
                    fields: Fields::Parsed {
                        bytes: &self.output[..self.written],
                        ends: &self.ends[..self.fields],
                    },
                    line,
                    span: (start, end),
                });
                last = Some((line, start));
                pos = end;
                line += memchr::memchr_iter(b'\n', raw).count() as u64;
                visit(record)
            };
            if flow.is_break() {
                break;
            }
        }
        Stopped {
            at: Position { offset: pos, line },
            last,
        }
    }

    /// The number of fields of an unquoted line, and the classes of bytes found in it.
    fn classify(&self, text: &[u8]) -> (usize, u8) {
        // 32 bytes at a time with comparisons only, which the compiler turns into vector
        // instructions; the rest byte by byte through the table.
        let mut blocks = text.chunks_exact(32);
        let (mut quote, mut cr, mut check, mut count) = (0u8, 0u8, 0u8, 1usize);
        for block in &mut blocks {
            let mut delimiters = 0u8;
            for &b in block {
                quote |= u8::from(b == b'"');
                cr |= u8::from(b == b'\r');
                check |= (b & 0x80) | u8::from(b == 0);
                delimiters += u8::from(b == self.delimiter);
            }
            count += usize::from(delimiters);
        }
        let mut flags = if quote != 0 { QUOTE } else { 0 }
            | if cr != 0 { CR } else { 0 }
            | if check != 0 { CHECK } else { 0 };
        for &b in blocks.remainder() {
            flags |= self.classes[usize::from(b)];
            count += usize::from(b == self.delimiter);
        }
        (count, flags)
    }

    /// Read one record at `start` with csv-core; its end (a CRLF's LF included), or `None` at
    /// the end of the input.
    fn read_parsed(&mut self, bytes: &[u8], start: usize, bom: bool) -> Option<usize> {
        if bom {
            // Fresh: csv-core strips a BOM only on its first read.
            self.core = ReaderBuilder::new().delimiter(self.delimiter).build();
        }
        let input = &bytes[start..];
        let (mut read, mut written, mut ended) = (0, 0, 0);
        loop {
            let (result, nin, nout, nend) = self.core.read_record(
                &input[read..],
                &mut self.output[written..],
                &mut self.ends[ended..],
            );
            read += nin;
            written += nout;
            ended += nend;
            match result {
                // Consumed all the input: the next call, with none, tells csv-core it ended.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.output.resize(self.output.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => break,
                ReadRecordResult::End => {
                    self.core = primed(self.delimiter);
                    return None;
                }
            }
        }
        if bom {
            self.core = primed(self.delimiter);
        }
        self.fields = ended;
        self.written = written;
        let mut end = start + read;
        // csv-core stops after the CR of a CRLF; the LF belongs to this record too.
        if bytes[end - 1] == b'\r' && bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        Some(end)
    }
}

/// A csv-core reader past its first read, so that it takes a BOM in the middle of a file for
/// data, as a reader of the whole file does.
fn primed(delimiter: u8) -> Reader {
    let mut reader = ReaderBuilder::new().delimiter(delimiter).build();
    // With no room for output it reads nothing, but counts as having read.
    let _ = reader.read_record(b"x", &mut [], &mut [0]);
    reader
}
