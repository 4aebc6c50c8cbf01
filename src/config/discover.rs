//! Where the rules file is when `--rules` names none.

use std::path::{Path, PathBuf};

/// The rules file a run takes when none is named, found as typos finds its config:
/// `rules.yaml` in `start`, else in each parent up to the repository's root (the first
/// directory holding `.git`). Outside a repository only `start` is looked in, so a stray
/// file higher up is never picked up. The path is relative to `start` (`../rules.yaml`).
pub fn discover_rules_file(start: &Path) -> Option<PathBuf> {
    let absolute = std::fs::canonicalize(start).ok()?;
    let in_repository = absolute.ancestors().any(|dir| dir.join(".git").exists());
    let mut relative = start.to_path_buf();
    for dir in absolute.ancestors() {
        let candidate = relative.join(RULES_FILE_NAME);
        if dir.join(RULES_FILE_NAME).is_file() {
            return Some(
                candidate
                    .strip_prefix(".")
                    .map_or(candidate.clone(), Path::to_path_buf),
            );
        }
        if !in_repository || dir.join(".git").exists() {
            return None;
        }
        relative = relative.join("..");
    }
    None
}

/// The name of the rules file that is found without `--rules`.
pub const RULES_FILE_NAME: &str = "rules.yaml";
