//! Pull-request scope (`--changed-since REF`): which list files changed since REF, and what
//! each looked like there, so the gate can judge the addresses a change adds on their own.
//!
//! git is run as a program with arguments, never through a shell: file names are data.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;

/// What changed since a git revision.
#[derive(Debug, Clone)]
pub struct ChangeScope {
    /// The revision as the user gave it.
    pub reference: String,
    /// The commit changes are measured from: the merge base of REF and HEAD, so that what
    /// the base branch did since the branch point is not counted as this change.
    pub base: String,
    /// Files changed since `base` (committed, staged, unstaged or untracked), canonical.
    pub changed: HashSet<PathBuf>,
    /// Files deleted since `base`, relative to the current directory: gone from the run, a
    /// deleted history or rules file still changes how every list is judged.
    pub deleted: Vec<PathBuf>,
    /// The repository's top directory, canonical.
    pub top: PathBuf,
}

impl ChangeScope {
    /// Whether the file changed, however its path is spelled (`./lists/a.csv`, absolute, ...).
    pub fn contains(&self, path: &Path) -> bool {
        self.changed.contains(&canonical(path))
    }
}

/// The one spelling of a path to compare by; a path that cannot be resolved stays as given.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|error| format!("git cannot be run: {error}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

fn git_error(reference: &str, detail: String) -> Error {
    Error::BadOption {
        option: "--changed-since",
        value: reference.to_owned(),
        expected: format!("a git revision of this repository, such as origin/main ({detail})"),
    }
}

/// The files changed since `reference`.
pub fn scope(reference: &str) -> Result<ChangeScope, Error> {
    let fail = |detail| git_error(reference, detail);
    // git would read it as one of its own options.
    if reference.starts_with('-') {
        return Err(fail("a revision cannot start with '-'".to_owned()));
    }
    let base = git(&["merge-base", reference, "HEAD"]).map_err(fail)?;
    let base = String::from_utf8_lossy(&base).trim().to_owned();
    let mut changed = HashSet::new();
    // Against the working tree: a local run before a commit counts what is not committed yet.
    let diffed = git(&[
        "diff",
        "--name-only",
        "-z",
        "--relative",
        "--no-renames",
        "--diff-filter=ACMRT",
        &base,
    ])
    .map_err(fail)?;
    let untracked = git(&["ls-files", "-z", "--others", "--exclude-standard"]).map_err(fail)?;
    for name in diffed
        .split(|&b| b == 0)
        .chain(untracked.split(|&b| b == 0))
    {
        if !name.is_empty() {
            // File names are bytes: taken as they are, not decoded.
            changed.insert(canonical(&path_from_git(name)));
        }
    }
    let deleted = git(&[
        "diff",
        "--name-only",
        "-z",
        "--relative",
        "--no-renames",
        "--diff-filter=D",
        &base,
    ])
    .map_err(fail)?
    .split(|&b| b == 0)
    .filter(|name| !name.is_empty())
    .map(path_from_git)
    .collect();
    let top = git(&["rev-parse", "--show-toplevel"]).map_err(fail)?;
    let top = canonical(&path_from_git(top.trim_ascii_end()));
    Ok(ChangeScope {
        reference: reference.to_owned(),
        base,
        changed,
        deleted,
        top,
    })
}

/// The file as it was at the base, or `None` when it did not exist there.
pub fn old_version(scope: &ChangeScope, path: &Path) -> Option<Vec<u8>> {
    // `rev:path` names a path from the repository's top, however the user spelled it.
    let in_repo = canonical(path).strip_prefix(&scope.top).ok()?.to_path_buf();
    let mut spec = std::ffi::OsString::from(format!("{}:", scope.base));
    spec.push(in_repo.as_os_str());
    let output = Command::new("git").arg("show").arg(&spec).output().ok()?;
    output.status.success().then_some(output.stdout)
}

/// Paths from `--files-from`: one per line, or NUL-separated when the input holds a NUL
/// (`git diff -z`); blank lines are skipped.
pub fn read_file_list(source: &str) -> Result<Vec<PathBuf>, Error> {
    let bytes = if source == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|error| {
            Error::BadOption {
                option: "--files-from",
                value: source.to_owned(),
                expected: format!("a readable list of paths ({error})"),
            }
        })?;
        bytes
    } else {
        std::fs::read(source).map_err(|error| Error::BadOption {
            option: "--files-from",
            value: source.to_owned(),
            expected: format!("a readable file listing paths ({error})"),
        })?
    };
    let separator = if bytes.contains(&0) { 0 } else { b'\n' };
    Ok(bytes
        .split(|&b| b == separator)
        .map(|name| name.strip_suffix(b"\r").unwrap_or(name))
        .filter(|name| !name.iter().all(u8::is_ascii_whitespace))
        .map(path_from_git)
        .collect())
}

/// A path git printed. On Unix a path is bytes, taken as they are; git for Windows prints
/// paths in UTF-8.
#[cfg(unix)]
fn path_from_git(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// A path git printed. On Unix a path is bytes, taken as they are; git for Windows prints
/// paths in UTF-8.
#[cfg(not(unix))]
fn path_from_git(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}
