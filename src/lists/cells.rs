//! The address cells of one list. Each is a line and a place in the file's bytes, which the
//! cells keep: reading a million rows allocates nothing per row. A quoted field, whose text
//! is not a slice of the file (`"a""b"` is `a"b`), is kept unquoted beside them.

use std::fmt;

use crate::table::FileBytes;

/// Where a cell's text stands: `start << 25 | quoted << 24 | len` (a field is at most a
/// record, 64 KiB; a file at most 512 GB). Sixteen bytes a cell, with the line.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub line: u64,
    at: u64,
}

const LEN_BITS: u32 = 24;
const QUOTED: u64 = 1 << LEN_BITS;

impl Cell {
    fn new(line: u64, start: usize, len: usize, quoted: bool) -> Cell {
        debug_assert!(len < 1 << LEN_BITS && start < 1 << (63 - LEN_BITS));
        Cell {
            line,
            at: (start as u64) << (LEN_BITS + 1) | u64::from(quoted) << LEN_BITS | len as u64,
        }
    }

    fn start(self) -> usize {
        (self.at >> (LEN_BITS + 1)) as usize
    }

    fn len(self) -> usize {
        (self.at & (QUOTED - 1)) as usize
    }

    fn quoted(self) -> bool {
        self.at & QUOTED != 0
    }
}

impl fmt::Debug for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cell")
            .field("line", &self.line)
            .field("start", &self.start())
            .field("len", &self.len())
            .field("quoted", &self.quoted())
            .finish()
    }
}

/// The cells of a list, in file order, with the bytes their text stands in.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    /// The file's bytes; cells count from `base` (past a BOM).
    bytes: FileBytes,
    base: usize,
    /// Quoted fields, unquoted, one after another.
    unquoted: Vec<u8>,
    cells: Vec<Cell>,
}

impl Cells {
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn as_slice(&self) -> &[Cell] {
        &self.cells
    }

    /// A cell's text, untrimmed (the reader checked it is UTF-8).
    pub fn text(&self, cell: Cell) -> &str {
        let (bytes, start): (&[u8], usize) = if cell.quoted() {
            (&self.unquoted, cell.start())
        } else {
            (&self.bytes, self.base + cell.start())
        };
        std::str::from_utf8(&bytes[start..start + cell.len()]).unwrap_or_default()
    }

    /// Each cell's line and text, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &str)> {
        self.cells.iter().map(|&cell| (cell.line, self.text(cell)))
    }

    /// The cells read in parts (the chunks of one file), over the file's bytes.
    pub(super) fn from_parts(bytes: FileBytes, base: usize, parts: &mut [CellPart]) -> Cells {
        let mut cells = Vec::with_capacity(parts.iter().map(|part| part.cells.len()).sum());
        let mut unquoted = Vec::new();
        for part in parts {
            let shift = unquoted.len();
            cells.extend(part.cells.iter().map(|&cell| {
                if cell.quoted() {
                    Cell::new(cell.line, cell.start() + shift, cell.len(), true)
                } else {
                    cell
                }
            }));
            unquoted.append(&mut part.unquoted);
            part.cells = Vec::new();
        }
        Cells {
            bytes,
            base,
            unquoted,
            cells,
        }
    }
}

/// Cells from texts (tests, and lists made in memory).
impl<'a> FromIterator<(u64, &'a str)> for Cells {
    fn from_iter<I: IntoIterator<Item = (u64, &'a str)>>(texts: I) -> Cells {
        let mut part = CellPart::default();
        for (line, text) in texts {
            part.push_unquoted(line, text.as_bytes());
        }
        Cells::from_parts(FileBytes::default(), 0, &mut [part])
    }
}

/// The cells of one chunk of a file, as it is read.
#[derive(Default)]
pub(super) struct CellPart {
    cells: Vec<Cell>,
    unquoted: Vec<u8>,
}

impl CellPart {
    pub(super) fn with_capacity(cells: usize) -> CellPart {
        CellPart {
            cells: Vec::with_capacity(cells),
            unquoted: Vec::new(),
        }
    }

    /// A cell whose text is `len` bytes at `start` of the file (past the BOM).
    pub(super) fn push_span(&mut self, line: u64, start: usize, len: usize) {
        self.cells.push(Cell::new(line, start, len, false));
    }

    /// A cell whose text is not a slice of the file.
    pub(super) fn push_unquoted(&mut self, line: u64, text: &[u8]) {
        self.cells
            .push(Cell::new(line, self.unquoted.len(), text.len(), true));
        self.unquoted.extend_from_slice(text);
    }
}
