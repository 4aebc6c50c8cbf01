//! Stage 1: find the list files and read every address cell, with its file and true line.
//!
//! Nothing is dropped silently: every row read ends up either as a [`Cell`] for the syntax
//! stage or as a [`Skip`] with its reason, so the report can show rows read = checked + skipped.

use std::path::{Path, PathBuf};

use globset::GlobSet;
use serde::Serialize;

use crate::error::Error;
use crate::table::InputProblem;
use crate::walk::{self, Walked};

mod cells;
mod read;

pub use cells::{Cell, CellPart, Cells};
pub use read::{read_list, read_list_bytes};

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
    /// Each address cell at its line, in file order.
    pub cells: Cells,
    pub skips: Vec<Skip>,
    /// The span of each cell's row, when [`ReadOptions::spans`] asks for them.
    pub spans: Vec<RowSpan>,
    /// A problem that stopped the whole file from being read (exit code 2).
    pub file_problem: Option<(u64, InputProblem)>,
    /// Another header that names an email column beside the one read: (the one read, the
    /// other). `--column` picks.
    pub other_email_column: Option<(String, String)>,
}

impl ListFile {
    /// Nothing read yet.
    fn empty(path: &Path) -> ListFile {
        ListFile {
            path: path.to_path_buf(),
            cells: Cells::default(),
            skips: Vec::new(),
            spans: Vec::new(),
            file_problem: None,
            other_email_column: None,
        }
    }
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
mod tests;
