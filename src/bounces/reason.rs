//! The reasons a bounce can give, in the vocabulary that bounce-analysis tools share (Sisimai's
//! names), and whose fault each one is. Only a reason on the address's side may ever suppress
//! it: a bounce caused by the sender or by the path says nothing about the address.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// Whose fault a bounce is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The address: dead, full, disabled, filtered.
    Address,
    /// The sender: its IP, reputation, authentication, rate, content or protocol.
    Sender,
    /// The way between: DNS, routing, time-outs, a broken receiving system.
    Path,
    /// Not enough to tell, or not a bounce at all.
    None,
}

macro_rules! reasons {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $side:ident; )*) => {
        /// What a bounce says happened.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema,
        )]
        pub enum Reason {
            $( $(#[doc = $doc])* #[serde(rename = $name)] $variant, )*
        }

        impl Reason {
            /// Every reason, in the order of the table in README.md.
            pub const ALL: &[Reason] = &[$(Reason::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Reason::$variant => $name,)* }
            }

            /// Whose fault the bounce is.
            pub fn side(self) -> Side {
                match self { $(Reason::$variant => Side::$side,)* }
            }
        }
    };
}

reasons! {
    /// The mailbox does not exist.
    UserUnknown = "userunknown", Address;
    /// The recipient's domain does not exist or has no mail host.
    HostUnknown = "hostunknown", Address;
    /// The address was replaced: "no longer on this server", x.1.6, 551.
    HasMoved = "hasmoved", Address;
    /// The domain takes no mail at all: null MX (x.1.10), 521, 556, x.3.2.
    NotAccept = "notaccept", Address;
    /// The mailbox is full or over quota (x.2.2).
    MailboxFull = "mailboxfull", Address;
    /// The account is disabled, suspended or locked; it may come back.
    Suspend = "suspend", Address;
    /// The recipient's own filter or preferences refused it, or its content filter after DATA.
    Filtered = "filtered", Address;
    /// The recipient's mail host does not take mail for this domain ("relay access denied").
    NoRelaying = "norelaying", Address;
    /// The sending IP or host is refused: blocklists, "client host blocked", HELO rejected.
    Blocked = "blocked", Sender;
    /// The content was judged to be spam.
    SpamDetected = "spamdetected", Sender;
    /// A local policy refused the message (greylisting among them).
    PolicyViolation = "policyviolation", Sender;
    /// SPF, DKIM or DMARC failed.
    AuthFailure = "authfailure", Sender;
    /// The sending IP's or domain's reputation.
    BadReputation = "badreputation", Sender;
    /// The sending IP has no or a bad reverse DNS name.
    RequirePtr = "requireptr", Sender;
    /// Too many connections, messages or recipients.
    RateLimited = "ratelimited", Sender;
    /// The envelope sender was refused (x.1.7, x.1.8).
    Rejected = "rejected", Sender;
    /// The message is too large (x.2.3, x.3.4).
    EmailTooLarge = "emailtoolarge", Sender;
    /// Malware was found in the message.
    VirusDetected = "virusdetected", Sender;
    /// The content or an attachment was refused (not as spam).
    ContentError = "contenterror", Sender;
    /// The message breaks RFC 5322 (bare LF, duplicate headers, missing fields).
    NotCompliantRfc = "notcompliantrfc", Sender;
    /// TLS or authentication is required on the session, or the sender is not authorised.
    SecurityError = "securityerror", Sender;
    /// STARTTLS failed or was required.
    FailedStartTls = "failedstarttls", Sender;
    /// An SMTP protocol error: 500-504, x.5.x.
    SyntaxError = "syntaxerror", Sender;
    /// The retry time ran out; the cause is unknown.
    Expired = "expired", Path;
    /// DNS trouble, a routing loop, too many hops, a time-out (x.4.x).
    NetworkError = "networkerror", Path;
    /// The receiving system failed.
    SystemError = "systemerror", Path;
    /// The receiving system's disk is full (x.3.1).
    SystemFull = "systemfull", Path;
    /// The local delivery program failed.
    MailerError = "mailererror", Path;
    /// Too little to decide.
    OnHold = "onhold", None;
    /// Nothing to go on.
    Undefined = "undefined", None;
    /// Not a bounce: delivered (2xx).
    Delivered = "delivered", None;
    /// Not a bounce: an auto-reply (RFC 3834).
    Vacation = "vacation", None;
    /// Not a bounce: a complaint or abuse report (ARF, RFC 5965).
    Feedback = "feedback", None;
}

impl Reason {
    /// A refusal of the sender (its IP, reputation, setup or content), recorded against the
    /// address it was sending to: a list full of them has a sender problem, not dead addresses.
    pub fn is_sender_block(self) -> bool {
        self.side() == Side::Sender
    }
}

/// The reason names of bouncegate 0.1, and the names that replace them.
const RENAMED: &[(&str, &str)] = &[
    ("user-unknown", "userunknown"),
    ("domain-unknown", "hostunknown"),
    ("null-mx", "notaccept"),
    ("bad-address", "userunknown"),
    ("moved", "hasmoved"),
    ("account-disabled", "suspend"),
    ("mailbox-full", "mailboxfull"),
    ("mailbox-unavailable", "onhold"),
    ("greylisted", "policyviolation"),
    ("rate-limited", "ratelimited"),
    ("spam-block", "blocked or spamdetected"),
    ("policy-block", "policyviolation, authfailure or requireptr"),
    ("message-too-large", "emailtoolarge"),
    ("content-rejected", "contenterror"),
    ("system-error", "systemerror"),
    ("network-error", "networkerror"),
    ("protocol-error", "syntaxerror"),
    ("sender-address", "rejected"),
    ("unknown", "undefined"),
];

impl FromStr for Reason {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(reason) = Reason::ALL.iter().find(|r| r.as_str() == text) {
            return Ok(*reason);
        }
        if let Some((_, new)) = RENAMED.iter().find(|(old, _)| *old == text) {
            return Err(format!("reason '{text}' was renamed: use {new}"));
        }
        Err(format!(
            "unknown reason '{text}': expected one of {}",
            Reason::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_old_names_say_the_new_one() {
        for reason in Reason::ALL {
            assert_eq!(reason.as_str().parse::<Reason>(), Ok(*reason));
            assert_eq!(
                serde_json::to_string(reason).unwrap(),
                format!("\"{reason}\"")
            );
        }
        assert_eq!(
            "user-unknown".parse::<Reason>().unwrap_err(),
            "reason 'user-unknown' was renamed: use userunknown"
        );
        assert!(
            "lost"
                .parse::<Reason>()
                .unwrap_err()
                .contains("userunknown, hostunknown")
        );
    }

    #[test]
    fn only_the_address_side_is_the_address() {
        let address: Vec<&str> = Reason::ALL
            .iter()
            .filter(|r| r.side() == Side::Address)
            .map(|r| r.as_str())
            .collect();
        assert_eq!(
            address,
            [
                "userunknown",
                "hostunknown",
                "hasmoved",
                "notaccept",
                "mailboxfull",
                "suspend",
                "filtered",
                "norelaying"
            ]
        );
        assert!(Reason::Blocked.is_sender_block());
        assert!(!Reason::NetworkError.is_sender_block());
    }
}
