//! Stage 2: check the syntax of each address, as strictly as a sender who must deliver.
//!
//! The reference is the default behaviour of python-email-validator. `email_address` alone
//! accepts far too much (`user@localhost`, `a@exa_mple.com`, zero-width characters, ...), so it
//! is only the last safety net here: the specific checks below run first, so that every
//! rejection carries a precise, stable reason code.

use std::fmt;

use rayon::prelude::*;

use crate::lists::Cells;

mod ascii;
mod error;
mod full;
#[cfg(test)]
mod tests;

pub use error::SyntaxError;

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
    /// NFC local part, `@`, lowercased A-label domain; when the matching key differs (a
    /// case-folded local part), a NUL first, then the address, a NUL and the key. No valid
    /// address holds a NUL; the first byte says whether to look for the second, so that the
    /// usual address, its own key, is read without a search. One allocation keeps a checked
    /// cell at 24 bytes.
    text: Box<str>,
}

impl Address {
    /// The address shown, and the key when it differs from it.
    fn new(normalized: String, folded: Option<String>) -> Address {
        let text = match folded {
            Some(folded) => {
                let mut both = String::with_capacity(2 + normalized.len() + folded.len());
                both.push('\0');
                both.push_str(&normalized);
                both.push('\0');
                both.push_str(&folded);
                both
            }
            None => normalized,
        };
        Address {
            text: text.into_boxed_str(),
        }
    }

    /// The address shown and the key, when they differ.
    fn split(&self) -> Option<(&str, &str)> {
        let both = self.text.strip_prefix('\0')?;
        both.split_once('\0')
    }

    /// The address as it will be shown and written: NFC local part, A-label domain.
    pub fn as_str(&self) -> &str {
        self.split().map_or(&self.text, |(shown, _)| shown)
    }

    /// The identity under which duplicates and history are matched.
    pub fn key(&self) -> &str {
        self.split().map_or(&self.text, |(_, key)| key)
    }

    /// The matching key, and the address as shown when it differs from the key.
    pub fn into_key_and_display(self) -> (Box<str>, Option<Box<str>>) {
        match self.split() {
            Some((shown, key)) => (key.into(), Some(shown.into())),
            None => (self.text, None),
        }
    }

    /// The domain in lowercased A-label form (or the bracketed literal).
    pub fn domain(&self) -> &str {
        // The domain has no @ (a quoted local part may), and the key ends in the same domain
        // as the address shown: the text's last @ starts it.
        let at = memchr::memrchr(b'@', self.text.as_bytes()).unwrap_or_default();
        &self.text[at + 1..]
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hash an address key is known by beyond its list: the gate's duplicates and sets of
/// unique addresses, and the history's filter, hash each key once with it. xxh3-128: two
/// different keys share one with a chance of about 2^-128 a pair.
pub fn key_hash(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

/// The outcome of the syntax stage for one cell.
#[derive(Debug, Clone)]
pub enum Checked {
    Valid(Address),
    /// The trimmed cell text is kept only for invalid cells, for the finding. Boxed: a
    /// checked cell of a million stays at 24 bytes.
    Invalid(Box<Invalid>),
}

/// An invalid cell's text, and why.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub text: Box<str>,
    pub error: SyntaxError,
}

impl Checked {
    /// The key [`Checked::into_key`] gives, borrowed.
    pub fn key(&self) -> &str {
        match self {
            Checked::Valid(address) => address.key(),
            Checked::Invalid(invalid) => &invalid.text,
        }
    }

    /// The identity the cell is matched by: the address key, or an invalid cell's text.
    pub fn into_key(self) -> Box<str> {
        match self {
            Checked::Valid(address) => address.into_key_and_display().0,
            Checked::Invalid(invalid) => invalid.text,
        }
    }
}

/// One checked cell, still at its line.
#[derive(Debug, Clone)]
pub struct CheckedCell {
    /// The line, and in the top bit whether the cell was padded: 24 bytes a cell, not 32.
    line_and_padding: u64,
    pub checked: Checked,
}

const PADDED: u64 = 1 << 63;

impl CheckedCell {
    pub fn new(line: u64, padded: bool, checked: Checked) -> CheckedCell {
        CheckedCell {
            line_and_padding: (line & !PADDED) | if padded { PADDED } else { 0 },
            checked,
        }
    }

    pub fn line(&self) -> u64 {
        self.line_and_padding & !PADDED
    }

    /// The cell had leading or trailing whitespace (the trimmed address was checked).
    pub fn padded(&self) -> bool {
        self.line_and_padding & PADDED != 0
    }
}

/// Check every cell of a list on all cores, keeping the file's order. The cells, and the
/// file's bytes they stand in, are let go here.
pub fn check_cells(cells: Cells, options: SyntaxOptions) -> Vec<CheckedCell> {
    let mut checked = Vec::with_capacity(cells.len());
    // The file's bytes checked to be UTF-8 once, not each cell's.
    let whole = cells.whole_text();
    for part in cells.parts() {
        // Written in place, a part after the other: no copy of a million cells.
        checked.par_extend(part.cells().par_iter().with_min_len(1024).map(|&cell| {
            let text = cells.text_in(whole, part, cell);
            // Most cells are plain ASCII addresses, trimmed of ASCII white space. Any other
            // (Unicode space around it too) goes the whole way.
            let trimmed = text.trim_ascii();
            if let Some(address) = ascii::check(trimmed, options) {
                return CheckedCell::new(
                    cell.line,
                    trimmed.len() != text.len(),
                    Checked::Valid(address),
                );
            }
            let trimmed = text.trim();
            let checked = match full::check(trimmed, options) {
                Ok(address) => Checked::Valid(address),
                Err(error) => Checked::Invalid(Box::new(Invalid {
                    text: trimmed.into(),
                    error,
                })),
            };
            CheckedCell::new(cell.line, trimmed.len() != text.len(), checked)
        }));
    }
    checked
}

/// Check one address (already trimmed of surrounding whitespace) and normalise it.
///
/// Most addresses are plain ASCII: the fast path decides those it can accept in one pass over
/// the bytes; everything else (any rejection, Unicode, `xn--` labels, quoted local parts,
/// literals) takes the full check, which gives the precise reason.
pub fn check_address(text: &str, options: SyntaxOptions) -> Result<Address, SyntaxError> {
    match ascii::check(text, options) {
        Some(address) => Ok(address),
        None => full::check(text, options),
    }
}
