//! `name<<DELIMITER` lines for `$GITHUB_OUTPUT`, and the stop-commands token.

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use crate::report::{Report, RunVerdict};

/// A token for `::stop-commands::TOKEN`: random, so that nothing in the report can guess it
/// and turn command processing back on.
pub fn stop_token() -> String {
    let a = RandomState::new().build_hasher().finish();
    let b = RandomState::new().build_hasher().finish();
    format!("bouncegate-{a:016x}{b:016x}")
}

/// A delimiter for `name<<DELIMITER` that does not occur in the value.
pub(super) fn delimiter(value: &str) -> String {
    loop {
        // Each RandomState has fresh random keys: the hash of nothing is a random number.
        let suffix = RandomState::new().build_hasher().finish();
        let delimiter = format!("ghadelimiter_{suffix:016x}");
        if !value.contains(&delimiter) {
            return delimiter;
        }
    }
}

pub(super) fn output(out: &mut String, name: &str, value: &str) {
    let delimiter = delimiter(value);
    let _ = write!(out, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
}

/// Lines for `$GITHUB_OUTPUT`: `result` (pass or fail; bad input is fail), `bounce-rate` (the
/// rate over all lists, a fraction with 4 decimals), `predicted-hard`, `historic-hard`,
/// `findings` and `report` (the JSON report's path, empty without one), each in the
/// multi-line form `name<<DELIMITER`.
pub fn outputs(report: &Report, report_path: Option<&Path>) -> String {
    let t = &report.totals;
    let findings = report
        .lists
        .iter()
        .map(|list| list.findings.len())
        .sum::<usize>()
        + report.history.findings.len();
    let result = match report.verdict {
        RunVerdict::Pass => "pass",
        RunVerdict::Fail | RunVerdict::BadInput => "fail",
    };
    let mut out = String::new();
    output(&mut out, "result", result);
    output(&mut out, "bounce-rate", &format!("{:.4}", t.bounce_rate));
    output(&mut out, "predicted-hard", &t.predicted_hard.to_string());
    output(&mut out, "historic-hard", &t.historic_hard.to_string());
    output(&mut out, "findings", &findings.to_string());
    output(
        &mut out,
        "report",
        &report_path.map_or(String::new(), |path| path.display().to_string()),
    );
    out
}
