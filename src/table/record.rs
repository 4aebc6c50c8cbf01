//! One record, as the scanner hands it on: an unquoted line's fields are slices of the line
//! itself; a record with quotes has its fields unquoted into the scanner's buffer.

/// One record of a delimited file, with the line where each field starts.
pub struct Record<'a> {
    pub(super) fields: Fields<'a>,
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// The record's bytes in the input, its line terminator included.
    pub span: (usize, usize),
}

#[derive(Clone, Copy)]
pub(super) enum Fields<'a> {
    /// A line without quotes or carriage returns: the fields are the text between delimiters.
    Plain {
        line: &'a [u8],
        delimiter: u8,
        count: usize,
    },
    /// A record read by csv-core: the fields' bytes one after another, and where each ends.
    Parsed { bytes: &'a [u8], ends: &'a [usize] },
}

impl<'a> Record<'a> {
    pub fn len(&self) -> usize {
        match self.fields {
            Fields::Plain { count, .. } => count,
            Fields::Parsed { ends, .. } => ends.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The field's bytes.
    pub fn field_bytes(&self, index: usize) -> Option<&'a [u8]> {
        match self.fields {
            Fields::Plain {
                line, delimiter, ..
            } => {
                let mut start = 0;
                for _ in 0..index {
                    start += memchr::memchr(delimiter, &line[start..])? + 1;
                }
                let end =
                    memchr::memchr(delimiter, &line[start..]).map_or(line.len(), |n| start + n);
                Some(&line[start..end])
            }
            Fields::Parsed { bytes, ends } => {
                let end = *ends.get(index)?;
                let start = if index == 0 { 0 } else { ends[index - 1] };
                Some(&bytes[start..end])
            }
        }
    }

    /// The field as text (the whole record was checked to be UTF-8).
    pub fn field(&self, index: usize) -> Option<&'a str> {
        self.field_bytes(index)
            .map(|bytes| std::str::from_utf8(bytes).unwrap_or_default())
    }

    /// Where the field stands in the record's line, when it is a slice of it (an unquoted
    /// line): its offset from the record's start, and its bytes.
    pub fn field_in_line(&self, index: usize) -> Option<(usize, &'a [u8])> {
        let Fields::Plain { line, .. } = self.fields else {
            return None;
        };
        let field = self.field_bytes(index)?;
        Some((field.as_ptr() as usize - line.as_ptr() as usize, field))
    }

    /// The true line of a field: quoted newlines in earlier fields push it down.
    pub fn line_of_field(&self, index: usize) -> u64 {
        let Fields::Parsed { bytes, ends } = self.fields else {
            // An unquoted line holds no newline.
            return self.line;
        };
        let end = match index {
            0 => 0,
            _ => ends[index.min(ends.len()) - 1],
        };
        self.line + memchr::memchr_iter(b'\n', &bytes[..end]).count() as u64
    }

    pub fn fields(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).map(|i| self.field(i).unwrap_or_default())
    }
}
