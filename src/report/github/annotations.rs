//! Workflow-command annotations for the log.
//!
//! GitHub shows ten error and ten warning annotations of a step, so each one must count: the
//! rate that failed the gate comes first, and the findings of one code in one file make one
//! annotation (at the first line, with the count and the lines), so that ten annotations
//! name ten different problems.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{ANNOTATIONS_PER_SEVERITY, escape_data, escape_property, ordered, repo_path};
use crate::finding::{Finding, Severity};
use crate::report::{Report, RunVerdict};

/// A grouped annotation lists this many lines, then says how many more there are.
pub(super) const LINES_LISTED: usize = 20;

/// The findings of one code, one severity and one file, the most important first.
pub(super) fn groups(report: &Report) -> Vec<Vec<&Finding>> {
    let mut findings = ordered(report);
    // The gate's own reason before any row's: stable, so the rest keep their order.
    findings.sort_by_key(|finding| !finding.reason.is_rate());
    let mut index: HashMap<(&Path, &str, Severity), usize> = HashMap::new();
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for finding in findings {
        let key = (&*finding.file, finding.code(), finding.severity);
        match index.get(&key) {
            Some(&at) => groups[at].push(finding),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![finding]);
            }
        }
    }
    groups
}

/// One annotation for a group: a lone finding as it is; several with their count and lines.
pub(super) fn annotation(group: &[&Finding]) -> String {
    let first = group[0];
    let level = match first.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = format!("file={}", escape_property(&repo_path(&first.file)));
    if let Some(line) = first.line {
        let _ = write!(properties, ",line={line}");
    }
    let mut title = format!("bouncegate {}", first.code());
    let mut message = first.message();
    if group.len() > 1 {
        let _ = write!(title, " ({} in this file)", group.len());
        let mut lines: Vec<u64> = group.iter().filter_map(|f| f.line).collect();
        lines.sort_unstable();
        let listed: Vec<String> = lines
            .iter()
            .take(LINES_LISTED)
            .map(u64::to_string)
            .collect();
        let mut text = format!("{} findings of {}", group.len(), first.code());
        if !listed.is_empty() {
            let _ = write!(text, " on lines {}", listed.join(", "));
            if lines.len() > LINES_LISTED {
                let _ = write!(text, " and {} more", lines.len() - LINES_LISTED);
            }
        }
        message = match first.line {
            Some(line) => format!("{text}. Line {line}: {message}"),
            None => format!("{text}. {message}"),
        };
    }
    let _ = write!(properties, ",title={}", escape_property(&title));
    format!("::{level} {properties}::{}\n", escape_data(&message))
}

/// Workflow-command annotations, one per line: the rate that failed the gate first, then the
/// findings grouped by code and file, most important first; at most
/// [`ANNOTATIONS_PER_SEVERITY`] errors and as many warnings (what GitHub shows of a step),
/// then one `::notice` with the totals and how many findings were not annotated.
pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let (mut errors_left, mut warnings_left) = (0usize, 0usize);
    for group in groups(report) {
        let (shown, left) = match group[0].severity {
            Severity::Error => (&mut errors, &mut errors_left),
            Severity::Warning => (&mut warnings, &mut warnings_left),
        };
        if *shown < ANNOTATIONS_PER_SEVERITY {
            *shown += 1;
            out.push_str(&annotation(&group));
        } else {
            *left += group.len();
        }
    }
    let verdict = match report.verdict {
        RunVerdict::Pass => "PASS",
        RunVerdict::Fail => "FAIL",
        RunVerdict::BadInput => "BAD INPUT",
    };
    let mut notice = format!("{verdict}: {}", report.totals_line());
    if errors_left + warnings_left > 0 {
        let _ = write!(
            notice,
            "; not annotated (GitHub shows {ANNOTATIONS_PER_SEVERITY} of each per step): {errors_left} errors, {warnings_left} warnings, see the step summary or the JSON report"
        );
    } else {
        notice.push_str("; not annotated: 0 errors, 0 warnings");
    }
    let _ = writeln!(
        out,
        "::notice title={}::{}",
        escape_property("bouncegate"),
        escape_data(&notice)
    );
    out
}
