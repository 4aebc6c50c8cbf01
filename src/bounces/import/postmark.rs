//! Postmark: the bounces API (`{"TotalCount": n, "Bounces": [...]}`), also a bare array of
//! bounces, one bounce (a webhook payload) or JSON lines of them.
//!
//! `Type` is the verdict. A few types are not bounces at all and are skipped: AutoResponder,
//! Subscribe, Unsubscribe, OpenRelayTest, ChallengeVerification. `Details` is the SMTP text
//! (`smtp;550 5.1.1 ...`), `Description` Postmark's explanation, used when `Details` is empty.
//!
//! `Inactive: true` means Postmark deactivated the address and will not send to it again. On
//! a HardBounce or BadEmailAddress that is the provider's suppression of a dead address, so
//! the event is marked `already_suppressed` (it is still this bounce, with its own time and
//! text). On other types (a manual deactivation) it says nothing about whether the address
//! exists, and is not used. A SpamComplaint is a complaint, not a bounce.

use super::json::{self, Node};
use super::{
    ImportError, Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address, flatten,
    parse_iso, split_diagnostic, verdict,
};

const NOT_BOUNCES: [&str; 5] = [
    "AutoResponder",
    "Subscribe",
    "Unsubscribe",
    "OpenRelayTest",
    "ChallengeVerification",
];

const DEAD_ADDRESS: [&str; 2] = ["HardBounce", "BadEmailAddress"];

pub(super) fn import(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(
        bytes,
        Source::Postmark,
        Some("Bounces"),
        |map| map.contains_key("Email"),
        out,
        |_, node| bounce(node),
    )
}

fn bounce(node: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let kind = json::string(map, "Type")?
        .map(str::trim)
        .unwrap_or_default();
    if NOT_BOUNCES.iter().any(|not| kind.eq_ignore_ascii_case(not)) {
        return Ok(None);
    }
    let address = check_address(
        json::required_string(map, "Email", "the bounced address")?,
        "Email",
    )?;
    let complaint = kind.eq_ignore_ascii_case("SpamComplaint");
    let mut event = if complaint {
        ImportedEvent::complaint(Source::Postmark, node.line, node.location(), address, None)
    } else {
        ImportedEvent::new(Source::Postmark, node.line, node.location(), address)
    };
    event.time = json::text_time(
        map,
        "BouncedAt",
        parse_iso,
        "an ISO 8601 time such as 2026-03-02T10:14:00.1234567-05:00",
    )?;
    if complaint {
        event.source_verdict = verdict(kind);
        return Ok(Some(event));
    }
    let details = json::string(map, "Details")?.unwrap_or_default();
    if details.trim().is_empty() {
        event.text = flatten(
            json::string(map, "Description")?.unwrap_or_default(),
            MAX_TEXT_BYTES,
        );
    } else {
        (event.reply, event.text) = split_diagnostic(details);
    }
    event.source_verdict = verdict(kind);
    event.already_suppressed = json::boolean(map, "Inactive")?.unwrap_or(false)
        && DEAD_ADDRESS
            .iter()
            .any(|dead| kind.eq_ignore_ascii_case(dead));
    Ok(Some(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    #[test]
    fn inactive_marks_only_dead_addresses() {
        let data = br#"{"TotalCount": 4, "Bounces": [
  {"Type": "HardBounce", "Email": "a@x.com", "BouncedAt": "2026-03-02T00:00:00.1234567Z", "Details": "smtp;550 5.1.1 no such user", "Inactive": true},
  {"Type": "SpamComplaint", "Email": "b@x.com", "BouncedAt": "2026-03-02T00:00:00Z", "Details": "", "Description": "Marked as spam", "Inactive": true},
  {"Type": "AutoResponder", "Email": "c@x.com", "BouncedAt": "2026-03-02T00:00:00Z"},
  {"Type": "SoftBounce", "Email": "d@x.com", "BouncedAt": "2026-03-02T00:00:00Z", "Inactive": "no"}
]}"#;
        let imported = import(data, Source::Postmark, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 1);
        let events = &imported.events;
        assert_eq!(events.len(), 2);
        assert_eq!(
            (
                events[0].reply,
                events[0].text.as_str(),
                events[0].already_suppressed
            ),
            (Some(550), "550 5.1.1 no such user", true)
        );
        assert_eq!(events[0].time, Some(1_772_409_600));
        // A spam complaint is a complaint, never a suppression of a dead address.
        assert_eq!(
            (
                events[1].text.as_str(),
                events[1].source_verdict.as_str(),
                events[1].already_suppressed
            ),
            ("Feedback-Type: abuse", "SpamComplaint", false)
        );
        assert_eq!(imported.problems.len(), 1);
        assert!(imported.problems[0].message.contains("true or false"));
    }
}
