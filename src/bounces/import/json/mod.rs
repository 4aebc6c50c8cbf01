//! JSON as the providers export it: one document (an object or an array), several documents
//! one after the other, or JSON lines. serde_json reads the values; a small scanner over the
//! (already validated) bytes finds where each record starts, so that events and problems can
//! name their line, not only their JSON path.

use serde_json::{Map, Value};

use super::{
    ImportError, ImportProblem, Imported, ImportedEvent, Source, location, parse_iso, shorten,
    valid_time,
};

/// Line numbers of byte offsets.
pub(crate) struct LineIndex(Vec<usize>);

impl LineIndex {
    pub(crate) fn new(bytes: &[u8]) -> LineIndex {
        LineIndex(memchr::memchr_iter(b'\n', bytes).collect())
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> u64 {
        self.0.partition_point(|&newline| newline < offset) as u64 + 1
    }
}

/// A JSON file read: its top-level values with their offsets, and the JSON lines that were
/// not JSON.
pub(crate) struct JsonFile<'a> {
    bytes: &'a [u8],
    lines: LineIndex,
    values: Vec<(usize, Value)>,
    pub(crate) problems: Vec<ImportProblem>,
}

/// A value with where it is: its JSON path, its line and, when it comes from the file's own
/// bytes (not from JSON inside a string), its offset.
#[derive(Debug, Clone)]
pub(crate) struct Node<'v> {
    pub(crate) value: &'v Value,
    pub(crate) path: String,
    pub(crate) line: u64,
    offset: Option<usize>,
}

impl<'v> Node<'v> {
    /// A value parsed from a string inside the file: it has no offsets of its own.
    pub(crate) fn detached(value: &'v Value, path: String, line: u64) -> Node<'v> {
        Node {
            value,
            path,
            line,
            offset: None,
        }
    }

    pub(crate) fn location(&self) -> String {
        location(self.line, &self.path)
    }

    /// The value as an object, or what it is instead.
    pub(crate) fn object(&self) -> Result<&'v Map<String, Value>, String> {
        self.value
            .as_object()
            .ok_or_else(|| format!("is {}: expected an object", describe(self.value)))
    }
}

impl<'a> JsonFile<'a> {
    pub(crate) fn read(bytes: &'a [u8], source: Source) -> Result<JsonFile<'a>, ImportError> {
        let mut file = JsonFile {
            bytes,
            lines: LineIndex::new(bytes),
            values: Vec::new(),
            problems: Vec::new(),
        };
        if is_json_lines(bytes) {
            file.read_lines();
        } else {
            file.read_document(source)?;
        }
        Ok(file)
    }

    /// JSON lines: each non-blank line one value; a line that is not JSON is a problem.
    fn read_lines(&mut self) {
        let mut start = 0;
        for (index, raw) in self.bytes.split(|&b| b == b'\n').enumerate() {
            let line = index as u64 + 1;
            let line_start = start;
            start += raw.len() + 1;
            let Some(indent) = raw.iter().position(|b| !b.is_ascii_whitespace()) else {
                continue;
            };
            match serde_json::from_slice::<Value>(raw) {
                Ok(value) => self.values.push((line_start + indent, value)),
                Err(error) => self.problems.push(ImportProblem {
                    line,
                    location: location(line, ""),
                    message: format!(
                        "is not valid JSON: {} at column {}; expected one JSON object per line",
                        error_text(&error),
                        error.column()
                    ),
                }),
            }
        }
    }

    /// One document, or several one after the other: the first error stops the file.
    fn read_document(&mut self, source: Source) -> Result<(), ImportError> {
        let mut stream = serde_json::Deserializer::from_slice(self.bytes).into_iter::<Value>();
        loop {
            let start = skip_ws(self.bytes, stream.byte_offset());
            match stream.next() {
                None => return Ok(()),
                Some(Ok(value)) => self.values.push((start, value)),
                Some(Err(error)) => {
                    return Err(ImportError::Json {
                        line: error.line() as u64,
                        column: error.column() as u64,
                        detail: error_text(&error),
                        expected: source.expected(),
                    });
                }
            }
        }
    }

    /// The top-level values, each at path `$`.
    pub(crate) fn roots(&self) -> Vec<Node<'_>> {
        self.values
            .iter()
            .map(|(offset, value)| Node {
                value,
                path: "$".to_owned(),
                line: self.lines.line_of(*offset),
                offset: Some(*offset),
            })
            .collect()
    }

    /// The member `key` of an object node (None when absent).
    pub(crate) fn member<'v>(&self, node: &Node<'v>, key: &str) -> Option<Node<'v>> {
        let value = node.value.as_object()?.get(key)?;
        let offset = node
            .offset
            .and_then(|offset| member_offset(self.bytes, offset, key));
        Some(Node {
            value,
            path: format!("{}{}", node.path, key_path(key)),
            line: offset.map_or(node.line, |offset| self.lines.line_of(offset)),
            offset,
        })
    }

    /// The elements of an array node (none for anything else).
    pub(crate) fn elements<'v>(&self, node: &Node<'v>) -> Vec<Node<'v>> {
        let Some(items) = node.value.as_array() else {
            return Vec::new();
        };
        let offsets = node
            .offset
            .and_then(|offset| element_offsets(self.bytes, offset))
            .filter(|offsets| offsets.len() == items.len());
        items
            .iter()
            .enumerate()
            .map(|(index, value)| {
                let offset = offsets.as_ref().map(|offsets| offsets[index]);
                Node {
                    value,
                    path: format!("{}[{index}]", node.path),
                    line: offset.map_or(node.line, |offset| self.lines.line_of(offset)),
                    offset,
                }
            })
            .collect()
    }

    /// The records of a top-level value: the elements of an array; for an object, the
    /// elements of its array `container` when it has one, else the object itself when
    /// `is_record` says it is one.
    pub(crate) fn records<'v>(
        &self,
        root: &Node<'v>,
        container: Option<&str>,
        is_record: impl Fn(&Map<String, Value>) -> bool,
        expected: &str,
    ) -> Result<Vec<Node<'v>>, ImportProblem> {
        let problem = |message: String| ImportProblem {
            line: root.line,
            location: root.location(),
            message,
        };
        match root.value {
            Value::Array(_) => Ok(self.elements(root)),
            Value::Object(map) => match container.and_then(|key| Some((key, map.get(key)?))) {
                Some((key, Value::Array(_))) => Ok(self
                    .member(root, key)
                    .map(|node| self.elements(&node))
                    .unwrap_or_default()),
                Some((key, other)) => Err(problem(format!(
                    "has `{key}` as {}: expected an array",
                    describe(other)
                ))),
                None if is_record(map) => Ok(vec![root.clone()]),
                None => Err(problem(match container {
                    Some(key) => format!("has no `{key}`: expected {expected}"),
                    None => format!("is an object of another kind: expected {expected}"),
                })),
            },
            other => Err(problem(format!(
                "is {}: expected an object or an array",
                describe(other)
            ))),
        }
    }
}

/// Read a JSON file of `source` and hand each record to `read`, which adds its events (or
/// counts it as skipped) to `out`; what `read` rejects becomes a problem at the record.
pub(crate) fn each_record(
    bytes: &[u8],
    source: Source,
    container: Option<&str>,
    is_record: fn(&Map<String, Value>) -> bool,
    out: &mut Imported,
    mut read: impl FnMut(&JsonFile<'_>, &Node<'_>, &mut Imported) -> Result<(), String>,
) -> Result<(), ImportError> {
    let file = JsonFile::read(bytes, source)?;
    out.problems.extend(file.problems.iter().cloned());
    for root in file.roots() {
        let records = match file.records(&root, container, is_record, source.expected()) {
            Ok(records) => records,
            Err(problem) => {
                out.problems.push(problem);
                continue;
            }
        };
        for node in records {
            if let Err(message) = read(&file, &node, out) {
                out.problem(node.line, node.location(), message);
            }
        }
    }
    Ok(())
}

/// A complaint record of a webhook: the address in `address_key`, the time in `time_key`
/// (Unix seconds), the event's name as the source's verdict.
pub(crate) fn complaint(
    source: Source,
    node: &Node<'_>,
    address_key: &str,
    time_key: &str,
    name: &str,
) -> Result<ImportedEvent, String> {
    let map = node.object()?;
    let address = super::check_address(
        required_string(map, address_key, "the complaining address")?,
        address_key,
    )?;
    let mut event = ImportedEvent::complaint(source, node.line, node.location(), address, None);
    event.time = unix_time(map, time_key)?;
    event.source_verdict = super::verdict(name);
    Ok(event)
}

/// [`each_record`] for readers that make one event of a record, or none (the record is then
/// counted as skipped).
pub(crate) fn each_event(
    bytes: &[u8],
    source: Source,
    container: Option<&str>,
    is_record: fn(&Map<String, Value>) -> bool,
    out: &mut Imported,
    read: impl Fn(&JsonFile<'_>, &Node<'_>) -> Result<Option<ImportedEvent>, String>,
) -> Result<(), ImportError> {
    each_record(
        bytes,
        source,
        container,
        is_record,
        out,
        |file, node, out| {
            out.take(read(file, node)?);
            Ok(())
        },
    )
}

/// JSON lines when the first non-blank line is a whole JSON value and another line follows.
pub(crate) fn is_json_lines(bytes: &[u8]) -> bool {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.trim_ascii().is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    lines.next().is_some() && serde_json::from_slice::<serde::de::IgnoredAny>(first).is_ok()
}

/// serde_json's message without its " at line 1 column 5".
fn error_text(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_owned(),
        None => text,
    }
}

fn key_path(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        format!(".{key}")
    } else {
        format!("[{}]", Value::String(key.to_owned()))
    }
}

/// What a value is, for messages: "the number 42", "an array".
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{}\"", shorten(s, 40)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// A string member; None when absent or null.
pub(crate) fn string<'v>(
    map: &'v Map<String, Value>,
    key: &str,
) -> Result<Option<&'v str>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "has `{key}` as {}: expected a string",
            describe(other)
        )),
    }
}

/// A string member that must be there and not be blank.
pub(crate) fn required_string<'v>(
    map: &'v Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'v str, String> {
    match string(map, key)? {
        None => Err(format!("has no `{key}`: expected {what}")),
        Some(s) if s.trim().is_empty() => Err(format!("has an empty `{key}`: expected {what}")),
        Some(s) => Ok(s),
    }
}

/// An object member; None when absent or null.
pub(crate) fn object<'v>(
    map: &'v Map<String, Value>,
    key: &str,
) -> Result<Option<&'v Map<String, Value>>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(other) => Err(format!(
            "has `{key}` as {}: expected an object",
            describe(other)
        )),
    }
}

/// A true/false member; None when absent or null.
pub(crate) fn boolean(map: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!(
            "has `{key}` as {}: expected true or false",
            describe(other)
        )),
    }
}

/// A whole number written as a number or as digits in a string; None when absent, null or "".
pub(crate) fn integer(
    map: &Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<i64>, String> {
    let bad = |value: &Value| format!("has `{key}` as {}: expected {what}", describe(value));
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| bad(value)),
        Some(value @ Value::String(s)) => match s.trim() {
            "" => Ok(None),
            digits => digits.parse().map(Some).map_err(|_| bad(value)),
        },
        Some(other) => Err(bad(other)),
    }
}

/// A time in Unix seconds (a number, possibly with a fraction, or the same as a string, or
/// ISO 8601 in a string); None when absent or null.
pub(crate) fn unix_time(map: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    let bad = |value: &Value| {
        format!(
            "has `{key}` as {}: expected a time in Unix seconds",
            describe(value)
        )
    };
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Number(n)) => {
            let seconds = match n.as_i64() {
                Some(seconds) => Some(seconds),
                None => n
                    .as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1e12)
                    .map(|f| f.floor() as i64),
            };
            seconds
                .and_then(valid_time)
                .map(Some)
                .ok_or_else(|| bad(value))
        }
        Some(value @ Value::String(s)) => parse_iso(s).map(Some).ok_or_else(|| bad(value)),
        Some(other) => Err(bad(other)),
    }
}

/// A time as text, read by `parse`; None when absent, null or "".
pub(crate) fn text_time(
    map: &Map<String, Value>,
    key: &str,
    parse: fn(&str) -> Option<i64>,
    what: &str,
) -> Result<Option<i64>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(value @ Value::String(s)) => parse(s)
            .map(Some)
            .ok_or_else(|| format!("has `{key}` as {}: expected {what}", describe(value))),
        Some(other) => Err(format!(
            "has `{key}` as {}: expected {what}",
            describe(other)
        )),
    }
}

// The scanner. It runs only over bytes serde_json has accepted, but it is written so that
// any input ends it (every step moves forward) and none panics it.

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// From an opening quote to just past its closing quote.
fn skip_string(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// From the start of a value to just past it.
fn skip_value(bytes: &[u8], i: usize) -> Option<usize> {
    match *bytes.get(i)? {
        b'"' => skip_string(bytes, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < bytes.len() {
                match bytes[j] {
                    b'"' => {
                        j = skip_string(bytes, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let end = bytes[i..]
                .iter()
                .position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
                .map_or(bytes.len(), |n| i + n);
            (end > i).then_some(end)
        }
    }
}

/// Where each element of the array starting at `i` starts.
fn element_offsets(bytes: &[u8], i: usize) -> Option<Vec<usize>> {
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    let mut offsets = Vec::new();
    let mut j = skip_ws(bytes, i + 1);
    if bytes.get(j) == Some(&b']') {
        return Some(offsets);
    }
    loop {
        offsets.push(j);
        j = skip_ws(bytes, skip_value(bytes, j)?);
        match bytes.get(j)? {
            b',' => j = skip_ws(bytes, j + 1),
            b']' => return Some(offsets),
            _ => return None,
        }
    }
}

/// Where the value of member `key` of the object starting at `i` starts (the last one, as
/// serde_json keeps the last of duplicate keys).
fn member_offset(bytes: &[u8], i: usize, key: &str) -> Option<usize> {
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    let mut found = None;
    let mut j = skip_ws(bytes, i + 1);
    if bytes.get(j) == Some(&b'}') {
        return None;
    }
    loop {
        if bytes.get(j) != Some(&b'"') {
            return found;
        }
        let end = skip_string(bytes, j)?;
        let raw = &bytes[j + 1..end - 1];
        let matches = if raw.contains(&b'\\') {
            serde_json::from_slice::<String>(&bytes[j..end]).is_ok_and(|k| k == key)
        } else {
            raw == key.as_bytes()
        };
        j = skip_ws(bytes, end);
        if bytes.get(j) != Some(&b':') {
            return found;
        }
        j = skip_ws(bytes, j + 1);
        if matches {
            found = Some(j);
        }
        j = skip_ws(bytes, skip_value(bytes, j)?);
        match bytes.get(j)? {
            b',' => j = skip_ws(bytes, j + 1),
            _ => return found,
        }
    }
}

#[cfg(test)]
mod tests;
