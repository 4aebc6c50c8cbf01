//! `bouncegate pre-commit`: of the files pre-commit passes (the staged ones, all kinds), the
//! lists to check, chosen by the same `lists:` globs (or `lists/`) that `check` uses, so the
//! hook needs no file pattern of its own and never checks a `requirements.txt`. A staged
//! history file or rules file changes how every list is judged, so it checks them all.

use std::path::PathBuf;

use crate::config::Config;
use crate::error::Error;
use crate::globs::{Selector, below, glob_set};
use crate::lists::has_list_extension;

/// What a commit's files ask to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staged {
    /// These lists changed.
    Lists(Vec<PathBuf>),
    /// A history file or the rules file changed: every list, as `check` finds them.
    AllLists { because: PathBuf },
    /// No list, history or rules file among them.
    Nothing,
}

/// Sort `files` (paths from the current directory, as pre-commit passes them) by what they
/// are to the run `config` describes.
pub fn select(config: &Config, files: &[PathBuf]) -> Result<Staged, Error> {
    let lists = Selector::new("lists", &config.lists, &config.base_dir, "lists")?;
    let history = Selector::new("history", &config.history, &config.base_dir, "bounces")?;
    let exclude = glob_set("exclude", &config.exclude)?;
    let rules_file = config
        .user_file
        .as_deref()
        .and_then(|path| std::fs::canonicalize(path).ok());
    let mut chosen = Vec::new();
    for file in files {
        let is_rules_file = rules_file.is_some()
            && std::fs::canonicalize(file).ok().as_deref() == rules_file.as_deref();
        if is_rules_file || history.matches(file) {
            return Ok(Staged::AllLists {
                because: file.clone(),
            });
        }
        let below = below(file, &config.base_dir);
        if lists.matches(file) && !exclude.is_match(&below) && has_list_extension(file) {
            chosen.push(file.clone());
        }
    }
    Ok(if chosen.is_empty() {
        Staged::Nothing
    } else {
        Staged::Lists(chosen)
    })
}
