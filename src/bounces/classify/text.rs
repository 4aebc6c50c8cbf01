//! The text of a bounce as the rules read it: folded (lowercase, white space and addresses
//! out, multi-line reply marks out), and whether it gives any reason at all.

use crate::bounces::codes::{self, ReplyCode};

/// Lowercase, with every run of white space one space, and the addresses and the code prefixes
/// that multi-line replies repeat on each line (`550-5.1.1 `) taken out, so that "User
/// <bob@example.org> unknown" and a phrase cut by a line break still match.
pub(super) fn fold(text: &str, reply: Option<ReplyCode>) -> String {
    // `550-`: the mark of a continued line of a multi-line reply.
    let mut mark = [0u8; 4];
    let continued = reply.map(|reply| {
        let value = reply.value();
        mark = [
            b'0' + (value / 100) as u8,
            b'0' + (value / 10 % 10) as u8,
            b'0' + (value % 10) as u8,
            b'-',
        ];
        std::str::from_utf8(&mark).unwrap_or_default()
    });
    let words = Words {
        has_address: memchr::memchr(b'@', text.as_bytes()).is_some(),
        continued,
    };
    let mut folded = String::with_capacity(text.len());
    // Both ways give the same words for an ASCII text; the byte-wise one is faster.
    if !text.is_ascii() {
        for word in text.split_whitespace() {
            if !is_host_frame(&folded, word) {
                words.push(&mut folded, word);
            }
        }
        return folded;
    }
    // Most bounce texts are ASCII: one pass over the bytes; only a word that holds an
    // address or may be a continued line's mark takes the careful way.
    let bytes = text.as_bytes();
    let mut i = 0;
    // Until the word after the last white space is empty.
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let word = &text[start..i];
        if word.is_empty() {
            break;
        }
        if is_host_frame(&folded, word) {
            continue;
        }
        if words.is_special(word) {
            words.push(&mut folded, word);
        } else {
            if !folded.is_empty() {
                folded.push(' ');
            }
            let from = folded.len();
            folded.push_str(word);
            folded[from..].make_ascii_lowercase();
        }
    }
    folded
}

/// Whether `word` is the name of the host an MTA talked to, in the frame around the reply:
/// Postfix `host mx.example.org[192.0.2.1] said:`, Exim `host mx.example.org [192.0.2.1]:` and
/// `H=mx.example.org`. A host name says nothing about the bounce, and names like
/// mx10.mailspamprotection.com or mx.spamexperts.com would otherwise match "spam".
fn is_host_frame(folded: &str, word: &str) -> bool {
    let bytes = word.as_bytes();
    // Most words have no dot, and are no host name.
    let has = |wanted: u8| bytes.contains(&wanted);
    let dotted = has(b'.') && !has(b'/') && !has(b'@');
    if !dotted {
        return false;
    }
    // `name[192.0.2.1]` or `name[192.0.2.1]:`
    let bracketed = word
        .find('[')
        .is_some_and(|at| at > 0 && bytes.get(at + 1).is_some_and(|b| b.is_ascii_hexdigit()));
    let after_host = folded.ends_with("host") && !folded.ends_with("client host");
    let exim_h = word.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("h="));
    bracketed || after_host || exim_h
}

/// How [`fold`] treats the words of one text.
struct Words<'a> {
    has_address: bool,
    continued: Option<&'a str>,
}

impl Words<'_> {
    /// Whether a word needs [`Words::push`]: a shortcut only, since `push` gives every other
    /// word unchanged (cargo-mutants' `true` and `||` here are equivalent, and not killed).
    fn is_special(&self, word: &str) -> bool {
        (self.has_address && word.contains('@'))
            || self.continued.is_some_and(|mark| word.starts_with(mark))
    }

    fn push(&self, folded: &mut String, word: &str) {
        let word = if self.has_address && word.contains('@') {
            // `TO:<bob@example.org>:` keeps `TO:`; Sendmail's `bob@example.org...User` keeps
            // `User`; a bare `bob@example.org` goes whole.
            match (word.find('<'), word.rfind('>'), word.rfind("...")) {
                (Some(open), Some(close), _) if open < close => &word[..open],
                (_, _, Some(dots)) if dots > word.find('@').unwrap_or(0) => &word[dots + 3..],
                _ => "",
            }
        } else {
            word
        };
        // `550-5.1.1` and `550-` starting a continued line say nothing new.
        let is_mark = self.continued.is_some_and(|mark| {
            word.strip_prefix(mark)
                .is_some_and(|rest| rest.is_empty() || codes::find_enhanced_code(rest).is_some())
        });
        if word.is_empty() || is_mark {
            return;
        }
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.extend(word.chars().flat_map(char::to_lowercase));
    }
}

/// Words that give no reason: the frame every bounce is written in. A text of nothing but
/// these, codes, addresses and host names is "bare".
const FILLER: &[&str] = &[
    "a",
    "action",
    "address",
    "after",
    "an",
    "at",
    "be",
    "been",
    "bounce",
    "by",
    "code",
    "command",
    "could",
    "data",
    "deliver",
    "delivery",
    "diagnostic",
    "dsn",
    "e-mail",
    "email",
    "end",
    "error",
    "esmtp",
    "failed",
    "failure",
    "fatal",
    "for",
    "from",
    "has",
    "host",
    "in",
    "is",
    "mail",
    "message",
    "mx",
    "not",
    "of",
    "on",
    "permanent",
    "permanently",
    "please",
    "rcpt",
    "reason",
    "recipient",
    "remote",
    "reply",
    "requested",
    "response",
    "returned",
    "said",
    "server",
    "smtp",
    "sorry",
    "status",
    "taken",
    "talking",
    "the",
    "this",
    "to",
    "transaction",
    "unable",
    "undeliverable",
    "was",
    "while",
    "with",
    "your",
];

/// Whether a folded text gives no reason at all (see [`FILLER`]).
pub(super) fn is_bare(folded: &str) -> bool {
    folded
        .split(|c: char| c.is_whitespace() || ",;:()[]<>\"'#=!?{}|/*".contains(c))
        .map(|word| word.trim_matches(|c: char| c == '.' || c == '-' || c == '_'))
        .filter(|word| !word.is_empty())
        .all(|word| {
            word.contains(['@', '.'])
                || word.bytes().any(|b| b.is_ascii_digit())
                || !word.chars().any(char::is_alphabetic)
                || FILLER.binary_search(&word).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_joins_lines_and_drops_continued_code_prefixes() {
        assert_eq!(
            fold("550 w.harris@example.net...User unknown", None),
            "550 user unknown"
        );
        let text = "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking\t the  address 550 5.1.1 https://x";
        let (reply, _) = codes::find_codes(text);
        assert_eq!(
            fold(text, reply),
            "the email account that you tried to reach does not exist. please try double-checking the address 550 5.1.1 https://x"
        );
        assert_eq!(fold("Mailbox  FULL", None), "mailbox full");
    }

    #[test]
    fn filler_is_sorted_for_binary_search() {
        let mut sorted = FILLER.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, FILLER, "keep FILLER sorted and without repeats");
    }

    #[test]
    fn a_bare_text_has_nothing_but_codes_addresses_hosts_and_filler() {
        for text in [
            "",
            "550",
            "550 5.0.0 <bob@example.org>",
            "host mx.example.org[192.0.2.1] said: 550 <bob@example.org>: (in reply to RCPT TO command)",
            "smtp; 550 Requested action not taken",
            "550 #5.0.0 recipient address rejected",
            // A host name, and a word of letters and digits (a queue id), give no reason.
            "550 mx.example.org",
            "550 4AB12C",
        ] {
            let folded = fold(text, None);
            // "rejected" gives a reason of a kind (a refusal), so the last one is not bare.
            assert_eq!(is_bare(&folded), !text.contains("rejected"), "{text}");
        }
        for text in [
            "550 Blocked",
            "550 5.0.0 IP frequency limited",
            "550 Denied by policy",
            // The dot or dashes around a word do not make it a host name.
            "550 Blocked.",
            "550 -denied-",
        ] {
            assert!(!is_bare(&fold(text, None)), "{text}");
        }
    }

    #[test]
    fn the_host_an_mta_talked_to_is_no_part_of_the_reason() {
        for (text, folded) in [
            (
                "host mx10.mailspamprotection.com[192.0.2.1] said: 550 user unknown",
                "host said: 550 user unknown",
            ),
            (
                "SMTP error from remote mail server after RCPT TO:<a@b.org>: host mx.spamexperts.com [192.0.2.1]: 550 no such user",
                "smtp error from remote mail server after rcpt to: host 550 no such user",
            ),
            // A client host is the sender's, and stays.
            (
                "Client host rejected: client host spam.example.net blocked",
                "client host rejected: client host spam.example.net blocked",
            ),
        ] {
            assert_eq!(fold(text, None), folded, "{text}");
        }
    }

    #[test]
    fn a_host_frame_is_a_dotted_name_with_an_address_after_it_or_host_or_h_before_it() {
        for (folded, word, frame) in [
            // Postfix: the address in brackets right after the name.
            ("", "mx.spam.example[192.0.2.1]", true),
            ("", "mx.spam.example[192.0.2.1]:", true),
            // A bracket first is a domain literal, not a host name; a bracket not followed by
            // a hex digit is no address.
            ("", "[192.0.2.1].spam.example", false),
            ("", "mx.spam.example[x]", false),
            ("", "mx.spam.example[", false),
            // Exim: `H=name`, in either case, with a name after it.
            ("", "H=mx.spam.example", true),
            ("", "h=mx.spam.example", true),
            ("", "h=", false),
            ("", "hx=mx.spam.example", false),
            // After "host", but not after "client host" (that host is the sender's).
            ("host", "mx.spam.example", true),
            ("client host", "mx.spam.example", false),
            ("", "mx.spam.example", false),
            // Not dotted, a path or an address: no host name.
            ("host", "spamhaus", false),
            ("host", "www.spam.example/why", false),
            ("host", "bob@spam.example", false),
        ] {
            assert_eq!(is_host_frame(folded, word), frame, "{folded:?} {word:?}");
        }
    }

    #[test]
    fn addresses_go_and_their_frame_stays_either_way() {
        for (text, folded) in [
            // The byte-wise way (ASCII).
            ("550 x>bob@example.org< unknown", "550 unknown"),
            ("550 ...bob@example.org unknown", "550 unknown"),
            (
                "550 RCPT TO:<bob@example.org>: unknown",
                "550 rcpt to: unknown",
            ),
            // The character-wise way: other words stay beside an address.
            (
                "550 Benutzer bob@example.org gelöscht",
                "550 benutzer gelöscht",
            ),
            // Unicode white space separates words.
            ("550 user\u{a0}unknown ü", "550 user unknown ü"),
        ] {
            assert_eq!(fold(text, None), folded, "{text}");
        }
    }

    #[test]
    fn every_reply_code_marks_its_continued_lines() {
        let text = "451-4.7.1 Please try\n451-4.7.1 again later  ";
        let (reply, _) = codes::find_codes(text);
        assert_eq!(fold(text, reply), "please try again later");
        // The same with a letter outside ASCII, which takes the character-wise way.
        let text = "host mx.spamfilter.example[192.0.2.1] said: 550-5.1.1 Benutzer\n550-5.1.1 unbekannt: Mailbox gelöscht ";
        let (reply, _) = codes::find_codes(text);
        assert_eq!(
            fold(text, reply),
            "host said: benutzer unbekannt: mailbox gelöscht"
        );
    }
}
