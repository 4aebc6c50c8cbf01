//! Stage 2: check the syntax of each address, as strictly as a sender who must deliver.
//!
//! The reference is the default behaviour of python-email-validator. `email_address` alone
//! accepts far too much (`user@localhost`, `a@exa_mple.com`, zero-width characters, ...), so it
//! is only the last safety net here: the specific checks below run first, so that every
//! rejection carries a precise, stable reason code.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use email_address::EmailAddress;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::lists::Cell;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// RFC 5321 4.5.3.1.1 and the 254-octet path limit that mail servers actually enforce.
const MAX_LOCAL_OCTETS: usize = 64;
const MAX_ADDRESS_OCTETS: usize = 254;
const MAX_DOMAIN_OCTETS: usize = 253;
const MAX_LABEL_OCTETS: usize = 63;

/// Domains reserved by RFC 2606, RFC 6761 and RFC 9476: mail to them is never delivered.
const SPECIAL_USE_SUFFIXES: &[&str] = &[
    "localhost",
    "invalid",
    "test",
    "local",
    "onion",
    "arpa",
    "alt",
    "example",
    "example.com",
    "example.net",
    "example.org",
];

/// What the syntax check lets through that it rejects by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyntaxOptions {
    /// Accept `"john doe"@example.org`.
    pub allow_quoted_local: bool,
    /// Accept `user@[192.0.2.1]` and `user@[IPv6:2001:db8::1]`.
    pub allow_domain_literal: bool,
    /// Treat `Ann@x.org` and `ann@x.org` as different mailboxes.
    pub case_sensitive_local: bool,
}

/// A syntactically valid address in its normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// NFC local part, `@`, lowercased A-label domain.
    normalized: Box<str>,
    /// The matching key when it differs from `normalized` (local part case-folded).
    folded: Option<Box<str>>,
}

impl Address {
    /// The address as it will be shown and written: NFC local part, A-label domain.
    pub fn as_str(&self) -> &str {
        &self.normalized
    }

    /// The identity under which duplicates and history are matched.
    pub fn key(&self) -> &str {
        self.folded.as_deref().unwrap_or(&self.normalized)
    }

    /// The matching key, and the address as shown when it differs from the key.
    pub fn into_key_and_display(self) -> (Box<str>, Option<Box<str>>) {
        match self.folded {
            Some(folded) => (folded, Some(self.normalized)),
            None => (self.normalized, None),
        }
    }

    /// The domain in lowercased A-label form (or the bracketed literal).
    pub fn domain(&self) -> &str {
        // The domain has no @; a quoted local part may.
        let at = memchr::memrchr(b'@', self.normalized.as_bytes()).unwrap_or_default();
        &self.normalized[at + 1..]
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

/// Why an address cannot receive mail. Each variant has a stable code (see [`SyntaxError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum SyntaxError {
    MissingAt,
    UnsafeCharacter {
        character: String,
        #[serde(deserialize_with = "crate::intern::code")]
        category: crate::intern::Code,
    },
    DisplayName,
    QuotedLocalPart,
    EmptyLocalPart,
    LocalTooLong {
        octets: usize,
    },
    BadLocalDot,
    BadLocalCharacter {
        character: String,
    },
    DomainLiteral,
    BadIpLiteral,
    EmptyDomain,
    BadDomainDot,
    BadDomainLabel {
        label: String,
        #[serde(deserialize_with = "crate::intern::code")]
        problem: crate::intern::Code,
    },
    BadIdna {
        detail: String,
    },
    LabelTooLong {
        label: String,
        octets: usize,
    },
    DomainTooLong {
        octets: usize,
    },
    NoTld,
    BadTld {
        tld: String,
    },
    SpecialUseDomain {
        domain: String,
    },
    TooLong {
        octets: usize,
    },
    InvalidAddress {
        detail: String,
    },
}

impl SyntaxError {
    /// The stable reason code shown in findings and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            SyntaxError::MissingAt => "missing-at",
            SyntaxError::UnsafeCharacter { .. } => "unsafe-character",
            SyntaxError::DisplayName => "display-name",
            SyntaxError::QuotedLocalPart => "quoted-local-part",
            SyntaxError::EmptyLocalPart => "empty-local-part",
            SyntaxError::LocalTooLong { .. } => "local-too-long",
            SyntaxError::BadLocalDot => "bad-local-dot",
            SyntaxError::BadLocalCharacter { .. } => "bad-local-character",
            SyntaxError::DomainLiteral => "domain-literal",
            SyntaxError::BadIpLiteral => "bad-ip-literal",
            SyntaxError::EmptyDomain => "empty-domain",
            SyntaxError::BadDomainDot => "bad-domain-dot",
            SyntaxError::BadDomainLabel { .. } => "bad-domain-label",
            SyntaxError::BadIdna { .. } => "bad-idna",
            SyntaxError::LabelTooLong { .. } => "label-too-long",
            SyntaxError::DomainTooLong { .. } => "domain-too-long",
            SyntaxError::NoTld => "no-tld",
            SyntaxError::BadTld { .. } => "bad-tld",
            SyntaxError::SpecialUseDomain { .. } => "special-use-domain",
            SyntaxError::TooLong { .. } => "too-long",
            SyntaxError::InvalidAddress { .. } => "invalid-address",
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxError::MissingAt => f.write_str("has no @"),
            SyntaxError::UnsafeCharacter {
                character,
                category,
            } => write!(f, "contains {character} ({category}), which mail software mishandles"),
            SyntaxError::DisplayName => {
                f.write_str("has a display name or angle brackets; the cell must hold the bare address")
            }
            SyntaxError::QuotedLocalPart => f.write_str(
                "has a quoted local part, which many mail systems reject (allow with --allow-quoted-local)",
            ),
            SyntaxError::EmptyLocalPart => f.write_str("has nothing before the @"),
            SyntaxError::LocalTooLong { octets } => write!(
                f,
                "has a local part of {octets} octets; the limit is {MAX_LOCAL_OCTETS}"
            ),
            SyntaxError::BadLocalDot => f.write_str(
                "has a dot at the start or end of the local part, or two dots in a row",
            ),
            SyntaxError::BadLocalCharacter { character } => {
                write!(f, "has {character} before the @, which is not allowed there")
            }
            SyntaxError::DomainLiteral => f.write_str(
                "names an IP address instead of a domain (allow with --allow-domain-literal)",
            ),
            SyntaxError::BadIpLiteral => f.write_str("has a bracketed domain that is not an IP address"),
            SyntaxError::EmptyDomain => f.write_str("has nothing after the @"),
            SyntaxError::BadDomainDot => f.write_str(
                "has a dot at the start or end of the domain, or two dots in a row",
            ),
            SyntaxError::BadDomainLabel { label, problem } => {
                write!(f, "has a bad domain label '{label}': {problem}")
            }
            SyntaxError::BadIdna { detail } => {
                write!(f, "has an invalid internationalised domain ({detail})")
            }
            SyntaxError::LabelTooLong { label, octets } => write!(
                f,
                "has a domain label of {octets} octets ('{label}'); the limit is {MAX_LABEL_OCTETS}"
            ),
            SyntaxError::DomainTooLong { octets } => write!(
                f,
                "has a domain of {octets} octets; the limit is {MAX_DOMAIN_OCTETS}"
            ),
            SyntaxError::NoTld => f.write_str("has a domain without a dot (no top-level domain)"),
            SyntaxError::BadTld { tld } => {
                write!(f, "has a top-level domain '{tld}' that does not end in a letter")
            }
            SyntaxError::SpecialUseDomain { domain } => {
                write!(f, "uses {domain}, a special-use domain that never receives mail")
            }
            SyntaxError::TooLong { octets } => write!(
                f,
                "is {octets} octets long; the limit is {MAX_ADDRESS_OCTETS}"
            ),
            SyntaxError::InvalidAddress { detail } => write!(f, "is not a valid address ({detail})"),
        }
    }
}

impl std::error::Error for SyntaxError {}

/// The outcome of the syntax stage for one cell.
#[derive(Debug, Clone)]
pub enum Checked {
    Valid(Address),
    /// The trimmed cell text is kept only for invalid cells, for the finding.
    Invalid {
        text: Box<str>,
        error: Box<SyntaxError>,
    },
}

impl Checked {
    /// The identity the cell is matched by: the address key, or an invalid cell's text.
    /// The key [`Checked::into_key`] gives, borrowed.
    pub fn key(&self) -> &str {
        match self {
            Checked::Valid(address) => address.key(),
            Checked::Invalid { text, .. } => text,
        }
    }

    pub fn into_key(self) -> Box<str> {
        match self {
            Checked::Valid(address) => address.into_key_and_display().0,
            Checked::Invalid { text, .. } => text,
        }
    }
}

/// One checked cell, still at its line.
#[derive(Debug, Clone)]
pub struct CheckedCell {
    pub line: u64,
    /// The cell had leading or trailing whitespace (the trimmed address was checked).
    pub padded: bool,
    pub checked: Checked,
}

/// Check every cell of a list on all cores, keeping the file's order.
pub fn check_cells(cells: Vec<Cell>, options: SyntaxOptions) -> Vec<CheckedCell> {
    cells
        .into_par_iter()
        .with_min_len(1024)
        .map(|cell| {
            let trimmed = cell.text.trim();
            let checked = match check_address(trimmed, options) {
                Ok(address) => Checked::Valid(address),
                Err(error) => Checked::Invalid {
                    text: trimmed.into(),
                    error: Box::new(error),
                },
            };
            CheckedCell {
                line: cell.line,
                padded: trimmed.len() != cell.text.len(),
                checked,
            }
        })
        .collect()
}

/// Check one address (already trimmed of surrounding whitespace) and normalise it.
pub fn check_address(text: &str, options: SyntaxOptions) -> Result<Address, SyntaxError> {
    if text.starts_with('<') || text.ends_with('>') || text.contains(" <") {
        return Err(SyntaxError::DisplayName);
    }
    check_unsafe_characters(text)?;
    let (local, domain) = text.rsplit_once('@').ok_or(SyntaxError::MissingAt)?;

    let local = check_local_part(local, options)?;
    let domain = check_domain(domain, options)?;

    let octets = local.len() + 1 + domain.len();
    if octets > MAX_ADDRESS_OCTETS {
        return Err(SyntaxError::TooLong { octets });
    }
    let mut normalized = String::with_capacity(octets);
    normalized.push_str(&local);
    normalized.push('@');
    normalized.push_str(&domain);
    // A dot-atom local part and an LDH domain are fully checked above. The quoted-string and
    // domain-literal grammars are not: email_address parses those (RFC 5322).
    if local.starts_with('"') || domain.starts_with('[') {
        let parse_options = email_address::Options::default()
            .with_required_tld()
            .without_display_text()
            .with_domain_literal();
        if let Err(error) = EmailAddress::parse_with_options(&normalized, parse_options) {
            return Err(SyntaxError::InvalidAddress {
                detail: error.to_string().trim_end_matches('.').to_lowercase(),
            });
        }
    }

    let folded = if options.case_sensitive_local || !local.chars().any(char::is_uppercase) {
        None
    } else {
        Some(format!("{}@{domain}", local.to_lowercase()).into_boxed_str())
    };
    Ok(Address {
        normalized: normalized.into_boxed_str(),
        folded,
    })
}

/// Control and format characters (zero-width, bidi controls, BOM), private use, unassigned
/// and separators look like nothing or like something else; spaces are allowed only inside a
/// quoted local part. A combining mark cannot start the address.
fn check_unsafe_characters(text: &str) -> Result<(), SyntaxError> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        if c.is_ascii_graphic() {
            if escaped {
                escaped = false;
            } else if c == '\\' && in_quotes {
                escaped = true;
            } else if c == '"' {
                in_quotes = !in_quotes;
            }
            continue;
        }
        escaped = false;
        let category = c.general_category();
        let unsafe_name = match category {
            GeneralCategory::Control => Some("a control character"),
            GeneralCategory::Format => Some("an invisible format character"),
            GeneralCategory::PrivateUse => Some("a private-use character"),
            GeneralCategory::Surrogate => Some("a surrogate"),
            GeneralCategory::Unassigned => Some("an unassigned code point"),
            GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
                Some("a line separator")
            }
            GeneralCategory::SpaceSeparator if !in_quotes => Some("a space"),
            GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
                if index == 0 =>
            {
                Some("a combining mark at the start")
            }
            _ => None,
        };
        if let Some(category) = unsafe_name {
            return Err(SyntaxError::UnsafeCharacter {
                character: describe_char(c),
                category,
            });
        }
    }
    Ok(())
}

fn describe_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("'{c}'")
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// RFC 5322 atext, plus any non-ASCII character (SMTPUTF8); unsafe ones are already rejected.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '-'
                | '/'
                | '='
                | '?'
                | '^'
                | '_'
                | '`'
                | '{'
                | '|'
                | '}'
                | '~'
        )
        || !c.is_ascii()
}

fn check_local_part(local: &str, options: SyntaxOptions) -> Result<Cow<'_, str>, SyntaxError> {
    if local.is_empty() {
        return Err(SyntaxError::EmptyLocalPart);
    }
    if local.starts_with('"') {
        if !options.allow_quoted_local {
            return Err(SyntaxError::QuotedLocalPart);
        }
        // The quoted grammar is left to email_address in the final check.
    } else {
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(SyntaxError::BadLocalDot);
        }
        if let Some(bad) = local.chars().find(|&c| c != '.' && !is_atext(c)) {
            return Err(SyntaxError::BadLocalCharacter {
                character: describe_char(bad),
            });
        }
    }
    let local: Cow<'_, str> =
        if local.is_ascii() || is_nfc_quick(local.chars()) == IsNormalized::Yes {
            Cow::Borrowed(local)
        } else {
            Cow::Owned(local.nfc().collect())
        };
    if local.len() > MAX_LOCAL_OCTETS {
        return Err(SyntaxError::LocalTooLong {
            octets: local.len(),
        });
    }
    Ok(local)
}

fn check_domain(domain: &str, options: SyntaxOptions) -> Result<Cow<'_, str>, SyntaxError> {
    if domain.is_empty() {
        return Err(SyntaxError::EmptyDomain);
    }
    if let Some(literal) = domain.strip_prefix('[') {
        if !options.allow_domain_literal {
            return Err(SyntaxError::DomainLiteral);
        }
        let inner = literal.strip_suffix(']').ok_or(SyntaxError::BadIpLiteral)?;
        let valid = match inner.get(..5) {
            Some(prefix) if prefix.eq_ignore_ascii_case("IPv6:") => {
                inner[5..].parse::<Ipv6Addr>().is_ok()
            }
            _ => inner.parse::<Ipv4Addr>().is_ok(),
        };
        return if valid {
            Ok(Cow::Owned(domain.to_ascii_lowercase()))
        } else {
            Err(SyntaxError::BadIpLiteral)
        };
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(SyntaxError::BadDomainDot);
    }
    for label in domain.split('.').filter(|label| label.is_ascii()) {
        check_ascii_label(label)?;
    }

    // Only internationalised domains and A-labels need UTS-46; plain LDH names are done.
    let needs_idna = !domain.is_ascii() || domain.split('.').any(is_a_label);
    let ascii: Cow<'_, str> = if needs_idna {
        let uts46 = Uts46::new();
        let bad_idna = |detail: &str| SyntaxError::BadIdna {
            detail: detail.to_owned(),
        };
        let ascii = uts46
            .to_ascii(
                domain.as_bytes(),
                AsciiDenyList::STD3,
                Hyphens::Check,
                DnsLength::Ignore,
            )
            .map_err(|_| bad_idna("not valid under UTS-46"))?
            .into_owned();
        // UTS-46 maps full-width dots and drops ignorable characters: the result needs the
        // dot checks again.
        if ascii.starts_with('.')
            || ascii.ends_with('.')
            || ascii.contains("..")
            || ascii.is_empty()
        {
            return Err(SyntaxError::BadDomainDot);
        }
        // UTS-46 also lets symbols through (emoji, hearts, middle dots) that IDNA2008, and so
        // python-email-validator, rejects: a U-label holds letters, marks, digits and hyphens.
        let (unicode, _) = uts46.to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
        if let Some(c) = unicode.chars().find(|c| !is_idna2008_char(*c)) {
            return Err(SyntaxError::BadIdna {
                detail: format!(
                    "{} is not allowed in a domain name (IDNA2008)",
                    describe_char(c)
                ),
            });
        }
        Cow::Owned(ascii)
    } else if domain.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(domain.to_ascii_lowercase())
    } else {
        Cow::Borrowed(domain)
    };

    for label in ascii.split('.') {
        if label.len() > MAX_LABEL_OCTETS {
            return Err(SyntaxError::LabelTooLong {
                label: label.to_owned(),
                octets: label.len(),
            });
        }
    }
    if ascii.len() > MAX_DOMAIN_OCTETS {
        return Err(SyntaxError::DomainTooLong {
            octets: ascii.len(),
        });
    }
    let Some((_, tld)) = ascii.rsplit_once('.') else {
        return Err(SyntaxError::NoTld);
    };
    if !tld.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(SyntaxError::BadTld {
            tld: tld.to_owned(),
        });
    }
    if let Some(reserved) = special_use_suffix(&ascii) {
        return Err(SyntaxError::SpecialUseDomain {
            domain: reserved.to_owned(),
        });
    }
    Ok(ascii)
}

/// The characters IDNA2008 lets into a label (RFC 5892, by general category): letters,
/// combining marks, decimal digits, plus LDH and the dot between labels.
fn is_idna2008_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '-' || c == '.';
    }
    matches!(
        c.general_category(),
        GeneralCategory::LowercaseLetter
            | GeneralCategory::UppercaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
            | GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::DecimalNumber
    )
}

fn is_a_label(label: &str) -> bool {
    label.len() >= 4 && label[..4].eq_ignore_ascii_case("xn--")
}

/// Letters, digits and hyphens; no hyphen at either end; `--` in positions 3-4 only for `xn--`.
fn check_ascii_label(label: &str) -> Result<(), SyntaxError> {
    let bad = |problem| SyntaxError::BadDomainLabel {
        label: label.to_owned(),
        problem,
    };
    if let Some(c) = label
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '-')
    {
        return Err(SyntaxError::BadDomainLabel {
            label: label.to_owned(),
            problem: if c == '_' {
                "underscores are not allowed in host names"
            } else {
                "only letters, digits and hyphens are allowed"
            },
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(bad("it starts or ends with a hyphen"));
    }
    if label.get(2..4) == Some("--") && !is_a_label(label) {
        return Err(bad(
            "'--' in the third and fourth places is reserved for xn-- labels",
        ));
    }
    Ok(())
}

fn special_use_suffix(domain: &str) -> Option<&'static str> {
    SPECIAL_USE_SUFFIXES.iter().copied().find(|suffix| {
        domain == *suffix
            || (domain.len() > suffix.len()
                && domain.ends_with(suffix)
                && domain.as_bytes()[domain.len() - suffix.len() - 1] == b'.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> &'static str {
        match check_address(text, SyntaxOptions::default()) {
            Ok(_) => "ok",
            Err(error) => error.code(),
        }
    }

    #[test]
    fn accepts_ordinary_and_international_addresses() {
        for good in [
            "ann@example.de",
            "first.last+tag@sub.domain.co.uk",
            "o'brien@mail.ie",
            "user@bücher.de",
            "用户@例子.广告",
            "user@xn--bcher-kva.de",
            "user@b\u{FC}cher\u{3002}de",
            "user@\u{43F}\u{440}\u{438}\u{43C}\u{435}\u{440}.\u{440}\u{444}",
            "x@a-b.io",
        ] {
            assert_eq!(code(good), "ok", "{good}");
        }
    }

    #[test]
    fn what_email_address_alone_accepts_is_rejected_here() {
        let cases = [
            ("user@localhost", "no-tld"),
            ("a@ex!ample.com", "bad-domain-label"),
            ("a@exa_mple.com", "bad-domain-label"),
            ("a@[hello]", "domain-literal"),
            ("\"john doe\"@mail.de", "quoted-local-part"),
            ("ann\u{200B}@mail.de", "unsafe-character"),
            ("ann@mail\u{202E}.de", "unsafe-character"),
            ("\u{FEFF}ann@mail.de", "unsafe-character"),
            ("ann@\u{E000}mail.de", "unsafe-character"),
            ("ann\u{2028}@mail.de", "unsafe-character"),
            ("ann smith@mail.de", "unsafe-character"),
        ];
        for (text, expected) in cases {
            assert_eq!(code(text), expected, "{text:?}");
        }
        let long = format!(
            "{}@{}.com",
            "a".repeat(64),
            vec!["b".repeat(60); 4].join(".")
        );
        assert_eq!(code(&long), "too-long");
    }

    /// The fast path skips email_address for dot-atom addresses: everything it accepts there,
    /// email_address must accept too.
    #[test]
    fn what_passes_here_passes_email_address_too() {
        let locals = [
            "a",
            "first.last",
            "o'brien",
            "x+tag",
            "a_b-c",
            "{x}|~",
            "Ünïcödé",
            "用户",
        ];
        let domains = [
            "mail.de",
            "sub.mail.co.uk",
            "bücher.de",
            "xn--bcher-kva.de",
            "a-b.io",
            "例子.广告",
        ];
        let strict = email_address::Options::default()
            .with_required_tld()
            .without_display_text()
            .without_domain_literal();
        for local in locals {
            for domain in domains {
                let text = format!("{local}@{domain}");
                let address = check_address(&text, SyntaxOptions::default()).unwrap();
                assert!(
                    EmailAddress::parse_with_options(address.as_str(), strict).is_ok(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn length_limits_are_in_octets() {
        assert_eq!(code(&format!("{}@mail.de", "a".repeat(64))), "ok");
        assert_eq!(
            code(&format!("{}@mail.de", "a".repeat(65))),
            "local-too-long"
        );
        // 22 two-octet characters: 22 characters, 44 octets; 33 of them is 66 octets.
        assert_eq!(
            code(&format!("{}@mail.de", "é".repeat(33))),
            "local-too-long"
        );
        assert_eq!(code(&format!("a@{}.de", "b".repeat(63))), "ok");
        assert_eq!(code(&format!("a@{}.de", "b".repeat(64))), "label-too-long");
        let domain = vec!["c".repeat(63); 4].join(".");
        assert_eq!(code(&format!("a@{domain}")), "domain-too-long");
    }

    #[test]
    fn domain_labels_follow_ldh_rules() {
        for (text, expected) in [
            ("a@-mail.de", "bad-domain-label"),
            ("a@mail-.de", "bad-domain-label"),
            ("a@ab--cd.de", "bad-domain-label"),
            ("a@xn--zz.de", "bad-idna"),
            ("a@x\u{3002}\u{3002}de", "bad-domain-dot"),
            ("a@\u{3002}x.de", "bad-domain-dot"),
            ("a@x.\u{34F}.de", "bad-domain-dot"),
            ("a@x.de\u{3002}", "bad-domain-dot"),
            ("a@\u{2615}.de", "bad-idna"),
            ("a@i\u{2764}.ws", "bad-idna"),
            ("a@xn--ls8h.la", "bad-idna"),
            ("a@a\u{B7}b.de", "bad-idna"),
            ("a@mail..de", "bad-domain-dot"),
            ("a@.mail.de", "bad-domain-dot"),
            ("a@mail.de.", "bad-domain-dot"),
            ("a@mail.123", "bad-tld"),
            ("a@", "empty-domain"),
            ("@mail.de", "empty-local-part"),
            ("a.@mail.de", "bad-local-dot"),
            ("a..b@mail.de", "bad-local-dot"),
            ("a(b)@mail.de", "bad-local-character"),
            ("ann.mail.de", "missing-at"),
            ("Ann <ann@mail.de>", "display-name"),
        ] {
            assert_eq!(code(text), expected, "{text:?}");
        }
    }

    #[test]
    fn special_use_domains_never_receive_mail() {
        for text in [
            "a@example.com",
            "a@sub.example.org",
            "a@example.net",
            "a@shop.example",
            "a@host.invalid",
            "a@x.test",
            "a@printer.local",
            "a@abc.onion",
            "a@1.in-addr.arpa",
        ] {
            assert_eq!(code(text), "special-use-domain", "{text}");
        }
        // Only whole labels match: these are ordinary domains.
        assert_eq!(code("a@notexample.com"), "ok");
        assert_eq!(code("a@mytest.de"), "ok");
    }

    #[test]
    fn options_allow_quoted_local_parts_and_ip_literals() {
        let options = SyntaxOptions {
            allow_quoted_local: true,
            allow_domain_literal: true,
            case_sensitive_local: false,
        };
        assert!(check_address("\"john doe\"@mail.de", options).is_ok());
        assert!(check_address("a@[192.0.2.1]", options).is_ok());
        assert!(check_address("a@[IPv6:2001:db8::1]", options).is_ok());
        assert_eq!(
            check_address("a@[hello]", options).unwrap_err().code(),
            "bad-ip-literal"
        );
    }

    #[test]
    fn normalises_to_nfc_local_part_and_lowercase_a_label_domain() {
        // "e" + combining acute (NFD) becomes the precomposed é.
        let address = check_address("Rene\u{301}@BÜCHER.de", SyntaxOptions::default()).unwrap();
        assert_eq!(address.as_str(), "René@xn--bcher-kva.de");
        assert_eq!(address.key(), "rené@xn--bcher-kva.de");
        assert_eq!(address.domain(), "xn--bcher-kva.de");

        let sensitive = SyntaxOptions {
            case_sensitive_local: true,
            ..SyntaxOptions::default()
        };
        let address = check_address("Ann@Mail.DE", sensitive).unwrap();
        assert_eq!(address.key(), "Ann@mail.de");
    }
}
