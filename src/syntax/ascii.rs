//! The fast path: a plain ASCII dot-atom address on LDH labels, accepted in one pass over its
//! bytes. It only ever accepts: anything it is not sure of (a rejection, Unicode, an `xn--`
//! label, quotes, brackets) is left to the full check, so verdicts, reasons and keys are the
//! full check's by construction (tests.rs compares the two).

use super::full::special_use_suffix;
use super::{
    Address, MAX_ADDRESS_OCTETS, MAX_DOMAIN_OCTETS, MAX_LABEL_OCTETS, MAX_LOCAL_OCTETS,
    SyntaxOptions,
};

/// RFC 5322 atext (letters, digits and ``!#$%&'*+-/=?^_`{|}~``) and the dot.
const LOCAL: u8 = 1;
/// Letters, digits, the hyphen and the dot.
const DOMAIN: u8 = 2;
const UPPER: u8 = 4;
const DOT: u8 = 8;
/// The dot and the hyphen: two side by side end a host name's label wrongly (`..`, `.-`,
/// `-.`) or may make it an A-label (`xn--`).
const PUNCT: u8 = 16;

static CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0; 256];
    let specials = b"!#$%&'*+/=?^_`{|}~";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = LOCAL;
        i += 1;
    }
    table[b'-' as usize] = LOCAL | DOMAIN | PUNCT;
    table[b'.' as usize] = LOCAL | DOMAIN | DOT | PUNCT;
    let mut b = b'0';
    while b <= b'9' {
        table[b as usize] = LOCAL | DOMAIN;
        b += 1;
    }
    let mut b = b'a';
    while b <= b'z' {
        table[b as usize] = LOCAL | DOMAIN;
        table[(b - 32) as usize] = LOCAL | DOMAIN | UPPER;
        b += 1;
    }
    table
}

/// What the bytes of a local part or a domain have: the classes every byte has, those some
/// byte has, and those two neighbours share (a dot before the first byte). One table look-up
/// a byte and no branch: a million addresses are decided at a few cycles a byte.
struct Classes {
    every: u8,
    some: u8,
    neighbours: u8,
}

fn classes_of(bytes: &[u8]) -> Classes {
    let (mut every, mut some, mut neighbours) = (u8::MAX, 0, 0);
    let mut before = DOT | PUNCT;
    for &b in bytes {
        let class = CLASSES[usize::from(b)];
        every &= class;
        some |= class;
        neighbours |= before & class;
        before = class;
    }
    Classes {
        every,
        some,
        neighbours,
    }
}

/// What the fast path says of an address it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Accepted {
    /// The text is the address, and its key, as it stands: most are (no copy is made).
    AsIs,
    /// The address normalised (a lower-cased domain), or with a key of its own (a folded
    /// local part).
    Normalised(Address),
}

impl Accepted {
    /// The address `text` is, as the full check gives it.
    pub(super) fn into_address(self, text: &str) -> Address {
        match self {
            Accepted::AsIs => Address::new(text.to_owned(), None),
            Accepted::Normalised(address) => address,
        }
    }
}

/// Whether `text` is a plain ASCII address that the full check would accept, and how; `None`
/// means "ask the full check", never "invalid".
pub(super) fn check(text: &str, options: SyntaxOptions) -> Option<Accepted> {
    let bytes = text.as_bytes();
    // Every byte the checks below let through is ASCII, so octets are characters and the
    // address is already NFC.
    if bytes.len() > MAX_ADDRESS_OCTETS {
        return None;
    }
    // The domain is short: a loop ends sooner than a search is set up.
    let at = bytes.iter().rposition(|&b| b == b'@')?;
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    if local.is_empty() || local.len() > MAX_LOCAL_OCTETS || domain.len() > MAX_DOMAIN_OCTETS {
        return None;
    }
    let upper_local = check_local(local)?;
    let upper_domain = check_domain(domain)?;
    let fold_local = upper_local && !options.case_sensitive_local;
    if !upper_domain && !fold_local {
        return special_use_suffix(&text[at + 1..])
            .is_none()
            .then_some(Accepted::AsIs);
    }

    let mut normalized = text.to_owned();
    if upper_domain {
        normalized[at + 1..].make_ascii_lowercase();
    }
    if special_use_suffix(&normalized[at + 1..]).is_some() {
        return None;
    }
    let folded = fold_local.then(|| {
        let mut folded = normalized.clone();
        folded[..at].make_ascii_lowercase();
        folded
    });
    Some(Accepted::Normalised(Address::new(normalized, folded)))
}

/// A dot-atom: atext with single dots inside (none first, none last). Whether it has an
/// upper-case letter.
fn check_local(local: &[u8]) -> Option<bool> {
    let classes = classes_of(local);
    let dot_atom =
        classes.every & LOCAL != 0 && classes.neighbours & DOT == 0 && local.last() != Some(&b'.');
    dot_atom.then_some(classes.some & UPPER != 0)
}

/// LDH labels of 1 to 63 octets, no hyphen at either end; at least two labels, the last
/// ending in a letter. Whether it has an upper-case letter. A domain with `--` anywhere is
/// left to the full check: in the third and fourth places it makes an A-label (IDNA) or a
/// rejection.
fn check_domain(domain: &[u8]) -> Option<bool> {
    let classes = classes_of(domain);
    let host_name = classes.every & DOMAIN != 0
        // No dot or hyphen beside a dot (or first), nor two hyphens.
        && classes.neighbours & PUNCT == 0
        // Two labels at least: none is empty.
        && classes.some & DOT != 0
        && domain.last().is_some_and(u8::is_ascii_alphabetic)
        // A label as long as the domain is short enough (most are).
        && (domain.len() <= MAX_LABEL_OCTETS
            || domain
                .split(|&b| b == b'.')
                .all(|label| label.len() <= MAX_LABEL_OCTETS));
    host_name.then_some(classes.some & UPPER != 0)
}
