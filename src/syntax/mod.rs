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
mod checked;
mod error;
mod full;
#[cfg(test)]
mod tests;

use ascii::Accepted;
use checked::CheckedCell;
pub use checked::{CellView, CellsView, Checked, CheckedCells, Invalid};
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
    /// usual address, its own key, is read without a search.
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

    /// The address, borrowed.
    pub fn borrow(&self) -> AddressRef<'_> {
        AddressRef { text: &self.text }
    }

    /// The address as it will be shown and written: NFC local part, A-label domain.
    pub fn as_str(&self) -> &str {
        self.borrow().as_str()
    }

    /// The identity under which duplicates and history are matched.
    pub fn key(&self) -> &str {
        self.borrow().key()
    }

    /// The domain in lowercased A-label form (or the bracketed literal).
    pub fn domain(&self) -> &str {
        self.borrow().domain()
    }

    /// The matching key, and the address as shown when it differs from the key.
    pub fn into_key_and_display(self) -> (Box<str>, Option<Box<str>>) {
        match self.borrow().split() {
            Some((shown, key)) => (key.into(), Some(shown.into())),
            None => (self.text, None),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid address where it is kept: in an [`Address`], or in its list's text (most of a
/// list's addresses are its cells' text as it stands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRef<'a> {
    /// As in [`Address`]: the address, or a NUL, the address, a NUL and the key.
    text: &'a str,
}

impl<'a> AddressRef<'a> {
    /// An address that is its own key, as it stands.
    fn as_is(text: &'a str) -> AddressRef<'a> {
        AddressRef { text }
    }

    /// The address shown and the key, when they differ.
    fn split(self) -> Option<(&'a str, &'a str)> {
        let both = self.text.strip_prefix('\0')?;
        both.split_once('\0')
    }

    /// [`Address::as_str`].
    pub fn as_str(self) -> &'a str {
        self.split().map_or(self.text, |(shown, _)| shown)
    }

    /// [`Address::key`].
    pub fn key(self) -> &'a str {
        self.split().map_or(self.text, |(_, key)| key)
    }

    /// [`Address::domain`].
    pub fn domain(self) -> &'a str {
        // The domain has no @ (a quoted local part may), and the key ends in the same domain
        // as the address shown: the text's last @ starts it.
        let at = memchr::memrchr(b'@', self.text.as_bytes()).unwrap_or_default();
        &self.text[at + 1..]
    }

    #[cfg(test)]
    fn to_address(self) -> Address {
        Address {
            text: self.text.into(),
        }
    }
}

/// The hash an address key is known by beyond its list: the gate's duplicates and sets of
/// unique addresses, and the history's filter, hash each key once with it. xxh3-128: two
/// different keys share one with a chance of about 2^-128 a pair.
pub fn key_hash(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

/// Check every cell of a list on all cores, keeping the file's order. The cells are let go
/// here; the file's text is kept with the outcome, for the addresses that are a cell's text
/// as it stands (no copy is made of them).
pub fn check_cells(cells: Cells, options: SyntaxOptions) -> CheckedCells {
    let mut checked = Vec::with_capacity(cells.len());
    for part in cells.parts() {
        // Written in place, a part after the other: no copy of a million cells.
        checked.par_extend(part.cells().par_iter().with_min_len(1024).map(|&cell| {
            let (text, start) = cells.text_in(part, cell);
            // Most cells are plain ASCII addresses, trimmed of ASCII white space. Any other
            // (Unicode space around it too) goes the whole way.
            let trimmed = text.trim_ascii();
            let padded = trimmed.len() != text.len();
            match (ascii::check(trimmed, options), start) {
                (Some(Accepted::AsIs), Some(start)) => {
                    let leading = text.len() - text.trim_ascii_start().len();
                    return CheckedCell::in_file(cell.line, padded, start + leading, trimmed.len());
                }
                (Some(accepted), _) => {
                    let address = accepted.into_address(trimmed);
                    return CheckedCell::new(cell.line, padded, Ok(address));
                }
                (None, _) => {}
            }
            let trimmed = text.trim();
            let checked = full::check(trimmed, options).map_err(|error| Invalid {
                text: trimmed.into(),
                error,
            });
            CheckedCell::new(cell.line, trimmed.len() != text.len(), checked)
        }));
    }
    CheckedCells::new(cells.into_file(), checked)
}

/// Check one address (already trimmed of surrounding whitespace) and normalise it.
///
/// Most addresses are plain ASCII: the fast path decides those it can accept in one pass over
/// the bytes; everything else (any rejection, Unicode, `xn--` labels, quoted local parts,
/// literals) takes the full check, which gives the precise reason.
pub fn check_address(text: &str, options: SyntaxOptions) -> Result<Address, SyntaxError> {
    match ascii::check(text, options) {
        Some(accepted) => Ok(accepted.into_address(text)),
        None => full::check(text, options),
    }
}
