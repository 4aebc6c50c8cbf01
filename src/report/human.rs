//! The human report: findings grouped by file, a summary per list, the verdict; colour on a
//! terminal.

use std::fmt::Write as _;
use std::path::Path;

use super::{Report, RunVerdict, complaints, risk_counts};
use crate::config::Policy;
use crate::finding::{Finding, Severity, percent};
use crate::gate::{ListReport, Verdict};
use crate::shown::visible;

impl Report {
    /// The human report: findings grouped by file (at most `options.max_findings` of each code
    /// in each file, then one line for the rest), a summary per list, the verdict.
    pub fn to_human(&self, options: &HumanOptions) -> String {
        let paint = Paint { on: options.colors };
        let mut out = String::new();
        let _ = writeln!(out, "{}", visible(&self.inputs_line()));
        for note in &self.dns.notes {
            let _ = writeln!(out, "{}: {note}", paint.yellow("dns"));
        }
        for list in &self.lists {
            write_findings(&mut out, &list.findings, options, paint);
        }
        write_findings(&mut out, &self.history.findings, options, paint);
        if !out.is_empty() {
            out.push('\n');
        }
        for list in &self.lists {
            write_list_summary(&mut out, list, &self.policy, paint);
        }
        if !self.history.files.is_empty() {
            let _ = writeln!(out, "history: {}", self.history.line());
        }
        if let Some(scope) = &self.scope {
            let _ = writeln!(out, "{}", visible(&scope.line()));
        }
        for skipped in &self.skipped_paths {
            let _ = writeln!(
                out,
                "skipped {}: {}",
                crate::shown::path(&skipped.path),
                visible(&skipped.why)
            );
        }
        if self.dns.checked {
            let _ = writeln!(
                out,
                "dns: domains {} ({} looked up, {} from the cache) in {:.1} s",
                self.dns.domains.len(),
                self.dns.looked_up,
                self.dns.from_cache,
                self.dns.elapsed_ms as f64 / 1000.0
            );
        }
        let verdict = match self.verdict {
            RunVerdict::Pass => paint.green("PASS"),
            RunVerdict::Fail => paint.red("FAIL"),
            RunVerdict::BadInput => paint.red("BAD INPUT"),
        };
        let _ = writeln!(out, "{verdict}: {}", self.totals_line());
        if self.verdict == RunVerdict::BadInput {
            let _ = writeln!(
                out,
                "Some input could not be read (see the errors above): fix it and run again."
            );
        }
        out
    }
}

/// How the human report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanOptions {
    pub colors: bool,
    /// Errors only.
    pub quiet: bool,
    /// Findings of one code in one file printed one by one; the rest are counted on one line
    /// with their first lines. 0: all. A million bad rows stay a screenful.
    pub max_findings: usize,
}

impl Default for HumanOptions {
    fn default() -> HumanOptions {
        HumanOptions {
            colors: false,
            quiet: false,
            max_findings: DEFAULT_MAX_FINDINGS,
        }
    }
}

/// Findings of one code in one file that the human report prints by default.
pub const DEFAULT_MAX_FINDINGS: usize = 20;

/// The lines named on an "and N more" line.
const LINES_NAMED: usize = 10;

/// `findings` in their order, at most `max_findings` of each code in each file, then per code
/// cut one line: `lists/a.csv: and 980 more no-tld (lines 40, 41, ...)`.
fn write_findings(out: &mut String, findings: &[Finding], options: &HumanOptions, paint: Paint) {
    let mut shown: foldhash::HashMap<(&Path, &str), usize> = foldhash::HashMap::default();
    let mut cut: Vec<((&Path, &str), Vec<u64>, usize)> = Vec::new();
    for finding in findings {
        if options.quiet && finding.severity == Severity::Warning {
            continue;
        }
        let key = (&*finding.file, finding.code());
        let count = shown.entry(key).or_default();
        if options.max_findings == 0 || *count < options.max_findings {
            *count += 1;
            write_finding(out, finding, paint);
            continue;
        }
        let at = match cut.iter().position(|(cut_key, _, _)| *cut_key == key) {
            Some(at) => at,
            None => {
                cut.push((key, Vec::new(), 0));
                cut.len() - 1
            }
        };
        let (_, lines, more) = &mut cut[at];
        *more += 1;
        if let Some(line) = finding.line
            && lines.len() < LINES_NAMED
        {
            lines.push(line);
        }
    }
    for ((file, code), lines, more) in cut {
        let mut named: Vec<String> = lines.iter().map(u64::to_string).collect();
        if more > named.len() {
            named.push("...".to_owned());
        }
        let lines = if lines.is_empty() {
            String::new()
        } else {
            format!(" (lines {})", named.join(", "))
        };
        let _ = writeln!(
            out,
            "{}: and {more} more {code}{lines}; --max-findings 0 prints them all",
            paint.bold(&visible(&file.display().to_string()))
        );
    }
}

fn write_finding(out: &mut String, finding: &Finding, paint: Paint) {
    let location = match finding.line {
        Some(line) => format!("{}:{line}", finding.file.display()),
        None => finding.file.display().to_string(),
    };
    let label = format!("{}[{}]", finding.severity, finding.code());
    let label = match finding.severity {
        Severity::Error => paint.red(&label),
        Severity::Warning => paint.yellow(&label),
    };
    let _ = writeln!(
        out,
        "{}: {label}: {}",
        paint.bold(&visible(&location)),
        visible(&finding.message())
    );
}

fn write_list_summary(out: &mut String, list: &ListReport, policy: &Policy, paint: Paint) {
    let s = &list.stats;
    let verdict = match list.verdict {
        Verdict::Pass => paint.green("pass"),
        Verdict::Fail => paint.red("FAIL"),
        Verdict::BadInput => paint.red("BAD INPUT"),
    };
    let skipped = if s.skipped.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            s.skipped
                .iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = writeln!(
        out,
        "{}: {verdict}: addresses {}, predicted hard {}, historic hard {}, repeated soft {}{}, duplicates {}{}; bounce rate {} (limit {})",
        paint.bold(&visible(&list.path.display().to_string())),
        s.addresses,
        s.predicted_hard,
        s.historic_hard,
        s.repeated_soft,
        complaints(s.complaints),
        s.duplicates,
        risk_counts([s.role_account, s.disposable_domain, s.typo_domain]),
        percent(s.bounce_rate),
        percent(policy.max_bounce_rate),
    );
    let _ = writeln!(
        out,
        "  rows: {} read = {} checked + {} skipped{skipped}",
        s.rows_read, s.rows_checked, s.rows_skipped
    );
    if let Some(added) = &s.added {
        let _ = writeln!(
            out,
            "  added by this change: addresses {}, bouncing {}; bounce rate {} (limit {})",
            added.addresses,
            added.bouncing,
            percent(added.bounce_rate),
            percent(policy.max_bounce_rate)
        );
    }
    if !s.domains.is_empty() {
        let by_verdict: Vec<String> = s
            .domains
            .iter()
            .map(|(verdict, n)| format!("{verdict} {n}"))
            .collect();
        let _ = writeln!(out, "  domains: {}", by_verdict.join(", "));
    }
}

#[derive(Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn red(self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
}
