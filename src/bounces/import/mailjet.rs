//! Mailjet: its Event API webhook events (one object, an array when grouped, or JSON lines).
//!
//! `event` is bounce, blocked, spam, unsub, sent, open, click; `time` is Unix seconds; a
//! bounce or a block names the cause from Mailjet's fixed error table, `error_related_to`
//! (recipient, domain, spam, content, mailjet, system) and `error` ("user unknown", "quota
//! exceeded", "preblocked", ...), and `comment` holds the server's reply when there was one.
//! The reply decides through the rules; without one, Mailjet's error words are the text.
//! A block for `preblocked` is a send Mailjet refused because the address bounced or
//! complained before (already suppressed); a duplicate in a campaign or a template error is
//! no bounce, skipped. spam is a complaint; unsub and the others are skipped.

use serde_json::{Map, Value};

use super::json::{self, Node};
use super::{
    ImportError, Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address, flatten, verdict,
};

/// Blocks that say nothing about the address or the sender: Mailjet's own bookkeeping.
const NOT_BOUNCES: [&str; 4] = [
    "duplicate in campaign",
    "bad or empty template",
    "error in template language",
    "typofix",
];

pub(super) fn is_event(map: &Map<String, Value>) -> bool {
    map.contains_key("event")
        && map.contains_key("email")
        && [
            "mj_campaign_id",
            "mj_contact_id",
            "Message_GUID",
            "MessageID",
        ]
        .iter()
        .any(|key| map.contains_key(*key))
}

pub(super) fn import(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(bytes, Source::Mailjet, None, is_event, out, |_, node| {
        event(node)
    })
}

fn event(node: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let name = json::required_string(map, "event", "the event (bounce, blocked, spam, ...)")?
        .trim()
        .to_ascii_lowercase();
    let related = json::string(map, "error_related_to")?
        .unwrap_or_default()
        .trim();
    let error = json::string(map, "error")?.unwrap_or_default().trim();
    let complaint = name == "spam";
    let counted = match name.as_str() {
        "bounce" => true,
        "blocked" => !NOT_BOUNCES
            .iter()
            .any(|not| error.eq_ignore_ascii_case(not)),
        _ => complaint,
    };
    if !counted {
        return Ok(None);
    }
    let address = check_address(
        json::required_string(map, "email", "the recipient's address")?,
        "email",
    )?;
    let mut event = if complaint {
        ImportedEvent::complaint(Source::Mailjet, node.line, node.location(), address, None)
    } else {
        ImportedEvent::new(Source::Mailjet, node.line, node.location(), address)
    };
    event.time = json::unix_time(map, "time")?;
    if complaint {
        event.source_verdict = verdict(&match json::string(map, "source")? {
            Some(source) if !source.trim().is_empty() => format!("spam/{}", source.trim()),
            _ => "spam".to_owned(),
        });
        return Ok(Some(event));
    }
    let comment = json::string(map, "comment")?.unwrap_or_default();
    event.text = flatten(
        if comment.trim().is_empty() {
            error
        } else {
            comment
        },
        MAX_TEXT_BYTES,
    );
    event.already_suppressed = name == "blocked" && error.eq_ignore_ascii_case("preblocked");
    event.source_verdict = verdict(
        &[name.as_str(), related, error]
            .into_iter()
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join("/"),
    );
    Ok(Some(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import as read};

    #[test]
    fn a_grouped_array_and_one_object_read_alike() {
        let one = br#"{"event":"bounce","time":1772445600,"MessageID":1,"email":"ann@gmail.com","error_related_to":"recipient","error":"user unknown","comment":""}"#;
        let grouped = br#"[{"event":"blocked","time":1772445600,"MessageID":2,"email":"bob@gmail.com","error_related_to":"mailjet","error":"preblocked"},
{"event":"blocked","time":1772445600,"MessageID":3,"email":"cid@gmail.com","error_related_to":"mailjet","error":"duplicate in campaign"}]"#;
        let one = read(one, Source::Mailjet, &ImportOptions::default()).unwrap();
        assert_eq!(one.events[0].text, "user unknown");
        assert_eq!(
            one.events[0].source_verdict,
            "bounce/recipient/user unknown"
        );
        let grouped = read(grouped, Source::Mailjet, &ImportOptions::default()).unwrap();
        assert_eq!((grouped.events.len(), grouped.skipped), (1, 1));
        assert!(grouped.events[0].already_suppressed);
    }
}
