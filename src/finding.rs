//! What the gate says about one line (or one file): a [`Finding`] with its [`Reason`].

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::bounces::history::{Evidence, HistoryRowProblem, format_day};
use crate::domains::DomainVerdict;
use crate::risk::RiskFlag;
use crate::syntax::SyntaxError;
use crate::table::InputProblem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Fails the gate (or, for bad input, the run: exit code 2).
    Error,
    /// Shown; does not fail the gate.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Why a finding was made, with what proves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// The address cannot receive mail: it will hard-bounce.
    PredictedHard { error: SyntaxError },
    /// The list's addresses on a domain that takes no mail, or could not be checked: one
    /// finding per domain, at the first line, with every line.
    Domain {
        domain: String,
        verdict: DomainVerdict,
        addresses: usize,
        lines: Vec<u64>,
    },
    /// The history holds a bounce that suppresses the address.
    /// Evidence is boxed here and below: a million findings of other kinds stay small.
    HistoricHard { evidence: Arc<Evidence> },
    /// Counted soft bounces on this many distinct days inside the window.
    RepeatedSoft {
        days: usize,
        window_days: u32,
        latest: Arc<Evidence>,
    },
    /// The history holds a complaint (a feedback report) from the address.
    Complaint { evidence: Arc<Evidence> },
    /// The same address appears earlier in the list.
    Duplicate { first_line: u64 },
    /// The cell has whitespace around the address.
    Whitespace,
    /// A CSV row with an empty email cell.
    EmptyCell,
    /// The header names a second email column beside the one read.
    OtherEmailColumn { used: String, other: String },
    /// A list that holds no address at all (a header alone).
    EmptyList,
    /// A row or file that could not be read.
    BadInput { problem: InputProblem },
    /// A history row that was not used.
    HistoryRow { problem: HistoryRowProblem },
    /// The history holds blocks against the sender for addresses of this list.
    SenderBlocks { blocks: u32, addresses: usize },
    /// The list's projected bounce rate is over the limit.
    BounceRate {
        rate: f64,
        limit: f64,
        bouncing: usize,
        addresses: usize,
    },
    /// The addresses a change adds (`--changed-since`) bounce at a rate over the limit.
    AddedBounceRate {
        rate: f64,
        limit: f64,
        bouncing: usize,
        addresses: usize,
    },
    /// A risk flag: an advisory about an address that takes mail (its `kind` is its code).
    #[serde(untagged)]
    Risk(RiskFlag),
}

impl Reason {
    /// The stable code: `historic-hard`, `bad-domain-label`, `ragged-row`, ...
    pub fn code(&self) -> &'static str {
        match self {
            Reason::PredictedHard { error } => error.code(),
            Reason::Domain { verdict, .. } => verdict.code(),
            Reason::HistoricHard { .. } => "historic-hard",
            Reason::RepeatedSoft { .. } => "repeated-soft",
            Reason::Complaint { .. } => "complaint",
            Reason::Duplicate { .. } => "duplicate",
            Reason::Whitespace => "whitespace",
            Reason::EmptyCell => "empty-cell",
            Reason::OtherEmailColumn { .. } => "other-email-column",
            Reason::EmptyList => "empty-list",
            Reason::BadInput { problem } => problem.code(),
            Reason::HistoryRow { problem } => problem.code(),
            Reason::SenderBlocks { .. } => "sender-blocks",
            Reason::BounceRate { .. } => "bounce-rate",
            Reason::AddedBounceRate { .. } => "added-bounce-rate",
            Reason::Risk(flag) => flag.code(),
        }
    }

    /// Findings that fail the gate come first in reports and annotations.
    /// A rate over the whole list that fails the gate by itself (the projected bounce rate,
    /// the added addresses' rate), as opposed to a finding about one row.
    pub fn is_rate(&self) -> bool {
        matches!(
            self,
            Reason::BounceRate { .. } | Reason::AddedBounceRate { .. }
        )
    }

    pub fn rank(&self) -> u8 {
        match self {
            Reason::BadInput { .. } => 0,
            Reason::HistoricHard { .. } => 1,
            Reason::PredictedHard { .. } => 2,
            Reason::Domain { verdict, .. } if verdict.is_predicted_hard() => 2,
            Reason::Domain { .. } => 6,
            Reason::RepeatedSoft { .. } | Reason::Complaint { .. } => 3,
            Reason::BounceRate { .. } | Reason::AddedBounceRate { .. } => 4,
            Reason::SenderBlocks { .. } => 5,
            Reason::HistoryRow { .. } => 6,
            Reason::Duplicate { .. } | Reason::Risk(_) => 7,
            Reason::Whitespace
            | Reason::EmptyCell
            | Reason::OtherEmailColumn { .. }
            | Reason::EmptyList => 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub file: Arc<Path>,
    /// `None` for findings about a whole file (the bounce rate, sender blocks).
    pub line: Option<u64>,
    pub severity: Severity,
    pub address: Option<String>,
    pub reason: Reason,
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The JSON shape: the code and message alongside the typed reason.
        #[derive(Serialize)]
        struct Json<'a> {
            file: &'a Path,
            line: Option<u64>,
            severity: Severity,
            code: &'static str,
            address: Option<&'a str>,
            message: String,
            reason: &'a Reason,
        }
        Json {
            file: &self.file,
            line: self.line,
            severity: self.severity,
            code: self.code(),
            address: self.address.as_deref(),
            message: self.message(),
            reason: &self.reason,
        }
        .serialize(serializer)
    }
}

thread_local! {
    static FINDINGS_APART: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `write` with every findings array (the lists' and the history's) serialised empty:
/// the report's JSON writer writes them itself, on all cores, into the places those arrays
/// leave.
pub(crate) fn with_findings_apart<T>(write: impl FnOnce() -> T) -> T {
    FINDINGS_APART.set(true);
    let written = write();
    FINDINGS_APART.set(false);
    written
}

/// A report's findings, or an empty array inside [`with_findings_apart`].
pub(crate) fn serialize_findings<S: serde::Serializer>(
    findings: &[Finding],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if FINDINGS_APART.get() {
        serializer.collect_seq(std::iter::empty::<&Finding>())
    } else {
        serializer.collect_seq(findings)
    }
}

/// Read back from a JSON report (`merge`): the code and the message follow from the reason.
impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Json {
            file: std::path::PathBuf,
            line: Option<u64>,
            severity: Severity,
            address: Option<String>,
            reason: Reason,
        }
        let json = Json::deserialize(deserializer)?;
        Ok(Finding {
            file: Arc::from(json.file),
            line: json.line,
            severity: json.severity,
            address: json.address,
            reason: json.reason,
        })
    }
}

impl Finding {
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }

    /// The message after `file:line: severity[code]: `.
    pub fn message(&self) -> String {
        let address = self.address.as_deref().unwrap_or_default();
        match &self.reason {
            Reason::PredictedHard { error } => {
                format!("{address} {error}: it will hard-bounce; fix or remove it")
            }
            Reason::Domain {
                domain,
                verdict,
                addresses,
                lines,
            } => {
                let what = verdict.describe(domain);
                let tail = if verdict.is_predicted_hard() {
                    ": it will hard-bounce; remove or fix"
                } else {
                    ""
                };
                if lines.len() == 1 {
                    format!("{address}: {what}{tail}")
                } else {
                    const SHOWN: usize = 5;
                    let mut shown: Vec<String> =
                        lines.iter().take(SHOWN).map(u64::to_string).collect();
                    if lines.len() > SHOWN {
                        shown.push(format!("and {} more", lines.len() - SHOWN));
                    }
                    format!(
                        "{address}: {what}; {} on lines {}{tail}",
                        plural(*addresses, "address"),
                        shown.join(", ")
                    )
                }
            }
            Reason::HistoricHard { evidence } => {
                let when = evidence
                    .time
                    .map_or_else(String::new, |t| format!(" on {}", format_day(t)));
                format!(
                    "{address} hard-bounced{when} ({}; {}:{}): suppress it",
                    evidence.summary(),
                    evidence.file.display(),
                    evidence.line
                )
            }
            Reason::RepeatedSoft {
                days,
                window_days,
                latest,
            } => format!(
                "{address} soft-bounced on {days} days in {window_days} days, last on {} ({}): suppress it",
                latest.time.map(format_day).unwrap_or_default(),
                latest.summary()
            ),
            Reason::Complaint { evidence } => {
                let when = evidence
                    .time
                    .map_or_else(String::new, |t| format!(" on {}", format_day(t)));
                format!(
                    "{address} complained{when} (a feedback report; {}:{}): stop mailing it",
                    evidence.file.display(),
                    evidence.line
                )
            }
            Reason::Duplicate { first_line } => {
                format!("{address} is already on line {first_line}: remove one of the two")
            }
            Reason::Whitespace => format!(
                "'{address}' has whitespace around it; the trimmed address was checked, but trim the cell"
            ),
            Reason::EmptyCell => "the email cell is empty: the row has no address".to_owned(),
            Reason::OtherEmailColumn { used, other } => format!(
                "the header names two email columns, '{used}' (read) and '{other}' (not read): pass --column to read the other"
            ),
            Reason::EmptyList => {
                "the list holds no address, only a header: was it exported empty?".to_owned()
            }
            Reason::BadInput { problem } if problem.is_whole_file() => {
                format!("the file {problem}")
            }
            Reason::BadInput { problem } => format!("the row {problem}"),
            Reason::HistoryRow {
                problem: problem @ HistoryRowProblem::UndatedSoft { .. },
            } => format!("the history {problem}"),
            Reason::HistoryRow { problem } => format!("the history row {problem}"),
            Reason::SenderBlocks { blocks, addresses } => format!(
                "the history holds {} caused by the sender (a block, its reputation or authentication, its rate or content) for {} of this list: they say nothing about the addresses; fix the sending side",
                plural(*blocks as usize, "bounce"),
                plural(*addresses, "address")
            ),
            Reason::BounceRate {
                rate,
                limit,
                bouncing,
                addresses,
            } => {
                let (rate, limit) = percents_apart(*rate, *limit);
                format!(
                    "projected bounce rate {rate} ({bouncing} of {addresses} addresses) is over the limit of {limit}"
                )
            }
            Reason::AddedBounceRate {
                rate,
                limit,
                bouncing,
                addresses,
            } => {
                let (rate, limit) = percents_apart(*rate, *limit);
                format!(
                    "the addresses this change adds bounce at {rate} ({bouncing} of {}), over the limit of {limit}: a bad import, even if the whole list stays under it",
                    plural(*addresses, "address")
                )
            }
            Reason::Risk(flag) => flag.message(address),
        }
    }
}

/// `1 block`, `2 blocks`, `2 addresses`.
pub fn plural(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('s')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        _ => format!("{n} {noun}s"),
    }
}

/// `2.50%`.
pub fn percent(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}

/// Two rates with as many decimals as it takes to tell them apart: 2.002% over 2.00% must not
/// read "2.00% is over 2.00%".
pub fn percents_apart(rate: f64, limit: f64) -> (String, String) {
    for decimals in 2..=6 {
        let (a, b) = (
            format!("{:.*}%", decimals, rate * 100.0),
            format!("{:.*}%", decimals, limit * 100.0),
        );
        if a != b || decimals == 6 {
            return (a, b);
        }
    }
    (percent(rate), percent(limit))
}
