//! The mail systems whose bounce mails are told apart, and how: each by the words its
//! notices are known to use (from the systems' documentation and the bounces they are known
//! to send). The family names the `source` of an event and the warning for a mail that could
//! not be read; the reading itself is shared (see `recipients`), since almost every system
//! writes the same thing: a recipient, then what the remote server said.

/// A mail system, the domains its bounces come from (in the From), and the lower-case
/// phrases (in the Subject or the notice text) that tell its bounces from others'. Earlier
/// rows win: the specific before the general. A provider is known by its sender domain only:
/// a recipient at gmail.com in a Postfix bounce does not make it Gmail's.
pub(crate) struct Family {
    pub(crate) name: &'static str,
    senders: &'static [&'static str],
    phrases: &'static [&'static str],
}

const fn family(
    name: &'static str,
    senders: &'static [&'static str],
    phrases: &'static [&'static str],
) -> Family {
    Family {
        name,
        senders,
        phrases,
    }
}

pub(crate) const FAMILIES: &[Family] = &[
    // Providers, whose own words (or own domains) are the surest sign.
    family("docomo", &["docomo.ne.jp"], &[]),
    family("au-kddi", &["ezweb.ne.jp", "au.com"], &[]),
    family("softbank", &["softbank.ne.jp", "i.softbank.jp"], &[]),
    family("amazon-ses", &["amazonses.com"], &[]),
    family("amazon-workmail", &["awsapps.com"], &["workmail"]),
    family("google-groups", &["googlegroups.com"], &["google groups"]),
    family(
        "gmail",
        &[],
        &[
            "mail delivery subsystem",
            "delivery to the following recipient failed permanently",
            "delivery to the following recipients failed permanently",
            "address not found",
            "your message wasn't delivered to",
            "the response from the remote server was",
            "the response was:",
        ],
    ),
    family(
        "yahoo",
        &["yahoo.com"],
        &["sorry, we were unable to deliver your message to the following address"],
    ),
    family("aol", &["aol.com"], &[]),
    family("icloud", &["icloud.com", "me.com", "mac.com"], &[]),
    family("verizon", &["verizon.net"], &[]),
    family("mail-ru", &["mail.ru", "corp.mail.ru"], &[]),
    family("yandex", &[], &["yandex"]),
    family(
        "gmx-webde",
        &["gmx.net", "gmx.de", "gmx.com", "web.de", "mail.com"],
        &[],
    ),
    family("orange", &["orange.fr", "wanadoo.fr"], &[]),
    family("free-fr", &["free.fr"], &[]),
    // Microsoft.
    family(
        "office365",
        &["protection.outlook.com", "outlook.com", "hotmail.com"],
        &[
            "couldn't be delivered",
            "wasn't found at",
            "microsoft exchange online",
        ],
    ),
    family(
        "exchange2003",
        &[],
        &[
            "your message did not reach some or all of the intended recipients",
            "the following recipient(s) could not be reached",
        ],
    ),
    family(
        "exchange",
        &[],
        &[
            "delivery has failed to these recipients or groups",
            "diagnostic information for administrators",
            "remote server returned",
            "generating server:",
            "microsoft exchange",
        ],
    ),
    family(
        "iis",
        &[],
        &["unable to deliver the message to the following recipients"],
    ),
    family("domino", &[], &["domino", "was not delivered to:"]),
    family(
        "groupwise",
        &[],
        &["groupwise", "the message that you sent was undeliverable"],
    ),
    family(
        "messaging-server",
        &[],
        &[
            "this report relates to a message you sent",
            "recipient address:",
        ],
    ),
    // Mail servers.
    family(
        "exim",
        &[],
        &["this message was created automatically by mail delivery software"],
    ),
    family(
        "qmail",
        &[],
        &[
            "this is the qmail-send program",
            "qmail-send",
            "qmail-ldap",
            "vpopmail",
            "does not like recipient",
            "giving up on",
        ],
    ),
    family(
        "sendmail",
        &[],
        &[
            "the following addresses had permanent fatal errors",
            "the following addresses had transient non-fatal errors",
            "transcript of session follows",
            "the original message was received at",
        ],
    ),
    family(
        "courier",
        &[],
        &["this is a delivery status notification from", "courier"],
    ),
    family(
        "opensmtpd",
        &[],
        &["this is the mailer-daemon, please do not reply"],
    ),
    family("haraka", &[], &["haraka"]),
    family("powermta", &[], &["powermta", "pmta"]),
    family("mdaemon", &[], &["mdaemon"]),
    family("zimbra", &[], &["zimbra"]),
    family("kerio", &[], &["kerio"]),
    family(
        "postfix",
        &[],
        &["this is the mail system at host", "postfix"],
    ),
    // Security gateways that bounce in their own words.
    family("mimecast", &[], &["mimecast"]),
    family("proofpoint", &["pphosted.com"], &["proofpoint"]),
    family("barracuda", &[], &["barracuda"]),
    family("trend-micro", &[], &["trend micro", "interscan", "imss"]),
    family("mcafee", &[], &["mcafee"]),
    family("sophos", &[], &["sophos"]),
    family("mailmarshal", &[], &["mailmarshal"]),
    family("symantec", &[], &["messagelabs", "symantec"]),
];

/// The bounce of a system not named above: found by its sender or subject alone.
pub(crate) const GENERIC: &str = "generic";

/// The family of a mail from `sender` (its From, lower case) whose subject and text are
/// `words` (lower case).
pub(crate) fn detect(sender: &str, words: &str) -> Option<&'static str> {
    let domain = sender.rsplit_once('@').map_or("", |(_, domain)| {
        domain.trim_end_matches(['>', ' ', ')', '"'])
    });
    FAMILIES
        .iter()
        .find(|family| {
            family
                .senders
                .iter()
                .any(|known| domain == *known || domain.ends_with(&format!(".{known}")))
                || family.phrases.iter().any(|phrase| words.contains(phrase))
        })
        .map(|family| family.name)
}

/// Every family name, `generic` too: what the history's `source` column may say.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    FAMILIES
        .iter()
        .map(|family| family.name)
        .chain(std::iter::once(GENERIC))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_markers_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for family in FAMILIES {
            assert!(seen.insert(family.name), "{} twice", family.name);
            for marker in family.senders.iter().chain(family.phrases) {
                assert_eq!(*marker, marker.to_lowercase(), "{}", family.name);
            }
        }
        assert!(!seen.contains(GENERIC));
    }
}
