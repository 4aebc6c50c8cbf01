//! The fast path: a plain ASCII dot-atom address on LDH labels, accepted in one pass over its
//! bytes. It only ever accepts: anything it is not sure of (a rejection, Unicode, an `xn--`
//! label, quotes, brackets) is left to the full check, so verdicts, reasons and keys are the
//! full check's by construction (tests.rs compares the two).

use super::full::special_use_suffix;
use super::{
    Address, MAX_ADDRESS_OCTETS, MAX_DOMAIN_OCTETS, MAX_LABEL_OCTETS, MAX_LOCAL_OCTETS,
    SyntaxOptions,
};

/// RFC 5322 atext (letters, digits and ``!#$%&'*+-/=?^_`{|}~``).
const ATEXT: u8 = 1;
/// Letters, digits and the hyphen.
const LDH: u8 = 2;
const UPPER: u8 = 4;

static CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0; 256];
    let specials = b"!#$%&'*+-/=?^_`{|}~";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = ATEXT;
        i += 1;
    }
    table[b'-' as usize] = ATEXT | LDH;
    let mut b = b'0';
    while b <= b'9' {
        table[b as usize] = ATEXT | LDH;
        b += 1;
    }
    let mut b = b'a';
    while b <= b'z' {
        table[b as usize] = ATEXT | LDH;
        table[(b - 32) as usize] = ATEXT | LDH | UPPER;
        b += 1;
    }
    table
}

/// The address, when it is a plain ASCII one that the full check would accept; `None` means
/// "ask the full check", never "invalid".
pub(super) fn check(text: &str, options: SyntaxOptions) -> Option<Address> {
    let bytes = text.as_bytes();
    // Every byte is ASCII here, so octets are characters and the address is already NFC.
    if bytes.len() > MAX_ADDRESS_OCTETS {
        return None;
    }
    let at = memchr::memrchr(b'@', bytes)?;
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    if local.is_empty() || local.len() > MAX_LOCAL_OCTETS || domain.len() > MAX_DOMAIN_OCTETS {
        return None;
    }
    let upper_local = check_local(local)?;
    let upper_domain = check_domain(domain)?;

    let mut normalized = text.to_owned();
    if upper_domain {
        normalized[at + 1..].make_ascii_lowercase();
    }
    if special_use_suffix(&normalized[at + 1..]).is_some() {
        return None;
    }
    let folded = (upper_local && !options.case_sensitive_local).then(|| {
        let mut folded = normalized.clone();
        folded[..at].make_ascii_lowercase();
        folded
    });
    Some(Address::new(normalized, folded))
}

/// A dot-atom: atext with single dots inside. Whether it has an upper-case letter.
fn check_local(local: &[u8]) -> Option<bool> {
    let mut upper = false;
    // Starting as if after a dot rejects a leading dot.
    let mut after_dot = true;
    for &b in local {
        if b == b'.' {
            if after_dot {
                return None;
            }
            after_dot = true;
            continue;
        }
        let class = CLASSES[b as usize];
        if class & ATEXT == 0 {
            return None;
        }
        upper |= class & UPPER != 0;
        after_dot = false;
    }
    (!after_dot).then_some(upper)
}

/// LDH labels of 1 to 63 octets, no hyphen at either end, and no `--` in the third and fourth
/// places (an `xn--` label needs IDNA, any other is a rejection); at least two labels, the last
/// ending in a letter. Whether it has an upper-case letter.
fn check_domain(domain: &[u8]) -> Option<bool> {
    let mut upper = false;
    let mut labels = 0;
    for label in domain.split(|&b| b == b'.') {
        let (&first, &last) = (label.first()?, label.last()?);
        if label.len() > MAX_LABEL_OCTETS
            || first == b'-'
            || last == b'-'
            || label.get(2..4) == Some(b"--")
        {
            return None;
        }
        for &b in label {
            let class = CLASSES[b as usize];
            if class & LDH == 0 {
                return None;
            }
            upper |= class & UPPER != 0;
        }
        labels += 1;
    }
    let tld_ends_in_letter = domain.last().is_some_and(u8::is_ascii_alphabetic);
    (labels >= 2 && tld_ends_in_letter).then_some(upper)
}
