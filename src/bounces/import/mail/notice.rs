//! A bounce mail taken apart: what the reporting system wrote (its text parts, decoded; the
//! HTML part as text when there is no plain one), the header of the message it returns, and
//! the fields of a feedback report. The parts of the returned message itself are never read
//! as the notice: its text would be taken for a diagnostic.

use super::html;
use crate::bounces::import::mime::{self, Entity, Field, Item};

/// multipart nesting followed at most.
const MAX_DEPTH: usize = 8;
/// Longest notice text kept: the part of a bounce that says why is near its top.
const MAX_TEXT_BYTES: usize = 64 * 1024;

#[derive(Debug, Default)]
pub(crate) struct Notice {
    /// The top-level header, RFC 2047 words decoded.
    pub(crate) headers: Vec<Field>,
    /// The notice's text, plain parts first; the HTML parts as text when there is no plain one.
    pub(crate) text: String,
    /// The header of the returned message (message/rfc822 or text/rfc822-headers).
    pub(crate) original: Vec<Field>,
    /// The fields of a message/feedback-report part (RFC 5965).
    pub(crate) feedback: Option<Vec<Field>>,
    /// Parts that could not be decoded, for a warning: "the part at line 12: the charset ...".
    pub(crate) undecodable: Vec<String>,
    html: String,
}

impl Notice {
    pub(crate) fn read(entity: &Entity<'_>) -> Notice {
        let mut notice = Notice {
            headers: entity
                .headers
                .iter()
                .map(|field| Field {
                    value: mime::decode_words(&field.value),
                    ..field.clone()
                })
                .collect(),
            ..Notice::default()
        };
        notice.walk(entity, 0);
        if notice.text.trim().is_empty() {
            notice.text = std::mem::take(&mut notice.html);
        }
        if notice.original.is_empty() {
            notice.original = inline_original(&notice.text);
        }
        notice
    }

    /// The first top-level field of that (lower-case) name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|field| field.name == name)
            .map(|field| field.value.as_str())
    }

    pub(crate) fn original_header(&self, name: &str) -> Option<&str> {
        self.original
            .iter()
            .find(|field| field.name == name)
            .map(|field| field.value.as_str())
    }

    fn walk(&mut self, entity: &Entity<'_>, depth: usize) {
        let content_type = entity.content_type();
        let media = content_type.media.as_str();
        match media {
            _ if media.starts_with("multipart/") => {
                let Some(boundary) = content_type.param("boundary").filter(|b| !b.is_empty())
                else {
                    return;
                };
                if depth >= MAX_DEPTH {
                    return;
                }
                for (part, line) in mime::split_multipart(entity.body, entity.body_line, boundary) {
                    self.walk(&Entity::parse(part, line), depth + 1);
                }
            }
            "message/rfc822"
            | "message/global"
            | "text/rfc822-headers"
            | "message/rfc822-headers"
            | "message/global-headers"
                if self.original.is_empty() =>
            {
                self.original = header_fields(&entity.decoded_body());
            }
            "message/feedback-report" => {
                let (items, _, _) = mime::fields(&entity.decoded_body(), entity.body_line, false);
                self.feedback = Some(
                    items
                        .into_iter()
                        .filter_map(|item| match item {
                            Item::Field(field) => Some(field),
                            Item::Blank => None,
                        })
                        .collect(),
                );
            }
            "text/plain" | "text/html" | "" => match entity.text() {
                Ok(text) => {
                    let (into, text) = if media == "text/html" {
                        (&mut self.html, html::to_text(&text))
                    } else {
                        (&mut self.text, text)
                    };
                    if into.len() < MAX_TEXT_BYTES {
                        if !into.is_empty() {
                            into.push('\n');
                        }
                        let room = MAX_TEXT_BYTES - into.len();
                        into.push_str(cut(&text, room));
                    }
                }
                Err(why) => self.undecodable.push(format!(
                    "the {media} part at line {}: {why}",
                    entity.body_line
                )),
            },
            // Images, the delivery-status part (read by the DSN reader), attachments.
            _ => {}
        }
    }
}

/// The header of a returned message copied into the notice's text, below a line such as
/// "--- Below this line is a copy of the message." (Exim, qmail, AOL, Yahoo): the fields
/// from the first line that is one, when they look like a mail's header.
fn inline_original(text: &str) -> Vec<Field> {
    let notice = super::recipients::notice_part(text);
    let rest = &text[notice.len()..];
    let start = rest
        .split_inclusive('\n')
        .take(3)
        .scan(0, |offset, line| {
            let at = *offset;
            *offset += line.len();
            Some((at, line))
        })
        .find(|(_, line)| is_field_line(line))
        .map(|(at, _)| at);
    let Some(start) = start else {
        return Vec::new();
    };
    let fields = header_fields(&rest.as_bytes()[start..]);
    let is_mail = fields.len() >= 2
        && fields.iter().any(|field| {
            matches!(
                field.name.as_str(),
                "message-id" | "to" | "subject" | "from" | "date"
            )
        });
    if is_mail { fields } else { Vec::new() }
}

/// `Name: value`, with a field name of printable characters and no space.
fn is_field_line(line: &str) -> bool {
    line.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
    })
}

/// The header fields at the start of `bytes`, RFC 2047 words decoded.
fn header_fields(bytes: &[u8]) -> Vec<Field> {
    let (items, _, _) = mime::fields(bytes, 1, true);
    items
        .into_iter()
        .filter_map(|item| match item {
            Item::Field(field) => Some(Field {
                value: mime::decode_words(&field.value),
                ..field
            }),
            Item::Blank => None,
        })
        .collect()
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_is_its_text_and_the_returned_message_only_its_header() {
        let mail = b"From: MAILER-DAEMON@mx.example.net\nSubject: =?utf-8?Q?Unzustellbar?=\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nEmpf=E4nger unbekannt\n--b\nContent-Type: text/html\n\n<p>ignored: there is a plain part</p>\n--b\nContent-Type: message/rfc822\n\nMessage-ID: <1@example.org>\nTo: ann@example.org\n\nuser unknown, says the returned text\n--b\nContent-Type: text/plain; charset=x-klingon\n\nqapla\n--b--\n";
        let notice = Notice::read(&Entity::parse(mail, 1));
        assert_eq!(notice.header("subject"), Some("Unzustellbar"));
        assert_eq!(notice.text, "Empfänger unbekannt");
        assert_eq!(notice.original_header("to"), Some("ann@example.org"));
        assert_eq!(
            notice.original_header("message-id"),
            Some("<1@example.org>")
        );
        assert_eq!(notice.undecodable.len(), 1);
        assert!(
            notice.undecodable[0].contains("part at line 24"),
            "{:?}",
            notice.undecodable
        );

        let html_only = b"Content-Type: text/html\n\n<p>Your message to <b>ann@example.org</b> couldn't be delivered.</p>";
        let notice = Notice::read(&Entity::parse(html_only, 1));
        assert_eq!(
            notice.text,
            "Your message to ann@example.org couldn't be delivered.\n"
        );
    }
}
