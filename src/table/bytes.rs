//! A file's bytes for the readers: read into memory, or, from a few megabytes on, mapped.
//! Mapping copies nothing and needs no fresh memory: the pages are the file system's cache,
//! which on a virtual machine saves more than the copy (each fresh page is zeroed first).

use std::fmt;
use std::io::Read as _;
use std::ops::Deref;

use yoke::Yoke;

/// Files from this size on are mapped rather than read.
const MAP_FROM_BYTES: u64 = 4 * 1024 * 1024;

/// A file's bytes.
pub enum FileBytes {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Read(bytes) => bytes,
            FileBytes::Mapped(map) => map,
        }
    }
}

impl Default for FileBytes {
    fn default() -> FileBytes {
        FileBytes::Read(Vec::new())
    }
}

impl Clone for FileBytes {
    fn clone(&self) -> FileBytes {
        FileBytes::Read(self.to_vec())
    }
}

impl fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self {
            FileBytes::Read(_) => "read",
            FileBytes::Mapped(_) => "mapped",
        };
        write!(f, "{} bytes, {how}", self.len())
    }
}

/// A file's bytes and, when all of them past `base` (a BOM) are UTF-8, that text: checked
/// once, then sliced at no cost (the syntax stage's cells, the gate's addresses). The text
/// borrows from the bytes it is kept with (a yoke), so that the two move as one.
pub struct FileText {
    text: Yoke<Option<&'static str>, Box<FileBytes>>,
    base: usize,
}

impl FileText {
    pub fn new(bytes: FileBytes, base: usize) -> FileText {
        FileText {
            text: Yoke::attach_to_cart(Box::new(bytes), |bytes: &FileBytes| {
                std::str::from_utf8(bytes.get(base..)?).ok()
            }),
            base,
        }
    }

    /// Where the text starts in the bytes.
    pub fn base(&self) -> usize {
        self.base
    }

    /// The text past the base, when it is all UTF-8.
    pub fn text(&self) -> Option<&str> {
        *self.text.get()
    }

    /// All the bytes.
    pub fn bytes(&self) -> &[u8] {
        self.text.backing_cart()
    }
}

impl Default for FileText {
    fn default() -> FileText {
        FileText::new(FileBytes::default(), 0)
    }
}

impl Clone for FileText {
    fn clone(&self) -> FileText {
        FileText::new(FileBytes::Read(self.bytes().to_vec()), self.base)
    }
}

impl fmt::Debug for FileText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let utf8 = if self.text().is_some() {
            "UTF-8"
        } else {
            "not UTF-8"
        };
        write!(f, "{:?}, {utf8}", self.text.backing_cart())
    }
}

/// The bytes of an open file, of which `head` was read already: a big regular file mapped
/// whole, any other read to its end.
pub fn read_rest(mut file: std::fs::File, mut head: Vec<u8>) -> std::io::Result<FileBytes> {
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() >= MAP_FROM_BYTES {
        // SAFETY: the map is only read. A file truncated by another process while it is
        // read ends the run with SIGBUS (a failed check, never a wrong verdict); lists and
        // histories change by git checkouts and editors' renames, which leave the mapped
        // file alone.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            return Ok(FileBytes::Mapped(map));
        }
    }
    head.reserve((metadata.len() as usize).saturating_sub(head.len()));
    file.read_to_end(&mut head)?;
    Ok(FileBytes::Read(head))
}
