//! The full check: any Unicode (NFC local part, IDNA domain), quoted local parts and domain
//! literals, each rejection with its precise reason.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use email_address::EmailAddress;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::{
    Address, MAX_ADDRESS_OCTETS, MAX_DOMAIN_OCTETS, MAX_LABEL_OCTETS, MAX_LOCAL_OCTETS,
    SPECIAL_USE_SUFFIXES, SyntaxError, SyntaxOptions,
};

/// Check one address (already trimmed of surrounding whitespace) and normalise it.
pub(super) fn check(text: &str, options: SyntaxOptions) -> Result<Address, SyntaxError> {
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
        Some(format!("{}@{domain}", local.to_lowercase()))
    };
    Ok(Address::new(normalized, folded))
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

pub(super) fn special_use_suffix(domain: &str) -> Option<&'static str> {
    SPECIAL_USE_SUFFIXES.iter().copied().find(|suffix| {
        domain == *suffix
            || (domain.len() > suffix.len()
                && domain.ends_with(suffix)
                && domain.as_bytes()[domain.len() - suffix.len() - 1] == b'.')
    })
}
