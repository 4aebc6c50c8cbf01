//! The JSON report, pretty-printed. The findings are most of a big report, and serialising
//! them one after the other kept one core busy for a tenth of a run: they are written on all
//! cores, a window of them at a time, into the places that the rest of the report, written
//! first without them, leaves for them. The output is byte for byte what
//! `serde_json::to_writer_pretty` writes (tested).

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

use super::Report;
use crate::finding::{Finding, with_findings_apart};

/// Findings written at a time: enough for every core, few enough that memory does not grow
/// with the findings (only a window of them is held as text).
const WINDOW: usize = 8192;
/// Findings one core writes at a time.
const PIECE: usize = 256;

/// Where a findings array goes in the report written without them. Only a findings key opens
/// a line with it and an empty array: no other field is named `findings`, and a string (a
/// path, an address) cannot hold a line break or an unescaped quote.
const EMPTY_FINDINGS: &[u8] = b"\"findings\": []";

impl Report {
    pub fn to_json(&self) -> String {
        let mut bytes = Vec::new();
        // Writing to a Vec fails only if serialising fails, and the report always serialises.
        let _ = self.write_json(&mut bytes);
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// The JSON report, pretty-printed, with a final newline, streamed to `out`: memory does
    /// not grow with the findings beyond the findings themselves.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let mut rest = Vec::new();
        with_findings_apart(|| {
            self.serialize(&mut Serializer::with_formatter(
                &mut rest,
                Pretty::at_depth(0),
            ))
        })?;
        // The findings arrays in the order the report's fields put them.
        let arrays = self
            .lists
            .iter()
            .map(|list| &list.findings[..])
            .chain([&self.history.findings[..]]);
        let mut pieces = Pieces::default();
        let mut written = 0;
        for findings in arrays {
            let Some((at, indent)) = next_empty_findings(&rest, written) else {
                break;
            };
            let array_at = at + EMPTY_FINDINGS.len() - 2;
            out.write_all(&rest[written..array_at])?;
            pieces.write_findings(findings, indent / 2 + 1, out)?;
            written = array_at + 2;
        }
        out.write_all(&rest[written..])?;
        out.write_all(b"\n")
    }
}

/// The next line from `from` on that is an empty findings array: where its key starts, and
/// its indent in spaces.
fn next_empty_findings(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut search = from;
    loop {
        let at = search + memchr::memmem::find(&bytes[search..], EMPTY_FINDINGS)?;
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |n| n + 1);
        if bytes[line_start..at].iter().all(|&b| b == b' ') {
            return Some((at, at - line_start));
        }
        search = at + EMPTY_FINDINGS.len();
    }
}

/// The texts of one window's pieces, kept from window to window: a fresh buffer for every
/// piece was fresh memory for every byte of the report, and the kernel's zeroing of those
/// pages took a fifth of the writing.
#[derive(Default)]
struct Pieces {
    texts: Vec<Vec<u8>>,
}

impl Pieces {
    /// A findings array whose elements stand at `depth` (in two-space indents), as the pretty
    /// printer writes it there.
    fn write_findings(
        &mut self,
        findings: &[Finding],
        depth: usize,
        out: &mut impl Write,
    ) -> io::Result<()> {
        if findings.is_empty() {
            return out.write_all(b"[]");
        }
        let indent = "  ".repeat(depth);
        out.write_all(b"[")?;
        for (window_index, window) in findings.chunks(WINDOW).enumerate() {
            let count = window.len().div_ceil(PIECE);
            if self.texts.len() < count {
                self.texts.resize_with(count, Vec::new);
            }
            let texts = &mut self.texts[..count];
            texts
                .par_iter_mut()
                .zip(window.par_chunks(PIECE))
                .enumerate()
                .try_for_each(|(piece_index, (text, piece))| {
                    text.clear();
                    let first = window_index * WINDOW + piece_index * PIECE;
                    for (index, finding) in (first..).zip(piece) {
                        // As the pretty printer separates array elements.
                        text.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
                        text.extend_from_slice(indent.as_bytes());
                        let mut serializer =
                            Serializer::with_formatter(&mut *text, Pretty::at_depth(depth));
                        finding.serialize(&mut serializer)?;
                    }
                    io::Result::Ok(())
                })?;
            for text in texts.iter() {
                out.write_all(text)?;
            }
        }
        out.write_all(b"\n")?;
        out.write_all(&indent.as_bytes()[2..])?;
        out.write_all(b"]")
    }
}

/// serde_json's pretty printer (two spaces an indent), byte for byte, but for how it indents:
/// a line's break and indent go out in one write, not in one write each level (a finding's
/// lines stand five levels in, and those writes were a tenth of the report's writing).
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// A comma, a line break and the indents of the deepest lines written in one go.
const BREAK: &[u8] = b",\n                                                                ";

impl Pretty {
    /// A printer that stands `depth` levels in, as if inside that many arrays.
    fn at_depth(depth: usize) -> Pretty {
        Pretty {
            depth,
            has_value: false,
        }
    }

    /// A line break (after a comma unless `first`), and the indent.
    fn new_line<W: ?Sized + io::Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        let start = usize::from(first);
        match BREAK.get(start..2 + 2 * self.depth) {
            Some(line) => writer.write_all(line),
            None => {
                writer.write_all(&BREAK[start..2])?;
                (0..self.depth).try_for_each(|_| writer.write_all(b"  "))
            }
        }
    }

    fn close<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(writer, true)?;
        }
        writer.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.new_line(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.new_line(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use crate::bounces::history::History;
    use crate::config::Policy;
    use crate::domains::DomainReport;
    use crate::finding::{Finding, Reason, Severity};
    use crate::gate::{ListReport, ListStats, Verdict};
    use crate::report::{HistorySummary, Report};

    fn policy() -> Policy {
        crate::config::load(None).expect("built-in rules").policy
    }

    fn no_history() -> HistorySummary {
        HistorySummary::new(History::default(), None, &policy())
    }

    fn list(path: &str, findings: usize) -> ListReport {
        let file: Arc<Path> = Arc::from(Path::new(path));
        ListReport {
            path: file.clone(),
            verdict: Verdict::Pass,
            stats: ListStats::default(),
            findings: (0..findings)
                .map(|i| Finding {
                    file: file.clone(),
                    line: Some(i as u64 + 2),
                    severity: Severity::Warning,
                    address: Some(format!("user{i}@x.org \"quoted\"\n")),
                    reason: Reason::Whitespace,
                })
                .collect(),
            keys: Default::default(),
            bouncing_keys: Default::default(),
            blocked_addresses: 0,
        }
    }

    /// The printer writes what serde_json's pretty printer writes, deeper than its line of
    /// indents reaches too.
    #[test]
    fn the_printer_is_serde_jsons_at_any_depth() {
        use serde::Serialize;
        let mut value = serde_json::json!({"a": [1, {"b": "c\n"}, []], "d": {}, "e": null});
        for level in 0..40 {
            value = serde_json::json!([level, {"k": [value]}, "x"]);
        }
        let mut written = Vec::new();
        value
            .serialize(&mut serde_json::Serializer::with_formatter(
                &mut written,
                super::Pretty::at_depth(0),
            ))
            .unwrap();
        assert!(written == serde_json::to_vec_pretty(&value).unwrap());
    }

    /// The report written in pieces is what the pretty printer writes in one go, for lists
    /// with no findings, one, and more than a window, for the history's findings, and for
    /// paths that spell the marker.
    #[test]
    fn the_report_written_on_all_cores_is_the_one_serde_writes() {
        let lists = vec![
            list("empty.csv", 0),
            list("one.csv", 1),
            list("\"findings\": [].csv", 3),
            list("many.csv", super::WINDOW * 2 + 7),
            list("again\n\"findings\": [].csv", 0),
            list("last.csv", super::PIECE + 1),
        ];
        // The history's findings are written apart too.
        let mut history = no_history();
        history.findings = list("history.csv", super::PIECE * 2 + 3).findings;
        let report = Report::new(lists, history, DomainReport::default(), policy());
        let expected = serde_json::to_string_pretty(&report).unwrap() + "\n";
        let written = report.to_json();
        assert!(written.len() > 1_000_000, "{}", written.len());
        assert!(written == expected, "the JSON reports differ");
        // Without lists.
        let empty = Report::new(Vec::new(), no_history(), DomainReport::default(), policy());
        assert_eq!(
            empty.to_json(),
            serde_json::to_string_pretty(&empty).unwrap() + "\n"
        );
    }
}
