//! The recipients of a bounce notice and what was said about each. Nearly every mail system
//! writes a failed recipient at the start of a line (`<ann@example.org>:` in Postfix and
//! qmail, `  ann@example.org` in Exim, `ann@example.org on 3/2/2026` in Exchange 2003,
//! `Recipient address: ann@example.org` in Messaging Server) or in one of a few sentences
//! ("Your message to ann@example.org couldn't be delivered"), and the lines after it, up to
//! the next recipient, are the reply and the hosts. The notice ends where the returned
//! message begins. A recipient with nothing said after it (Sendmail lists them first) takes
//! the lines elsewhere in the notice that name it beside a reply code.

use std::sync::LazyLock;

use regex::Regex;

/// Lines kept per recipient: the reply is near the address.
const MAX_LINES: usize = 40;

/// An address as bounces write them (ASCII; a Unicode local part is rare in bounces).
const ADDRESS: &str = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+";

/// A line that starts with an address, maybe after a bullet or a label. A label ends at a
/// colon, a space or the address's bracket: `user0@example.org` is an address, not the label
/// "user" before `0@example.org`.
static AT_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)^\s*(?:[-*>•]+\s*)?(?:(?P<label>(?:final-|original-)?recipient(?:\s+address)?|original\s+address|failed\s+recipient|address|user|unknown\s+user|宛先|宛て先|あて先|受信者|empfänger|destinataire|получатель)(?:\s*[:：]|\s|[<"])\s*)?(?:rfc822\s*;\s*)?"?<?(?P<address>{ADDRESS})>?"?:?(?P<rest>.*)$"#
    ))
    .expect("regex")
});

/// The sentences that name the failed recipient inside a line.
static IN_SENTENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(?:your message to|wasn't delivered to|was not delivered to|could not be delivered to|couldn't be delivered to|delivery to|undeliverable to|not be delivered to|failed to deliver to|message for)\s*:?\s*"?<?(?P<address>{ADDRESS})>?"?"#
    ))
    .expect("regex")
});

/// `Original address: ...` (Messaging Server) and `Original-Recipient: ...` in a notice.
static ORIGINAL_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*original[- ](?:address|recipient)\s*:").expect("regex"));

/// Postfix: `<ann@example.org> (expanded from <sales@example.org>):`.
static EXPANDED_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\(expanded from <?(?P<address>{ADDRESS})>?\)"
    ))
    .expect("regex")
});

static REPLY_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[45][0-9][0-9]\b").expect("regex"));

/// A failed recipient and the lines said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) address: String,
    pub(crate) diagnostic: String,
}

/// The recipients named in `text`, leaving out the addresses in `exclude` (lower case: the
/// bounce's sender, the returned message's sender).
pub(crate) fn find(text: &str, exclude: &[String]) -> Vec<Found> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .iter()
        .position(|line| is_end(line))
        .unwrap_or(lines.len());
    let section = &lines[..end];
    let excluded = |address: &str| {
        let lower = address.to_ascii_lowercase();
        let local = lower.split('@').next().unwrap_or_default();
        exclude.contains(&lower)
            || matches!(
                local,
                "mailer-daemon" | "postmaster" | "mailerdaemon" | "mail-daemon"
            )
    };

    let mut found: Vec<(String, Vec<&str>)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in section {
        let named = AT_START
            .captures(line)
            .map(|c| {
                (
                    c["address"].to_owned(),
                    c.name("rest").map_or("", |m| m.as_str()),
                )
            })
            .or_else(|| {
                IN_SENTENCE
                    .captures(line)
                    .map(|c| (c["address"].to_owned(), *line))
            })
            .filter(|(address, _)| !excluded(address));
        match named {
            // The address the sender used, beside the one the server rewrote it to.
            Some((address, _)) if current.is_some() && ORIGINAL_LABEL.is_match(line) => {
                if let Some(index) = current {
                    found[index].0 = address;
                    found[index].1.push(line);
                }
            }
            Some((address, rest)) => {
                let known = found
                    .iter()
                    .position(|(a, _)| a.eq_ignore_ascii_case(&address));
                match (known, current) {
                    // The same recipient again in its own lines: its reply goes on.
                    (Some(index), Some(now)) if index == now => found[index].1.push(line),
                    (Some(index), _) => {
                        current = Some(index);
                        found[index].1.push(rest);
                    }
                    (None, _) => {
                        current = Some(found.len());
                        found.push((address, vec![rest]));
                    }
                }
            }
            None => {
                if let Some(index) = current
                    && found[index].1.len() < MAX_LINES
                {
                    found[index].1.push(line);
                }
            }
        }
    }

    found
        .into_iter()
        .map(|(address, lines)| {
            let mut diagnostic = join(&lines);
            if !REPLY_CODE.is_match(&diagnostic) {
                // Said elsewhere: Sendmail's transcript, a summary under the list.
                let elsewhere: Vec<&str> = section
                    .iter()
                    .filter(|line| {
                        line.to_ascii_lowercase()
                            .contains(&address.to_ascii_lowercase())
                            && (REPLY_CODE.is_match(line) || line.trim_start().starts_with(">>>"))
                    })
                    .copied()
                    .collect();
                if !elsewhere.is_empty() {
                    diagnostic = format!("{diagnostic} {}", join(&elsewhere))
                        .trim()
                        .to_owned();
                }
            }
            let address = EXPANDED_FROM
                .captures(&diagnostic)
                .map_or(address, |c| c["address"].to_owned());
            Found {
                address,
                diagnostic,
            }
        })
        .collect()
}

/// The notice up to where the returned message begins.
pub(crate) fn notice_part(text: &str) -> &str {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        if is_end(line) {
            break;
        }
        end += line.len();
    }
    &text[..end]
}

/// Lines as one text: trimmed, joined by a space, blank ones dropped.
fn join(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the notice ends and the returned message (or its header) begins.
fn is_end(line: &str) -> bool {
    let lower = line.trim().to_ascii_lowercase();
    let ruled = lower.starts_with(['-', '=', '*', '_']);
    let names_the_original = [
        "original message",
        "copy of the message",
        "returned message",
        "message header",
        "headers of the",
        "header of the original",
        "original headers",
        "undelivered message",
    ]
    .iter()
    .any(|words| lower.contains(words));
    (ruled && names_the_original)
        || lower.starts_with("original message headers")
        || lower.starts_with("original message:")
        || line.starts_with("Received: from ")
        || line.starts_with("Return-Path: ")
        || lower.starts_with("content-type: message/rfc822")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, String)> {
        find(text, &["sender@example.com".to_owned()])
            .into_iter()
            .map(|f| (f.address, f.diagnostic))
            .collect()
    }

    #[test]
    fn a_recipient_line_and_the_lines_after_it() {
        let postfix = "This is the mail system at host mx.example.com.\n\n<ann@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1\n    <ann@example.org>: Recipient address rejected: User unknown (in reply to RCPT\n    TO command)\n<bob@example.net>: host mx.example.net[192.0.2.2] said: 452 4.2.2 mailbox full\n";
        assert_eq!(
            found(postfix),
            [
                (
                    "ann@example.org".to_owned(),
                    "host mx.example.org[192.0.2.1] said: 550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)".to_owned()
                ),
                (
                    "bob@example.net".to_owned(),
                    "host mx.example.net[192.0.2.2] said: 452 4.2.2 mailbox full".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn the_notice_ends_where_the_returned_message_begins() {
        let exim = "A message that you sent could not be delivered.\n\n  ann@example.org\n    550 no such user\n\n------ This is a copy of the message, including all the headers. ------\nReturn-path: <sender@example.com>\nTo: carl@example.org\n";
        assert_eq!(
            found(exim),
            [("ann@example.org".to_owned(), "550 no such user".to_owned())]
        );
    }

    /// A local part that starts with a label's word is the address, not a label before it.
    #[test]
    fn a_label_word_at_the_start_of_a_local_part_is_not_a_label() {
        for (line, address) in [
            ("  user0@example.org", "user0@example.org"),
            ("  addressbook@example.org", "addressbook@example.org"),
            ("  recipients@example.org", "recipients@example.org"),
            ("User: ann@example.org", "ann@example.org"),
            ("Recipient address: <ann@example.org>", "ann@example.org"),
            (
                "Original-Recipient: rfc822;ann@example.org",
                "ann@example.org",
            ),
            ("宛先：ann@example.org", "ann@example.org"),
            ("user<ann@example.org>", "ann@example.org"),
        ] {
            let text = format!("{line}\n    550 no such user\n");
            let read = found(&text);
            assert_eq!(
                read.first().map(|(a, _)| a.as_str()),
                Some(address),
                "{line}"
            );
        }
    }

    #[test]
    fn a_sentence_names_the_recipient_and_senders_are_left_out() {
        let o365 = "Your message to Ann@Example.org couldn't be delivered.\nsender@example.com, your message was not sent.\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'\n";
        assert_eq!(
            found(o365),
            [(
                "Ann@Example.org".to_owned(),
                "Your message to Ann@Example.org couldn't be delivered. sender@example.com, your message was not sent. Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'".to_owned()
            )]
        );
        assert_eq!(found("MAILER-DAEMON@example.net\n"), []);
    }

    #[test]
    fn a_recipient_listed_first_takes_the_reply_that_names_it() {
        let sendmail = "----- The following addresses had permanent fatal errors -----\n<ann@example.org>\n<bob@example.org>\n    (reason: 550 5.1.1 User unknown)\n\n----- Transcript of session follows -----\n>>> RCPT To:<ann@example.org>\n<<< 550 5.1.1 <ann@example.org>... User unknown\n";
        let result = found(sendmail);
        assert_eq!(result[0].0, "ann@example.org");
        assert_eq!(
            result[0].1,
            ">>> RCPT To:<ann@example.org> <<< 550 5.1.1 <ann@example.org>... User unknown"
        );
        assert_eq!(result[1].0, "bob@example.org");
        assert!(result[1].1.starts_with("(reason: 550 5.1.1 User unknown)"));
    }
}
