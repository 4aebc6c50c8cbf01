//! Mailchimp audiences: the `cleaned_*.csv` and `unsubscribed_*.csv` members exports, and the
//! audience webhook (form-encoded bodies, one a line).
//!
//! A cleaned member is an address Mailchimp stopped mailing after hard bounces (or repeated
//! soft ones): an already-suppressed record with no code, at `CLEAN_TIME` (UTC). An
//! unsubscribed member opted out: recognised and counted, never a bounce. The webhook's
//! `type=cleaned` is the same as a cleaned member when `data[reason]` is `hard`, and a
//! complaint when it is `abuse`; its other types (subscribe, unsubscribe, profile, ...) are
//! skipped.

use super::csv_export::{self, Row};
use super::{
    ImportError, Imported, ImportedEvent, Source, check_address, location, shorten, verdict,
};

/// Mailchimp writes its export times as `2026-03-02 10:14:07`, in UTC.
fn parse_time(value: &str) -> Option<i64> {
    super::parse_iso(value)
}

/// The columns of a members export.
struct Columns {
    email: usize,
    time: Option<usize>,
    campaign: Option<usize>,
}

fn columns(names: &[String], time: &str) -> Option<Columns> {
    let find = |want: &str| names.iter().position(|name| name == want);
    Some(Columns {
        email: find("email address")?,
        time: Some(find(time)?),
        campaign: find(&time.replace("_time", "_campaign_title")),
    })
}

/// Which members export a header is, if any.
pub(super) fn export_kind(bytes: &[u8]) -> Option<Source> {
    let names = csv_export::first_header(bytes);
    let has = |want: &str| names.iter().any(|name| name == want);
    if !has("email address") {
        return None;
    }
    if has("clean_time") {
        Some(Source::MailchimpCleaned)
    } else if has("unsub_time") {
        Some(Source::MailchimpUnsubscribed)
    } else {
        None
    }
}

pub(super) fn import_cleaned(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    csv_export::each_row(
        bytes,
        Source::MailchimpCleaned,
        |names| columns(names, "clean_time"),
        |columns, row, out| {
            let address = check_address(row.cell(Some(columns.email)), "Email Address")?;
            let mut event =
                ImportedEvent::new(Source::MailchimpCleaned, row.line, row.location(), address);
            event.time = time(row, columns.time, "CLEAN_TIME")?;
            event.already_suppressed = true;
            event.source_verdict = verdict(&match row.cell(columns.campaign) {
                "" => "cleaned".to_owned(),
                campaign => format!("cleaned ({campaign})"),
            });
            out.events.push(event);
            Ok(())
        },
        out,
    )
}

pub(super) fn import_unsubscribed(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    csv_export::each_row(
        bytes,
        Source::MailchimpUnsubscribed,
        |names| columns(names, "unsub_time"),
        |columns, row, out| {
            // An opt-out, never a bounce: the address is checked, and the row counted.
            check_address(row.cell(Some(columns.email)), "Email Address")?;
            time(row, columns.time, "UNSUB_TIME")?;
            out.skipped += 1;
            Ok(())
        },
        out,
    )
}

fn time(row: &Row<'_, '_>, column: Option<usize>, name: &str) -> Result<Option<i64>, String> {
    match row.cell(column) {
        "" => Ok(None),
        value => parse_time(value).map(Some).ok_or_else(|| {
            format!(
                "has the time '{}' in `{name}`: expected YYYY-MM-DD HH:MM:SS (UTC)",
                shorten(value, 40)
            )
        }),
    }
}

/// Whether the text is form-encoded audience webhook bodies: `type=...&...data[email]=...`.
pub(super) fn is_webhook(bytes: &[u8]) -> bool {
    let first = bytes
        .split(|&b| b == b'\n')
        .find(|line| !line.trim_ascii().is_empty())
        .unwrap_or_default();
    first.starts_with(b"type=")
        && memchr::memmem::find(first, b"data%5Bemail%5D=")
            .or_else(|| memchr::memmem::find(first, b"data[email]="))
            .is_some()
}

pub(super) fn import_webhook(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    let text = String::from_utf8_lossy(bytes);
    let mut bodies = 0;
    for (line, body) in (1u64..).zip(text.lines()) {
        if body.trim().is_empty() {
            continue;
        }
        bodies += 1;
        if let Err(message) = webhook_body(body.trim(), line, out) {
            out.problem(line, location(line, ""), message);
        }
    }
    if bodies == 0 {
        return Err(ImportError::Empty {
            expected: Source::MailchimpWebhook.expected(),
        });
    }
    Ok(())
}

fn webhook_body(body: &str, line: u64, out: &mut Imported) -> Result<(), String> {
    let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
    };
    let kind = field("type")
        .ok_or("has no `type`: expected a form-encoded audience webhook body (type=cleaned&...)")?;
    if kind != "cleaned" {
        out.skipped += 1;
        return Ok(());
    }
    let address = check_address(field("data[email]").unwrap_or_default(), "data[email]")?;
    let reason = field("data[reason]").unwrap_or_default();
    let mut event = if reason.eq_ignore_ascii_case("abuse") {
        ImportedEvent::complaint(
            Source::MailchimpWebhook,
            line,
            location(line, ""),
            address,
            None,
        )
    } else {
        let mut event =
            ImportedEvent::new(Source::MailchimpWebhook, line, location(line, ""), address);
        event.already_suppressed = true;
        event
    };
    event.time = match field("fired_at") {
        None | Some("") => None,
        Some(value) => Some(parse_time(value).ok_or_else(|| {
            format!(
                "has the time '{}' in `fired_at`: expected YYYY-MM-DD HH:MM:SS (UTC)",
                shorten(value, 40)
            )
        })?),
    };
    event.source_verdict = verdict(&format!("cleaned/{reason}"));
    out.events.push(event);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::{ImportOptions, import};

    #[test]
    fn a_cleaned_member_is_proof_and_an_unsubscribed_one_no_bounce() {
        let cleaned = b"Email Address,First Name,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID\n\
            ann@gmail.com,Ann,2026-03-02 10:14:07,March news,abc123,1,x\n\
            bob@gmail.com,Bob,yesterday,March news,abc123,2,y\n";
        assert_eq!(export_kind(cleaned), Some(Source::MailchimpCleaned));
        let imported =
            import(cleaned, Source::MailchimpCleaned, &ImportOptions::default()).unwrap();
        assert_eq!(imported.events.len(), 1);
        let event = &imported.events[0];
        assert!(event.already_suppressed);
        assert_eq!(event.time, Some(1_772_446_447));
        assert_eq!(event.source_verdict, "cleaned (March news)");
        assert_eq!(imported.problems[0].line, 3);
        assert!(imported.problems[0].message.contains("CLEAN_TIME"));

        let unsubscribed = b"Email Address,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\n\
            cid@gmail.com,2026-03-02 10:14:07,March news,No longer interested\n";
        assert_eq!(
            export_kind(unsubscribed),
            Some(Source::MailchimpUnsubscribed)
        );
        let imported = import(
            unsubscribed,
            Source::MailchimpUnsubscribed,
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!((imported.events.len(), imported.skipped), (0, 1));
    }

    #[test]
    fn the_audience_webhook_cleans_and_complains() {
        let bodies = b"type=cleaned&fired_at=2026-03-02+10%3A14%3A07&data%5Blist_id%5D=a1&data%5Breason%5D=hard&data%5Bemail%5D=ann%40gmail.com\n\
            type=cleaned&fired_at=2026-03-02+10%3A14%3A07&data%5Breason%5D=abuse&data%5Bemail%5D=bob%40gmail.com\n\
            type=unsubscribe&fired_at=2026-03-02+10%3A14%3A07&data%5Bemail%5D=cid%40gmail.com\n";
        assert!(is_webhook(bodies));
        let imported = import(bodies, Source::MailchimpWebhook, &ImportOptions::default()).unwrap();
        assert_eq!(imported.skipped, 1);
        let got: Vec<(&str, bool, &str, Option<i64>)> = imported
            .events
            .iter()
            .map(|e| {
                (
                    e.address.as_str(),
                    e.already_suppressed,
                    e.text.as_str(),
                    e.time,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("ann@gmail.com", true, "", Some(1_772_446_447)),
                (
                    "bob@gmail.com",
                    false,
                    "Feedback-Type: abuse",
                    Some(1_772_446_447)
                ),
            ]
        );
    }
}
