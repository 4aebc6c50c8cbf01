//! Amazon SES bounce notifications: an SNS envelope (`{"Type": "Notification", "Message":
//! "<the notification as a JSON string>"}`) or the plain notification, with
//! `notificationType` (or `eventType`, event publishing) `Bounce`, one event per
//! `bounce.bouncedRecipients[]` entry; `Complaint`, one complaint per
//! `complaint.complainedRecipients[]` entry; other notifications (Delivery, Send, Open, SNS
//! subscription confirmations) are skipped. A file holds one notification, an array of them, or
//! JSON lines.

use serde_json::{Map, Value};

use super::json::{self, JsonFile, Node};
use super::{
    ImportError, Imported, ImportedEvent, Source, check_address, enhanced_code, parse_iso,
    split_diagnostic, verdict,
};

/// SES's sub-types for an address it would not send to because it suppresses it already.
const SUPPRESSED_SUBTYPES: [&str; 2] = ["OnAccountSuppressionList", "Suppressed"];

const ISO: &str = "an ISO 8601 time such as 2026-03-02T10:14:00.000Z";

fn is_record(map: &Map<String, Value>) -> bool {
    map.contains_key("Message")
        || map.contains_key("notificationType")
        || map.contains_key("eventType")
        || map.contains_key("bounce")
}

pub(super) fn import(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_record(bytes, Source::Ses, None, is_record, out, notification)
}

/// One notification, enveloped or not.
fn notification(file: &JsonFile<'_>, node: &Node<'_>, out: &mut Imported) -> Result<(), String> {
    let map = node.object()?;
    let (Some(kind), Some(message)) = (map.get("Type"), map.get("Message")) else {
        return notification_body(file, node, None, out);
    };
    // The SNS envelope.
    if kind.as_str() != Some("Notification") {
        out.skipped += 1;
        return Ok(());
    }
    let sent = json::text_time(map, "Timestamp", parse_iso, ISO)?;
    let parsed;
    let inner = match message {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|error| {
                format!(
                    "has a `Message` that is not JSON ({error}): expected the SES notification as a JSON string"
                )
            })?;
            Node::detached(&parsed, format!("{}.Message → $", node.path), node.line)
        }
        Value::Object(_) => match file.member(node, "Message") {
            Some(inner) => inner,
            None => return Ok(()),
        },
        other => {
            return Err(format!(
                "has `Message` as {}: expected the SES notification as a JSON string",
                json::describe(other)
            ));
        }
    };
    notification_body(file, &inner, sent, out)
}

/// A message about a member of the record, with the member's path.
fn at(path: &str) -> impl Fn(String) -> String + '_ {
    move |message| {
        if path == "$" {
            message
        } else {
            format!("{message} (at {path})")
        }
    }
}

/// bounceType, bounceSubType and timestamp.
fn bounce_fields(bounce: &Map<String, Value>) -> Result<(&str, &str, Option<i64>), String> {
    let bounce_type = json::string(bounce, "bounceType")?.unwrap_or_default();
    let subtype = json::string(bounce, "bounceSubType")?.unwrap_or_default();
    let time = json::text_time(bounce, "timestamp", parse_iso, ISO)?;
    Ok((bounce_type.trim(), subtype.trim(), time))
}

fn notification_body(
    file: &JsonFile<'_>,
    node: &Node<'_>,
    sent: Option<i64>,
    out: &mut Imported,
) -> Result<(), String> {
    let problem = at(&node.path);
    let map = node.object().map_err(&problem)?;
    let kind = match (
        json::string(map, "notificationType").map_err(&problem)?,
        json::string(map, "eventType").map_err(&problem)?,
    ) {
        (Some(kind), _) | (None, Some(kind)) => kind.trim(),
        (None, None) => {
            return Err(problem(
                "has no `notificationType` or `eventType`: expected an SES notification (Bounce, Complaint, Delivery, ...)"
                    .to_owned(),
            ));
        }
    };
    if kind.eq_ignore_ascii_case("Complaint") {
        return complaint(file, node, sent, out);
    }
    if !kind.eq_ignore_ascii_case("Bounce") {
        out.skipped += 1;
        return Ok(());
    }
    let Some(bounce) = file.member(node, "bounce") else {
        return Err(problem(
            "is a Bounce without `bounce`: expected the bounce object with bounceType and bouncedRecipients"
                .to_owned(),
        ));
    };
    let bounce_map = bounce.object().map_err(at(&bounce.path))?;
    let (bounce_type, subtype, time) = bounce_fields(bounce_map).map_err(at(&bounce.path))?;
    let source_verdict = verdict(&if subtype.is_empty() {
        bounce_type.to_owned()
    } else {
        format!("{bounce_type}/{subtype}")
    });
    let already_suppressed = SUPPRESSED_SUBTYPES
        .iter()
        .any(|s| subtype.eq_ignore_ascii_case(s));
    let recipients = match file.member(&bounce, "bouncedRecipients") {
        Some(list) if list.value.as_array().is_some_and(|items| !items.is_empty()) => {
            file.elements(&list)
        }
        Some(list) if list.value.is_array() => {
            return Err(format!(
                "has no recipients in {}: expected at least one {{\"emailAddress\": ...}}",
                list.path
            ));
        }
        Some(list) => {
            return Err(format!(
                "has {} as {}: expected an array of recipients",
                list.path,
                json::describe(list.value)
            ));
        }
        None => {
            return Err(format!(
                "has no `bouncedRecipients` (at {}): expected the bounced recipients",
                bounce.path
            ));
        }
    };
    for recipient in recipients {
        let read = || {
            let map = recipient.object()?;
            let address = check_address(
                json::required_string(map, "emailAddress", "the bounced address")?,
                "emailAddress",
            )?;
            let mut event =
                ImportedEvent::new(Source::Ses, recipient.line, recipient.location(), address);
            event.time = time.or(sent);
            event.enhanced = json::string(map, "status")?.and_then(enhanced_code);
            let (reply, text) =
                split_diagnostic(json::string(map, "diagnosticCode")?.unwrap_or_default());
            event.reply = reply;
            event.text = text;
            event.source_verdict.clone_from(&source_verdict);
            event.already_suppressed = already_suppressed;
            Ok::<_, String>(event)
        };
        match read() {
            Ok(event) => out.events.push(event),
            Err(message) => out.problem(recipient.line, recipient.location(), message),
        }
    }
    Ok(())
}

/// A complaint notification: one complaint event per complained recipient.
fn complaint(
    file: &JsonFile<'_>,
    node: &Node<'_>,
    sent: Option<i64>,
    out: &mut Imported,
) -> Result<(), String> {
    let Some(complaint) = file.member(node, "complaint") else {
        return Err(at(&node.path)(
            "is a Complaint without `complaint`: expected the complaint object with complainedRecipients"
                .to_owned(),
        ));
    };
    let map = complaint.object().map_err(at(&complaint.path))?;
    let feedback_type = json::string(map, "complaintFeedbackType").map_err(at(&complaint.path))?;
    let time = json::text_time(map, "timestamp", parse_iso, ISO).map_err(at(&complaint.path))?;
    let recipients = match file.member(&complaint, "complainedRecipients") {
        Some(list) if list.value.is_array() => file.elements(&list),
        _ => {
            return Err(format!(
                "has no `complainedRecipients` array (at {}): expected the complaining recipients",
                complaint.path
            ));
        }
    };
    for recipient in recipients {
        let read = || {
            let map = recipient.object()?;
            let address = check_address(
                json::required_string(map, "emailAddress", "the complaining address")?,
                "emailAddress",
            )?;
            let mut event = ImportedEvent::complaint(
                Source::Ses,
                recipient.line,
                recipient.location(),
                address,
                feedback_type,
            );
            event.time = time.or(sent);
            event.source_verdict = verdict(&match feedback_type {
                Some(kind) => format!("Complaint/{kind}"),
                None => "Complaint".to_owned(),
            });
            Ok::<_, String>(event)
        };
        match read() {
            Ok(event) => out.events.push(event),
            Err(message) => out.problem(recipient.line, recipient.location(), message),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    #[test]
    fn reads_sns_wrapped_and_plain_notifications() {
        let inner = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"a@x.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2026-03-02T00:00:00.000Z"},"mail":{}}"#;
        let envelope = serde_json::json!({"Type": "Notification", "Message": inner, "Timestamp": "2026-03-03T00:00:00.000Z"});
        let data = format!(
            "{}\n{}\n{}\n",
            envelope,
            r#"{"eventType":"Delivery","mail":{}}"#,
            r#"{"eventType":"Bounce","bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull","bouncedRecipients":[{"emailAddress":"b@x.com"},{"emailAddress":""}]}}"#
        );
        let imported = import(data.as_bytes(), Source::Ses, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 1);
        let events = &imported.events;
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].address, "a@x.com");
        assert_eq!(events[0].reply, Some(550));
        assert_eq!(events[0].text, "550 5.1.1 user unknown");
        assert_eq!(events[0].time, Some(1_772_409_600));
        assert_eq!(events[0].source_verdict, "Permanent/General");
        assert_eq!(
            events[0].location,
            "$.Message → $.bounce.bouncedRecipients[0] (line 1)"
        );
        assert_eq!(events[1].source_verdict, "Transient/MailboxFull");
        assert_eq!(events[1].line, 3);
        assert_eq!(imported.problems.len(), 1);
        assert_eq!(
            imported.problems[0].location,
            "$.bounce.bouncedRecipients[1] (line 3)"
        );
    }

    #[test]
    fn a_message_that_is_not_json_is_a_problem() {
        let data = br#"{"Type": "Notification", "Message": "{\"notificationType\": \"Bou"}"#;
        let imported = import(data, Source::Ses, &ImportOptions::default()).unwrap();
        assert_eq!(imported.events.len(), 0);
        assert!(imported.problems[0].message.contains("not JSON"));
    }
}
