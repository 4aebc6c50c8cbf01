//! GitHub Actions integration, written by the binary itself: workflow-command annotations for
//! the log, Markdown for `$GITHUB_STEP_SUMMARY` and `name<<DELIMITER` lines for
//! `$GITHUB_OUTPUT`.
//!
//! Everything that comes from the user's files (paths, addresses, bounce texts) is escaped so
//! that it can neither start a workflow command of its own nor break the Markdown.

use std::fmt::Write as _;
use std::path::{Component, Path};

use crate::finding::Finding;
use crate::report::Report;

/// GitHub shows this many error annotations, and as many warnings, per step.
pub const ANNOTATIONS_PER_SEVERITY: usize = 10;

/// The findings shown in the step summary's "top findings" table.
pub const TOP_FINDINGS: usize = 20;

/// The step summary stays at or under this many bytes (GitHub's limit is 1 MiB).
pub const SUMMARY_LIMIT: usize = 1_000_000;

/// Every finding of the run (the lists', then the history's), the most important first:
/// errors before warnings, then by [`crate::finding::Reason::rank`], then by file and line.
/// The sort is stable, so ties keep the report's order.
pub fn ordered(report: &Report) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report
        .lists
        .iter()
        .flat_map(|list| &list.findings)
        .chain(&report.history.findings)
        .collect();
    findings.sort_by(|a, b| {
        (a.severity, a.reason.rank(), &a.file, a.line).cmp(&(
            b.severity,
            b.reason.rank(),
            &b.file,
            b.line,
        ))
    });
    findings
}

/// The path as GitHub wants it: relative to the repository root (`GITHUB_WORKSPACE`), also
/// when bouncegate runs in a subdirectory (`working-directory`). Outside GitHub, or for a file
/// outside the workspace, the path as given.
pub fn in_repository(path: &Path) -> std::borrow::Cow<'_, Path> {
    static WORKSPACE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let workspace = WORKSPACE.get_or_init(|| {
        std::env::var_os("GITHUB_WORKSPACE")
            .filter(|w| !w.is_empty())
            .and_then(|w| std::fs::canonicalize(w).ok())
    });
    let relative = workspace.as_ref().and_then(|workspace| {
        let absolute = std::fs::canonicalize(path).ok()?;
        absolute.strip_prefix(workspace).ok().map(Path::to_path_buf)
    });
    match relative {
        Some(relative) => std::borrow::Cow::Owned(relative),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// A path as the repository sees it: forward slashes, no `./` in front.
pub fn repo_path(path: &Path) -> String {
    let path = in_repository(path);
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::RootDir => absolute = true,
            Component::ParentDir => parts.push("..".to_owned()),
            Component::Prefix(prefix) => {
                parts.push(prefix.as_os_str().to_string_lossy().into_owned())
            }
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Percent-encode every byte but the unreserved characters of RFC 3986 and those in `keep`.
pub(crate) fn percent_encode(text: &str, keep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (byte.is_ascii() && keep.as_bytes().contains(&byte))
        {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

mod annotations;
mod outputs;
mod summary;
#[cfg(test)]
pub(crate) mod tests;

pub use annotations::annotations;
pub use outputs::{outputs, stop_token};
pub use summary::{Links, step_summary, step_summary_with};

use outputs::output;
use summary::md;

/// Escape the data (message) of a workflow command.
pub(super) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
pub(super) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// What GitHub shows when the run stops before a report (exit code 2: a bad rules.yaml, an
/// unreadable path): an error annotation on the file and line, a job summary that says what
/// failed, and the outputs with `result=error`.
pub struct RunError {
    pub annotation: String,
    pub summary: String,
    pub outputs: String,
}

pub fn run_error(message: &str, location: Option<(&Path, Option<u64>)>) -> RunError {
    let mut properties = String::new();
    if let Some((file, line)) = location {
        let _ = write!(properties, "file={},", escape_property(&repo_path(file)));
        if let Some(line) = line {
            let _ = write!(properties, "line={line},");
        }
    }
    let first = message.lines().next().unwrap_or_default();
    let mut outputs = String::new();
    output(&mut outputs, "result", "error");
    output(&mut outputs, "findings", "0");
    RunError {
        annotation: format!(
            "::error {properties}title=bouncegate could not run::{}\n",
            escape_data(message)
        ),
        summary: format!(
            "## bouncegate could not run\n\n{}\n\nThe lists were not checked (exit code 2). Fix the cause above and run again.\n",
            md(first)
        ),
        outputs,
    }
}
