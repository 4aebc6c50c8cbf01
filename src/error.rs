//! The library's errors: what went wrong, where, and what to do. Problems inside list and
//! history files are not errors but findings (see [`crate::finding`]), so that one bad row
//! never hides the rest of the report.

use std::path::PathBuf;

/// An error that stops the run before a report exists (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{}: {source}: expected a list file or a directory of them",
        crate::shown::path(path)
    )]
    Path {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: no list files found (looked for .csv, .tsv and .txt files){}",
        crate::shown::path(dir),
        skipped_note(skipped)
    )]
    NoListFiles {
        dir: PathBuf,
        /// What the walk left out, and why: a directory of links out of the repository is
        /// not "empty" to its owner.
        skipped: Vec<crate::walk::SkippedPath>,
    },
    #[error(
        "no list to check: give a PATH, set `lists:` in rules.yaml, or create a lists/ directory"
    )]
    NothingToCheck,
    #[error("every list file given is excluded by the `exclude:` globs of rules.yaml")]
    AllExcluded,
    #[error(
        "lists {globs:?}: the `lists:` globs of rules.yaml match no file: fix the globs, or pass --allow-empty if no list is fine"
    )]
    NoListMatches { globs: String },
    #[error(
        "{}: {source}: expected a bounce history file or a directory of them",
        crate::shown::path(path)
    )]
    History {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{option} {value:?}: {expected}")]
    BadOption {
        option: &'static str,
        value: String,
        expected: String,
    },
    #[error(
        "{}: cannot be read: {source}: expected a file of bounce texts, one per line",
        crate::shown::path(path)
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot be written: {source}", crate::shown::path(path))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Merge(#[from] crate::merge::MergeError),
}

impl Error {
    /// The file (and line) the error is about, when it is about one: for an annotation.
    pub fn location(&self) -> Option<(PathBuf, Option<u64>)> {
        match self {
            Error::Path { path, .. }
            | Error::History { path, .. }
            | Error::Read { path, .. }
            | Error::Write { path, .. } => Some((path.clone(), None)),
            Error::NoListFiles { dir, .. } => Some((dir.clone(), None)),
            Error::Config(ConfigError::Read { path, .. }) => Some((path.clone(), None)),
            Error::Config(ConfigError::Invalid { file, line, .. }) => {
                Some((PathBuf::from(file), Some(*line)))
            }
            _ => None,
        }
    }

    /// No list was found: an empty directory, globs that match nothing, everything excluded.
    /// `--allow-empty` turns these into a pass over no list.
    pub fn is_no_list(&self) -> bool {
        matches!(
            self,
            Error::NoListFiles { .. }
                | Error::NothingToCheck
                | Error::AllExcluded
                | Error::NoListMatches { .. }
        )
    }
}

/// A mistake in rules.yaml, located at file:line:column.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the rules file: {source}", crate::shown::path(path))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
}

impl ConfigError {
    /// Turn a YAML error into `file:line:column: message`, followed by serde-saphyr's snippet.
    pub fn from_yaml(file: &str, error: &serde_saphyr::Error) -> ConfigError {
        let (line, column) = error
            .location()
            .map_or((1, 1), |location| (location.line(), location.column()));
        // serde-saphyr says "error: line L column C: message", then a snippet of the input;
        // the location goes in front as file:line:column, the snippet stays below.
        let plain = error.without_snippet().to_string();
        let plain = plain.strip_prefix("error: ").unwrap_or(&plain);
        let located = format!("line {line} column {column}: ");
        let plain = plain.strip_prefix(&located).unwrap_or(plain);
        let trailer = format!(" at line {line}, column {column}");
        let mut message = plain.strip_suffix(&trailer).unwrap_or(plain).to_owned();
        if let Some((_, snippet)) = error.to_string().split_once('\n') {
            message.push('\n');
            message.push_str(&snippet.replace("<input>", file));
        }
        ConfigError::Invalid {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    }
}

/// `; skipped a.csv: why; ...` for the paths a walk left out, the first few by name.
fn skipped_note(skipped: &[crate::walk::SkippedPath]) -> String {
    const NAMED: usize = 5;
    let mut note = String::new();
    for path in skipped.iter().take(NAMED) {
        note.push_str(&format!(
            "; skipped {}: {}",
            crate::shown::path(&path.path),
            crate::shown::visible(&path.why)
        ));
    }
    if skipped.len() > NAMED {
        note.push_str(&format!("; and {} more skipped", skipped.len() - NAMED));
    }
    note
}
