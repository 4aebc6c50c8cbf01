//! Bounce histories as the sending services and mail servers record them: SendGrid (CSV
//! export, suppression API JSON, event webhook), Mailgun (events and bounces API), Amazon SES
//! (SNS or plain notifications, event publishing), Postmark (bounces API), Postfix mail logs and
//! bounce mails (as an .eml, an mbox or a maildir's files): delivery status notifications
//! (RFC 3464), the notices of mail servers and providers, feedback reports.
//!
//! [`detect`] tells the format from the content (never from the file name); [`import`] reads
//! it into [`ImportedEvent`]s: one per bounced recipient, with the codes and the diagnostic text
//! as the source gives them and the source's own verdict kept verbatim. Classifying them is the
//! rules' job, not this module's. A record that can't be read is an [`ImportProblem`] naming its
//! line or JSON path and what was expected; a file that is not the format at all is an
//! [`ImportError`]. Nothing here panics on any input, loops without bound or keeps an
//! unbounded field: diagnostic texts are cut at [`MAX_TEXT_BYTES`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::bounces::codes::EnhancedCode;
use crate::bounces::command::Command;

mod azure;
mod brevo;
mod csv_export;
mod detect;
mod dsn;
mod json;
mod mail;
mod mailchimp;
mod mailgun;
mod mailjet;
mod mandrill;
mod mbox;
mod mime;
mod postfix;
mod postmark;
mod resend;
mod sendgrid;
mod ses;
mod source;
mod sparkpost;

pub use detect::{detect, detect_all};
pub use mbox::{import_mbox, is_mbox};
pub use source::{Source, parse_format_name};

/// Longest diagnostic text kept per event, in bytes; the rest is cut at a character boundary.
pub const MAX_TEXT_BYTES: usize = 4096;
/// An "address" longer than this is not one: the record is a problem, not an event.
const MAX_ADDRESS_BYTES: usize = 1024;
/// Longest source verdict kept, in bytes.
const MAX_VERDICT_BYTES: usize = 256;
/// Times outside 1970..=9999 are not bounce times.
const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// One bounce event as a source recorded it, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedEvent {
    /// 1-based line where the event starts in the file (for JSON: the line of the object's
    /// opening brace; for logs: the log line; for a DSN: the line of its Final-Recipient field).
    pub line: u64,
    /// Where in the file, for messages: "line 12", or a JSON path with its line,
    /// "$.items[3] (line 12)".
    pub location: String,
    /// As the source gives it (the caller normalises it).
    pub address: String,
    /// Unix seconds, UTC.
    pub time: Option<i64>,
    /// The SMTP reply code when the source has one (a code field, or a diagnostic typed
    /// `smtp;`, or Postfix's `said: 550`); else None, and the caller may still find one in `text`.
    pub reply: Option<u16>,
    /// The enhanced status code ("5.1.1") when the source has one.
    pub enhanced: Option<String>,
    /// The SMTP command the remote server answered, when the source says so.
    pub command: Option<Command>,
    /// The diagnostic text (the SMTP reply text), flattened to one line, at most
    /// [`MAX_TEXT_BYTES`]; a DSN's or SES's diagnostic type (`smtp;`) is cut off.
    pub text: String,
    /// Which format it came from.
    pub source: Source,
    /// The source's own classification, verbatim: "bounce/blocked", "Permanent/General",
    /// "HardBounce", "failed/permanent", "status=bounced", "Action: failed", "5.1.1".
    pub source_verdict: String,
    /// The provider only re-suppressed an address it had suppressed before (Mailgun reason
    /// suppress-bounce or code 605, SES bounceSubType OnAccountSuppressionList or Suppressed,
    /// SendGrid `dropped` with reason "Bounced Address"), or Postmark deactivated the address
    /// for this hard bounce (`Inactive: true` on a HardBounce or BadEmailAddress): proof that
    /// the provider suppresses the address.
    pub already_suppressed: bool,
    /// The servers and the returned message, when a bounce mail names them.
    pub trace: Trace,
}

/// Where a bounce came from and which mail it returned, when the source says: to trace a
/// bounce back to a server and a campaign. Values are cut at [`MAX_TRACE_BYTES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The server that wrote the bounce (`Reporting-MTA`, or the bounce's own mailer daemon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporting_mta: Option<String>,
    /// The server that refused the mail (`Remote-MTA`, or "host mx.example.org[192.0.2.1]").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_mta: Option<String>,
    /// The returned message's Message-ID, when the bounce carries its headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The returned message's List-Id: which list the campaign went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_id: Option<String>,
}

/// Longest trace value kept, in bytes.
pub const MAX_TRACE_BYTES: usize = 256;

impl Trace {
    pub fn is_empty(&self) -> bool {
        *self == Trace::default()
    }

    /// A header or field value as a trace value: one line, trimmed, cut; None when empty.
    pub fn value(text: &str) -> Option<String> {
        let text = flatten(text, MAX_TRACE_BYTES);
        (!text.is_empty()).then_some(text)
    }
}

impl ImportedEvent {
    /// A complaint (the recipient marked a mail as spam): no bounce. Its text is the
    /// feedback type as a feedback report writes it, which the rules read as `feedback`.
    fn complaint(
        source: Source,
        line: u64,
        location: String,
        address: String,
        feedback_type: Option<&str>,
    ) -> ImportedEvent {
        let mut event = ImportedEvent::new(source, line, location, address);
        let kind = feedback_type.map(str::trim).filter(|kind| !kind.is_empty());
        event.text = flatten(
            &format!("Feedback-Type: {}", kind.unwrap_or("abuse")),
            MAX_TEXT_BYTES,
        );
        event.source_verdict = "complaint".to_owned();
        event
    }

    fn new(source: Source, line: u64, location: String, address: String) -> ImportedEvent {
        ImportedEvent {
            line,
            location,
            address,
            time: None,
            reply: None,
            enhanced: None,
            command: None,
            text: String::new(),
            source,
            source_verdict: String::new(),
            already_suppressed: false,
            trace: Trace::default(),
        }
    }
}

/// A record that can't be read: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    pub line: u64,
    pub location: String,
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A file read: its events, the records that could not be read, and how many records were
/// read but are not bounces (a delivery, an open, an SES complaint, a DSN's `Action:
/// delivered`, a Postfix `status=sent`), which are skipped silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub source: Source,
    pub events: Vec<ImportedEvent>,
    pub problems: Vec<ImportProblem>,
    pub skipped: usize,
    /// Auto-replies among bounce mails (vacation notices): recognised and left out.
    pub auto_replies: usize,
}

impl Imported {
    /// Nothing read yet.
    pub fn empty(source: Source) -> Imported {
        Imported {
            source,
            events: Vec::new(),
            problems: Vec::new(),
            skipped: 0,
            auto_replies: 0,
        }
    }

    /// Keep a record's event, or count the record as read and skipped when it makes none.
    fn take(&mut self, event: Option<ImportedEvent>) {
        match event {
            Some(event) => self.events.push(event),
            None => self.skipped += 1,
        }
    }

    /// Add what another part of the same file gave, after what this one holds.
    fn append(&mut self, other: Imported) {
        self.events.extend(other.events);
        self.problems.extend(other.problems);
        self.skipped += other.skipped;
        self.auto_replies += other.auto_replies;
    }

    fn problem(&mut self, line: u64, location: String, message: String) {
        self.problems.push(ImportProblem {
            line,
            location,
            message,
        });
    }
}

/// The whole file can't be read as the format; the message names what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("is empty: expected {expected}")]
    Empty { expected: &'static str },
    #[error("is UTF-16: expected UTF-8 text, {expected}")]
    Utf16 { expected: &'static str },
    #[error("is not valid JSON: {detail} at line {line}, column {column}; expected {expected}")]
    Json {
        line: u64,
        column: u64,
        detail: String,
        expected: &'static str,
    },
    #[error("{detail}: expected {expected}")]
    NotFormat {
        /// 0 when the problem is with the file as a whole.
        line: u64,
        /// What was found, as a verb phrase ("has no line with ...").
        detail: String,
        expected: &'static str,
    },
    /// Its records hold the fields of two formats: which one it is, the user says.
    #[error(
        "holds the fields of two formats, {first} and {second}: name the one it is with --history-format {first} (or {second})"
    )]
    Ambiguous { first: Source, second: Source },
    /// Reading the file failed part way (an mbox is read as it streams).
    #[error("could not be read past line {line}: {detail}")]
    Unreadable { line: u64, detail: String },
    /// For the caller: the content is none of these formats and not a generic history CSV.
    #[error(
        "is in no known bounce format: tried SendGrid (CSV, JSON, event webhook), Mailgun (events, bounces), Amazon SES (SNS, plain, event publishing; one object, an array or JSON lines), Postmark, Resend, Mailchimp, Mandrill, Brevo, Mailjet, SparkPost, Azure Communication Services, Postfix log, bounce mail (.eml, mbox); the generic CSV needs a header naming the address and a code or a diagnostic"
    )]
    UnknownFormat,
}

impl ImportError {
    /// The line the error is at, when it is at one.
    pub fn line(&self) -> Option<u64> {
        match self {
            ImportError::Json { line, .. }
            | ImportError::NotFormat { line, .. }
            | ImportError::Unreadable { line, .. }
                if *line > 0 =>
            {
                Some(*line)
            }
            _ => None,
        }
    }
}

/// How to read a file: what the file itself cannot say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The year of the last syslog time stamp of a Postfix log (syslog stamps have no year).
    pub log_year: Option<i32>,
    /// When the file was last modified, Unix seconds: its year is the log's year when
    /// `log_year` is not given.
    pub file_modified: Option<i64>,
}

/// Read a file of that format. Never panics on any input.
pub fn import(
    bytes: &[u8],
    source: Source,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let expected = source.expected();
    let bytes = match crate::table::decode_prelude(bytes) {
        Ok(bytes) => bytes,
        Err(crate::table::InputProblem::Utf16) => return Err(ImportError::Utf16 { expected }),
        Err(_) => return Err(ImportError::Empty { expected }),
    };
    let mut out = Imported::empty(source);
    match source {
        Source::SendgridCsv => sendgrid::import_csv(&bytes, &mut out)?,
        Source::SendgridJson => sendgrid::import_json(&bytes, &mut out)?,
        Source::SendgridWebhook => sendgrid::import_webhook(&bytes, &mut out)?,
        Source::MailgunEvents => mailgun::import_events(&bytes, &mut out)?,
        Source::MailgunBounces => mailgun::import_bounces(&bytes, &mut out)?,
        Source::Ses => ses::import(&bytes, &mut out)?,
        Source::Postmark => postmark::import(&bytes, &mut out)?,
        Source::Postfix => postfix::import(&bytes, options, &mut out)?,
        Source::Dsn | Source::Mail(_) => dsn::import(&bytes, &mut out)?,
        Source::ResendWebhook => resend::import_webhook(&bytes, &mut out)?,
        Source::ResendSuppressions => resend::import_suppressions(&bytes, &mut out)?,
        Source::MailchimpCleaned => mailchimp::import_cleaned(&bytes, &mut out)?,
        Source::MailchimpUnsubscribed => mailchimp::import_unsubscribed(&bytes, &mut out)?,
        Source::MailchimpWebhook => mailchimp::import_webhook(&bytes, &mut out)?,
        Source::Mandrill => mandrill::import_webhook(&bytes, &mut out)?,
        Source::MandrillRejects => mandrill::import_rejects(&bytes, &mut out)?,
        Source::BrevoWebhook => brevo::import_webhook(&bytes, &mut out)?,
        Source::BrevoBlocked => brevo::import_blocked(&bytes, &mut out)?,
        Source::Mailjet => mailjet::import(&bytes, &mut out)?,
        Source::Sparkpost => sparkpost::import_events(&bytes, &mut out)?,
        Source::SparkpostSuppressions => sparkpost::import_suppressions(&bytes, &mut out)?,
        Source::AzureEventGrid => azure::import_events(&bytes, &mut out)?,
        Source::AzureLogs => azure::import_logs(&bytes, &mut out)?,
    }
    out.problems.sort_by_key(|problem| problem.line);
    Ok(out)
}

/// "line 12" or "$.items[3] (line 12)".
fn location(line: u64, path: &str) -> String {
    if path.is_empty() {
        format!("line {line}")
    } else {
        format!("{path} (line {line})")
    }
}

/// Text on one line: runs of white space and control characters become one space, and the
/// text is cut at `max_bytes` (at a character boundary).
fn flatten(text: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes));
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        let needed = c.len_utf8() + usize::from(space);
        if out.len() + needed > max_bytes {
            break;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// A diagnostic as DSNs, SES and Postmark write it, `smtp; 550 5.1.1 user unknown`: the text
/// after the diagnostic type, and the reply code when the type is `smtp` and the text starts
/// with one. Text without a type is kept whole.
fn split_diagnostic(raw: &str) -> (Option<u16>, String) {
    let text = flatten(raw, MAX_TEXT_BYTES);
    let Some((kind, rest)) = text.split_once(';') else {
        return (None, text);
    };
    let kind = kind.trim();
    let is_type = kind.len() <= 24
        && kind.starts_with(|c: char| c.is_ascii_alphabetic())
        && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !is_type {
        return (None, text);
    }
    let rest = rest.trim().to_owned();
    let reply = if kind.eq_ignore_ascii_case("smtp") {
        leading_reply(&rest)
    } else {
        None
    };
    (reply, rest)
}

/// `550 ...` or `550-...`: a reply code at the start of a reply text.
fn leading_reply(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    let is_code = bytes.len() >= 3
        && matches!(bytes[0], b'2'..=b'5')
        && bytes[1..3].iter().all(u8::is_ascii_digit)
        && bytes.get(3).is_none_or(|b| matches!(b, b' ' | b'-'));
    if is_code {
        text[..3].parse().ok()
    } else {
        None
    }
}

/// An SMTP reply code from a numeric code field: 200 to 599, and not Mailgun's internal 605.
fn smtp_reply(code: i64) -> Option<u16> {
    u16::try_from(code)
        .ok()
        .filter(|code| (200..=599).contains(code))
}

/// `5.1.1`, also written `5.1.1 (bad destination mailbox)`; anything else is None.
fn enhanced_code(value: &str) -> Option<String> {
    let token = value
        .trim()
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()?;
    token
        .parse::<EnhancedCode>()
        .ok()
        .map(|code| code.to_string())
}

/// The address as given, trimmed; an empty or absurdly long one is a problem.
fn check_address(raw: &str, field: &str) -> Result<String, String> {
    let address = raw.trim();
    if address.is_empty() {
        return Err(format!(
            "has an empty `{field}`: expected the bounced address"
        ));
    }
    if address.len() > MAX_ADDRESS_BYTES {
        return Err(format!(
            "has a `{field}` of {} bytes: expected an address (at most 254 characters)",
            address.len()
        ));
    }
    Ok(address.to_owned())
}

fn verdict(text: &str) -> String {
    flatten(text, MAX_VERDICT_BYTES)
}

/// At most `max` characters of a value, for messages.
fn shorten(value: &str, max: usize) -> String {
    let mut chars = value.chars();
    let short: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{short}...")
    } else {
        short
    }
}

fn valid_time(seconds: i64) -> Option<i64> {
    (0..=MAX_UNIX_SECONDS).contains(&seconds).then_some(seconds)
}

/// RFC 3339 / ISO 8601 with an offset, or without one (UTC): `2026-03-02T10:14:00.123Z`,
/// `2026-03-02 10:14:00`, `2026-03-02`; or Unix seconds written as text (ten digits, an
/// optional fraction).
fn parse_iso(value: &str) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() || value.len() > 64 {
        return None;
    }
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    if whole.len() == 10
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return whole.parse().ok().and_then(valid_time);
    }
    if let Ok(timestamp) = value.parse::<jiff::Timestamp>() {
        return valid_time(timestamp.as_second());
    }
    let civil = value
        .parse::<jiff::civil::DateTime>()
        .ok()
        .or_else(|| value.parse::<jiff::civil::Date>().ok().map(Into::into))?;
    jiff::tz::TimeZone::UTC
        .to_timestamp(civil)
        .ok()
        .and_then(|timestamp| valid_time(timestamp.as_second()))
}

static RFC2822: jiff::fmt::rfc2822::DateTimeParser =
    jiff::fmt::rfc2822::DateTimeParser::new().relaxed_weekday(true);

/// An RFC 2822 date as mail and Mailgun write it, `Fri, 21 Oct 2011 11:02:55 UTC` or
/// `Mon, 2 Mar 2026 10:14:00 +0100 (CET)`; ISO 8601 is taken too.
fn parse_rfc2822(value: &str) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() || value.len() > 128 {
        return None;
    }
    RFC2822
        .parse_timestamp(value)
        .ok()
        .and_then(|timestamp| valid_time(timestamp.as_second()))
        .or_else(|| parse_iso(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for source in Source::ALL {
            assert_eq!(parse_format_name(source.name()), Ok(source));
            assert_eq!(
                serde_json::to_value(source).unwrap(),
                serde_json::Value::String(source.name().to_owned())
            );
        }
        assert_eq!(parse_format_name(" SES "), Ok(Source::Ses));
        assert_eq!(
            parse_format_name("mailgun_events"),
            Ok(Source::MailgunEvents)
        );
        let error = parse_format_name("sendgrid").unwrap_err();
        assert!(error.contains("sendgrid-csv, sendgrid-json"), "{error}");
    }

    #[test]
    fn flattens_and_cuts_text() {
        assert_eq!(flatten("  a\r\n\tb  c \u{0}d ", 100), "a b c d");
        assert_eq!(flatten("ab cd", 4), "ab c");
        assert_eq!(flatten("ab cd", 3), "ab");
        assert_eq!(flatten("ééé", 5), "éé");
        assert_eq!(
            flatten(&"x".repeat(10_000), MAX_TEXT_BYTES).len(),
            MAX_TEXT_BYTES
        );
    }

    #[test]
    fn splits_typed_diagnostics() {
        assert_eq!(
            split_diagnostic("smtp; 550 5.1.1 user unknown"),
            (Some(550), "550 5.1.1 user unknown".to_owned())
        );
        assert_eq!(
            split_diagnostic("SMTP;550-5.1.1 no\n   such user"),
            (Some(550), "550-5.1.1 no such user".to_owned())
        );
        assert_eq!(
            split_diagnostic("X-Postfix; unknown user: \"bob\""),
            (None, "unknown user: \"bob\"".to_owned())
        );
        assert_eq!(
            split_diagnostic("550 5.1.1 <a@b.c>; user unknown"),
            (None, "550 5.1.1 <a@b.c>; user unknown".to_owned())
        );
        assert_eq!(split_diagnostic("smtp; 5.1.1 x").0, None);
        assert_eq!(split_diagnostic("").1, "");
    }

    #[test]
    fn reads_codes_and_times() {
        assert_eq!(
            enhanced_code(" 5.1.1 (bad mailbox)"),
            Some("5.1.1".to_owned())
        );
        assert_eq!(enhanced_code("5.1"), None);
        assert_eq!(enhanced_code(""), None);
        assert_eq!(smtp_reply(550), Some(550));
        assert_eq!(smtp_reply(605), None);
        assert_eq!(smtp_reply(-1), None);
        let day = 1_772_409_600; // 2026-03-02T00:00:00Z
        assert_eq!(parse_iso("2026-03-02T01:00:00+01:00"), Some(day));
        assert_eq!(parse_iso("2026-03-02T00:00:00.9070259Z"), Some(day));
        assert_eq!(parse_iso("2026-03-02 10:00:00"), Some(day + 36_000));
        assert_eq!(parse_iso("1772409600"), Some(day));
        assert_eq!(parse_iso("soon"), None);
        assert_eq!(parse_rfc2822("Mon, 02 Mar 2026 00:00:00 UTC"), Some(day));
        assert_eq!(
            parse_rfc2822("Mon, 2 Mar 2026 01:00:00 +0100 (CET)"),
            Some(day)
        );
        assert_eq!(parse_rfc2822("Fri, 02 Mar 2026 00:00:00 GMT"), Some(day));
        assert_eq!(parse_rfc2822("2 Mar 2026 00:00:00 -0000"), Some(day));
        assert_eq!(parse_rfc2822("Mon, 2 Foo 2026 00:00:00 UTC"), None);
    }
}
