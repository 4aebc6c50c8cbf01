//! The SMTP command a bounce answered. The same words mean different things at different
//! steps: "user unknown" in reply to RCPT TO is a dead mailbox, in reply to the end of DATA it
//! is the recipient's content filter, and in reply to MAIL FROM it is about the sender.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The step of the SMTP session a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    /// The greeting, HELO/EHLO, STARTTLS or AUTH: before any address was named.
    Connect,
    /// MAIL FROM: the envelope sender.
    Mail,
    /// RCPT TO: the recipient.
    Rcpt,
    /// DATA or the end of the message: the recipient had already been accepted.
    Data,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Connect => "connect",
            Command::Mail => "mail",
            Command::Rcpt => "rcpt",
            Command::Data => "data",
        }
    }
}

impl Command {
    /// The command as a history names it: `rcpt`, `RCPT TO`, `CONN`, `HELO`, `end of data`.
    pub fn parse(name: &str) -> Option<Command> {
        let name = name.trim().to_ascii_lowercase();
        let word = name.split([' ', ':']).next().unwrap_or_default();
        Some(match word {
            "connect" | "conn" | "connection" | "greeting" | "helo" | "ehlo" | "starttls"
            | "auth" => Command::Connect,
            "mail" => Command::Mail,
            "rcpt" => Command::Rcpt,
            "data" | "end" | "body" => Command::Data,
            _ => return None,
        })
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How mail systems write the command into a bounce (lowercase, spaces folded): Postfix "(in
/// reply to RCPT TO command)", Exim "after RCPT TO:<...>" and "after end of data", Sendmail
/// ">>> RCPT To:<...>", Postfix "refused to talk to me" for the greeting, qmail "does not like
/// recipient". The earliest marker in a text wins.
pub(crate) const MARKERS: &[(&str, Command)] = &[
    ("in reply to rcpt to command", Command::Rcpt),
    // Yahoo tags the reply it relays: "... [RCPT_TO]"; GMX: "for RCPT TO command".
    ("[rcpt_to]", Command::Rcpt),
    ("[mail_from]", Command::Mail),
    ("for rcpt to command", Command::Rcpt),
    ("for mail from command", Command::Mail),
    ("for data command", Command::Data),
    // Exim with PIPELINING: "after pipelined MAIL FROM:<...>", "after pipelined end of data".
    ("after pipelined rcpt to", Command::Rcpt),
    ("after pipelined mail from", Command::Mail),
    ("after pipelined data", Command::Data),
    ("after pipelined end of data", Command::Data),
    ("after rcpt to", Command::Rcpt),
    (">>> rcpt to", Command::Rcpt),
    ("in reply to end of data command", Command::Data),
    ("in reply to data command", Command::Data),
    ("after end of data", Command::Data),
    ("after data", Command::Data),
    ("rejected after data", Command::Data),
    (">>> data", Command::Data),
    ("after message body", Command::Data),
    ("in reply to mail from command", Command::Mail),
    ("after mail from", Command::Mail),
    (">>> mail from", Command::Mail),
    ("in reply to helo command", Command::Connect),
    ("in reply to ehlo command", Command::Connect),
    ("in reply to starttls command", Command::Connect),
    ("in reply to auth command", Command::Connect),
    ("after helo", Command::Connect),
    ("after ehlo", Command::Connect),
    ("after starttls", Command::Connect),
    ("after initial connection", Command::Connect),
    ("refused to talk to me", Command::Connect),
    ("in reply to initial greeting", Command::Connect),
    // Kerio: "Server response (connection greeting):".
    ("connection greeting", Command::Connect),
    (">>> helo", Command::Connect),
    (">>> ehlo", Command::Connect),
    // McAfee: "rejected the message during the MAIL FROM command".
    ("during the rcpt to command", Command::Rcpt),
    ("during the mail from command", Command::Mail),
    ("during the data command", Command::Data),
    // German (Kerio "nach RCPT TO", web.de / GMX "beim Befehl RCPT TO") and French (Free,
    // Orange "en réponse à la commande RCPT TO") notices.
    ("nach rcpt to", Command::Rcpt),
    ("nach mail from", Command::Mail),
    ("nach data", Command::Data),
    ("nach ende der daten", Command::Data),
    ("befehl rcpt to", Command::Rcpt),
    ("befehl mail from", Command::Mail),
    ("befehl data", Command::Data),
    ("commande rcpt to", Command::Rcpt),
    ("commande mail from", Command::Mail),
    ("commande data", Command::Data),
    // qmail-remote's words for the same steps.
    ("does not like recipient", Command::Rcpt),
    ("failed after i sent the message", Command::Data),
    ("but sender was rejected", Command::Mail),
    ("but greeting failed", Command::Connect),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_named_alike_everywhere() {
        for command in [
            Command::Connect,
            Command::Mail,
            Command::Rcpt,
            Command::Data,
        ] {
            assert_eq!(
                serde_json::to_string(&command).unwrap(),
                format!("\"{command}\"")
            );
            assert_eq!(command.to_string(), command.as_str());
        }
        assert_eq!(Command::Rcpt.as_str(), "rcpt");
    }

    #[test]
    fn a_command_parses_from_its_name_and_the_names_histories_use() {
        for (name, command) in [
            ("rcpt", Some(Command::Rcpt)),
            ("RCPT TO", Some(Command::Rcpt)),
            ("rcpt:", Some(Command::Rcpt)),
            ("MAIL FROM", Some(Command::Mail)),
            ("CONN", Some(Command::Connect)),
            ("HELO", Some(Command::Connect)),
            ("ehlo", Some(Command::Connect)),
            ("connect", Some(Command::Connect)),
            ("DATA", Some(Command::Data)),
            ("end of data", Some(Command::Data)),
            ("", None),
            ("quit", None),
        ] {
            assert_eq!(Command::parse(name), command, "{name:?}");
        }
        for command in [
            Command::Connect,
            Command::Mail,
            Command::Rcpt,
            Command::Data,
        ] {
            assert_eq!(Command::parse(command.as_str()), Some(command));
        }
    }
}
