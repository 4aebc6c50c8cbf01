//! Bounce mails without a delivery-status part (RFC 3464 is read by `dsn`, which hands every
//! other message here): the notices of the mail servers and providers (`families`), read for
//! their recipients and replies (`recipients`); feedback reports (RFC 5965), which are
//! complaints; and auto-replies (RFC 3834, vacation notices), which are recognised and left
//! out. A mail none of these reads is a problem that names the family tried and what was
//! missing, never a silent drop.

mod families;
mod html;
mod notice;
mod recipients;
mod trace;
mod transcript;

use super::mime::Entity;
use super::{
    Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address, flatten, location,
    parse_rfc2822, shorten,
};
use crate::bounces::codes::{self, ReplyCode};
use crate::bounces::command::{self, Command};
pub(crate) use families::names as family_names;
use notice::Notice;

/// The most of a notice taken as the diagnostic of its one recipient.
const MAX_NOTICE_BYTES: usize = 1024;

/// What one message turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bounce,
    Complaint,
    AutoReply,
    /// Read as nothing: a problem was recorded.
    NotRead,
}

/// Read one message that has no delivery-status part; its events or its problem go to `out`.
pub(crate) fn read(entity: &Entity<'_>, line: u64, out: &mut Imported) -> Kind {
    let notice = Notice::read(entity);
    let date = notice.header("date").and_then(parse_rfc2822);
    for part in &notice.undecodable {
        out.problem(
            line,
            location(line, ""),
            format!("skipped {part}: expected a charset such as UTF-8, ISO-8859-1 or ISO-2022-JP"),
        );
    }
    if let Some(feedback) = &notice.feedback {
        return read_complaint(&notice, feedback, line, date, out);
    }
    let from = notice
        .header("from")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let subject = notice
        .header("subject")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let words = format!("{subject}\n{}", notice.text.to_ascii_lowercase());
    // An auto-reply from a provider's user is not the provider's bounce; a bounce marked
    // auto-replied (Exim marks its own) comes from a mailer daemon or says it failed.
    if is_auto_reply(&notice, &subject) && !looks_bounced(&from, &subject) {
        return Kind::AutoReply;
    }
    let family = families::detect(&from, &words)
        .or_else(|| notice.header("x-failed-recipients").map(|_| "exim"));
    let Some(family) =
        family.or_else(|| looks_bounced(&from, &subject).then_some(families::GENERIC))
    else {
        out.problem(
            line,
            location(line, ""),
            format!(
                "is no bounce bouncegate knows (from '{}', subject '{}'): expected a delivery status notification, a mail server's or provider's bounce, a feedback report or an auto-reply",
                shorten(notice.header("from").unwrap_or_default(), 60),
                shorten(notice.header("subject").unwrap_or_default(), 60)
            ),
        );
        return Kind::NotRead;
    };

    let mut exclude: Vec<String> = [
        notice.header("from"),
        notice.original_header("from"),
        notice.original_header("return-path"),
        notice.original_header("sender"),
    ]
    .into_iter()
    .flatten()
    .filter_map(address_in)
    .collect();
    exclude.dedup();
    let mut found = recipients::find(&notice.text, &exclude);
    if found.is_empty() {
        // Exim names them in a header; else the returned message's one recipient.
        let named = notice
            .header("x-failed-recipients")
            .or_else(|| notice.original_header("to").filter(|to| !to.contains(',')));
        found = named
            .into_iter()
            .flat_map(|value| value.split(','))
            .filter_map(address_in)
            .map(|address| recipients::Found {
                address,
                diagnostic: notice.text.clone(),
            })
            .collect();
    }
    if found.is_empty() {
        out.problem(
            line,
            location(line, ""),
            format!("is a bounce read as {family}, but names no recipient: expected a recipient address in its text, an X-Failed-Recipients field or the returned message's To"),
        );
        return Kind::NotRead;
    }
    let delayed = is_delay(&words);
    let notice_trace = trace::of_notice(&notice);
    for recipient in found {
        match bounce_event(family, &recipient, line, date, delayed) {
            Ok(mut event) => {
                event.trace = notice_trace.clone();
                event.trace.remote_mta = trace::remote_mta(&recipient.diagnostic);
                // A session transcript says which command was refused, where the markers
                // would take the first command it copies.
                if let Some(refusal) = transcript::refusal(&notice.text, &event.address) {
                    event.command = refusal.command.or(event.command);
                    // The recipient's own reply says more than a whole notice around it.
                    if refusal.named {
                        event.text = flatten(&refusal.reply, MAX_TEXT_BYTES);
                        event.reply = None;
                        event.enhanced = None;
                    }
                    if event.reply.is_none() {
                        let (reply, enhanced) = codes::find_codes(&refusal.reply);
                        event.reply = reply.map(ReplyCode::value);
                        event.enhanced = event.enhanced.take().or(enhanced.map(|c| c.to_string()));
                    }
                }
                out.events.push(event);
            }
            Err(message) => out.problem(line, location(line, ""), message),
        }
    }
    Kind::Bounce
}

/// Events read from a delivery-status part, completed from the notice beside it: the
/// command, which a Diagnostic-Code often leaves out and the notice says ("after RCPT TO"),
/// the reply, when the part has no Diagnostic-Code at all, and the trace (the returned
/// message's ids, the servers the part does not name).
pub(crate) fn complete(entity: &Entity<'_>, events: &mut [ImportedEvent]) {
    let notice = Notice::read(entity);
    let notice_trace = trace::of_notice(&notice);
    for event in events.iter_mut() {
        let trace = &mut event.trace;
        trace.reporting_mta = trace
            .reporting_mta
            .take()
            .or(notice_trace.reporting_mta.clone());
        trace.message_id = notice_trace.message_id.clone();
        trace.list_id = notice_trace.list_id.clone();
        // What a copied session transcript says this recipient was refused with.
        if let Some(refusal) = transcript::refusal(&notice.text, &event.address) {
            if event.command.is_none() {
                event.command = refusal.command;
            }
            if event.text.is_empty() {
                event.text = flatten(&refusal.reply, MAX_TEXT_BYTES);
            }
        }
    }
    if events
        .iter()
        .all(|event| event.command.is_some() && !event.text.is_empty())
    {
        return;
    }
    let found = recipients::find(&notice.text, &[]);
    // A report of one recipient: what the notice says is all about it.
    let single = events.len() == 1;
    for event in events {
        let said = found
            .iter()
            .find(|f| f.address.eq_ignore_ascii_case(&event.address))
            .map(|f| flatten(&f.diagnostic, MAX_TEXT_BYTES))
            .filter(|text| !text.is_empty());
        let text = match said {
            Some(text) => text,
            None if single => flatten(recipients::notice_part(&notice.text), MAX_NOTICE_BYTES),
            None => continue,
        };
        if event.command.is_none() {
            event.command = find_command(&text);
        }
        if event.trace.remote_mta.is_none() {
            event.trace.remote_mta = trace::remote_mta(&text);
        }
        if event.text.is_empty() {
            event.text = text;
        }
        // A part without a Diagnostic-Code: the reply the notice says.
        if event.reply.is_none() {
            let (reply, enhanced) = codes::find_codes(&event.text);
            event.reply = reply.map(ReplyCode::value);
            if event.enhanced.is_none() {
                event.enhanced = enhanced.map(|code| code.to_string());
            }
        }
    }
}

fn bounce_event(
    family: &'static str,
    recipient: &recipients::Found,
    line: u64,
    date: Option<i64>,
    delayed: bool,
) -> Result<ImportedEvent, String> {
    let address = check_address(&recipient.address, "recipient")?;
    let mut event = ImportedEvent::new(Source::Mail(family), line, location(line, ""), address);
    event.text = flatten(&recipient.diagnostic, MAX_TEXT_BYTES);
    let (reply, enhanced) = codes::find_codes(&event.text);
    event.reply = reply.map(ReplyCode::value);
    event.enhanced = enhanced.map(|code| code.to_string());
    event.command = find_command(&event.text);
    event.time = date;
    event.source_verdict = if delayed {
        "Action: delayed"
    } else {
        "Action: failed"
    }
    .to_owned();
    Ok(event)
}

/// The command a diagnostic says it answered, by the markers the classifier knows.
pub(crate) fn find_command(text: &str) -> Option<Command> {
    let folded = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    command::MARKERS
        .iter()
        .filter_map(|(marker, command)| folded.find(marker).map(|at| (at, *command)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, command)| command)
}

/// A feedback report (RFC 5965): the complaining recipient, as a complaint.
fn read_complaint(
    notice: &Notice,
    feedback: &[super::mime::Field],
    line: u64,
    date: Option<i64>,
    out: &mut Imported,
) -> Kind {
    let field = |name: &str| {
        feedback
            .iter()
            .find(|field| field.name == name)
            .map(|field| field.value.as_str())
    };
    let recipient = field("original-rcpt-to")
        .or_else(|| field("removal-recipient"))
        .or_else(|| notice.original_header("to"))
        .and_then(address_in);
    let Some(recipient) = recipient else {
        out.problem(
            line,
            location(line, ""),
            "is a feedback report without the complaining recipient: expected Original-Rcpt-To, or the reported message's To".to_owned(),
        );
        return Kind::NotRead;
    };
    match check_address(&recipient, "Original-Rcpt-To") {
        Ok(address) => {
            let mut event = ImportedEvent::complaint(
                Source::Mail("arf"),
                line,
                location(line, ""),
                address,
                field("feedback-type"),
            );
            event.time = field("arrival-date")
                .or_else(|| field("received-date"))
                .and_then(parse_rfc2822)
                .or(date);
            event.trace = trace::of_notice(notice);
            if let Some(reporter) = field("reporting-mta") {
                let name = reporter.split_once(';').map_or(reporter, |(_, name)| name);
                event.trace.reporting_mta = super::Trace::value(name);
            }
            out.events.push(event);
            Kind::Complaint
        }
        Err(message) => {
            out.problem(line, location(line, ""), message);
            Kind::NotRead
        }
    }
}

/// The first address in a header value or text.
fn address_in(value: &str) -> Option<String> {
    let value = value.trim();
    let inner = match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => &value[open + 1..close],
        _ => value,
    };
    let address = inner
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .find(|word| word.contains('@'))?
        .trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | ':'));
    (!address.is_empty()).then(|| address.to_ascii_lowercase())
}

/// RFC 3834 and the vacation programs' own marks.
fn is_auto_reply(notice: &Notice, subject: &str) -> bool {
    let header = |name: &str| notice.header(name).map(str::to_ascii_lowercase);
    let auto_submitted = header("auto-submitted").is_some_and(|v| v.starts_with("auto-replied"));
    let marked = [
        "x-autoreply",
        "x-autorespond",
        "x-ms-exchange-inbox-rules-loop",
    ]
    .iter()
    .any(|name| notice.header(name).is_some());
    let precedence = header("precedence").is_some_and(|v| v.contains("auto_reply"));
    const SUBJECTS: &[&str] = &[
        "out of office",
        "out of the office",
        "automatic reply",
        "auto-reply",
        "autoreply",
        "auto reply",
        "auto:",
        "vacation",
        "abwesenheit",
        "automatische antwort",
        "réponse automatique",
        "reponse automatique",
        "absence",
        "risposta automatica",
        "respuesta automática",
    ];
    auto_submitted || marked || precedence || SUBJECTS.iter().any(|s| subject.contains(s))
}

/// A bounce by its sender or subject alone, from a system no family names.
fn looks_bounced(from: &str, subject: &str) -> bool {
    const SENDERS: &[&str] = &[
        "mailer-daemon",
        "postmaster",
        "mail delivery",
        "mailerdaemon",
    ];
    const SUBJECTS: &[&str] = &[
        "undeliver",
        "undelivered",
        "returned mail",
        "delivery fail",
        "delivery status notification",
        "failure notice",
        "mail delivery failed",
        "delivery failure",
        "non remis",
        "non délivré",
        "unzustellbar",
        "nicht zugestellt",
        "nicht zustellbar",
        "no entregado",
        "non recapitato",
        "could not be delivered",
        "returned to sender",
        "delivery notification",
        "mail system error",
    ];
    SENDERS.iter().any(|s| from.contains(s)) || SUBJECTS.iter().any(|s| subject.contains(s))
}

/// A notice that the system will try again: a delay, not a failure.
fn is_delay(words: &str) -> bool {
    const DELAY: &[&str] = &[
        "has not yet been delivered",
        "delivery has been delayed",
        "delivery is delayed",
        "delayed mail",
        "will continue trying",
        "will retry",
        "will keep trying",
        "still trying",
        "delivery status notification (delay)",
        "warning: could not send message for past",
        "this is only a warning",
        "no action is required on your part",
    ];
    DELAY.iter().any(|phrase| words.contains(phrase))
}
