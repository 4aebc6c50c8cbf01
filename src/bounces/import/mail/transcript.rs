//! The SMTP session a bounce copies, when it does: Sendmail's `>>> RCPT To:<...>` / `<<< 550
//! ...`, MDaemon's `--> RCPT To:<...>` / `<-- 550 ...` (after a time stamp). The refusal is the
//! first 4xx or 5xx reply after the command that named the recipient (else the first one), and
//! the command it answered is the last one sent before it.

use crate::bounces::command::Command;

/// A reply that refused the mail, and the command it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) command: Option<Command>,
    /// The reply, its continuation lines joined by a space.
    pub(super) reply: String,
    /// The session names the recipient (in a command or in the reply): the reply is its own.
    pub(super) named: bool,
}

enum Turn<'a> {
    Sent(&'a str),
    Received(&'a str),
}

/// The line's turn in the session, after any time stamp before the arrow.
fn turn(line: &str) -> Option<Turn<'_>> {
    for (arrow, sent) in [
        (">>> ", true),
        ("--> ", true),
        ("<<< ", false),
        ("<-- ", false),
    ] {
        if let Some(at) = line.find(arrow) {
            let rest = line[at + arrow.len()..].trim();
            return Some(if sent {
                Turn::Sent(rest)
            } else {
                Turn::Received(rest)
            });
        }
    }
    None
}

/// A 4xx or 5xx reply line: its code.
fn failing_code(reply: &str) -> Option<&str> {
    let code = reply.get(..3)?;
    let separator = reply[3..].chars().next();
    (matches!(code.as_bytes()[0], b'4' | b'5')
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(separator, None | Some(' ' | '-')))
    .then_some(code)
}

fn is_rcpt(turn: &Turn<'_>) -> bool {
    matches!(turn, Turn::Sent(sent) if sent.get(..4).is_some_and(|verb| verb.eq_ignore_ascii_case("rcpt")))
}

/// The refusal in `text` for `address` (any refusal when no command names it).
pub(super) fn refusal(text: &str, address: &str) -> Option<Refusal> {
    let turns: Vec<Turn<'_>> = text.lines().filter_map(turn).collect();
    let address = address.to_ascii_lowercase();
    let mentions = |text: &str| text.to_ascii_lowercase().contains(&address);
    let named = turns
        .iter()
        .position(|turn| matches!(turn, Turn::Sent(sent) if mentions(sent)));
    // A session that never names the recipient in a command may name it in the reply (a
    // refusal after DATA: "<<< 552 5.2.2 <sales@example.net>... Mailbox full").
    let named = named.or_else(|| {
        turns.iter().position(|turn| {
            matches!(turn, Turn::Received(reply) if failing_code(reply).is_some() && mentions(reply))
        })
    });
    // Recipients the session names are each their own: one it does not name is none of
    // theirs.
    if named.is_none() && turns.iter().any(is_rcpt) {
        return None;
    }
    // A reply answers the last command sent before it; another recipient's RCPT TO and its
    // reply say nothing about this one.
    let mut last_sent: Option<usize> = None;
    let mut found = None;
    for (at, turn) in turns.iter().enumerate() {
        match turn {
            Turn::Sent(_) => last_sent = Some(at),
            Turn::Received(reply) => {
                let Some(code) = failing_code(reply) else {
                    continue;
                };
                let answers_another = named != Some(at)
                    && matches!(
                        (named, last_sent),
                        (Some(named), Some(sent)) if sent != named && is_rcpt(&turns[sent])
                    );
                let before_named = named.is_some_and(|named| at < named);
                if !answers_another && !before_named {
                    found = Some((at, code));
                    break;
                }
            }
        }
    }
    let (at, code) = found?;
    // A multi-line reply (`550-...` then `550 ...`) is one reply.
    let reply = turns[at..]
        .iter()
        .map_while(|turn| match turn {
            Turn::Received(reply) if reply.starts_with(code) => Some(*reply),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let command = turns[..at].iter().rev().find_map(|turn| match turn {
        Turn::Sent(sent) => Some(*sent),
        Turn::Received(_) => None,
    });
    Some(Refusal {
        named: named.is_some(),
        // `.` ends the message: the reply answers DATA.
        command: command.and_then(|sent| {
            if sent == "." {
                Some(Command::Data)
            } else {
                Command::parse(sent)
            }
        }),
        reply,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row: a transcript as a mail system writes it, the address, the command and the
    /// reply read.
    #[test]
    fn the_refusal_and_its_command_are_read_from_a_session_transcript() {
        let mdaemon = "Wed 2024-04-17 10:31:02.231: --> MAIL From:<sales@example.org> SIZE=4821\n\
             Wed 2024-04-17 10:31:02.260: <-- 250 2.1.0 Ok\n\
             Wed 2024-04-17 10:31:02.260: --> RCPT To:<yuki@example.net>\n\
             Wed 2024-04-17 10:31:02.301: <-- 550 5.1.1 <yuki@example.net>: User unknown\n\
             Wed 2024-04-17 10:31:02.302: --> QUIT\n";
        let sendmail_two = ">>> RCPT To:<ann@example.net>\n<<< 250 ok\n>>> RCPT To:<bob@example.net>\n\
             <<< 552-5.2.2 Mailbox full\n<<< 552 5.2.2 try later\n>>> QUIT\n";
        let data = ">>> DATA\n<<< 354 go ahead\n>>> .\n<<< 554 5.7.1 spam detected\n";
        let greeting = "<<< 554 5.7.1 mx.example.net: connection refused\n";
        let after_data = ">>> RCPT To:<ann@example.net>\n<<< 550 5.1.1 <ann@example.net>... User unknown\n\
             >>> DATA\n<<< 552 5.2.2 <sales@example.net>... Mailbox full\n";
        for (text, address, command, reply) in [
            (
                mdaemon,
                "yuki@example.net",
                Some(Command::Rcpt),
                "550 5.1.1 <yuki@example.net>: User unknown",
            ),
            (
                sendmail_two,
                "bob@example.net",
                Some(Command::Rcpt),
                "552-5.2.2 Mailbox full 552 5.2.2 try later",
            ),
            (
                data,
                "cid@example.net",
                Some(Command::Data),
                "554 5.7.1 spam detected",
            ),
            (
                greeting,
                "dan@example.net",
                None,
                "554 5.7.1 mx.example.net: connection refused",
            ),
            (
                after_data,
                "sales@example.net",
                Some(Command::Data),
                "552 5.2.2 <sales@example.net>... Mailbox full",
            ),
            (
                after_data,
                "ann@example.net",
                Some(Command::Rcpt),
                "550 5.1.1 <ann@example.net>... User unknown",
            ),
        ] {
            let found = refusal(text, address).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(found.command, command, "{text}");
            assert_eq!(found.reply, reply, "{text}");
        }
        // ann was accepted: bob's refusal is not hers, nor carl's, whom the session never named.
        assert_eq!(refusal(sendmail_two, "ann@example.net"), None);
        assert_eq!(refusal(sendmail_two, "carl@example.net"), None);
        assert_eq!(refusal("550 5.1.1 user unknown\n", "ann@example.net"), None);
        assert_eq!(refusal(">>> RCPT To:<a@b.c>\n<<< 250 ok\n", "a@b.c"), None);
    }
}
