//! The report as SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).
//!
//! One run, one rule per finding code used, one result per finding, the most important first.
//! GitHub rejects a run with more than 25,000 results: the rest are left out, and a tool
//! notification says how many.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde::Serialize;

use crate::domains::DomainVerdict;
use crate::finding::{Finding, Reason, Severity};
use crate::report::Report;
use crate::report::github::{in_repository, ordered, percent_encode, repo_path};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The artifact URI of a report path: repository-relative with forward slashes and no `./`,
/// percent-encoded; an absolute path becomes a `file://` URI.
pub fn artifact_uri(path: &Path) -> String {
    let path = &*in_repository(path);
    let text = repo_path(path);
    if path.has_root() || matches!(path.components().next(), Some(Component::Prefix(_))) {
        let text = text.trim_start_matches('/');
        format!("file:///{}", percent_encode(text, "/:"))
    } else {
        // `:` is encoded too, so that no first segment reads as a URI scheme.
        percent_encode(&text, "/")
    }
}

/// `historic-hard` -> `HistoricHard`.
fn rule_name(code: &str) -> String {
    code.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The short description, full description and help of the rule for a finding's code.
fn describe(reason: &Reason) -> (String, String, String) {
    let code = reason.code();
    let (short, full, help): (String, String, &str) = match reason {
        Reason::PredictedHard { .. } => (
            format!("Invalid address ({code})"),
            format!(
                "The address fails the syntax check '{code}': mail to it will hard-bounce."
            ),
            "Fix the address, or remove it from the list.",
        ),
        Reason::Domain { verdict, .. } if verdict.is_predicted_hard() => (
            format!("Domain takes no mail ({code})"),
            format!(
                "DNS says the address's domain cannot receive mail ({code}): every address on it will hard-bounce. One result per domain, at its first line."
            ),
            "Remove the addresses on this domain, or fix the domain if it is a typo.",
        ),
        Reason::Domain {
            verdict: DomainVerdict::DnsUnknown { .. },
            ..
        } => (
            "Domain could not be checked".to_owned(),
            "DNS gave no definitive answer for the address's domain (timeout, SERVFAIL, REFUSED or no connection); it is not counted as a bounce.".to_owned(),
            "Run the check again later, or check the name servers it uses.",
        ),
        Reason::Domain { .. } => (
            format!("Domain without an MX record ({code})"),
            format!(
                "The address's domain has no MX record ({code}); mail goes to its address record, which many senders refuse."
            ),
            "Check that the domain receives mail; remove its addresses if it does not.",
        ),
        Reason::HistoricHard { .. } => (
            "Address hard-bounced before".to_owned(),
            "The bounce history holds a bounce for this address whose rule says suppress (a hard bounce): sending to it again will bounce.".to_owned(),
            "Remove the address from the list (suppress it).",
        ),
        Reason::RepeatedSoft { .. } => (
            "Address soft-bounced repeatedly".to_owned(),
            "The bounce history holds soft bounces for this address on enough distinct days inside the soft-bounce window to suppress it.".to_owned(),
            "Remove the address from the list (suppress it), or wait until its bounces leave the window.",
        ),
        Reason::Complaint { .. } => (
            "Address complained".to_owned(),
            "The bounce history holds a complaint from this address (a feedback report: the recipient marked a mail as spam). It is no bounce, but mailing a complainer again costs the sender's reputation.".to_owned(),
            "Remove the address from the list, or set policy.complaints in rules.yaml (suppress, warn, ignore).",
        ),
        Reason::Duplicate { .. } => (
            "Duplicate address".to_owned(),
            "The same address appears earlier in the list.".to_owned(),
            "Remove one of the two rows.",
        ),
        Reason::Whitespace => (
            "Whitespace around an address".to_owned(),
            "The email cell has whitespace around the address; the trimmed address was checked.".to_owned(),
            "Trim the cell.",
        ),
        Reason::OtherEmailColumn { .. } => (
            "Two email columns".to_owned(),
            "The header names a second email column beside the one read; its addresses are not checked.".to_owned(),
            "Pass --column with the header of the column that holds the list's addresses.",
        ),
        Reason::EmptyList => (
            "List without addresses".to_owned(),
            "The list holds a header and no address: an export that went wrong passes as an empty list.".to_owned(),
            "Check the export, or delete the file.",
        ),
        Reason::EmptyCell => (
            "Empty email cell".to_owned(),
            "The row has no address in its email cell.".to_owned(),
            "Fill in the address, or delete the row.",
        ),
        Reason::BadInput { .. } => (
            format!("Input cannot be read ({code})"),
            format!(
                "A list or history file, or a row of it, could not be read ({code}); the run exits with code 2."
            ),
            "Fix the file as the message says (UTF-8 text, balanced quotes, the same number of fields in every row, an email column) and run again.",
        ),
        Reason::HistoryRow { .. } => (
            format!("History row not used ({code})"),
            format!("A row of the bounce history could not be used ({code})."),
            "Fix the history row as the message says (address, time, reply or enhanced code), or remove it.",
        ),
        Reason::SenderBlocks { .. } => (
            "Blocks against the sender".to_owned(),
            "The bounce history holds blocks against the sender (spam or policy) for addresses of this list: the problem is the sender's reputation or content, not the addresses.".to_owned(),
            "Check the sender's reputation (blocklists, SPF, DKIM, DMARC) and the content before sending.",
        ),
        Reason::BounceRate { .. } => (
            "Projected bounce rate over the limit".to_owned(),
            "The list's projected bounce rate (predicted and historic bounces over its unique addresses) is over max_bounce_rate.".to_owned(),
            "Remove the addresses the other results name, or raise policy.max_bounce_rate in rules.yaml.",
        ),
        Reason::AddedBounceRate { .. } => (
            "Added addresses bounce over the limit".to_owned(),
            "The addresses this change adds to the list (--changed-since), judged on their own, bounce at a rate over max_bounce_rate: a bad import, even if the whole list stays under it.".to_owned(),
            "Remove the bouncing addresses the change adds (the other results name them), or check where the import came from.",
        ),
        Reason::Risk(flag) => {
            let (short, full, help) = flag.describe();
            (short.to_owned(), full.to_owned(), help)
        }
    };
    (short, full, help.to_owned())
}

fn rule(finding: &Finding) -> Rule {
    let code = finding.code();
    let (short, full, help) = describe(&finding.reason);
    Rule {
        id: code.to_owned(),
        name: rule_name(code),
        short_description: Text { text: short },
        full_description: Text { text: full },
        help: Text { text: help },
        default_configuration: Configuration {
            level: level(finding.severity),
        },
    }
}

fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty())
}

/// The report as a SARIF 2.1.0 log, pretty-printed, with a final newline.
pub fn sarif(report: &Report) -> String {
    let findings = ordered(report);
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut results = Vec::with_capacity(findings.len().min(MAX_RESULTS));
    for finding in &findings {
        if results.len() == MAX_RESULTS {
            break;
        }
        let code = finding.code();
        let rule_index = match index.get(code) {
            Some(&i) => {
                // A rule's level is the most severe of its findings.
                if finding.severity == Severity::Error {
                    rules[i].default_configuration.level = "error";
                }
                i
            }
            None => {
                index.insert(code, rules.len());
                rules.push(rule(finding));
                rules.len() - 1
            }
        };
        results.push(SarifResult {
            rule_id: code,
            rule_index,
            level: level(finding.severity),
            message: Text {
                text: finding.message(),
            },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: artifact_uri(&finding.file),
                    },
                    region: Region {
                        start_line: finding.line.unwrap_or(1).max(1),
                    },
                },
            }],
        });
    }
    let mut notifications = Vec::new();
    if findings.len() > results.len() {
        notifications.push(Notification {
            level: "warning",
            message: Text {
                text: format!(
                    "{} of {} findings are left out: GitHub code scanning accepts at most {MAX_RESULTS} results per run. The JSON report (--format json) has them all.",
                    findings.len() - results.len(),
                    findings.len()
                ),
            },
        });
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "bouncegate",
                    information_uri: information_uri(),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            results,
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
