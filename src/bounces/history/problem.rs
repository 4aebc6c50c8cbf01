//! Why a history row, or a whole history file, was not used, or was used with a warning.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::table::InputProblem;

/// Why a history row was not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum HistoryRowProblem {
    BadInput {
        problem: InputProblem,
    },
    BadAddress {
        address: String,
        why: String,
    },
    /// The row is used without a time: a hard bounce still suppresses.
    BadTime {
        value: String,
    },
    /// A slash date that reads as two days, and no --date-order: used without a time.
    AmbiguousTime {
        value: String,
    },
    /// Dated after today: used, but not to place the soft-bounce window.
    FutureTime {
        value: String,
    },
    BadReplyCode {
        value: String,
    },
    BadEnhancedCode {
        value: String,
    },
    NoBounceInfo,
    /// Not one row of the file could be used.
    NoRowUsable {
        rows: usize,
    },
    /// Soft bounces without a time cannot be placed in the window (a file-level warning).
    UndatedSoft {
        count: usize,
    },
    /// A record of a provider's export that could not be read, or the whole file.
    Import {
        #[serde(deserialize_with = "crate::intern::code")]
        format: crate::intern::Code,
        message: String,
    },
}

impl fmt::Display for HistoryRowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryRowProblem::BadInput { problem } => problem.fmt(f),
            HistoryRowProblem::BadAddress { address, why } => {
                write!(f, "has the address '{address}', which {why}; the row is not used")
            }
            HistoryRowProblem::BadTime { value } => write!(
                f,
                "has the time '{value}': expected RFC 3339, YYYY-MM-DD, YYYY-MM-DD HH:MM:SS, RFC 2822, or Unix seconds or milliseconds; the bounce is used without a time (a hard bounce still suppresses, a soft one cannot be counted)"
            ),
            HistoryRowProblem::AmbiguousTime { value } => write!(
                f,
                "has the date '{value}', which reads as month/day or as day/month: give --date-order mdy or dmy; the bounce is used without a time (a hard bounce still suppresses, a soft one cannot be counted)"
            ),
            HistoryRowProblem::FutureTime { value } => write!(
                f,
                "is dated {value}, after today: a wrong clock or time zone? The bounce is used, but not to place the end of the soft-bounce window"
            ),
            HistoryRowProblem::BadReplyCode { value } => write!(
                f,
                "has the reply code '{value}': expected three digits such as 550; the row is not used"
            ),
            HistoryRowProblem::BadEnhancedCode { value } => write!(
                f,
                "has the enhanced code '{value}': expected class.subject.detail such as 5.1.1; the row is not used"
            ),
            HistoryRowProblem::NoRowUsable { rows } => write!(
                f,
                "has not one usable bounce in its {}: is it a bounce history? (see the problems above)",
                crate::finding::plural(*rows, "row")
            ),
            HistoryRowProblem::NoBounceInfo => f.write_str(
                "has no reply code, enhanced code or diagnostic text: nothing to classify; the row is not used",
            ),
            HistoryRowProblem::Import { format, message } => {
                write!(f, "({format}) {message}")
            }
            HistoryRowProblem::UndatedSoft { count } => write!(
                f,
                "holds {} without a time, which cannot be placed in the soft-bounce window and are not counted: add a time column (timestamp, date, created)",
                crate::finding::plural(*count, "soft bounce")
            ),
        }
    }
}

impl HistoryRowProblem {
    pub fn code(&self) -> &'static str {
        match self {
            HistoryRowProblem::BadInput { problem } => problem.code(),
            HistoryRowProblem::BadAddress { .. } => "history-bad-address",
            HistoryRowProblem::BadTime { .. } => "history-bad-time",
            HistoryRowProblem::AmbiguousTime { .. } => "history-ambiguous-time",
            HistoryRowProblem::FutureTime { .. } => "history-future-time",
            HistoryRowProblem::BadReplyCode { .. } => "history-bad-reply-code",
            HistoryRowProblem::BadEnhancedCode { .. } => "history-bad-enhanced-code",
            HistoryRowProblem::NoBounceInfo => "history-no-bounce-info",
            HistoryRowProblem::NoRowUsable { .. } => "history-no-usable-row",
            HistoryRowProblem::UndatedSoft { .. } => "history-undated-soft",
            HistoryRowProblem::Import { .. } => "history-unreadable",
        }
    }
}

/// A history row (or file) that was not used.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryProblem {
    pub file: Arc<Path>,
    /// 0 for a problem with the file as a whole.
    pub line: u64,
    pub problem: HistoryRowProblem,
    /// A problem with the whole file (it could not be read at all): exit code 2.
    pub whole_file: bool,
}
