//! The address cells of one list. Each is a line and a place in the file's bytes, which the
//! cells keep: reading a million rows allocates nothing per row. A quoted field, whose text
//! is not a slice of the file (`"a""b"` is `a"b`), is kept unquoted beside them.

use std::fmt;

use crate::table::{FileBytes, FileText};

/// Where a cell's text stands: `start << 25 | quoted << 24 | len` (a field is at most a
/// record, 64 KiB; a file at most 512 GB; a quoted field's text is in its part). Sixteen
/// bytes a cell, with the line.
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
    /// The file's bytes; cells count from its base (past a BOM).
    file: FileText,
    /// As the chunks of the file were read: put together, they would be one more copy.
    parts: Vec<CellPart>,
}

impl Cells {
    pub fn len(&self) -> usize {
        self.parts.iter().map(|part| part.cells.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|part| part.cells.is_empty())
    }

    /// The cells, a part (a chunk of the file) at a time, in file order.
    pub fn parts(&self) -> &[CellPart] {
        &self.parts
    }

    /// The text of a cell of `part`, untrimmed (the reader checked it is UTF-8).
    pub fn text<'a>(&'a self, part: &'a CellPart, cell: Cell) -> &'a str {
        std::str::from_utf8(self.bytes(part, cell)).unwrap_or_default()
    }

    /// The file's text past the BOM, when all of it is UTF-8 (checked once, as the file was
    /// read): the text a cell that is no quoted field stands in.
    pub fn whole_text(&self) -> Option<&str> {
        self.file.text()
    }

    /// [`Cells::text`], and where it starts in [`Cells::whole_text`] when it is a slice of it
    /// (a cell that is no quoted field, of a file that is all UTF-8): no cell is checked again.
    pub fn text_in<'a>(&'a self, part: &'a CellPart, cell: Cell) -> (&'a str, Option<usize>) {
        let (start, len) = (cell.start(), cell.len());
        match self.file.text() {
            Some(whole) if !cell.quoted() => match whole.get(start..start + len) {
                Some(text) => (text, Some(start)),
                None => (self.text(part, cell), None),
            },
            _ => (self.text(part, cell), None),
        }
    }

    /// The file's bytes and text, the cells let go.
    pub fn into_file(self) -> FileText {
        self.file
    }

    /// The bytes of a cell of `part`, untrimmed: UTF-8 text.
    fn bytes<'a>(&'a self, part: &'a CellPart, cell: Cell) -> &'a [u8] {
        let (start, len) = (cell.start(), cell.len());
        if cell.quoted() {
            &part.unquoted[start..start + len]
        } else {
            let base = self.file.base();
            &self.file.bytes()[base + start..base + start + len]
        }
    }

    /// Each cell's line and text, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &str)> {
        self.parts.iter().flat_map(move |part| {
            part.cells
                .iter()
                .map(move |&cell| (cell.line, self.text(part, cell)))
        })
    }

    /// The cells read in parts (the chunks of one file), over the file's bytes.
    pub(super) fn from_parts(bytes: FileBytes, base: usize, parts: Vec<CellPart>) -> Cells {
        Cells {
            file: FileText::new(bytes, base),
            parts,
        }
    }
}

/// Cells from texts (tests, and lists made in memory), each standing in the bytes made of
/// them all, as a file's cells do.
impl<'a> FromIterator<(u64, &'a str)> for Cells {
    fn from_iter<I: IntoIterator<Item = (u64, &'a str)>>(texts: I) -> Cells {
        let mut bytes = Vec::new();
        let mut part = CellPart::default();
        for (line, text) in texts {
            part.push_span(line, bytes.len(), text.len());
            bytes.extend_from_slice(text.as_bytes());
        }
        Cells::from_parts(FileBytes::Read(bytes), 0, vec![part])
    }
}

/// The cells of one chunk of a file, with the text of its quoted fields.
#[derive(Debug, Clone, Default)]
pub struct CellPart {
    cells: Vec<Cell>,
    unquoted: Vec<u8>,
}

impl CellPart {
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

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
