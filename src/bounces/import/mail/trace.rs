//! What a bounce mail says about where it came from: the server that wrote it, the server
//! that refused the mail, and the returned message's Message-ID and List-Id.

use std::sync::LazyLock;

use regex::Regex;

use super::notice::Notice;
use crate::bounces::import::Trace;

/// Who writes bounces: a From of these local parts is the reporting server's own daemon.
const DAEMONS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "mail-daemon",
    "maildaemon",
    "mailerdaemon",
    "mail.delivery.system",
    "bounce",
    "bounces",
    "nobody",
];

/// The server a diagnostic names as the one that answered: Postfix "host mx.example.org
/// [192.0.2.1] said", Exim "host mx.example.org [192.0.2.1]", Sendmail "while talking to
/// mx.example.org.", qmail "Connected to 192.0.2.1", Exchange "Remote server: ...".
static REMOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:host|while talking to|connected to|remote (?:server|host|mta)\s*:?)\s+\[?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*|\d{1,3}(?:\.\d{1,3}){3})\.?\]?",
    )
    .expect("regex")
});

/// Exchange and Office 365 name the server that wrote the report.
static GENERATING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bgenerating server:\s*([a-z0-9][a-z0-9.-]*[a-z0-9])").expect("regex")
});

/// The trace of a notice: the reporting server and the returned message's ids.
pub(super) fn of_notice(notice: &Notice) -> Trace {
    Trace {
        reporting_mta: reporting_mta(notice),
        remote_mta: None,
        message_id: notice.original_header("message-id").and_then(Trace::value),
        list_id: notice.original_header("list-id").and_then(Trace::value),
    }
}

/// The server named in a recipient's diagnostic.
pub(super) fn remote_mta(diagnostic: &str) -> Option<String> {
    REMOTE
        .captures(diagnostic)
        .and_then(|found| Trace::value(&found[1]))
}

fn reporting_mta(notice: &Notice) -> Option<String> {
    if let Some(found) = GENERATING.captures(&notice.text) {
        return Trace::value(&found[1]);
    }
    let from = notice.header("from")?;
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from.trim(),
    };
    let (local, domain) = address.rsplit_once('@')?;
    let local = local.to_ascii_lowercase();
    DAEMONS
        .contains(&local.as_str())
        .then(|| Trace::value(domain))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row: a diagnostic as a mail system writes it, and the server it names.
    #[test]
    fn the_remote_server_is_read_from_the_diagnostic() {
        for (text, server) in [
            // Postfix (bounce(8) notice)
            (
                "host mx.example.org[192.0.2.1] said: 550 5.1.1 <a@example.org>: User unknown",
                Some("mx.example.org"),
            ),
            // Exim
            (
                "host mx1.example.net [192.0.2.2]\n    SMTP error from remote mail server after RCPT TO:<a@example.net>: 550 no such user",
                Some("mx1.example.net"),
            ),
            // Sendmail transcript
            (
                "... while talking to mail.example.com.:\n>>> RCPT To:<a@example.com>\n<<< 550 5.1.1 unknown",
                Some("mail.example.com"),
            ),
            // qmail
            (
                "Connected to 192.0.2.7 but sender was rejected.\nRemote host said: 553 sorry",
                Some("192.0.2.7"),
            ),
            // No server named: the reporting server decided itself.
            ("550 5.2.2 mailbox full", None),
            ("The host is unreachable", None),
        ] {
            assert_eq!(remote_mta(text).as_deref(), server, "{text}");
        }
    }
}
