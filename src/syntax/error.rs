//! Why an address cannot receive mail: the reasons and their stable codes.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{MAX_ADDRESS_OCTETS, MAX_DOMAIN_OCTETS, MAX_LABEL_OCTETS, MAX_LOCAL_OCTETS};

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
