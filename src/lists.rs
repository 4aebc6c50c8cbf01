//! Stage 1: find the list files and read every address cell, with its file and true line.
//!
//! Nothing is dropped silently: every row read ends up either as a [`Cell`] for the syntax
//! stage or as a [`Skip`] with its reason, so the report can show rows read = checked + skipped.

use std::path::{Path, PathBuf};

use globset::GlobSet;
use serde::Serialize;

use crate::error::Error;
use crate::table::{self, InputProblem, Record};
use crate::walk::{self, Walked};

/// Header names that hold the address, in order of preference, compared after lowercasing and
/// dropping everything but letters and digits (`E-mail Address` -> `emailaddress`).
const EMAIL_HEADERS: &[&str] = &[
    "email",
    "emailaddress",
    "emailaddr",
    "mailaddress",
    "mail",
    "address",
    "recipient",
];

/// File name endings that a directory walk picks up.
const LIST_EXTENSIONS: &[&str] = &["csv", "tsv", "txt"];

/// One address cell as it stands in the file.
#[derive(Debug, Clone)]
pub struct Cell {
    pub line: u64,
    pub text: Box<str>,
}

/// A row that reached no address, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub line: u64,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum SkipReason {
    /// A blank line of a plain list.
    Blank,
    /// A `#` comment in a plain list.
    Comment,
    /// A CSV row whose email cell is empty.
    EmptyCell,
    /// A row that could not be read (exit code 2).
    BadInput { problem: InputProblem },
}

impl SkipReason {
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Blank => "blank",
            SkipReason::Comment => "comment",
            SkipReason::EmptyCell => "empty-cell",
            SkipReason::BadInput { problem } => problem.code(),
        }
    }
}

/// Where a data row stands in the file, for rewriting it (`fix`): the line of its address,
/// and its bytes, line terminator included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSpan {
    pub line: u64,
    pub start: usize,
    pub end: usize,
}

/// Everything read from one list file.
#[derive(Debug, Clone)]
pub struct ListFile {
    pub path: PathBuf,
    pub cells: Vec<Cell>,
    pub skips: Vec<Skip>,
    /// The span of each cell's row, when [`ReadOptions::spans`] asks for them.
    pub spans: Vec<RowSpan>,
    /// A problem that stopped the whole file from being read (exit code 2).
    pub file_problem: Option<(u64, InputProblem)>,
    /// Another header that names an email column beside the one read: (the one read, the
    /// other). `--column` picks.
    pub other_email_column: Option<(String, String)>,
}

/// How to read list files.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The header of the email column, matched case-insensitively; found by name when unset.
    pub column: Option<String>,
    /// Also record where each data row stands in the file (for `fix`).
    pub spans: bool,
}

/// Expand the given paths (files, or directories walked for list files) into list files,
/// leaving out the excluded ones even when named explicitly.
pub fn discover(paths: &[PathBuf], exclude: &GlobSet) -> Result<Walked, Error> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| Error::Path {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let walked =
                walk::walk(path, has_list_extension, |_| true).map_err(|error| Error::Path {
                    path: error.path().unwrap_or(path).to_path_buf(),
                    source: error.into(),
                })?;
            if walked.files.is_empty() {
                return Err(Error::NoListFiles {
                    dir: path.clone(),
                    skipped: walked.skipped,
                });
            }
            files.extend(walked.files.iter().map(|file| clean(file)));
            skipped.extend(walked.skipped);
        } else {
            walk::named_file(&metadata).map_err(|source| Error::Path {
                path: path.clone(),
                source,
            })?;
            files.push(clean(path));
        }
    }
    let before = files.len();
    files.retain(|file| !exclude.is_match(file));
    if files.is_empty() && before > 0 {
        return Err(Error::AllExcluded);
    }
    // `check lists lists/a.csv` names a.csv twice: read it once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| seen.insert(file.clone()));
    Ok(Walked { files, skipped })
}

/// Paths matching any glob, found by walking the current directory (hidden folders and
/// `target/` are not walked).
pub fn glob_files(root: &Path, globs: &GlobSet, exclude: &GlobSet) -> Walked {
    // Globs match the path below `root` (the rules file's directory); the files found keep
    // `root` in front, so that they open from the current directory.
    let below_root = |path: &Path| clean(path.strip_prefix(root).unwrap_or(path));
    let wanted = |path: &Path| {
        let path = below_root(path);
        globs.is_match(&path) && !exclude.is_match(&path)
    };
    let enter = |entry: &walkdir::DirEntry| {
        entry.depth() == 0
            || !(entry.file_name().to_string_lossy().starts_with('.')
                || (entry.depth() == 1 && entry.file_name() == "target"))
    };
    // An unreadable directory is left out as before: globs say what they match, not more.
    let mut walked = walk::walk(root, wanted, enter).unwrap_or_default();
    for file in &mut walked.files {
        *file = clean(file);
    }
    for skipped in &mut walked.skipped {
        skipped.path = clean(&skipped.path);
    }
    walked
}

/// `.csv`, `.tsv` or `.txt`, in any case.
pub fn has_list_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            LIST_EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        })
}

/// `./lists/a.csv` -> `lists/a.csv`, so annotations name repository-relative paths.
fn clean(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

/// Read one list file: a plain list (`.txt`) or delimited text with or without a header.
pub fn read_list(path: &Path, options: &ReadOptions) -> ListFile {
    match std::fs::read(path) {
        Ok(bytes) => read_list_bytes(path, &bytes, options),
        Err(error) => {
            let detail = if path.is_dir() {
                "it is a directory, not a list file".to_owned()
            } else {
                error.to_string()
            };
            ListFile {
                path: path.to_path_buf(),
                cells: Vec::new(),
                skips: Vec::new(),
                spans: Vec::new(),
                file_problem: Some((1, InputProblem::Unreadable { detail })),
                other_email_column: None,
            }
        }
    }
}

/// Read a list from bytes already in memory (the file at another git revision, say); `path`
/// names it and decides its format.
pub fn read_list_bytes(path: &Path, bytes: &[u8], options: &ReadOptions) -> ListFile {
    let mut list = ListFile {
        path: path.to_path_buf(),
        cells: Vec::new(),
        skips: Vec::new(),
        spans: Vec::new(),
        file_problem: None,
        other_email_column: None,
    };
    // Spans count from the file's first byte: past a BOM the decoded bytes start later (and
    // CR line ends become LF in place, so nothing else moves).
    let offset = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let bytes = match table::decode_prelude(bytes) {
        Ok(bytes) => bytes,
        Err(problem) => {
            list.file_problem = Some((1, problem));
            return list;
        }
    };
    let extension = path
        .extension()
        .and_then(|ext| ext.to_str())
        .unwrap_or_default();
    if extension.eq_ignore_ascii_case("txt") {
        read_plain(&bytes, options, &mut list);
    } else {
        let delimiter = if extension.eq_ignore_ascii_case("tsv") {
            b'\t'
        } else {
            table::sniff_delimiter(&bytes)
        };
        read_delimited(&bytes, delimiter, options, &mut list);
    }
    for span in &mut list.spans {
        span.start += offset;
        span.end += offset;
    }
    list
}

fn read_plain(bytes: &[u8], options: &ReadOptions, list: &mut ListFile) {
    // A final newline ends the last line; it does not start an empty one.
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut start = 0;
    for (index, raw) in body.split(|&b| b == b'\n').enumerate() {
        let line = index as u64 + 1;
        let span = RowSpan {
            line,
            start,
            end: (start + raw.len() + 1).min(bytes.len()),
        };
        start = span.end;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Err((line, problem)) = table::check_raw(raw, line) {
            list.skips.push(Skip {
                line,
                reason: SkipReason::BadInput { problem },
            });
            continue;
        }
        let text = std::str::from_utf8(raw).unwrap_or_default();
        let trimmed = text.trim();
        let reason = if trimmed.is_empty() {
            SkipReason::Blank
        } else if trimmed.starts_with('#') {
            SkipReason::Comment
        } else {
            list.cells.push(Cell {
                line,
                text: text.into(),
            });
            if options.spans {
                list.spans.push(span);
            }
            continue;
        };
        list.skips.push(Skip { line, reason });
    }
}

fn read_delimited(bytes: &[u8], delimiter: u8, options: &ReadOptions, list: &mut ListFile) {
    // The email column and the field count of the first row, once the first row is read.
    let mut layout: Option<(usize, usize)> = None;
    table::for_each_record(bytes, delimiter, |record| {
        if list.file_problem.is_some() {
            return;
        }
        let record = match record {
            Ok(record) => record,
            // Not a row of its own: the last row swallowed the rest of the file.
            Err((line, problem @ InputProblem::UnterminatedQuote)) => {
                list.file_problem = Some((line, problem));
                return;
            }
            Err((line, problem)) => {
                list.skips.push(Skip {
                    line,
                    reason: SkipReason::BadInput { problem },
                });
                return;
            }
        };
        let Some((column, expected)) = layout else {
            match find_email_column(&record, options) {
                Ok((column, is_header)) => {
                    layout = Some((column, record.len()));
                    if is_header && options.column.is_none() {
                        list.other_email_column = other_email_column(&record, column);
                    }
                    if !is_header {
                        take_cell(&record, column, record.len(), options, list);
                    }
                }
                Err(problem) => list.file_problem = Some((record.line, problem)),
            }
            return;
        };
        take_cell(&record, column, expected, options, list);
    });
}

fn take_cell(
    record: &Record<'_>,
    column: usize,
    expected: usize,
    options: &ReadOptions,
    list: &mut ListFile,
) {
    let line = record.line_of_field(column);
    if record.len() != expected {
        list.skips.push(Skip {
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
    let text = record.field(column).unwrap_or_default();
    if text.trim().is_empty() {
        list.skips.push(Skip {
            line,
            reason: SkipReason::EmptyCell,
        });
    } else {
        list.cells.push(Cell {
            line,
            text: text.into(),
        });
        if options.spans {
            list.spans.push(RowSpan {
                line,
                start: record.span.0,
                end: record.span.1,
            });
        }
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

/// The index of the first header that matches a name, trying names in order of preference.
pub fn find_header(header: &[String], names: &[&str]) -> Option<usize> {
    let folded: Vec<String> = header
        .iter()
        .map(|name| {
            name.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        })
        .collect();
    names
        .iter()
        .find_map(|name| folded.iter().position(|folded| folded == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, data: &[u8], options: &ReadOptions) -> ListFile {
        // Tests run in parallel: each file gets a directory of its own.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bouncegate-lists-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        let list = read_list(&path, options);
        std::fs::remove_dir_all(&dir).unwrap();
        list
    }

    fn cells(list: &ListFile) -> Vec<(u64, &str)> {
        list.cells
            .iter()
            .map(|cell| (cell.line, &*cell.text))
            .collect()
    }

    #[test]
    fn finds_the_email_column_by_header_name() {
        let list = read(
            "a.csv",
            b"Name;E-Mail Address;Street Address\nAnn;ann@x.de;Main St\n",
            &ReadOptions::default(),
        );
        assert_eq!(cells(&list), vec![(2, "ann@x.de")]);
    }

    #[test]
    fn a_first_row_with_an_address_is_data() {
        let list = read(
            "a.csv",
            b"Ann,ann@x.de\nBob,bob@x.de",
            &ReadOptions::default(),
        );
        assert_eq!(cells(&list), vec![(1, "ann@x.de"), (2, "bob@x.de")]);
    }

    #[test]
    fn classic_mac_line_ends_and_tsv_files() {
        let list = read(
            "a.txt",
            b"ann@x.de\rbob@x.de\rcarl@x.de\r",
            &ReadOptions::default(),
        );
        assert_eq!(
            cells(&list),
            vec![(1, "ann@x.de"), (2, "bob@x.de"), (3, "carl@x.de")]
        );
        let list = read(
            "a.csv",
            b"email\rann@x.de\rbob@x.de",
            &ReadOptions::default(),
        );
        assert_eq!(cells(&list), vec![(2, "ann@x.de"), (3, "bob@x.de")]);
        let list = read(
            "a.tsv",
            b"Last, First\tEmail\nLee, Ann\tann@x.de\n",
            &ReadOptions::default(),
        );
        assert_eq!(cells(&list), vec![(2, "ann@x.de")]);
    }

    #[test]
    fn column_option_names_the_column() {
        let options = ReadOptions {
            column: Some("WORK".to_owned()),
            spans: false,
        };
        let list = read("a.csv", b"email,work\na@x.de,b@y.de\n", &options);
        assert_eq!(cells(&list), vec![(2, "b@y.de")]);
        let list = read("a.csv", b"email\na@x.de\n", &options);
        assert_eq!(list.file_problem.unwrap().1.code(), "column-not-found");
    }

    #[test]
    fn plain_lists_skip_blanks_and_comments_and_count_them() {
        let list = read(
            "a.txt",
            b"# subscribers\r\nann@x.de\r\n\r\n  bob@x.de \r\n",
            &ReadOptions::default(),
        );
        assert_eq!(cells(&list), vec![(2, "ann@x.de"), (4, "  bob@x.de ")]);
        let reasons: Vec<_> = list
            .skips
            .iter()
            .map(|s| (s.line, s.reason.code()))
            .collect();
        assert_eq!(reasons, vec![(1, "comment"), (3, "blank")]);
        assert_eq!(list.cells.len() + list.skips.len(), 4);
    }

    #[test]
    fn ragged_rows_and_empty_cells_are_skips_with_reasons() {
        let list = read(
            "a.csv",
            b"email,name\na@x.de,Ann\nb@x.de\n,Carl\nd@x.de,Dan,extra\n",
            &ReadOptions::default(),
        );
        assert_eq!(cells(&list), vec![(2, "a@x.de")]);
        let reasons: Vec<_> = list
            .skips
            .iter()
            .map(|s| (s.line, s.reason.code()))
            .collect();
        assert_eq!(
            reasons,
            vec![(3, "ragged-row"), (4, "empty-cell"), (5, "ragged-row")]
        );
    }

    #[test]
    fn file_level_problems_stop_the_file() {
        let empty = read("e.csv", b"", &ReadOptions::default());
        assert_eq!(empty.file_problem.unwrap().1.code(), "empty-file");
        let no_column = read("n.csv", b"name,phone\nAnn,123\n", &ReadOptions::default());
        assert_eq!(
            no_column.file_problem.unwrap(),
            (
                1,
                InputProblem::NoEmailColumn {
                    header: vec!["name".to_owned(), "phone".to_owned()]
                }
            )
        );
    }
}
