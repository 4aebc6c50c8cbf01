//! Mailgun: the events API (`{"items": [...]}` of events; only `failed` ones are bounces) and
//! the bounces API (`{"items": [...]}` of `address`, `code`, `error`, `created_at`).
//!
//! An events file may also be a bare array or JSON lines of events, as webhooks store them.
//! `delivery-status.code` is an SMTP reply only from 200 to 599: Mailgun's own codes (605,
//! "not delivering to previously bounced address") are not, and 605 or the reason
//! `suppress-bounce` mark the event as a re-suppression, not a new bounce.

use serde_json::{Map, Value};

use super::json::{self, Node};
use super::{
    ImportError, Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address, enhanced_code,
    flatten, parse_rfc2822, smtp_reply, verdict,
};

/// Mailgun's code for a message it did not send because the address bounced before.
const SUPPRESSED_CODE: i64 = 605;

pub(super) fn import_events(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(
        bytes,
        Source::MailgunEvents,
        Some("items"),
        |map| map.contains_key("event"),
        out,
        |_, node| event_record(node),
    )
}

fn event_record(node: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let name = json::required_string(
        map,
        "event",
        "the event name (failed, delivered, accepted, ...)",
    )?
    .trim();
    if name.eq_ignore_ascii_case("complained") {
        return json::complaint(Source::MailgunEvents, node, "recipient", "timestamp", name)
            .map(Some);
    }
    if !name.eq_ignore_ascii_case("failed") {
        return Ok(None);
    }
    let address = check_address(
        json::required_string(map, "recipient", "the recipient's address")?,
        "recipient",
    )?;
    let mut event = ImportedEvent::new(Source::MailgunEvents, node.line, node.location(), address);
    event.time = json::unix_time(map, "timestamp")?;
    let severity = json::string(map, "severity")?
        .map(str::trim)
        .unwrap_or_default();
    let reason = json::string(map, "reason")?
        .map(str::trim)
        .unwrap_or_default();
    let mut code = None;
    if let Some(status) = delivery_status(map)? {
        code = json::integer(status, "code", "a number such as 550")
            .map_err(|message| format!("{message} (in `delivery-status`)"))?;
        event.reply = code.and_then(|code| {
            if code == SUPPRESSED_CODE {
                None
            } else {
                smtp_reply(code)
            }
        });
        let text = [
            json::string(status, "message")?,
            json::string(status, "description")?,
        ]
        .into_iter()
        .flatten()
        .find(|text| !text.trim().is_empty())
        .unwrap_or_default();
        event.text = flatten(text, MAX_TEXT_BYTES);
        event.enhanced = json::string(status, "enhanced-code")?.and_then(enhanced_code);
    }
    event.source_verdict = verdict(
        &[name, severity, reason]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("/"),
    );
    // Mailgun's 605 stands for any suppression: only `suppress-bounce` (or a 605 without a
    // reason) is about bounces; an unsubscribe or a complaint is no bounce at all.
    let suppression = reason.starts_with("suppress-") || code == Some(SUPPRESSED_CODE);
    event.already_suppressed =
        suppression && (reason.eq_ignore_ascii_case("suppress-bounce") || reason.is_empty());
    if suppression && !event.already_suppressed {
        return Ok(None);
    }
    Ok(Some(event))
}

fn delivery_status(map: &Map<String, Value>) -> Result<Option<&Map<String, Value>>, String> {
    json::object(map, "delivery-status")
}

pub(super) fn import_bounces(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_record(
        bytes,
        Source::MailgunBounces,
        Some("items"),
        |map| map.contains_key("address"),
        out,
        |_, node, out| {
            out.events.push(bounce_record(node)?);
            Ok(())
        },
    )
}

fn bounce_record(node: &Node<'_>) -> Result<ImportedEvent, String> {
    let map = node.object()?;
    let address = check_address(
        json::required_string(map, "address", "the bounced address")?,
        "address",
    )?;
    let mut event = ImportedEvent::new(Source::MailgunBounces, node.line, node.location(), address);
    event.time = json::text_time(
        map,
        "created_at",
        parse_rfc2822,
        "an RFC 2822 date such as \"Fri, 21 Oct 2011 11:02:55 UTC\"",
    )?;
    event.reply =
        json::integer(map, "code", "an SMTP reply code such as 550")?.and_then(smtp_reply);
    event.text = flatten(
        json::string(map, "error")?.unwrap_or_default(),
        MAX_TEXT_BYTES,
    );
    event.source_verdict = "bounce".to_owned();
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    #[test]
    fn internal_codes_are_not_replies_and_605_is_a_resuppression() {
        let data = br#"{"items": [
 {"event": "failed", "severity": "permanent", "reason": "suppress-bounce", "recipient": "a@x.com",
  "timestamp": 1772409600.52, "delivery-status": {"code": 605, "message": "", "description": "Not delivering to previously bounced address"}},
 {"event": "failed", "severity": "temporary", "reason": "generic", "recipient": "b@x.com",
  "timestamp": 1772409600, "delivery-status": {"code": "452", "message": "4.2.2 mailbox full", "enhanced-code": "4.2.2"}},
 {"event": "delivered", "recipient": "c@x.com", "timestamp": 1772409600},
 {"event": "failed", "recipient": "d@x.com", "timestamp": "never", "delivery-status": {"code": 550}},
 {"event": "failed", "recipient": "e@x.com", "delivery-status": {"code": [550]}}
], "paging": {}}"#;
        let imported = import(data, Source::MailgunEvents, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 1);
        let events = &imported.events;
        assert_eq!(events.len(), 2);
        assert_eq!(
            (events[0].reply, events[0].already_suppressed),
            (None, true)
        );
        assert_eq!(
            events[0].text,
            "Not delivering to previously bounced address"
        );
        assert_eq!(events[0].time, Some(1_772_409_600));
        assert_eq!(events[0].source_verdict, "failed/permanent/suppress-bounce");
        assert_eq!(events[0].line, 2);
        assert_eq!(
            (events[1].reply, events[1].already_suppressed),
            (Some(452), false)
        );
        assert_eq!(events[1].enhanced.as_deref(), Some("4.2.2"));
        let problems: Vec<(&str, bool)> = imported
            .problems
            .iter()
            .map(|p| (p.location.as_str(), p.message.contains("expected")))
            .collect();
        assert_eq!(
            problems,
            vec![("$.items[3] (line 7)", true), ("$.items[4] (line 8)", true)]
        );
    }

    /// A `complained` event is a complaint; other events that are no failure are skipped.
    #[test]
    fn a_complaint_is_read_and_other_events_skipped() {
        let data = br#"{"items": [
 {"event": "complained", "recipient": "a@x.com", "timestamp": 1772409600.5},
 {"event": "delivered", "recipient": "b@x.com", "timestamp": 1772409600}
]}"#;
        let imported = import(data, Source::MailgunEvents, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 1);
        let event = &imported.events[0];
        assert_eq!(
            (
                event.address.as_str(),
                event.text.as_str(),
                event.source_verdict.as_str(),
                event.time
            ),
            (
                "a@x.com",
                "Feedback-Type: abuse",
                "complained",
                Some(1_772_409_600)
            )
        );
    }

    #[test]
    fn reads_bounces_with_rfc2822_dates() {
        let data = br#"{"items": [{"address": "a@x.com", "code": "550", "error": "No such mailbox", "created_at": "Fri, 21 Oct 2011 11:02:55 UTC"},
 {"address": "b@x.com", "code": 605, "error": "", "created_at": "Fri, 21 Oct 2011 11:02:55 GMT"},
 {"address": "c@x.com", "code": "550", "created_at": "21/10/2011"}]}"#;
        let imported = import(data, Source::MailgunBounces, &ImportOptions::default()).unwrap();
        assert_eq!(imported.events.len(), 2);
        assert_eq!(imported.events[0].time, Some(1_319_194_975));
        assert_eq!(imported.events[0].reply, Some(550));
        assert_eq!(imported.events[1].reply, None);
        assert_eq!(imported.problems.len(), 1);
        assert!(imported.problems[0].message.contains("RFC 2822"));
    }
}
