//! SparkPost: its webhook batches (`[{"msys": {"message_event": {...}}}, ...]`), its Events
//! API (`{"results": [...]}`) and its suppression list (JSON, or the CSV of its upload form).
//!
//! An event's `type` is bounce, out_of_band, delay, policy_rejection, spam_complaint, delivery,
//! open, ...; `rcpt_to` the recipient, `timestamp` Unix seconds (a string in webhooks, ISO 8601
//! in the Events API), `raw_reason` the server's reply with `error_code` its code, and
//! `bounce_class` SparkPost's classification (1-100). The reply decides through the rules;
//! the class is the verdict (`bounce/10`) for a record without one, as the provider-verdict
//! rules say: classes 10 and 30 suppress; 1, 20, 21, 22, 24 and 40 count; the blocks (50-54),
//! too large (23), the policies (25, unless the reply says the address was suppressed) and
//! the others say nothing about the address. Class 25 "suppressed due to customer/system
//! policy" is a send SparkPost refused because it had suppressed the address: already
//! suppressed. Class 60 (an auto-reply) and 90 (an unsubscribe) are no bounce, skipped.
//! `delay` is a retry, `spam_complaint` a complaint, `policy_rejection` a refusal of the
//! sender's message (read, not counted).
//!
//! A suppression list entry is suppressed when its `source` is Bounce Rule or Manually Added,
//! a complaint for Spam Complaint; the unsubscribes and Compliance are opt-outs, skipped. The
//! upload CSV (`recipient,type,description`) says no reason: each row is a suppression.

use serde_json::{Map, Value};

use super::csv_export;
use super::json::{self, JsonFile, Node};
use super::{
    ImportError, Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address, flatten, verdict,
};

/// The event types that are bounces, retries, refusals or complaints; the rest is skipped.
const READ_TYPES: [&str; 5] = [
    "bounce",
    "out_of_band",
    "delay",
    "policy_rejection",
    "spam_complaint",
];

/// Classes that are no bounce at all: an auto-reply, an unsubscribe.
const NOT_BOUNCE_CLASSES: [&str; 2] = ["60", "90"];

/// The event inside a webhook batch entry (`{"msys": {"message_event": {...}}}`), or the
/// entry itself (an Events API result).
fn inner<'v>(file: &JsonFile<'_>, node: &Node<'v>) -> Option<Node<'v>> {
    let msys = file.member(node, "msys")?;
    let map = msys.value.as_object()?;
    let key = map.keys().find(|key| key.ends_with("_event"))?.clone();
    file.member(&msys, &key)
}

pub(super) fn is_event(map: &Map<String, Value>) -> bool {
    map.contains_key("msys") || (map.contains_key("rcpt_to") && map.contains_key("type"))
}

pub(super) fn is_suppression(map: &Map<String, Value>) -> bool {
    map.contains_key("recipient") && map.contains_key("source")
}

pub(super) fn import_events(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(
        bytes,
        Source::Sparkpost,
        Some("results"),
        is_event,
        out,
        |file, node| {
            let event_node = inner(file, node).unwrap_or_else(|| node.clone());
            event(&event_node, node)
        },
    )
}

/// The event `node` holds, located at `record` (the batch entry it came in).
fn event(node: &Node<'_>, record: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let kind = json::string(map, "type")?.unwrap_or_default().trim();
    let class = match map.get("bounce_class") {
        Some(Value::String(class)) => class.trim().to_owned(),
        Some(Value::Number(class)) => class.to_string(),
        _ => String::new(),
    };
    if !READ_TYPES.contains(&kind) || NOT_BOUNCE_CLASSES.contains(&class.as_str()) {
        return Ok(None);
    }
    let raw = json::string(map, "raw_rcpt_to")?
        .filter(|raw| !raw.trim().is_empty())
        .or(json::string(map, "rcpt_to")?)
        .ok_or("has no `rcpt_to`: expected the recipient's address")?;
    let address = check_address(raw, "rcpt_to")?;
    let (line, location) = (record.line, record.location());
    let mut event = if kind == "spam_complaint" {
        let fbtype = json::string(map, "fbtype")?;
        let mut event =
            ImportedEvent::complaint(Source::Sparkpost, line, location, address, fbtype);
        event.source_verdict = verdict(&format!("{kind}/{}", fbtype.unwrap_or("abuse")));
        event
    } else {
        let mut event = ImportedEvent::new(Source::Sparkpost, line, location, address);
        let reason = json::string(map, "raw_reason")?
            .filter(|reason| !reason.trim().is_empty())
            .or(json::string(map, "reason")?)
            .unwrap_or_default();
        event.text = flatten(reason, MAX_TEXT_BYTES);
        event.reply = json::integer(map, "error_code", "an SMTP reply code such as 550")?
            .and_then(super::smtp_reply);
        let lower = event.text.to_ascii_lowercase();
        event.already_suppressed = class == "25" && lower.contains("suppressed due to");
        event.source_verdict = verdict(&if class.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}/{class}")
        });
        event
    };
    event.time = json::unix_time(map, "timestamp")?;
    Ok(Some(event))
}

pub(super) fn import_suppressions(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    if bytes.trim_ascii_start().first() != Some(&b'{')
        && bytes.trim_ascii_start().first() != Some(&b'[')
    {
        return import_suppressions_csv(bytes, out);
    }
    json::each_record(
        bytes,
        Source::SparkpostSuppressions,
        Some("results"),
        is_suppression,
        out,
        |_, node, out| {
            let map = node.object()?;
            let source = json::string(map, "source")?.unwrap_or_default().trim();
            let list = json::string(map, "type")?.unwrap_or_default().trim();
            let address = check_address(
                json::required_string(map, "recipient", "the suppressed address")?,
                "recipient",
            )?;
            let here = (node.line, node.location());
            let mut event = match source {
                "Bounce Rule" | "Manually Added" => {
                    let mut event =
                        ImportedEvent::new(Source::SparkpostSuppressions, here.0, here.1, address);
                    event.already_suppressed = true;
                    // "550: Requested action not taken": the reply, written with a colon.
                    let description = json::string(map, "description")?.unwrap_or_default();
                    let description = match description.split_once(": ") {
                        Some((code, rest))
                            if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            format!("{code} {rest}")
                        }
                        _ => description.to_owned(),
                    };
                    event.text = flatten(&description, MAX_TEXT_BYTES);
                    event
                }
                "Spam Complaint" => ImportedEvent::complaint(
                    Source::SparkpostSuppressions,
                    here.0,
                    here.1,
                    address,
                    None,
                ),
                _ => {
                    out.skipped += 1;
                    return Ok(());
                }
            };
            event.time = json::unix_time(map, "created")?;
            event.source_verdict = verdict(&format!("{source}/{list}"));
            out.events.push(event);
            Ok(())
        },
    )
}

/// Whether a CSV header is SparkPost's suppression list upload form.
pub(super) fn is_suppression_csv(bytes: &[u8]) -> bool {
    let names = csv_export::first_header(bytes);
    let has = |want: &str| names.iter().any(|name| name == want);
    has("recipient") && has("description") && (has("type") || has("non_transactional"))
}

fn import_suppressions_csv(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    struct Columns {
        recipient: usize,
        kind: Option<usize>,
        description: Option<usize>,
    }
    csv_export::each_row(
        bytes,
        Source::SparkpostSuppressions,
        |names| {
            let find = |want: &str| names.iter().position(|name| name == want);
            Some(Columns {
                recipient: find("recipient")?,
                kind: find("type"),
                description: find("description"),
            })
        },
        |columns, row, out| {
            let address = check_address(row.cell(Some(columns.recipient)), "recipient")?;
            let mut event = ImportedEvent::new(
                Source::SparkpostSuppressions,
                row.line,
                row.location(),
                address,
            );
            // The upload form says no reason: each row is a suppression.
            event.already_suppressed = true;
            event.text = flatten(row.cell(columns.description), MAX_TEXT_BYTES);
            event.source_verdict = verdict(row.cell(columns.kind));
            out.events.push(event);
            Ok(())
        },
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    #[test]
    fn a_batch_entry_is_its_event_at_the_entry_line() {
        let batch = br#"[
 {"msys":{"message_event":{"type":"bounce","rcpt_to":"ann@gmail.com","timestamp":"1772445600","raw_reason":"550 5.1.1 user unknown","error_code":"550","bounce_class":"10"}}},
 {"msys":{"unsubscribe_event":{"type":"list_unsubscribe","rcpt_to":"bob@gmail.com","timestamp":"1772445600"}}},
 {"msys":{"message_event":{"type":"out_of_band","rcpt_to":"cid@gmail.com","timestamp":"1772445600","bounce_class":"90"}}}
]"#;
        let imported = import(batch, Source::Sparkpost, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 2);
        let event = &imported.events[0];
        assert_eq!(
            (
                event.line,
                event.reply,
                event.time,
                event.source_verdict.as_str()
            ),
            (2, Some(550), Some(1_772_445_600), "bounce/10")
        );
    }
}
