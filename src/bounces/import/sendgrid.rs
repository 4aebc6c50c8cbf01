//! SendGrid: the bounces and blocks CSV export, the suppression API's JSON (both `created`,
//! `email`, `reason`, `status`) and the event webhook (`event`, `email`, `timestamp`, `reason`
//! or `response`, `status`, `type`).
//!
//! SendGrid's `status` is the enhanced code; it has no reply code field (the caller finds one
//! in the reason text). The export and the suppression list have no event type, so their
//! verdict is the `type` column when there is one, else `status` verbatim.

use serde_json::{Map, Value};

use super::csv_export;
use super::json::{self, Node};
use super::{
    ImportError, Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address, enhanced_code,
    flatten, parse_iso, verdict,
};

const REQUIRED: [&str; 4] = ["created", "email", "reason", "status"];

/// The columns of an export.
struct Columns {
    created: Option<usize>,
    email: usize,
    reason: Option<usize>,
    status: Option<usize>,
    kind: Option<usize>,
}

/// Whether the first line is a SendGrid export header: `created`, `email`, `reason`, `status`.
pub(super) fn is_csv_header(bytes: &[u8]) -> bool {
    let names = csv_export::first_header(bytes);
    REQUIRED.iter().all(|want| names.iter().any(|n| n == want))
}

/// The columns of a header with `email` and `reason` or `status`.
fn find_columns(names: &[String]) -> Option<Columns> {
    let find = |want: &str| names.iter().position(|name| name == want);
    let (email, reason, status) = (find("email")?, find("reason"), find("status"));
    (reason.is_some() || status.is_some()).then(|| Columns {
        created: find("created"),
        email,
        reason,
        status,
        kind: find("type"),
    })
}

pub(super) fn import_csv(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    csv_export::each_row(
        bytes,
        Source::SendgridCsv,
        find_columns,
        |columns, row, out| {
            let row_cells = Suppression {
                email: row.cell(Some(columns.email)),
                created: match row.cell(columns.created) {
                    "" => Ok(None),
                    value => parse_iso(value).map(Some).ok_or_else(|| {
                        format!(
                            "has the time '{}' in `created`: expected Unix seconds or YYYY-MM-DD HH:MM:SS",
                            super::shorten(value, 40)
                        )
                    }),
                },
                reason: row.cell(columns.reason),
                status: row.cell(columns.status),
                kind: row.cell(columns.kind),
            };
            out.events
                .push(row_cells.event(Source::SendgridCsv, row.line, row.location())?);
            Ok(())
        },
        out,
    )
}

/// A row of the export or an object of the suppression list.
struct Suppression<'a> {
    email: &'a str,
    created: Result<Option<i64>, String>,
    reason: &'a str,
    status: &'a str,
    kind: &'a str,
}

impl Suppression<'_> {
    fn event(self, source: Source, line: u64, location: String) -> Result<ImportedEvent, String> {
        let address = check_address(self.email, "email")?;
        let mut event = ImportedEvent::new(source, line, location, address);
        event.time = self.created?;
        event.enhanced = enhanced_code(self.status);
        event.text = flatten(self.reason, MAX_TEXT_BYTES);
        event.source_verdict = verdict(if self.kind.is_empty() {
            self.status
        } else {
            self.kind
        });
        Ok(event)
    }
}

fn is_record(map: &Map<String, Value>) -> bool {
    map.contains_key("email")
}

pub(super) fn import_json(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(
        bytes,
        Source::SendgridJson,
        None,
        is_record,
        out,
        |_, node| suppression_record(node),
    )
}

fn suppression_record(node: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let row = Suppression {
        email: json::required_string(map, "email", "the bounced address")?,
        created: json::unix_time(map, "created"),
        reason: json::string(map, "reason")?.unwrap_or_default(),
        status: json::string(map, "status")?.unwrap_or_default(),
        kind: json::string(map, "type")?.unwrap_or_default(),
    };
    row.event(Source::SendgridJson, node.line, node.location())
        .map(Some)
}

/// The webhook events that are bounces; `spamreport` is a complaint, and the others
/// (processed, delivered, open, click, ...) are skipped.
const BOUNCE_EVENTS: [&str; 4] = ["bounce", "deferred", "dropped", "blocked"];

pub(super) fn import_webhook(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(
        bytes,
        Source::SendgridWebhook,
        None,
        is_record,
        out,
        |_, node| webhook_record(node),
    )
}

fn webhook_record(node: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let name = json::required_string(
        map,
        "event",
        "the event name (bounce, deferred, dropped, blocked, delivered, ...)",
    )?
    .trim();
    if name.eq_ignore_ascii_case("spamreport") {
        return json::complaint(Source::SendgridWebhook, node, "email", "timestamp", name)
            .map(Some);
    }
    if !BOUNCE_EVENTS
        .iter()
        .any(|want| name.eq_ignore_ascii_case(want))
    {
        return Ok(None);
    }
    let address = check_address(
        json::required_string(map, "email", "the bounced address")?,
        "email",
    )?;
    let mut event =
        ImportedEvent::new(Source::SendgridWebhook, node.line, node.location(), address);
    event.time = json::unix_time(map, "timestamp")?;
    let reason = json::string(map, "reason")?
        .filter(|reason| !reason.trim().is_empty())
        .or(json::string(map, "response")?)
        .unwrap_or_default();
    event.text = flatten(reason, MAX_TEXT_BYTES);
    event.enhanced = json::string(map, "status")?.and_then(enhanced_code);
    event.source_verdict = verdict(&match json::string(map, "type")?.map(str::trim) {
        Some(kind) if !kind.is_empty() => format!("{name}/{kind}"),
        _ => name.to_owned(),
    });
    let dropped = name.eq_ignore_ascii_case("dropped");
    event.already_suppressed = dropped && reason.trim().eq_ignore_ascii_case("Bounced Address");
    // Other drops (an unsubscribe, a spam report, a bad header) say nothing of bounces.
    if dropped && !event.already_suppressed {
        return Ok(None);
    }
    Ok(Some(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    fn read(bytes: &[u8], source: Source) -> Imported {
        import(bytes, source, &ImportOptions::default()).unwrap()
    }

    #[test]
    fn reads_an_export_with_both_time_forms() {
        let data = b"\xEF\xBB\xBFcreated,email,reason,status\r\n1772409600,a@x.com,\"550 5.1.1 no such user\",5.1.1\r\n2026-03-02 10:00:00,b@x.com,421 try later,4.0.0\r\n";
        assert!(is_csv_header(b"Created;Email;Reason;Status\n"));
        assert!(!is_csv_header(b"email,reason\n"));
        let imported = read(data, Source::SendgridCsv);
        assert_eq!(imported.problems, vec![]);
        let events = &imported.events;
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].line, 2);
        assert_eq!(events[0].time, Some(1_772_409_600));
        assert_eq!(events[0].enhanced.as_deref(), Some("5.1.1"));
        assert_eq!(events[0].source_verdict, "5.1.1");
        assert_eq!(events[1].time, Some(1_772_445_600));
    }

    #[test]
    fn export_rows_that_cannot_be_read_are_problems() {
        let data = b"created,email,reason,status\nyesterday,a@x.com,x,5.1.1\n1772409600,,x,5.1.1\n1,2\n1772409600,c@x.com,b\xE9d,5.1.1\n";
        let imported = read(data, Source::SendgridCsv);
        assert_eq!(imported.events.len(), 0);
        let lines: Vec<u64> = imported.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert!(imported.problems[0].message.contains("'yesterday'"));
        assert!(imported.problems[1].message.contains("empty `email`"));
        let error = import(
            b"a,b\n1,2\n",
            Source::SendgridCsv,
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("'a', 'b'"), "{error}");
    }

    #[test]
    fn reads_webhook_events_and_skips_the_others() {
        let data = br#"[
  {"email": "a@x.com", "timestamp": 1772409600, "event": "bounce", "reason": "550 5.1.1 unknown", "status": "5.1.1", "type": "bounce"},
  {"email": "b@x.com", "timestamp": 1772409600, "event": "delivered", "response": "250 OK"},
  {"email": "c@x.com", "timestamp": "1772409600", "event": "dropped", "reason": "Bounced Address"},
  {"email": 7, "timestamp": 1772409600, "event": "bounce"},
  {"email": "d@x.com", "timestamp": 1772409600, "event": "deferred", "response": "451 4.7.1 greylisted", "attempt": "1"},
  {"email": "e@x.com", "timestamp": 1772409600, "event": "spamreport"}
]"#;
        let imported = read(data, Source::SendgridWebhook);
        assert_eq!(imported.skipped, 1);
        let got: Vec<(&str, &str, bool, u64)> = imported
            .events
            .iter()
            .map(|e| {
                (
                    e.address.as_str(),
                    e.source_verdict.as_str(),
                    e.already_suppressed,
                    e.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("a@x.com", "bounce/bounce", false, 2),
                ("c@x.com", "dropped", true, 4),
                ("d@x.com", "deferred", false, 6),
                ("e@x.com", "spamreport", false, 7),
            ]
        );
        // A spam report is a complaint: the text the rules read as `feedback`.
        assert_eq!(imported.events[3].text, "Feedback-Type: abuse");
        assert_eq!(imported.events[2].text, "451 4.7.1 greylisted");
        assert_eq!(imported.problems.len(), 1);
        assert_eq!(imported.problems[0].location, "$[3] (line 5)");
        assert!(imported.problems[0].message.contains("the number 7"));
    }
}
