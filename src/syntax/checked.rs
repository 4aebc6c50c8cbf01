//! The syntax stage's outcome for one list: each cell's verdict, in file order, kept with the
//! list's text. Most addresses are a cell's text as it stands (trimmed): for those a cell
//! holds only where the text is, and a million of them cost no allocation and no copy.

use rayon::prelude::*;

use super::{Address, AddressRef, SyntaxError};
use crate::table::FileText;

/// A list's checked cells, with the text of the file they were read from.
#[derive(Debug, Clone, Default)]
pub struct CheckedCells {
    file: FileText,
    cells: Vec<CheckedCell>,
}

impl CheckedCells {
    pub(super) fn new(file: FileText, cells: Vec<CheckedCell>) -> CheckedCells {
        CheckedCells { file, cells }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The cells, to be read with the list's text.
    pub fn view(&self) -> CellsView<'_> {
        CellsView {
            text: self.file.text().unwrap_or_default(),
            cells: &self.cells,
        }
    }

    /// How many cells are addresses kept as spans of the list's text.
    #[cfg(test)]
    pub(super) fn kept_in_file(&self) -> usize {
        self.cells
            .iter()
            .filter(|cell| matches!(cell.outcome, Outcome::InFile(_)))
            .count()
    }

    /// Keep the cells `keep` says yes to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(CellView<'_>) -> bool) {
        let text = self.file.text().unwrap_or_default();
        self.cells.retain(|cell| keep(cell.view(text)));
    }
}

/// A run of a list's checked cells, with the list's text.
#[derive(Debug, Clone, Copy)]
pub struct CellsView<'a> {
    text: &'a str,
    cells: &'a [CheckedCell],
}

impl<'a> CellsView<'a> {
    pub fn len(self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(self) -> bool {
        self.cells.is_empty()
    }

    /// The cell of row `row` (counted from the run's first).
    pub fn get(self, row: usize) -> CellView<'a> {
        self.cells[row].view(self.text)
    }

    pub fn iter(self) -> impl DoubleEndedIterator<Item = CellView<'a>> + ExactSizeIterator {
        self.cells.iter().map(move |cell| cell.view(self.text))
    }

    /// Runs of `size` cells (the last may be shorter), on all cores.
    pub fn par_chunks(self, size: usize) -> impl IndexedParallelIterator<Item = CellsView<'a>> {
        self.cells.par_chunks(size).map(move |cells| CellsView {
            text: self.text,
            cells,
        })
    }
}

/// One cell's outcome, as it is kept: 24 bytes.
#[derive(Debug, Clone)]
pub struct CheckedCell {
    /// The line, and in the top bit whether the cell was padded.
    line_and_padding: u64,
    outcome: Outcome,
}

const PADDED: u64 = 1 << 63;

#[derive(Debug, Clone)]
enum Outcome {
    /// A valid address that is its own key, as it stands in the list's text: where it starts
    /// there, shifted past the 16 bits of its length (an address is at most 254 octets).
    InFile(u64),
    /// Any other: an address normalised or with a key of its own, or an invalid cell. Rare,
    /// and boxed, so that the common cell stays small.
    Boxed(Box<Result<Address, Invalid>>),
}

const LEN_BITS: u32 = 16;

impl CheckedCell {
    pub(super) fn new(line: u64, padded: bool, checked: Result<Address, Invalid>) -> CheckedCell {
        CheckedCell {
            line_and_padding: line_and_padding(line, padded),
            outcome: Outcome::Boxed(Box::new(checked)),
        }
    }

    /// A valid address that is the `len` bytes at `start` of the list's text.
    pub(super) fn in_file(line: u64, padded: bool, start: usize, len: usize) -> CheckedCell {
        debug_assert!(len < 1 << LEN_BITS && (start as u64) < 1 << (64 - LEN_BITS));
        CheckedCell {
            line_and_padding: line_and_padding(line, padded),
            outcome: Outcome::InFile((start as u64) << LEN_BITS | len as u64),
        }
    }

    fn view<'a>(&'a self, text: &'a str) -> CellView<'a> {
        let checked = match &self.outcome {
            Outcome::InFile(place) => {
                let start = (place >> LEN_BITS) as usize;
                let len = (place & ((1 << LEN_BITS) - 1)) as usize;
                // The place was taken in this text (CheckedCells keeps the two together).
                Checked::Valid(AddressRef::as_is(&text[start..start + len]))
            }
            Outcome::Boxed(boxed) => match &**boxed {
                Ok(address) => Checked::Valid(address.borrow()),
                Err(invalid) => Checked::Invalid(invalid),
            },
        };
        CellView {
            line_and_padding: self.line_and_padding,
            checked,
        }
    }
}

fn line_and_padding(line: u64, padded: bool) -> u64 {
    (line & !PADDED) | if padded { PADDED } else { 0 }
}

/// A checked cell, read.
#[derive(Debug, Clone, Copy)]
pub struct CellView<'a> {
    line_and_padding: u64,
    pub checked: Checked<'a>,
}

impl CellView<'_> {
    pub fn line(&self) -> u64 {
        self.line_and_padding & !PADDED
    }

    /// The cell had leading or trailing whitespace (the trimmed address was checked).
    pub fn padded(&self) -> bool {
        self.line_and_padding & PADDED != 0
    }
}

/// The outcome of the syntax stage for one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked<'a> {
    Valid(AddressRef<'a>),
    /// The trimmed cell text, and why it is no address.
    Invalid(&'a Invalid),
}

impl<'a> Checked<'a> {
    /// The identity the cell is matched by: the address key, or an invalid cell's text.
    pub fn key(self) -> &'a str {
        match self {
            Checked::Valid(address) => address.key(),
            Checked::Invalid(invalid) => &invalid.text,
        }
    }

    /// The address as shown, or an invalid cell's text.
    pub fn shown(self) -> &'a str {
        match self {
            Checked::Valid(address) => address.as_str(),
            Checked::Invalid(invalid) => &invalid.text,
        }
    }
}

/// An invalid cell's text, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub text: Box<str>,
    pub error: SyntaxError,
}
