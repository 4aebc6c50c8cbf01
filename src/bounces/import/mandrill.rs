//! Mandrill (Mailchimp Transactional): its webhook events, as the JSON array it posts in the
//! form field `mandrill_events` (the raw form body is read too), and its rejects list.
//!
//! A webhook event is `event` (hard_bounce, soft_bounce, deferral, spam, reject, unsub, send,
//! open, ...), `ts` (Unix seconds; `msg.ts` is when it was sent) and `msg` with `email`,
//! `bounce_description` (Mandrill's word for the bounce: bad_mailbox, mailbox_full, ...) and
//! `diag` (the server's reply, `smtp;550 5.1.1 ...`); a deferral's replies are in
//! `msg.smtp_events[].diag`. A deferral is a retry (read, not counted), spam a complaint, a
//! reject a send Mandrill refused because the address is on its rejects list (already
//! suppressed); unsub and the others are no bounce and are skipped.
//!
//! A rejects list entry is an address Mandrill refuses to send to, with the server's reply in
//! `detail` when a bounce put it there, dated by its last event: `reason` hard-bounce or
//! custom (added by the sender) is an already-suppressed address, soft-bounce a soft bounce,
//! spam a complaint; unsub is an opt-out, skipped.

use serde_json::{Map, Value};

use super::json::{self, JsonFile, Node};
use super::{
    ImportError, Imported, ImportedEvent, Source, check_address, split_diagnostic, verdict,
};

/// The form field Mandrill posts its events in.
const FORM_FIELD: &str = "mandrill_events";

pub(super) fn is_event(map: &Map<String, Value>) -> bool {
    map.contains_key("event") && map.get("msg").is_some_and(Value::is_object)
}

pub(super) fn is_reject(map: &Map<String, Value>) -> bool {
    map.contains_key("email") && map.contains_key("reason") && map.contains_key("expires_at")
}

/// Whether the text is the raw form body Mandrill posts.
pub(super) fn is_form_body(bytes: &[u8]) -> bool {
    bytes
        .trim_ascii_start()
        .starts_with(format!("{FORM_FIELD}=").as_bytes())
}

pub(super) fn import_webhook(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    if !is_form_body(bytes) {
        return json::each_record(bytes, Source::Mandrill, None, is_event, out, event_record);
    }
    // The body is one line: every event in it is at line 1.
    let json = form_urlencoded::parse(bytes.trim_ascii())
        .find(|(key, _)| key == FORM_FIELD)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    json::each_record(
        json.replace('\n', " ").as_bytes(),
        Source::Mandrill,
        None,
        is_event,
        out,
        event_record,
    )
}

fn event_record(file: &JsonFile<'_>, node: &Node<'_>, out: &mut Imported) -> Result<(), String> {
    let map = node.object()?;
    let name =
        json::required_string(map, "event", "the event (hard_bounce, soft_bounce, ...)")?.trim();
    let complaint = name.eq_ignore_ascii_case("spam");
    let rejected = name.eq_ignore_ascii_case("reject");
    if !complaint
        && !rejected
        && !["hard_bounce", "soft_bounce", "deferral"]
            .iter()
            .any(|want| name.eq_ignore_ascii_case(want))
    {
        out.skipped += 1;
        return Ok(());
    }
    let Some(msg) = file.member(node, "msg") else {
        return Err("has no `msg`: expected the message with its email".to_owned());
    };
    let msg_map = msg.object()?;
    let address = check_address(
        json::required_string(msg_map, "email", "the recipient's address")?,
        "msg.email",
    )?;
    let mut event = if complaint {
        ImportedEvent::complaint(Source::Mandrill, node.line, node.location(), address, None)
    } else {
        let mut event = ImportedEvent::new(Source::Mandrill, node.line, node.location(), address);
        (event.reply, event.text) = split_diagnostic(&diagnostic(msg_map)?);
        event.already_suppressed = rejected;
        event
    };
    event.time = json::unix_time(map, "ts")?;
    if !complaint {
        event.source_verdict = verdict(&match json::string(msg_map, "bounce_description")? {
            Some(description) if !description.trim().is_empty() => {
                format!("{name}/{}", description.trim())
            }
            _ => name.to_owned(),
        });
    } else {
        event.source_verdict = verdict(name);
    }
    out.events.push(event);
    Ok(())
}

/// `msg.diag`, else the last reply of `msg.smtp_events` (a deferral's).
fn diagnostic(msg: &Map<String, Value>) -> Result<String, String> {
    if let Some(diag) = json::string(msg, "diag")?.filter(|diag| !diag.trim().is_empty()) {
        return Ok(diag.to_owned());
    }
    let last = match msg.get("smtp_events") {
        Some(Value::Array(events)) => events
            .iter()
            .rev()
            .filter_map(Value::as_object)
            .find_map(|event| event.get("diag").and_then(Value::as_str)),
        _ => None,
    };
    Ok(last.unwrap_or_default().to_owned())
}

pub(super) fn import_rejects(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_record(
        bytes,
        Source::MandrillRejects,
        None,
        is_reject,
        out,
        |_, node, out| {
            let map = node.object()?;
            let reason = json::string(map, "reason")?.unwrap_or_default().trim();
            let address = check_address(
                json::required_string(map, "email", "the rejected address")?,
                "email",
            )?;
            let line = node.line;
            let mut event = match reason {
                "hard-bounce" | "custom" => {
                    let mut event =
                        ImportedEvent::new(Source::MandrillRejects, line, node.location(), address);
                    event.already_suppressed = true;
                    event
                }
                "soft-bounce" => {
                    ImportedEvent::new(Source::MandrillRejects, line, node.location(), address)
                }
                "spam" => ImportedEvent::complaint(
                    Source::MandrillRejects,
                    line,
                    node.location(),
                    address,
                    None,
                ),
                _ => {
                    out.skipped += 1;
                    return Ok(());
                }
            };
            let when = |key: &str| {
                json::text_time(
                    map,
                    key,
                    super::parse_iso,
                    "a time such as 2026-03-02 10:14:07 (UTC)",
                )
            };
            event.time = when("last_event_at")?.or(when("created_at")?);
            // A bounce's detail is the server's reply; without a code, the verdict decides.
            if !event.text.starts_with("Feedback-Type") {
                let detail = json::string(map, "detail")?.unwrap_or_default();
                let (reply, text) = split_diagnostic(detail);
                if reply.is_some() || crate::bounces::codes::find_codes(&text).0.is_some() {
                    (event.reply, event.text) = (reply, text);
                }
            }
            event.source_verdict = verdict(&format!("reject/{reason}"));
            out.events.push(event);
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    const EVENTS: &str = r#"[{"event":"hard_bounce","ts":1772445600,"msg":{"email":"ann@gmail.com","bounce_description":"bad_mailbox","diag":"smtp;550 5.1.1 The email account that you tried to reach does not exist."}},
{"event":"deferral","ts":1772445600,"msg":{"email":"bob@gmx.de","smtp_events":[{"type":"deferred","diag":"451 4.7.1 greylisted"}]}},
{"event":"spam","ts":1772445600,"msg":{"email":"cid@web.de"}},
{"event":"send","ts":1772445600,"msg":{"email":"dan@web.de"}}]"#;

    fn got(imported: &Imported) -> Vec<(&str, Option<u16>, &str, &str)> {
        imported
            .events
            .iter()
            .map(|e| {
                (
                    e.address.as_str(),
                    e.reply,
                    e.text.as_str(),
                    e.source_verdict.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn the_webhook_reads_bounces_deferrals_and_complaints_from_json_or_the_form_body() {
        let expected = vec![
            (
                "ann@gmail.com",
                Some(550),
                "550 5.1.1 The email account that you tried to reach does not exist.",
                "hard_bounce/bad_mailbox",
            ),
            // A reply without its `smtp;` type: the history finds the codes in the text.
            ("bob@gmx.de", None, "451 4.7.1 greylisted", "deferral"),
            ("cid@web.de", None, "Feedback-Type: abuse", "spam"),
        ];
        let json = import(
            EVENTS.as_bytes(),
            Source::Mandrill,
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(got(&json), expected);
        assert_eq!((json.skipped, json.events[1].line), (1, 2));
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair(FORM_FIELD, EVENTS)
            .finish();
        assert!(is_form_body(body.as_bytes()));
        let form = import(body.as_bytes(), Source::Mandrill, &ImportOptions::default()).unwrap();
        assert_eq!(got(&form), expected);
        assert!(form.events.iter().all(|event| event.line == 1));
    }

    #[test]
    fn a_hard_bounce_reject_is_proof() {
        let data = br#"[{"email":"ann@gmail.com","reason":"hard-bounce","detail":"550 mailbox does not exist","created_at":"2026-03-02 10:00:00","expires_at":"2026-04-02 10:00:00","expired":false},
{"email":"bob@gmail.com","reason":"unsub","created_at":"2026-03-02 10:00:00","expires_at":null}]"#;
        let imported = import(data, Source::MandrillRejects, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 1);
        assert!(imported.events[0].already_suppressed);
        assert_eq!(imported.events[0].time, Some(1_772_445_600));
        assert_eq!(imported.events[0].text, "550 mailbox does not exist");
        assert_eq!(imported.events[0].source_verdict, "reject/hard-bounce");
    }
}
