//! Delivery status notifications (RFC 3464) as one message (.eml) or an mbox of them: the
//! `message/delivery-status` part of a `multipart/report`, per-recipient blocks with
//! `Final-Recipient`, `Action`, `Status`, `Diagnostic-Code` (folded lines unfolded) and
//! `Last-Attempt-Date` (the address the sender used, `Original-Recipient`, when it is one).
//! `failed` and `delayed` recipients are events, completed from the notice beside the part;
//! `delivered`, `relayed` and `expanded` are skipped. A message without the part is read by
//! `mail` (a mail system's own notice, a complaint, an auto-reply). A file that is only the
//! delivery-status text (starting with `Reporting-MTA:` or `Final-Recipient:`) is read as one.
//!
//! The time is `Last-Attempt-Date`, else the message's `Date:`, else `Arrival-Date`.

use std::sync::LazyLock;

use super::mail;
use super::mime::{self, Entity, Field, Item};
use super::{
    ImportError, Imported, ImportedEvent, Source, Trace, check_address, enhanced_code, location,
    parse_rfc2822, shorten, split_diagnostic, verdict,
};

/// multipart nesting followed at most.
const MAX_DEPTH: usize = 8;

static DELIVERY_STATUS: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r#"(?i)message/(?:global-)?delivery-status|report-type="?delivery-status"#,
    )
    .expect("regex")
});

fn first_line_of(bytes: &[u8]) -> &[u8] {
    bytes
        .split(|&b| b == b'\n')
        .find(|line| !line.trim_ascii().is_empty())
        .unwrap_or_default()
}

fn starts_with_ignore_case(line: &[u8], prefix: &str) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// A file that is the delivery-status text alone.
fn is_bare_status(bytes: &[u8]) -> bool {
    let first = first_line_of(bytes);
    [
        "reporting-mta:",
        "final-recipient:",
        "original-recipient:",
        "original-envelope-id:",
    ]
    .iter()
    .any(|prefix| starts_with_ignore_case(first, prefix))
}

/// Whether the text is a mail message or an mbox that holds a delivery status part, or a
/// delivery-status text alone.
pub(super) fn looks_like(bytes: &[u8]) -> bool {
    if is_bare_status(bytes) {
        return true;
    }
    let first = first_line_of(bytes);
    if first.starts_with(b"From ") {
        return true;
    }
    let field_first = memchr::memchr(b':', first).is_some_and(|colon| {
        let name = &first[..colon];
        !name.is_empty() && name.iter().all(|b| matches!(b, 33..=126))
    });
    field_first && (DELIVERY_STATUS.is_match(bytes) || is_mail_header(bytes))
}

/// Whether the file starts with the header of a mail message: two fields or more, one of
/// them a field every mail has. (A CSV header is one line without these.)
fn is_mail_header(bytes: &[u8]) -> bool {
    const MAIL_FIELDS: &[&str] = &[
        "from",
        "subject",
        "date",
        "received",
        "return-path",
        "message-id",
        "delivered-to",
        "mime-version",
        "content-type",
    ];
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let (items, _, _) = mime::fields(head, 1, true);
    let names: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            Item::Field(field) => Some(field.name.as_str()),
            Item::Blank => None,
        })
        .collect();
    names.len() >= 2 && names.iter().any(|name| MAIL_FIELDS.contains(name))
}

/// The messages of an mbox (each after a `From ` line at the start of the text or after a
/// blank line), or the whole text as one message; with their first lines, counted from
/// `first_line`, the line of the text's first byte.
pub(super) fn messages(bytes: &[u8], first_line: u64) -> Vec<(&[u8], u64)> {
    if !first_line_of(bytes).starts_with(b"From ") {
        return vec![(bytes, first_line)];
    }
    let mut found = Vec::new();
    let mut open: Option<(usize, u64)> = None;
    let mut previous_blank = true;
    for (line, (start, end, next)) in (first_line..).zip(mime::lines(bytes)) {
        let raw = &bytes[start..end];
        if previous_blank && raw.starts_with(b"From ") {
            if let Some((message_start, message_line)) = open.take() {
                found.push((&bytes[message_start..start], message_line));
            }
            open = Some((next, line + 1));
        }
        previous_blank = raw.trim_ascii().is_empty();
    }
    if let Some((message_start, message_line)) = open {
        found.push((&bytes[message_start.min(bytes.len())..], message_line));
    }
    found
}

/// What a message holds.
enum Search {
    /// The delivery-status text, its first line, and whether its lines are the file's.
    Found(Vec<u8>, u64, bool),
    /// Not a report: skipped.
    NotReport,
    /// A report that can't be read: a problem at the line.
    Broken(u64, String),
}

fn find_status(entity: &Entity<'_>, depth: usize) -> Search {
    let content_type = entity.content_type();
    let media = content_type.media.as_str();
    if media == "message/delivery-status" || media == "message/global-delivery-status" {
        return Search::Found(
            entity.decoded_body().into_owned(),
            entity.body_line,
            entity.body_keeps_lines(),
        );
    }
    if !media.starts_with("multipart/") {
        return Search::NotReport;
    }
    let is_report = media == "multipart/report";
    let line = entity
        .header("content-type")
        .map_or(entity.body_line, |f| f.line);
    let Some(boundary) = content_type.param("boundary").filter(|b| !b.is_empty()) else {
        return if is_report {
            Search::Broken(
                line,
                format!(
                    "has the Content-Type {media} without a boundary: expected boundary=\"...\""
                ),
            )
        } else {
            Search::NotReport
        };
    };
    if depth >= MAX_DEPTH {
        return Search::Broken(
            line,
            format!(
                "nests multipart parts more than {MAX_DEPTH} deep: expected a delivery status notification"
            ),
        );
    }
    let mut broken = None;
    for (part, part_line) in mime::split_multipart(entity.body, entity.body_line, boundary) {
        let part = Entity::parse(part, part_line);
        match find_status(&part, depth + 1) {
            found @ Search::Found(..) => return found,
            Search::Broken(line, message) => broken = broken.or(Some((line, message))),
            Search::NotReport => {}
        }
    }
    match broken {
        Some((line, message)) => Search::Broken(line, message),
        None if is_report => Search::Broken(
            line,
            format!(
                "is a multipart/report without a message/delivery-status part under the boundary \"{}\": expected RFC 3464 per-recipient fields",
                shorten(boundary, 60)
            ),
        ),
        None => Search::NotReport,
    }
}

pub(super) fn import(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    if is_bare_status(bytes) {
        read_status(bytes, 1, true, None, out);
        return Ok(());
    }
    if import_messages(bytes, 1, out) == 0 {
        return Err(ImportError::NotFormat {
            line: 0,
            detail: "has no mail message".to_owned(),
            expected: Source::Dsn.expected(),
        });
    }
    Ok(())
}

/// Read the messages of `bytes` (an mbox's whole messages, or one message), whose first line
/// is `first_line`, in parallel, into `out` in their order; how many were messages.
pub(super) fn import_messages(bytes: &[u8], first_line: u64, out: &mut Imported) -> usize {
    use rayon::prelude::*;
    let per_message: Vec<Option<Imported>> = messages(bytes, first_line)
        .into_par_iter()
        .map(|(message, line)| {
            let mut read = Imported::empty(out.source);
            import_message(message, line, &mut read).then_some(read)
        })
        .collect();
    let mut read = 0;
    for message in per_message.into_iter().flatten() {
        read += 1;
        out.append(message);
    }
    read
}

/// Read one message; false when it has no header (no message at all).
fn import_message(message: &[u8], message_line: u64, out: &mut Imported) -> bool {
    let entity = Entity::parse(message, message_line);
    if entity.headers.is_empty() {
        return false;
    }
    let date = entity
        .header("date")
        .and_then(|field| parse_rfc2822(&field.value));
    match find_status(&entity, 0) {
        Search::Found(content, line, exact) => {
            let first_event = out.events.len();
            read_status(&content, line, exact, date, out);
            mail::complete(&entity, &mut out.events[first_event..]);
        }
        Search::NotReport => read_mail(&entity, message_line, out),
        // A report without its delivery-status part is read as any other bounce mail;
        // when that reads nothing, what is wrong with the report is the better message.
        Search::Broken(line, message) => {
            let (problems, events) = (out.problems.len(), out.events.len());
            read_mail(&entity, message_line, out);
            if out.problems.len() > problems && out.events.len() == events {
                out.problems.truncate(problems);
                out.problem(line, location(line, ""), message);
            }
        }
    }
    true
}

/// A message without a delivery-status part: a bounce in a mail system's own words, a
/// complaint, or an auto-reply (read, and not a bounce).
fn read_mail(entity: &Entity<'_>, line: u64, out: &mut Imported) {
    if mail::read(entity, line, out) == mail::Kind::AutoReply {
        out.auto_replies += 1;
        out.skipped += 1;
    }
}

/// One recipient's fields.
#[derive(Default)]
struct Block<'a> {
    fields: Vec<&'a Field>,
}

impl Block<'_> {
    fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().copied().find(|field| field.name == name)
    }

    fn is_recipient(&self) -> bool {
        self.get("final-recipient").is_some() || self.get("original-recipient").is_some()
    }
}

/// The blocks of a delivery-status text: split at blank lines, and where a recipient field
/// comes again without one between.
fn blocks(items: &[Item]) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut current = Block::default();
    for item in items {
        match item {
            Item::Blank => blocks.push(std::mem::take(&mut current)),
            Item::Field(field) => {
                // Either order is used: Original- then Final-Recipient (RFC 3464), or Final-
                // then Original-Recipient (Postfix); the same field again is the next recipient.
                let repeats = matches!(
                    field.name.as_str(),
                    "final-recipient" | "original-recipient"
                ) && current.get(&field.name).is_some();
                if repeats {
                    blocks.push(std::mem::take(&mut current));
                }
                current.fields.push(field);
            }
        }
    }
    blocks.push(current);
    blocks.retain(|block| !block.fields.is_empty());
    blocks
}

/// Read the per-recipient blocks of a delivery-status text.
fn read_status(
    content: &[u8],
    first_line: u64,
    exact: bool,
    date: Option<i64>,
    out: &mut Imported,
) {
    let (items, _, _) = mime::fields(content, first_line, false);
    let blocks = blocks(&items);
    let arrival = blocks
        .iter()
        .filter(|block| !block.is_recipient())
        .find_map(|block| block.get("arrival-date"))
        .and_then(|field| parse_rfc2822(&field.value));
    let reporting_mta = blocks
        .iter()
        .filter(|block| !block.is_recipient())
        .find_map(|block| block.get("reporting-mta"))
        .and_then(|field| mta_name(&field.value));
    for block in blocks.iter().filter(|block| block.is_recipient()) {
        let Some(recipient) = block
            .get("final-recipient")
            .or_else(|| block.get("original-recipient"))
        else {
            continue;
        };
        let line = if exact { recipient.line } else { first_line };
        match recipient_event(block, recipient, line, date.or(arrival)) {
            Ok(Some(mut event)) => {
                event.trace.reporting_mta = reporting_mta.clone();
                event.trace.remote_mta = block
                    .get("remote-mta")
                    .and_then(|field| mta_name(&field.value));
                out.events.push(event);
            }
            Ok(None) => out.skipped += 1,
            Err(message) => out.problem(line, location(line, ""), message),
        }
    }
}

/// `dns; mx.example.net`: the name alone.
fn mta_name(value: &str) -> Option<String> {
    let name = value.split_once(';').map_or(value, |(_, name)| name);
    Trace::value(name)
}

/// `rfc822; user@example.com` or `rfc822;<user@example.com>`: the address alone.
fn recipient_address(value: &str) -> &str {
    let address = match value.split_once(';') {
        Some((kind, address)) if !kind.contains('@') => address,
        _ => value,
    };
    let address = address.trim();
    address
        .strip_prefix('<')
        .and_then(|a| a.strip_suffix('>'))
        .unwrap_or(address)
}

const ACTIONS: &str = "failed, delayed, delivered, relayed or expanded";

fn recipient_event(
    block: &Block<'_>,
    recipient: &Field,
    line: u64,
    fallback_time: Option<i64>,
) -> Result<Option<ImportedEvent>, String> {
    let Some(action_field) = block.get("action") else {
        return Err(format!(
            "has a recipient without an Action field: expected Action: {ACTIONS}"
        ));
    };
    let action = action_field
        .value
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match action.as_str() {
        "failed" | "delayed" => {}
        "delivered" | "relayed" | "expanded" => return Ok(None),
        _ => {
            return Err(format!(
                "has the Action '{}': expected {ACTIONS}",
                shorten(&action_field.value, 40)
            ));
        }
    }
    let field_name = if recipient.name == "final-recipient" {
        "Final-Recipient"
    } else {
        "Original-Recipient"
    };
    // The address the sender used, when the server also names the one it rewrote it to (an
    // alias, a forward): that is the address on the sender's list.
    let original = block.get("original-recipient").and_then(|field| {
        check_address(recipient_address(&field.value), "Original-Recipient").ok()
    });
    let address = match original {
        Some(address) => address,
        None => check_address(recipient_address(&recipient.value), field_name)?,
    };
    let mut event = ImportedEvent::new(Source::Dsn, line, location(line, ""), address);
    event.enhanced = block
        .get("status")
        .and_then(|field| enhanced_code(&field.value));
    if let Some(field) = block.get("diagnostic-code") {
        (event.reply, event.text) = split_diagnostic(&field.value);
        event.command = mail::find_command(&event.text);
    }
    event.time = match block.get("last-attempt-date") {
        Some(field) => match parse_rfc2822(&field.value).or(fallback_time) {
            Some(time) => Some(time),
            None => {
                return Err(format!(
                    "has the Last-Attempt-Date '{}': expected an RFC 2822 date such as 'Mon, 2 Mar 2026 10:14:00 +0100'",
                    shorten(&field.value, 60)
                ));
            }
        },
        None => fallback_time,
    };
    event.source_verdict = verdict(&format!("Action: {}", action_field.value));
    Ok(Some(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import as read};

    const REPORT: &str = "From: MAILER-DAEMON@mx.example.net\r
Date: Mon, 2 Mar 2026 10:14:00 +0100\r
Subject: Undelivered Mail Returned to Sender\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status;\r
\tboundary=\"B1\"\r
\r
--B1\r
Content-Type: text/plain\r
\r
Sorry.\r
--B1\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.net\r
Arrival-Date: Mon, 2 Mar 2026 10:00:00 +0100\r
\r
Final-Recipient: rfc822; a@x.com\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach\r
    does not exist.\r
Last-Attempt-Date: Mon, 2 Mar 2026 10:13:00 +0100\r
\r
Final-Recipient: rfc822;<b@x.com>\r
Action: delivered\r
Status: 2.0.0\r
\r
Final-Recipient: rfc822; c@x.com\r
Action: delayed\r
Status: 4.4.1\r
--B1--\r
";

    #[test]
    fn reads_each_recipient_of_a_report() {
        let imported = read(REPORT.as_bytes(), Source::Dsn, &ImportOptions::default()).unwrap();
        assert_eq!(imported.problems, vec![]);
        assert_eq!(imported.skipped, 1);
        let events = &imported.events;
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].line, 18);
        assert_eq!(events[0].address, "a@x.com");
        assert_eq!(events[0].reply, Some(550));
        assert_eq!(
            events[0].text,
            "550-5.1.1 The email account that you tried to reach does not exist."
        );
        assert_eq!(events[0].time, Some(1_772_442_780));
        assert_eq!(events[0].source_verdict, "Action: failed");
        assert_eq!(events[1].line, 29);
        assert_eq!(events[1].enhanced.as_deref(), Some("4.4.1"));
        assert_eq!(events[1].time, Some(1_772_442_840), "the Date: header");
        assert!(looks_like(REPORT.as_bytes()));
    }

    #[test]
    fn a_report_without_its_part_is_a_problem() {
        let text = "Content-Type: multipart/report; boundary=X\n\n--X\nContent-Type: text/plain\n\nhi\n--X--\n";
        let imported = read(text.as_bytes(), Source::Dsn, &ImportOptions::default()).unwrap();
        assert_eq!(imported.events, vec![]);
        assert_eq!(imported.problems.len(), 1);
        assert_eq!(imported.problems[0].line, 1);
        // A mail that is no bounce is a problem naming what it is, never dropped silently.
        let imported = read(
            b"From: ann@example.org\nSubject: Hi There\n\nhello\n",
            Source::Dsn,
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(imported.events, vec![]);
        assert!(
            imported.problems[0].message.contains(
                "is no bounce bouncegate knows (from 'ann@example.org', subject 'Hi There')"
            ),
            "{:?}",
            imported.problems
        );
        let error = read(b"\n\nhello\n", Source::Dsn, &ImportOptions::default()).unwrap_err();
        assert!(error.to_string().contains("no mail message"), "{error}");
    }

    #[test]
    fn reads_a_bare_status_and_quoted_printable() {
        let bare = "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@x.com\nAction: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822; b@x.com\nAction: Failed (permanent)\n";
        let imported = read(bare.as_bytes(), Source::Dsn, &ImportOptions::default()).unwrap();
        let got: Vec<(&str, u64)> = imported
            .events
            .iter()
            .map(|e| (e.address.as_str(), e.line))
            .collect();
        assert_eq!(got, vec![("a@x.com", 3), ("b@x.com", 6)]);
        let qp = "Content-Type: message/delivery-status\nContent-Transfer-Encoding: quoted-printable\n\nFinal-Recipient: rfc822; a=40x.com\nAction: failed\nDiagnostic-Code: smtp; 550 no =\nsuch user\n";
        let imported = read(qp.as_bytes(), Source::Dsn, &ImportOptions::default()).unwrap();
        assert_eq!(imported.events[0].address, "a@x.com");
        assert_eq!(imported.events[0].text, "550 no such user");
    }
}
