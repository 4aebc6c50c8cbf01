//! Brevo (formerly Sendinblue): its transactional and marketing webhooks (one object, an
//! array, or JSON lines) and its blocked-contacts list.
//!
//! A webhook event is `event`, `email`, `reason` (the server's reply) and times: `ts_epoch`
//! (milliseconds, transactional) or `ts_event` (seconds) are UTC; `date` is Paris time and is
//! not used, nor is a marketing event's `ts`. hard_bounce, soft_bounce and invalid_email are
//! bounces; `deferred` is a retry (read, not counted), unless its reply is a 5xx: then the
//! server refused for good, and it is read as the bounce it is. `blocked` is a send Brevo
//! refused because the contact is blocked (already suppressed), `spam` a complaint;
//! unsubscribed, delivered, opened and the others are skipped.
//!
//! A blocked contact (`{"contacts": [...]}`) is suppressed for `reason.code` hardBounce, a
//! complaint for contactFlaggedAsSpam; the unsubscribes and adminBlocked are opt-outs, skipped.

use serde_json::{Map, Value};

use super::json::{self, Node};
use super::{ImportError, Imported, ImportedEvent, Source, check_address, flatten, verdict};
use crate::bounces::codes;

pub(super) fn is_event(map: &Map<String, Value>) -> bool {
    map.contains_key("event")
        && map.contains_key("email")
        && ["ts_epoch", "ts_event", "message-id", "camp_id"]
            .iter()
            .any(|key| map.contains_key(*key))
}

pub(super) fn is_blocked_contact(map: &Map<String, Value>) -> bool {
    map.contains_key("email") && map.contains_key("blockedAt")
}

pub(super) fn import_webhook(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(
        bytes,
        Source::BrevoWebhook,
        None,
        is_event,
        out,
        |_, node| event(node),
    )
}

fn event(node: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let name = json::required_string(map, "event", "the event (hard_bounce, deferred, ...)")?
        .trim()
        .to_ascii_lowercase();
    let complaint = name == "spam";
    let bounce = matches!(
        name.as_str(),
        "hard_bounce" | "soft_bounce" | "invalid_email" | "deferred" | "blocked"
    );
    if !complaint && !bounce {
        return Ok(None);
    }
    let address = check_address(
        json::required_string(map, "email", "the recipient's address")?,
        "email",
    )?;
    let source = Source::BrevoWebhook;
    let mut event = if complaint {
        ImportedEvent::complaint(source, node.line, node.location(), address, None)
    } else {
        ImportedEvent::new(source, node.line, node.location(), address)
    };
    event.time = time(map)?;
    if complaint {
        event.source_verdict = verdict(&name);
        return Ok(Some(event));
    }
    event.text = flatten(
        json::string(map, "reason")?.unwrap_or_default(),
        super::MAX_TEXT_BYTES,
    );
    let (reply, _) = codes::find_codes(&event.text);
    // A deferral the server answered with a 5xx is no retry: it refused for good.
    let refused = reply.is_some_and(|reply| reply.class() == 5);
    event.source_verdict = verdict(&match name.as_str() {
        "deferred" if refused => "deferred/permanent".to_owned(),
        _ => name.clone(),
    });
    event.already_suppressed = name == "blocked";
    Ok(Some(event))
}

/// The event's UTC time: `ts_epoch` (milliseconds), else `ts_event` (seconds).
fn time(map: &Map<String, Value>) -> Result<Option<i64>, String> {
    if let Some(millis) = json::integer(map, "ts_epoch", "Unix milliseconds")? {
        // Brevo's own sample writes seconds here: a value that small is seconds.
        let seconds = if millis > 100_000_000_000 {
            millis.div_euclid(1000)
        } else {
            millis
        };
        return Ok(Some(seconds));
    }
    json::unix_time(map, "ts_event")
}

pub(super) fn import_blocked(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_record(
        bytes,
        Source::BrevoBlocked,
        Some("contacts"),
        is_blocked_contact,
        out,
        |_, node, out| {
            let map = node.object()?;
            let code = match map.get("reason") {
                Some(Value::Object(reason)) => json::string(reason, "code")?.unwrap_or_default(),
                Some(Value::String(code)) => code.as_str(),
                _ => "",
            }
            .trim();
            let address = check_address(
                json::required_string(map, "email", "the blocked address")?,
                "email",
            )?;
            let source = Source::BrevoBlocked;
            let mut event = match code {
                "hardBounce" => {
                    let mut event = ImportedEvent::new(source, node.line, node.location(), address);
                    event.already_suppressed = true;
                    event
                }
                "contactFlaggedAsSpam" => {
                    ImportedEvent::complaint(source, node.line, node.location(), address, None)
                }
                _ => {
                    out.skipped += 1;
                    return Ok(());
                }
            };
            event.time = json::unix_time(map, "blockedAt")?;
            event.source_verdict = verdict(&format!("blocked/{code}"));
            out.events.push(event);
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    #[test]
    fn times_are_utc_and_a_5xx_deferral_is_no_retry() {
        let data = br#"{"event":"deferred","email":"ann@gmail.com","date":"2026-03-02 11:00:00","ts_epoch":1772445600123,"reason":"550 5.1.1 mailbox unavailable"}
{"event":"deferred","email":"bob@gmail.com","ts_event":1772445600,"reason":"451 4.7.1 greylisted"}
{"event":"opened","email":"cid@gmail.com","ts_event":1772445600}
"#;
        let imported = import(data, Source::BrevoWebhook, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 1);
        let got: Vec<(&str, Option<i64>, &str)> = imported
            .events
            .iter()
            .map(|e| (e.address.as_str(), e.time, e.source_verdict.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("ann@gmail.com", Some(1_772_445_600), "deferred/permanent"),
                ("bob@gmail.com", Some(1_772_445_600), "deferred"),
            ]
        );
    }
}
