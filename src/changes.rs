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
    /// Files changed since `base` (committed, staged, unstaged or untracked), relative to the
    /// current directory.
    pub changed: HashSet<PathBuf>,
}

impl ChangeScope {
    pub fn contains(&self, path: &Path) -> bool {
        self.changed.contains(path)
    }
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
            changed.insert(PathBuf::from(String::from_utf8_lossy(name).into_owned()));
        }
    }
    Ok(ChangeScope {
        reference: reference.to_owned(),
        base,
        changed,
    })
}

/// The file as it was at the base, or `None` when it did not exist there.
pub fn old_version(scope: &ChangeScope, path: &Path) -> Option<Vec<u8>> {
    // `rev:./path` names the path relative to the current directory.
    let spec = format!("{}:./{}", scope.base, path.display());
    git(&["show", &spec]).ok()
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
        .map(|name| {
            String::from_utf8_lossy(name)
                .trim_end_matches('\r')
                .to_owned()
        })
        .filter(|name| !name.trim().is_empty())
        .map(PathBuf::from)
        .collect())
}
