//! Resend: its webhook events (one object, an array, or JSON lines) and its suppressions list.
//!
//! An `email.bounced` event is one event per address in `data.to`: `data.bounce.type`
//! (Permanent, Transient, also spelled Temporary, Undetermined) and `subType` (the SES
//! vocabulary) are the verdict; the server's reply is only inside `diagnosticCode[]`.
//! `message` is Resend's own explanation, not the server's: without a diagnostic code the
//! verdict decides, as the provider-verdict rules say. `Suppressed` and `OnAccountSuppressionList` mean Resend did not send
//! because it had suppressed the address before: proof, not a new bounce.
//! `email.delivery_delayed` is a retry (read, not counted), `email.complained` a complaint;
//! the other events (sent, delivered, opened, clicked) are skipped.
//!
//! A suppressions list entry (`object: "suppression"`) is an address Resend stopped mailing:
//! `origin` complaint is a complaint; bounce or manual is an already-suppressed address
//! (Resend will not send to it, and reports a send to it as a bounce).

use serde_json::{Map, Value};

use super::json::{self, JsonFile, Node};
use super::{
    ImportError, Imported, ImportedEvent, Source, check_address, split_diagnostic, verdict,
};

/// Subtypes that say the provider suppressed the address before (as SES writes them).
const SUPPRESSED_SUBTYPES: [&str; 2] = ["Suppressed", "OnAccountSuppressionList"];

pub(super) fn is_webhook(map: &Map<String, Value>) -> bool {
    map.get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.starts_with("email."))
        && map.contains_key("data")
}

pub(super) fn is_suppression(map: &Map<String, Value>) -> bool {
    map.get("object").and_then(Value::as_str) == Some("suppression")
}

pub(super) fn import_webhook(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_record(
        bytes,
        Source::ResendWebhook,
        None,
        is_webhook,
        out,
        webhook_record,
    )
}

fn webhook_record(file: &JsonFile<'_>, node: &Node<'_>, out: &mut Imported) -> Result<(), String> {
    let map = node.object()?;
    let kind = json::required_string(map, "type", "the event type (email.bounced, ...)")?.trim();
    let time = json::unix_time(map, "created_at")?;
    let Some(data) = file.member(node, "data") else {
        return Err("has no `data`: expected the email the event is about".to_owned());
    };
    let data_map = data.object()?;
    let is_complaint = kind.eq_ignore_ascii_case("email.complained");
    let is_retry = kind.eq_ignore_ascii_case("email.delivery_delayed");
    if !is_complaint && !is_retry && !kind.eq_ignore_ascii_case("email.bounced") {
        out.skipped += 1;
        return Ok(());
    }
    let bounce = match data_map.get("bounce") {
        Some(Value::Object(bounce)) => Some(bounce),
        None | Some(Value::Null) => None,
        Some(other) => {
            return Err(format!(
                "has `data.bounce` as {}: expected an object with type, subType and message",
                json::describe(other)
            ));
        }
    };
    let (bounce_type, subtype, text) = match bounce {
        Some(bounce) => (
            json::string(bounce, "type")?.unwrap_or_default().trim(),
            json::string(bounce, "subType")?.unwrap_or_default().trim(),
            diagnostic(bounce),
        ),
        None => ("", "", (None, String::new())),
    };
    // SES's words for a bounce ("Permanent/General"), which the provider-verdict rules know;
    // the event type for the others.
    let source_verdict = verdict(&match (bounce_type, subtype) {
        ("", _) => kind.to_owned(),
        (bounce_type, "") => bounce_type.to_owned(),
        (bounce_type, subtype) => format!("{bounce_type}/{subtype}"),
    });
    let already_suppressed = SUPPRESSED_SUBTYPES
        .iter()
        .any(|s| subtype.eq_ignore_ascii_case(s));
    let recipients = match data_map.get("to") {
        Some(Value::Array(to)) => to.iter().collect::<Vec<_>>(),
        Some(one @ Value::String(_)) => vec![one],
        other => {
            return Err(format!(
                "has `data.to` as {}: expected the recipients' addresses",
                other.map_or_else(|| "nothing".to_owned(), json::describe)
            ));
        }
    };
    for recipient in recipients {
        let Some(raw) = recipient.as_str() else {
            out.problem(
                data.line,
                data.location(),
                format!(
                    "has a recipient as {}: expected an address",
                    json::describe(recipient)
                ),
            );
            continue;
        };
        let address = match check_address(raw, "data.to") {
            Ok(address) => address,
            Err(message) => {
                out.problem(node.line, node.location(), message);
                continue;
            }
        };
        let mut event = if is_complaint {
            ImportedEvent::complaint(
                Source::ResendWebhook,
                node.line,
                node.location(),
                address,
                None,
            )
        } else {
            let mut event =
                ImportedEvent::new(Source::ResendWebhook, node.line, node.location(), address);
            (event.reply, event.text) = text.clone();
            event.already_suppressed = already_suppressed;
            event
        };
        event.time = time;
        event.source_verdict.clone_from(&source_verdict);
        out.events.push(event);
    }
    Ok(())
}

/// The server's reply from `diagnosticCode[]` (a string is taken too).
fn diagnostic(bounce: &Map<String, Value>) -> (Option<u16>, String) {
    let codes: Vec<&str> = match bounce.get("diagnosticCode") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => vec![one.as_str()],
        _ => Vec::new(),
    };
    let joined = codes
        .iter()
        .map(|code| code.trim())
        .filter(|code| !code.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    split_diagnostic(&joined)
}

pub(super) fn import_suppressions(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_record(
        bytes,
        Source::ResendSuppressions,
        Some("data"),
        is_suppression,
        out,
        |_, node, out| {
            let map = node.object()?;
            let origin = json::string(map, "origin")?.unwrap_or_default().trim();
            let address = check_address(
                json::required_string(map, "email", "the suppressed address")?,
                "email",
            )?;
            let time = json::unix_time(map, "created_at")?;
            let mut event = if origin.eq_ignore_ascii_case("complaint") {
                ImportedEvent::complaint(
                    Source::ResendSuppressions,
                    node.line,
                    node.location(),
                    address,
                    None,
                )
            } else {
                let mut event = ImportedEvent::new(
                    Source::ResendSuppressions,
                    node.line,
                    node.location(),
                    address,
                );
                event.already_suppressed = true;
                event
            };
            event.time = time;
            event.source_verdict = verdict(&format!("suppression/{origin}"));
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
    fn a_bounce_is_one_event_per_recipient_with_the_reply_from_the_diagnostic_code() {
        let data = br#"{"type":"email.bounced","created_at":"2026-03-02T10:00:00.000Z","data":{"email_id":"e1","to":["ann@gmail.com","bob@gmx.de"],"bounce":{"type":"Permanent","subType":"General","message":"The recipient's email provider rejected it.","diagnosticCode":["smtp; 550 5.1.1 user unknown"]}}}
{"type":"email.bounced","created_at":"2026-03-02T10:00:00Z","data":{"to":["cid@web.de"],"bounce":{"type":"Permanent","subType":"Suppressed","message":"Suppressed before"}}}
{"type":"email.delivery_delayed","created_at":"2026-03-02T10:00:00Z","data":{"to":["dan@web.de"]}}
{"type":"email.complained","created_at":"2026-03-02T10:00:00Z","data":{"to":["eve@web.de"]}}
{"type":"email.delivered","created_at":"2026-03-02T10:00:00Z","data":{"to":["fay@web.de"]}}
"#;
        let imported = import(data, Source::ResendWebhook, &ImportOptions::default()).unwrap();
        assert_eq!(imported.problems, vec![]);
        assert_eq!(imported.skipped, 1);
        let got: Vec<(&str, Option<u16>, &str, &str, bool)> = imported
            .events
            .iter()
            .map(|e| {
                (
                    e.address.as_str(),
                    e.reply,
                    e.text.as_str(),
                    e.source_verdict.as_str(),
                    e.already_suppressed,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "ann@gmail.com",
                    Some(550),
                    "550 5.1.1 user unknown",
                    "Permanent/General",
                    false
                ),
                (
                    "bob@gmx.de",
                    Some(550),
                    "550 5.1.1 user unknown",
                    "Permanent/General",
                    false
                ),
                ("cid@web.de", None, "", "Permanent/Suppressed", true),
                ("dan@web.de", None, "", "email.delivery_delayed", false),
                (
                    "eve@web.de",
                    None,
                    "Feedback-Type: abuse",
                    "email.complained",
                    false
                ),
            ]
        );
        assert_eq!(imported.events[0].time, Some(1_772_445_600));
    }

    #[test]
    fn a_suppression_is_proof_and_one_for_a_complaint_a_complaint() {
        let data = br#"{"object":"list","data":[
 {"object":"suppression","email":"ann@gmail.com","origin":"bounce","created_at":"2026-03-02T10:00:00Z"},
 {"object":"suppression","email":"bob@gmail.com","origin":"complaint","created_at":"2026-03-02T10:00:00Z"},
 {"object":"suppression","email":"cid@gmail.com","origin":"manual","created_at":"2026-03-02T10:00:00Z"}
]}"#;
        let imported = import(data, Source::ResendSuppressions, &ImportOptions::default()).unwrap();
        assert_eq!(imported.events.len(), 3);
        assert!(imported.events[0].already_suppressed);
        assert!(imported.events[2].already_suppressed);
        assert_eq!(imported.events[1].text, "Feedback-Type: abuse");
        assert_eq!(imported.events[1].line, 3);
    }
}
