//! The input files under the paths a user gives: named files must be regular files (a FIFO
//! would block the run forever), and a directory walk takes regular files and the symbolic
//! links to regular files inside the repository (the current directory). Every path a walk
//! leaves out that it would have taken by its name is said, with why: a skipped list must
//! never pass as a checked one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A path a walk left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedPath {
    pub path: PathBuf,
    pub why: String,
}

/// The files a walk found, and the paths it left out.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<SkippedPath>,
}

impl Walked {
    pub fn extend(&mut self, other: Walked) {
        self.files.extend(other.files);
        self.skipped.extend(other.skipped);
    }
}

/// A file the user named is read only when it is a regular file.
pub fn named_file(metadata: &std::fs::Metadata) -> std::io::Result<()> {
    if metadata.is_file() {
        Ok(())
    } else {
        Err(std::io::Error::other(
            "not a regular file (a FIFO, a socket or a device would block or mislead the run)",
        ))
    }
}

/// Walk `dir` for the files `wanted` takes by name; `enter` says which directories to walk.
pub fn walk(
    dir: &Path,
    wanted: impl Fn(&Path) -> bool,
    enter: impl FnMut(&walkdir::DirEntry) -> bool,
) -> Result<Walked, walkdir::Error> {
    let repository = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    let mut walked = Walked::default();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(enter)
    {
        let entry = entry?;
        let kind = entry.file_type();
        let path = entry.path();
        if kind.is_dir() || !wanted(path) {
            continue;
        }
        if kind.is_file() {
            walked.files.push(path.to_path_buf());
            continue;
        }
        let skip = |why: String| SkippedPath {
            path: path.to_path_buf(),
            why,
        };
        if !kind.is_symlink() {
            walked.skipped.push(skip(
                "not a regular file (a FIFO, a socket or a device): not read".to_owned(),
            ));
            continue;
        }
        match std::fs::metadata(path) {
            Err(_) => walked
                .skipped
                .push(skip("a symbolic link to nothing: not read".to_owned())),
            Ok(target) if !target.is_file() => walked.skipped.push(skip(
                "a symbolic link to something that is not a regular file: not read".to_owned(),
            )),
            Ok(_) => {
                let resolved = std::fs::canonicalize(path).ok();
                let inside = match (&resolved, &repository) {
                    (Some(resolved), Some(repository)) => resolved.starts_with(repository),
                    _ => false,
                };
                if inside {
                    walked.files.push(path.to_path_buf());
                } else {
                    walked.skipped.push(skip(format!(
                        "a symbolic link to {}, outside the repository: not read",
                        resolved.as_deref().unwrap_or(path).display()
                    )));
                }
            }
        }
    }
    Ok(walked)
}
