//! The little of MIME (RFC 2045-2046) and mail headers (RFC 5322) that reading delivery
//! status notifications needs: header fields with folding, Content-Type parameters, multipart
//! bodies split at their boundary, quoted-printable and base64. Everything works on byte
//! offsets into the file, so that fields keep their true line numbers. Bad input gives less
//! text, never a panic.

use std::borrow::Cow;

/// A header field value is cut at this many bytes (a field folded over thousands of lines).
const MAX_FIELD_BYTES: usize = 16 * 1024;

/// One header field, unfolded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// Lower case.
    pub(crate) name: String,
    pub(crate) value: String,
    /// 1-based line of the field's first line.
    pub(crate) line: u64,
}

/// A field, or the blank line that separates groups of fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Field(Field),
    Blank,
}

/// The lines of `bytes`: (start, end without the line break, start of the next line).
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line_start = start;
        start = end + 1;
        let content_end = if end > line_start && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Some((line_start, content_end, start.min(bytes.len())))
    })
}

fn is_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| matches!(b, 33..=126) && *b != b':')
}

/// Header-style fields from `bytes` (whose first line is `first_line`). With
/// `stop_at_blank`, reading ends at the first blank line (a header block) and the result says
/// where the body starts: (items, body offset, body line).
pub(crate) fn fields(
    bytes: &[u8],
    first_line: u64,
    stop_at_blank: bool,
) -> (Vec<Item>, usize, u64) {
    let mut items = Vec::new();
    let mut current: Option<Field> = None;
    let mut line = first_line;
    for (start, end, next) in lines(bytes) {
        let raw = &bytes[start..end];
        if raw.iter().all(u8::is_ascii_whitespace) {
            items.extend(current.take().map(Item::Field));
            if stop_at_blank {
                return (items, next, line + 1);
            }
            if !matches!(items.last(), Some(Item::Blank) | None) {
                items.push(Item::Blank);
            }
        } else if matches!(raw[0], b' ' | b'\t') {
            if let Some(field) = current.as_mut()
                && field.value.len() < MAX_FIELD_BYTES
            {
                let room = MAX_FIELD_BYTES - field.value.len();
                let more = String::from_utf8_lossy(&raw[..raw.len().min(room)]);
                if !field.value.is_empty() {
                    field.value.push(' ');
                }
                field.value.push_str(more.trim());
            }
        } else {
            items.extend(current.take().map(Item::Field));
            if let Some(colon) = memchr::memchr(b':', raw)
                && is_field_name(raw[..colon].trim_ascii())
            {
                let limit = raw.len().min(colon + 1 + MAX_FIELD_BYTES);
                current = Some(Field {
                    name: String::from_utf8_lossy(raw[..colon].trim_ascii()).to_ascii_lowercase(),
                    value: String::from_utf8_lossy(&raw[colon + 1..limit])
                        .trim()
                        .to_owned(),
                    line,
                });
            }
        }
        line += 1;
    }
    items.extend(current.take().map(Item::Field));
    (items, bytes.len(), line)
}

/// A message or a body part: its header and its body.
pub(crate) struct Entity<'a> {
    pub(crate) headers: Vec<Field>,
    pub(crate) body: &'a [u8],
    pub(crate) body_line: u64,
}

impl<'a> Entity<'a> {
    pub(crate) fn parse(bytes: &'a [u8], first_line: u64) -> Entity<'a> {
        let (items, body_start, body_line) = fields(bytes, first_line, true);
        let headers = items
            .into_iter()
            .filter_map(|item| match item {
                Item::Field(field) => Some(field),
                Item::Blank => None,
            })
            .collect();
        Entity {
            headers,
            body: &bytes[body_start.min(bytes.len())..],
            body_line,
        }
    }

    /// The first field of that (lower-case) name.
    pub(crate) fn header(&self, name: &str) -> Option<&Field> {
        self.headers.iter().find(|field| field.name == name)
    }

    pub(crate) fn content_type(&self) -> ContentType {
        self.header("content-type")
            .map(|field| ContentType::parse(&field.value))
            .unwrap_or_else(|| ContentType {
                media: "text/plain".to_owned(),
                params: Vec::new(),
            })
    }

    /// The body, decoded from its Content-Transfer-Encoding.
    pub(crate) fn decoded_body(&self) -> Cow<'a, [u8]> {
        let encoding = self
            .header("content-transfer-encoding")
            .map(|field| field.value.trim().to_ascii_lowercase());
        match encoding.as_deref() {
            Some("quoted-printable") => Cow::Owned(quoted_printable(self.body)),
            Some("base64") => Cow::Owned(base64(self.body)),
            _ => Cow::Borrowed(self.body),
        }
    }

    /// The body as text: the transfer encoding undone, then its charset decoded (UTF-8 when
    /// none is named). A charset no decoder knows is an error naming it: the text is not
    /// guessed, since a wrong guess would feed mojibake to the rules.
    pub(crate) fn text(&self) -> Result<String, String> {
        let bytes = self.decoded_body();
        let charset = self.content_type().param("charset").map(str::to_owned);
        decode_charset(&bytes, charset.as_deref())
    }

    /// Whether the body's line numbers are the file's (not so for base64).
    pub(crate) fn body_keeps_lines(&self) -> bool {
        !self
            .header("content-transfer-encoding")
            .is_some_and(|field| field.value.trim().eq_ignore_ascii_case("base64"))
    }
}

/// `multipart/report; report-type=delivery-status; boundary="XYZ"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    /// Lower case, `type/subtype`.
    pub(crate) media: String,
    /// Names lower case, values unquoted.
    pub(crate) params: Vec<(String, String)>,
}

impl ContentType {
    pub(crate) fn parse(value: &str) -> ContentType {
        let mut pieces = split_params(value).into_iter();
        let media = pieces
            .next()
            .map(|media| {
                // A comment after the type: `text/plain (ignored)`.
                media
                    .split(|c: char| c.is_whitespace() || c == '(')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let params = pieces
            .filter_map(|piece| {
                let (name, value) = piece.split_once('=')?;
                let value = value.trim();
                let value = value
                    .strip_prefix('"')
                    .map(|v| v.strip_suffix('"').unwrap_or(v).replace("\\\"", "\""))
                    .unwrap_or_else(|| value.to_owned());
                Some((name.trim().to_ascii_lowercase(), value))
            })
            .collect();
        ContentType { media, params }
    }

    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Split at `;` outside double quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                pieces.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(value[start..].trim());
    pieces
}

/// The body parts of a multipart body, each with its first line. A missing close delimiter
/// (a truncated message) ends the last part at the end of the body.
pub(crate) fn split_multipart<'a>(
    body: &'a [u8],
    body_line: u64,
    boundary: &str,
) -> Vec<(&'a [u8], u64)> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut open: Option<(usize, u64)> = None;
    for (line, (start, end, next)) in (body_line..).zip(lines(body)) {
        let raw = &body[start..end];
        if let Some(tail) = raw.strip_prefix(delimiter.as_bytes()) {
            let tail = tail.trim_ascii();
            let close = tail == b"--";
            if tail.is_empty() || close {
                if let Some((part_start, part_line)) = open.take() {
                    // The line break before the delimiter belongs to the delimiter.
                    let mut part_end = start;
                    if part_end > part_start && body[part_end - 1] == b'\n' {
                        part_end -= 1;
                        if part_end > part_start && body[part_end - 1] == b'\r' {
                            part_end -= 1;
                        }
                    }
                    parts.push((&body[part_start..part_end.max(part_start)], part_line));
                }
                if close {
                    return parts;
                }
                open = Some((next, line + 1));
            }
        }
    }
    if let Some((part_start, part_line)) = open {
        parts.push((&body[part_start.min(body.len())..], part_line));
    }
    parts
}

/// Bytes in the named charset as text. No charset, US-ASCII or an 8-bit "unknown" is read as
/// UTF-8 (bytes that are not become U+FFFD); any other label must be one encoding_rs knows.
pub(crate) fn decode_charset(bytes: &[u8], charset: Option<&str>) -> Result<String, String> {
    let label = charset.map(str::trim).unwrap_or_default();
    let plain = [
        "",
        "us-ascii",
        "ascii",
        "utf-8",
        "utf8",
        "unknown",
        "unknown-8bit",
        "x-unknown",
    ];
    if plain.iter().any(|name| label.eq_ignore_ascii_case(name)) {
        return Ok(String::from_utf8_lossy(bytes).into_owned());
    }
    // Microsoft's older servers (IIS SMTP, Exchange 2003) write their notices in UTF-7, which
    // the web's encoding standard, and so encoding_rs, leaves out.
    if [
        "utf-7",
        "unicode-1-1-utf-7",
        "x-unicode-2-0-utf-7",
        "csunicode11utf7",
    ]
    .iter()
    .any(|name| label.eq_ignore_ascii_case(name))
    {
        return Ok(utf7(bytes));
    }
    // Japanese mail names the extended sets by their older names.
    let label = match label.to_ascii_lowercase().as_str() {
        "iso-2022-jp-1" | "iso-2022-jp-2" | "iso-2022-jp-3" => "iso-2022-jp".to_owned(),
        "cp932" | "ms932" | "windows-31j" | "sjis" | "x-sjis" => "shift_jis".to_owned(),
        "x-euc-jp" | "eucjp" => "euc-jp".to_owned(),
        other => other.to_owned(),
    };
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes())
        .ok_or_else(|| format!("the charset '{}' is not one bouncegate can decode", label))?;
    let (text, _, _) = encoding.decode(bytes);
    Ok(text.into_owned())
}

/// UTF-7 (RFC 2152): `+` starts modified base64 of UTF-16 that runs to the first character
/// outside it (a `-` there is dropped); `+-` is a plus sign.
fn utf7(bytes: &[u8]) -> String {
    let is_base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'+' {
            out.push(if b.is_ascii() {
                char::from(b)
            } else {
                '\u{fffd}'
            });
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < bytes.len() && is_base64(bytes[end]) {
            end += 1;
        }
        if end == start {
            out.push('+');
        } else {
            let units: Vec<u16> = base64(&bytes[start..end])
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{fffd}')));
        }
        i = if bytes.get(end) == Some(&b'-') {
            end + 1
        } else {
            end
        };
    }
    out
}

/// A header value with its RFC 2047 encoded words (`=?ISO-2022-JP?B?...?=`) decoded; the
/// white space between two encoded words goes, as the RFC says. A word that does not decode
/// stays as it is.
pub(crate) fn decode_words(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, from) = rest.split_at(start);
        let decoded = encoded_word(from);
        match decoded {
            Some((text, used)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &from[used..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &from[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One `=?charset?B|Q?text?=` at the start of `from`: its text and its length.
fn encoded_word(from: &str) -> Option<(String, usize)> {
    let inner = from.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (kind, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let payload = &rest[..end];
    if payload.contains(char::is_whitespace) || charset.is_empty() {
        return None;
    }
    let used = 2 + charset.len() + 1 + kind.len() + 1 + end + 2;
    // RFC 2231 adds a language: `utf-8*en`.
    let charset = charset.split('*').next().unwrap_or(charset);
    let bytes = match kind {
        "B" | "b" => base64(payload.as_bytes()),
        "Q" | "q" => quoted_printable(payload.replace('_', " ").as_bytes()),
        _ => return None,
    };
    let text = decode_charset(&bytes, Some(charset)).ok()?;
    Some((text, used))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

pub(crate) fn quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        // A soft line break: `=`, maybe trailing blanks, then the line end.
        let mut j = i + 1;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        if j == bytes.len() {
            break;
        }
        if bytes[j] == b'\n' {
            i = j + 1;
            continue;
        }
        if bytes[j] == b'\r' && bytes.get(j + 1) == Some(&b'\n') {
            i = j + 2;
            continue;
        }
        match (
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

pub(crate) fn base64(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let mut bits: u32 = 0;
    let mut count = 0;
    for &b in bytes {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        bits = (bits << 6 | u32::from(value)) & 0xFF_FFFF;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_fields_and_keeps_their_lines() {
        let text = b"Subject: a\r\n b\r\nX-Bad line\r\nTo: c@d.e\r\n\r\nbody\r\n";
        let entity = Entity::parse(text, 10);
        assert_eq!(entity.header("subject").unwrap().value, "a b");
        assert_eq!(entity.header("to").unwrap().line, 13);
        assert_eq!(entity.body, b"body\r\n");
        assert_eq!(entity.body_line, 15);
    }

    #[test]
    fn splits_multipart_bodies() {
        let body = b"preamble\n--b\nContent-Type: text/plain\n\nhello\n--b \n\n--b--\nepilogue\n";
        let parts = split_multipart(body, 5, "b");
        assert_eq!(
            parts,
            vec![
                (&b"Content-Type: text/plain\n\nhello"[..], 7),
                (&b""[..], 11),
            ]
        );
        let truncated = split_multipart(b"--b\r\nx\r\n--b\r\ny", 1, "b");
        assert_eq!(truncated, vec![(&b"x"[..], 2), (&b"y"[..], 4)]);
        let ct = ContentType::parse(
            "Multipart/Report; report-type=delivery-status;\tboundary=\"a;b\\\"c\"",
        );
        assert_eq!(ct.media, "multipart/report");
        assert_eq!(ct.param("boundary"), Some("a;b\"c"));
        assert_eq!(ct.param("report-type"), Some("delivery-status"));
    }

    #[test]
    fn decodes_charsets_and_refuses_to_guess() {
        // "宛先不明" (unknown recipient) in three Japanese encodings.
        let iso_2022_jp = b"\x1b$B08@hITL@\x1b(B";
        let shift_jis = b"\x88\xb6\x90\xe6\x95\x73\x96\xbe";
        let euc_jp = b"\xb0\xb8\xc0\xe8\xc9\xd4\xcc\xc0";
        for (bytes, charset) in [
            (&iso_2022_jp[..], "ISO-2022-JP"),
            (&shift_jis[..], "Shift_JIS"),
            (&euc_jp[..], "EUC-JP"),
        ] {
            assert_eq!(
                decode_charset(bytes, Some(charset)).unwrap(),
                "宛先不明",
                "{charset}"
            );
        }
        assert_eq!(
            decode_charset(b"Empf\xe4nger", Some("iso-8859-1")).unwrap(),
            "Empfänger"
        );
        assert_eq!(
            decode_charset(b"\x93ok\x94", Some("windows-1252")).unwrap(),
            "\u{201c}ok\u{201d}"
        );
        assert_eq!(decode_charset(b"caf\xc3\xa9", None).unwrap(), "café");
        assert_eq!(
            decode_charset(b"Empf+AOQ-nger 1+-1 +ZeVnLIqe-.", Some("unicode-1-1-utf-7")).unwrap(),
            "Empfänger 1+1 日本語."
        );
        let error = decode_charset(b"x", Some("x-klingon")).unwrap_err();
        assert!(error.contains("'x-klingon'"), "{error}");
    }

    #[test]
    fn decodes_encoded_words_in_headers() {
        assert_eq!(
            decode_words("=?ISO-2022-JP?B?GyRCMDhAaElUTEAbKEI=?= (x)"),
            "宛先不明 (x)"
        );
        assert_eq!(
            decode_words("=?utf-8?Q?Unzustellbar=3A?= =?utf-8?Q?_Empf=C3=A4nger?="),
            "Unzustellbar: Empfänger"
        );
        assert_eq!(decode_words("plain =?bogus"), "plain =?bogus");
        assert_eq!(
            decode_words("a =?x-klingon?B?eA==?= b"),
            "a =?x-klingon?B?eA==?= b"
        );
    }

    #[test]
    fn decodes_transfer_encodings() {
        assert_eq!(quoted_printable(b"a=3Db=\r\nc=\n d=zz="), b"a=bc d=zz");
        assert_eq!(base64(b"aGVs\r\nbG8=\n"), b"hello");
        assert_eq!(base64(b"!!"), b"");
    }
}
