//! A provider's CSV export: a header that names the columns, then one record a row. The
//! importers say which columns they need; this reads the rows, and a row of the wrong width or
//! that cannot be read is a problem at its line, never a panic or a silent drop.

use super::{ImportError, Imported, Source, location};
use crate::table::{self, Record};

/// The header's names, trimmed and lowercased.
pub(super) fn header_names(record: &Record<'_>) -> Vec<String> {
    record
        .fields()
        .map(|field| field.trim().to_ascii_lowercase())
        .collect()
}

/// The header of `bytes` (its first line), when it has one.
pub(super) fn first_header(bytes: &[u8]) -> Vec<String> {
    let bytes = table::decode_prelude(bytes).unwrap_or_default();
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut names = Vec::new();
    table::for_each_record(first, table::sniff_delimiter(first), |record| {
        if let Ok(record) = record
            && names.is_empty()
        {
            names = header_names(&record);
        }
    });
    names
}

/// One row: its line, and its cells by column.
pub(super) struct Row<'r, 'a> {
    pub(super) line: u64,
    record: &'r Record<'a>,
}

impl Row<'_, '_> {
    /// The trimmed cell of a column; "" when the column is absent.
    pub(super) fn cell(&self, column: Option<usize>) -> &str {
        column
            .and_then(|index| self.record.field(index))
            .map(str::trim)
            .unwrap_or_default()
    }

    pub(super) fn location(&self) -> String {
        location(self.line, "")
    }
}

/// Read the export: `columns` finds what it needs in the header (None: not this format, and
/// the header is named in the error), `row` adds each row's events to `out` (or counts it
/// skipped); what it rejects is a problem at the row.
pub(super) fn each_row<C>(
    bytes: &[u8],
    source: Source,
    columns: impl Fn(&[String]) -> Option<C>,
    mut row: impl FnMut(&C, &Row<'_, '_>, &mut Imported) -> Result<(), String>,
    out: &mut Imported,
) -> Result<(), ImportError> {
    let mut found: Option<(C, usize)> = None;
    let mut error = None;
    table::for_each_record(bytes, table::sniff_delimiter(bytes), |record| {
        if error.is_some() {
            return;
        }
        let record = match record {
            Ok(record) => record,
            Err((line, problem)) => {
                if found.is_none() {
                    error = Some(ImportError::NotFormat {
                        line,
                        detail: format!("has a header on line {line} that {problem}"),
                        expected: source.expected(),
                    });
                } else {
                    out.problem(line, location(line, ""), problem.to_string());
                }
                return;
            }
        };
        let Some((columns, width)) = &found else {
            let names = header_names(&record);
            match columns(&names) {
                Some(columns) => found = Some((columns, names.len())),
                None => {
                    error = Some(ImportError::NotFormat {
                        line: record.line,
                        detail: format!(
                            "has the header {} on line {}",
                            names
                                .iter()
                                .map(|name| format!("'{}'", super::shorten(name, 40)))
                                .collect::<Vec<_>>()
                                .join(", "),
                            record.line
                        ),
                        expected: source.expected(),
                    });
                }
            }
            return;
        };
        let line = record.line;
        if record.len() != *width {
            let problem = table::InputProblem::RaggedRow {
                fields: record.len(),
                expected: *width,
            };
            out.problem(line, location(line, ""), problem.to_string());
            return;
        }
        let this = Row {
            line,
            record: &record,
        };
        if let Err(message) = row(columns, &this, out) {
            out.problem(line, this.location(), message);
        }
    });
    match error {
        Some(error) => Err(error),
        None if found.is_none() => Err(ImportError::Empty {
            expected: source.expected(),
        }),
        None => Ok(()),
    }
}
