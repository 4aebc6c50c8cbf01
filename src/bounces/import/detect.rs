//! Which format a file is, from its content: JSON by the shape of its first records (or, when
//! the JSON is broken, by the keys it names, so that the right importer reports where it
//! breaks), a SendGrid export by its header, a DSN by its `message/delivery-status` part, a
//! Postfix log by its delivery lines.

use serde_json::{Map, Value};

use super::json::JsonFile;
use super::{
    Source, azure, brevo, dsn, mailchimp, mailjet, mandrill, postfix, resend, sendgrid, sparkpost,
};

/// How much of a broken JSON file is searched for the keys that name its format.
const SNIFF_BYTES: usize = 64 * 1024;

/// Which known non-generic format the bytes are, from their content (not the file name).
/// None: not one of these (the caller then tries its generic CSV reader).
pub fn detect(bytes: &[u8]) -> Option<Source> {
    detect_all(bytes).first().copied()
}

/// Every format whose detector takes the bytes, the most likely first: more than one only
/// when a record holds the fields that name two senders (the caller says so, and asks for
/// `--history-format`).
pub fn detect_all(bytes: &[u8]) -> Vec<Source> {
    let Ok(bytes) = crate::table::decode_prelude(bytes) else {
        return Vec::new();
    };
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Vec::new();
    };
    if matches!(first, b'{' | b'[') {
        return detect_json(&bytes);
    }
    detect_text(&bytes).into_iter().collect()
}

fn detect_text(bytes: &[u8]) -> Option<Source> {
    if let Some(source) = mailchimp::export_kind(bytes) {
        return Some(source);
    }
    if mailchimp::is_webhook(bytes) {
        return Some(Source::MailchimpWebhook);
    }
    if azure::is_log_csv(bytes) {
        return Some(Source::AzureLogs);
    }
    if sparkpost::is_suppression_csv(bytes) {
        return Some(Source::SparkpostSuppressions);
    }
    if mandrill::is_form_body(bytes) {
        return Some(Source::Mandrill);
    }
    if sendgrid::is_csv_header(bytes) {
        return Some(Source::SendgridCsv);
    }
    if dsn::looks_like(bytes) {
        return Some(Source::Dsn);
    }
    if postfix::looks_like(bytes) {
        return Some(Source::Postfix);
    }
    None
}

fn detect_json(bytes: &[u8]) -> Vec<Source> {
    // The source only words the error, which is not used here.
    match JsonFile::read(bytes, Source::SendgridJson) {
        Ok(file) => file
            .roots()
            .iter()
            .map(|root| classify_top(root.value))
            .find(|found| !found.is_empty())
            .unwrap_or_default(),
        Err(_) => sniff_keys(bytes).into_iter().collect(),
    }
}

fn classify_top(value: &Value) -> Vec<Source> {
    match value {
        // An empty list is an empty history whatever its format.
        Value::Array(items) if items.is_empty() => vec![Source::SendgridJson],
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_object)
            .map(classify_record)
            .find(|found| !found.is_empty())
            .unwrap_or_default(),
        Value::Object(map) => {
            classify_object(map).map_or_else(|| classify_record(map), |one| vec![one])
        }
        _ => Vec::new(),
    }
}

/// A top-level object that holds its records: an API response.
fn classify_object(map: &Map<String, Value>) -> Option<Source> {
    {
        if let Some(items) = map.get("items") {
            let items = items.as_array()?;
            let first = items.iter().find_map(Value::as_object);
            return match first {
                Some(item) if item.contains_key("address") && !item.contains_key("event") => {
                    Some(Source::MailgunBounces)
                }
                _ => Some(Source::MailgunEvents),
            };
        }
        if map.contains_key("Bounces") {
            return Some(Source::Postmark);
        }
        if azure::is_log_json(map) {
            return Some(Source::AzureLogs);
        }
        // SparkPost's Events API and suppression list: `{"results": [...]}`.
        if let Some(Value::Array(items)) = map.get("results")
            && let Some(first) = items.iter().find_map(Value::as_object)
        {
            if sparkpost::is_event(first) {
                return Some(Source::Sparkpost);
            }
            if sparkpost::is_suppression(first) {
                return Some(Source::SparkpostSuppressions);
            }
        }
        // Brevo's blocked contacts: `{"contacts": [...], "count": n}`.
        if let Some(Value::Array(items)) = map.get("contacts")
            && let Some(first) = items.iter().find_map(Value::as_object)
            && brevo::is_blocked_contact(first)
        {
            return Some(Source::BrevoBlocked);
        }
        // A list response: `{"object": "list", "data": [...]}` (Resend).
        if let Some(Value::Array(items)) = map.get("data")
            && let Some(first) = items.iter().find_map(Value::as_object)
            && resend::is_suppression(first)
        {
            return Some(Source::ResendSuppressions);
        }
        None
    }
}

/// Whether a record holds a sender's own fields.
type Fits = fn(&Map<String, Value>) -> bool;

/// The newer senders' records, each known by fields no other sender writes.
const SPECIFIC: [(Fits, Source); 10] = [
    (resend::is_webhook, Source::ResendWebhook),
    (resend::is_suppression, Source::ResendSuppressions),
    (azure::is_event, Source::AzureEventGrid),
    (sparkpost::is_event, Source::Sparkpost),
    (sparkpost::is_suppression, Source::SparkpostSuppressions),
    (mailjet::is_event, Source::Mailjet),
    (brevo::is_event, Source::BrevoWebhook),
    (brevo::is_blocked_contact, Source::BrevoBlocked),
    (mandrill::is_event, Source::Mandrill),
    (mandrill::is_reject, Source::MandrillRejects),
];

/// The formats a record fits: the senders whose own fields it holds (two of them only when it
/// mixes their fields), else the first of the older detectors that takes it.
fn classify_record(map: &Map<String, Value>) -> Vec<Source> {
    let specific: Vec<Source> = SPECIFIC
        .iter()
        .filter(|(fits, _)| fits(map))
        .map(|(_, source)| *source)
        .collect();
    if !specific.is_empty() {
        return specific;
    }
    classify_older(map).into_iter().collect()
}

fn classify_older(map: &Map<String, Value>) -> Option<Source> {
    let has = |key: &str| map.contains_key(key);
    if (map.get("Type").is_some_and(Value::is_string) && has("Message"))
        || has("notificationType")
        || (has("eventType") && (has("mail") || has("bounce")))
    {
        Some(Source::Ses)
    } else if has("event") && has("recipient") {
        Some(Source::MailgunEvents)
    } else if has("event") && has("email") {
        Some(Source::SendgridWebhook)
    } else if has("Email") && (has("BouncedAt") || has("TypeCode") || has("Type")) {
        Some(Source::Postmark)
    } else if has("email") && (has("created") || has("reason") || has("status")) {
        Some(Source::SendgridJson)
    } else if has("address") && (has("error") || has("created_at") || has("code")) {
        Some(Source::MailgunBounces)
    } else {
        None
    }
}

/// Broken JSON: the keys its first bytes name.
fn sniff_keys(bytes: &[u8]) -> Option<Source> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let has = |key: &str| memchr::memmem::find(head, format!("\"{key}\"").as_bytes()).is_some();
    if memchr::memmem::find(head, b"\"email.").is_some() && has("data") {
        Some(Source::ResendWebhook)
    } else if has("bouncedRecipients")
        || has("notificationType")
        || has("eventType")
        || (has("Type") && has("Message") && has("TopicArn"))
    {
        Some(Source::Ses)
    } else if has("Bounces") || has("BouncedAt") {
        Some(Source::Postmark)
    } else if has("delivery-status") || (has("event") && has("recipient")) {
        Some(Source::MailgunEvents)
    } else if has("address") && (has("created_at") || has("error")) {
        Some(Source::MailgunBounces)
    } else if has("event") && has("email") {
        Some(Source::SendgridWebhook)
    } else if has("email") && has("created") {
        Some(Source::SendgridJson)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_formats_apart_by_content() {
        let cases: [(&str, Option<Source>); 14] = [
            ("created,email,reason,status\n", Some(Source::SendgridCsv)),
            ("email,code,diagnostic\n", None),
            ("[]", Some(Source::SendgridJson)),
            (
                r#"[{"created": 1, "email": "a@b.c", "reason": "x", "status": "5.1.1"}]"#,
                Some(Source::SendgridJson),
            ),
            (
                "{\"email\": \"a@b.c\", \"event\": \"open\"}\n{\"email\": \"a@b.c\", \"event\": \"bounce\"}\n",
                Some(Source::SendgridWebhook),
            ),
            (
                r#"{"items": [{"event": "failed", "recipient": "a@b.c"}], "paging": {}}"#,
                Some(Source::MailgunEvents),
            ),
            (
                r#"{"items": [{"address": "a@b.c", "code": "550"}]}"#,
                Some(Source::MailgunBounces),
            ),
            (
                r#"{"Type": "Notification", "Message": "{}"}"#,
                Some(Source::Ses),
            ),
            (
                r#"{"eventType": "Bounce", "bounce": {}, "mail": {}}"#,
                Some(Source::Ses),
            ),
            (
                r#"{"TotalCount": 0, "Bounces": []}"#,
                Some(Source::Postmark),
            ),
            (
                "[{\"notificationType\": \"Bounce\", \"bounce\": {\"bouncedRecipients\": [",
                Some(Source::Ses),
            ),
            (
                "Mar  2 10:14:00 mx postfix/smtp[12]: AB: to=<a@b.c>, relay=none, status=bounced (x)\n",
                Some(Source::Postfix),
            ),
            (
                "From: x\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n",
                Some(Source::Dsn),
            ),
            ("{\"what\": 1}", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect(text.as_bytes()), want, "{text}");
        }
        assert_eq!(detect(b""), None);
        assert_eq!(detect(b"\xFF\xFEa\0"), None);
    }

    #[test]
    fn tells_the_senders_of_the_newer_formats_apart() {
        for (text, source) in [
            (
                r#"{"type":"email.bounced","created_at":"2026-03-02T10:00:00Z","data":{"to":["a@b.c"]}}"#,
                Source::ResendWebhook,
            ),
            (
                r#"{"object":"list","data":[{"object":"suppression","email":"a@b.c","origin":"bounce"}]}"#,
                Source::ResendSuppressions,
            ),
            // Broken, but naming its kind.
            (
                r#"{"type":"email.bounced","data":{"to":["a@b.c"],"#,
                Source::ResendWebhook,
            ),
        ] {
            assert_eq!(detect(text.as_bytes()), Some(source), "{text}");
        }
    }
}
