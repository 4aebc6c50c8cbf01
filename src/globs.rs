//! Which files the globs of rules.yaml name: `lists:`, `history:` and `exclude:` are matched
//! against the path below the rules file's directory, as `check`, the pre-commit hook and the
//! change scope all need.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::Error;

pub fn glob_set(key: &'static str, globs: &[String]) -> Result<GlobSet, Error> {
    let mut builder = GlobSetBuilder::new();
    let mut seen = HashSet::new();
    for glob in globs {
        if !seen.insert(glob) {
            continue;
        }
        let glob = Glob::new(glob.trim_start_matches("./")).map_err(|error| Error::BadOption {
            option: key,
            value: glob.clone(),
            expected: format!("a glob such as lists/**/*.csv ({error})"),
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|error| Error::BadOption {
        option: key,
        value: globs.join(", "),
        expected: error.to_string(),
    })
}

/// The `lists:` or `history:` globs, or without any the default directory.
pub struct Selector {
    globs: Option<GlobSet>,
    base_dir: PathBuf,
    default_dir: &'static str,
}

impl Selector {
    pub fn new(
        key: &'static str,
        globs: &[String],
        base_dir: &Path,
        default_dir: &'static str,
    ) -> Result<Selector, Error> {
        let globs = if globs.is_empty() {
            None
        } else {
            Some(glob_set(key, globs)?)
        };
        Ok(Selector {
            globs,
            base_dir: base_dir.to_path_buf(),
            default_dir,
        })
    }

    /// Whether `file` (a path from the current directory) is one of them.
    pub fn matches(&self, file: &Path) -> bool {
        let below = below(file, &self.base_dir);
        match &self.globs {
            Some(globs) => globs.is_match(&below),
            None => below.starts_with(self.default_dir),
        }
    }
}

/// The path below the rules file's directory, as globs see it (no `./` in front). The
/// directories are resolved when they exist, so a file named from a subdirectory still
/// matches; the file's own name is not, so a link in `lists/` stays in `lists/`.
pub fn below(file: &Path, base_dir: &Path) -> PathBuf {
    let parent = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let (Ok(parent), Ok(base), Some(name)) = (
        std::fs::canonicalize(parent),
        std::fs::canonicalize(base_dir),
        file.file_name(),
    ) && let Ok(below) = parent.join(name).strip_prefix(&base)
    {
        return below.to_path_buf();
    }
    let file = file.strip_prefix(".").unwrap_or(file);
    let base = base_dir.strip_prefix(".").unwrap_or(base_dir);
    file.strip_prefix(base).unwrap_or(file).to_path_buf()
}
