//! SMTP reply codes (RFC 5321) and enhanced status codes (RFC 3463): finding them in bounce
//! text, and the patterns that rules match them with (`550`, `5xx`, `X.1.1`, `5.7.*`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A three-digit SMTP reply code such as 550.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    pub fn new(code: u16) -> Option<Self> {
        (200..=599).contains(&code).then_some(ReplyCode(code))
    }

    pub fn value(self) -> u16 {
        self.0
    }

    pub fn class(self) -> u8 {
        (self.0 / 100) as u8
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ReplyCode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.trim()
            .parse::<u16>()
            .ok()
            .and_then(ReplyCode::new)
            .ok_or_else(|| {
                format!("'{text}' is not an SMTP reply code: expected three digits such as 550")
            })
    }
}

/// An enhanced status code class.subject.detail such as 5.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl Serialize for EnhancedCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EnhancedCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl FromStr for EnhancedCode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enhanced(text.trim()).ok_or_else(|| {
            format!("'{text}' is not an enhanced status code: expected class.subject.detail such as 5.1.1")
        })
    }
}

fn parse_enhanced(text: &str) -> Option<EnhancedCode> {
    let mut parts = text.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    if parts.next().is_some() || !matches!(class, "2" | "4" | "5") {
        return None;
    }
    let number = |part: &str| {
        (!part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u16>().ok())
            .flatten()
    };
    Some(EnhancedCode {
        class: class.as_bytes()[0] - b'0',
        subject: number(subject)?,
        detail: number(detail)?,
    })
}

/// Whether a code may start at byte `i`: at the start of the text, or right after the marks
/// that introduce a reply in bounce texts (`smtp; 550`, `said: 550`, `#550`, `'550`, a new
/// line), so that "max 500 recipients" or a version number is not taken for a code. The
/// callers have checked that no letter, digit or dot stands right before `i`.
fn is_anchored(bytes: &[u8], i: usize) -> bool {
    let before = bytes[..i].trim_ascii_end();
    match before.last() {
        None => true,
        Some(b';' | b':' | b'#' | b'(' | b'\'' | b'"' | b'=' | b'[' | b'>') => true,
        // Right after the reply code: `550 5.1.1`, `550-5.1.1`.
        Some(_) => {
            let word = before
                .rsplit(|b| b.is_ascii_whitespace())
                .next()
                .unwrap_or_default();
            let word = word.strip_suffix(b"-").unwrap_or(word);
            let Some(split) = word.len().checked_sub(3) else {
                return false;
            };
            let (prefix, code) = word.split_at(split);
            matches!(code[0], b'2' | b'4' | b'5')
                && code.iter().all(u8::is_ascii_digit)
                && prefix.last().is_none_or(|b| !b.is_ascii_alphanumeric())
        }
    }
}

/// The first reply code in bounce text: `550 ...`, `smtp; 550-5.1.1 ...`, `said: 550 ...`.
pub fn find_reply_code(text: &str) -> Option<ReplyCode> {
    let bytes = text.as_bytes();
    // Only a 2, 4 or 5 can start a code: jump from one to the next.
    memchr::memchr3_iter(b'2', b'4', b'5', bytes).find_map(|i| {
        let digits = bytes.get(i..i + 3)?;
        let before_ok = i == 0 || !is_code_char(bytes[i - 1]);
        let after_ok = matches!(
            bytes.get(i + 3),
            None | Some(b' ' | b'-' | b'\t' | b',' | b';' | b')' | b'\'')
        );
        (before_ok
            && after_ok
            && digits[1..].iter().all(u8::is_ascii_digit)
            && is_anchored(bytes, i))
        .then(|| ReplyCode::new(text[i..i + 3].parse().ok()?))
        .flatten()
    })
}

/// The first enhanced status code in bounce text. It must stand where codes stand (see
/// [`is_anchored`]), not inside a longer dotted number (an IP address), and its subject must
/// be one RFC 3463 defines (0-7), so that "Exim 4.96.2" is not one.
pub fn find_enhanced_code(text: &str) -> Option<EnhancedCode> {
    let bytes = text.as_bytes();
    for i in memchr::memchr3_iter(b'2', b'4', b'5', bytes) {
        if i > 0 && is_code_char(bytes[i - 1]) || !is_anchored(bytes, i) {
            continue;
        }
        let end = bytes[i..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or(bytes.len(), |n| i + n);
        let candidate = text[i..end].trim_end_matches('.');
        if let Some(code) = parse_enhanced(candidate).filter(|code| code.subject <= 7) {
            return Some(code);
        }
    }
    None
}

/// The codes of a bounce text, the enhanced one dropped when its class contradicts the reply.
pub fn find_codes(text: &str) -> (Option<ReplyCode>, Option<EnhancedCode>) {
    let reply = find_reply_code(text);
    let enhanced = find_enhanced_code(text)
        .filter(|code| reply.is_none_or(|reply| reply.class() == code.class));
    (reply, enhanced)
}

fn is_code_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.'
}

/// A reply code pattern: `550`, `55x` or `5xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyPattern {
    digits: [Option<u8>; 3],
}

impl ReplyPattern {
    pub fn matches(&self, code: ReplyCode) -> bool {
        let value = code.value();
        let actual = [
            (value / 100) as u8,
            (value / 10 % 10) as u8,
            (value % 10) as u8,
        ];
        self.digits
            .iter()
            .zip(actual)
            .all(|(want, got)| want.is_none_or(|want| want == got))
    }
}

impl FromStr for ReplyPattern {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || {
            format!(
                "'{text}' is not a reply code pattern: expected three digits such as 550, or 55x or 5xx"
            )
        };
        let bytes = text.trim().as_bytes();
        if bytes.len() != 3 || !matches!(bytes[0], b'2' | b'4' | b'5') {
            return Err(error());
        }
        let mut digits = [None; 3];
        let mut wildcard_seen = false;
        for (slot, &byte) in digits.iter_mut().zip(bytes) {
            match byte {
                b'0'..=b'9' if !wildcard_seen => *slot = Some(byte - b'0'),
                b'x' | b'X' => wildcard_seen = true,
                _ => return Err(error()),
            }
        }
        Ok(ReplyPattern { digits })
    }
}

impl fmt::Display for ReplyPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for digit in self.digits {
            match digit {
                Some(d) => write!(f, "{d}")?,
                None => f.write_str("x")?,
            }
        }
        Ok(())
    }
}

/// An enhanced code pattern: `5.1.1`, `X.1.1` (any class), `5.7.*` (any detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedPattern {
    class: Option<u8>,
    subject: Option<u16>,
    detail: Option<u16>,
}

impl EnhancedPattern {
    pub fn matches(&self, code: EnhancedCode) -> bool {
        self.class.is_none_or(|c| c == code.class)
            && self.subject.is_none_or(|s| s == code.subject)
            && self.detail.is_none_or(|d| d == code.detail)
    }
}

impl FromStr for EnhancedPattern {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || {
            format!(
                "'{text}' is not an enhanced code pattern: expected class.subject.detail such as 5.1.1, X.1.1 or 5.7.*"
            )
        };
        let parts: Vec<&str> = text.trim().split('.').collect();
        let [class, subject, detail] = parts.as_slice() else {
            return Err(error());
        };
        let class = match *class {
            "X" | "x" | "*" => None,
            "2" | "4" | "5" => Some(class.as_bytes()[0] - b'0'),
            _ => return Err(error()),
        };
        let number = |part: &str| match part {
            "*" | "X" | "x" => Ok(None),
            _ if !part.is_empty()
                && part.len() <= 3
                && part.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(part.parse().ok())
            }
            _ => Err(error()),
        };
        Ok(EnhancedPattern {
            class,
            subject: number(subject)?,
            detail: number(detail)?,
        })
    }
}

impl fmt::Display for EnhancedPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.class {
            Some(c) => write!(f, "{c}")?,
            None => f.write_str("X")?,
        }
        for part in [self.subject, self.detail] {
            match part {
                Some(n) => write!(f, ".{n}")?,
                None => f.write_str(".*")?,
            }
        }
        Ok(())
    }
}

/// Patterns are written as strings in rules.yaml; `550` may also be written as a number.
macro_rules! string_pattern_serde {
    ($type:ty, $description:literal) => {
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Number(u64),
                    Text(String),
                }
                let text = match Raw::deserialize(deserializer)? {
                    Raw::Number(n) => n.to_string(),
                    Raw::Text(text) => text,
                };
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl schemars::JsonSchema for $type {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($type).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "description": $description,
                    "type": ["string", "integer"]
                })
            }
        }
    };
}

string_pattern_serde!(
    ReplyPattern,
    "An SMTP reply code (550) or a pattern with x for any digit (55x, 5xx)."
);
string_pattern_serde!(
    EnhancedPattern,
    "An enhanced status code (5.1.1); X for any class (X.1.1), * for any subject or detail (5.7.*)."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_codes_in_the_texts_senders_write() {
        let cases = [
            (
                "smtp; 550 5.1.1 <a@b.com>: user unknown",
                Some(550),
                Some("5.1.1"),
            ),
            (
                "host mx said: 550-5.1.1 The email account does not exist",
                Some(550),
                Some("5.1.1"),
            ),
            ("452 4.2.2 Mailbox full", Some(452), Some("4.2.2")),
            ("Recipient address rejected", None, None),
            ("connect to 10.5.1.1 port 25: timed out", None, None),
            ("5.7.1 blocked", None, Some("5.7.1")),
            ("status 550.", None, None),
            ("Message rejected, max 500 recipients", None, None),
            (
                "mx.host ESMTP Exim 4.96.2 ready; 550 user unknown",
                Some(550),
                None,
            ),
            (
                "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
                Some(550),
                Some("5.1.1"),
            ),
            (
                "Remote server returned '550 5.1.1 User unknown'",
                Some(550),
                Some("5.1.1"),
            ),
            ("dsn=4.2.2, status=deferred", None, Some("4.2.2")),
            (
                "(reason: 421 4.7.0 Try again later)",
                Some(421),
                Some("4.7.0"),
            ),
        ];
        for (text, reply, enhanced) in cases {
            assert_eq!(find_reply_code(text).map(ReplyCode::value), reply, "{text}");
            assert_eq!(
                find_enhanced_code(text).map(|c| c.to_string()),
                enhanced.map(str::to_owned),
                "{text}"
            );
        }
    }

    #[test]
    fn reply_patterns_match_digits_and_wildcards() {
        let code = ReplyCode::new(552).unwrap();
        assert!("552".parse::<ReplyPattern>().unwrap().matches(code));
        assert!("55x".parse::<ReplyPattern>().unwrap().matches(code));
        assert!("5XX".parse::<ReplyPattern>().unwrap().matches(code));
        assert!(!"4xx".parse::<ReplyPattern>().unwrap().matches(code));
        for bad in ["5x2", "650", "55", "5555", "abc"] {
            assert!(bad.parse::<ReplyPattern>().is_err(), "{bad}");
        }
    }

    #[test]
    fn enhanced_patterns_match_any_class_or_detail() {
        let code: EnhancedCode = "5.2.2".parse().unwrap();
        assert!("X.2.2".parse::<EnhancedPattern>().unwrap().matches(code));
        assert!("5.2.*".parse::<EnhancedPattern>().unwrap().matches(code));
        assert!(!"4.2.2".parse::<EnhancedPattern>().unwrap().matches(code));
        assert_eq!(
            "x.1.10".parse::<EnhancedPattern>().unwrap().to_string(),
            "X.1.10"
        );
        for bad in ["5.1", "6.1.1", "5.1.1.1", "5.a.1", "5..1"] {
            assert!(bad.parse::<EnhancedPattern>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_enhanced_code_is_three_parts_of_one_to_three_digits() {
        for good in ["5.1.1", "4.7.650", "2.0.0", "5.1.10"] {
            assert!(good.parse::<EnhancedCode>().is_ok(), "{good}");
        }
        for bad in [
            "5.1.1.1", "6.1.1", "5.1234.1", "5.1.1234", "5..1", "5.1.", "5.a.1", "5.1",
        ] {
            assert!(bad.parse::<EnhancedCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_in_words_are_no_codes() {
        // A word ending in three characters that are not all digits does not introduce a code.
        assert_eq!(find_enhanced_code("foo 5ab 5.1.1"), None);
        assert_eq!(
            find_enhanced_code("foo 550 5.1.1").map(|c| c.to_string()),
            Some("5.1.1".to_owned())
        );
        // A code glued to the reply code before it (`5505.1.1`) is a longer number.
        assert_eq!(find_enhanced_code("5505.1.1"), None);
        assert_eq!(
            find_enhanced_code("550-5.1.1").map(|c| c.to_string()),
            Some("5.1.1".to_owned())
        );
        // A reply code glued to a word is no reply code.
        assert_eq!(find_enhanced_code("x550 5.1.1"), None);
        assert_eq!(find_reply_code("error550 user unknown"), None);
        assert_eq!(find_reply_code("v2.550 user unknown"), None);
    }
}
