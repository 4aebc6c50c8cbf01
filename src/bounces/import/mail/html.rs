//! HTML bounce notices (Office 365 sends some with no text part) as plain text: tags out,
//! block elements as line breaks, `<style>`, `<script>` and `<head>` dropped, character
//! references decoded. Only what reading a notice needs; a broken tag ends at the text's end.

/// Elements after which the text goes on on a new line.
const BLOCKS: &[&str] = &[
    "br",
    "p",
    "div",
    "tr",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "hr",
    "title",
];

/// Elements whose content is not text.
const HIDDEN: &[&str] = &["style", "script", "head"];

pub(crate) fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        push_text(&mut out, &rest[..open]);
        let tag_text = &rest[open + 1..];
        let Some(close) = tag_text.find('>') else {
            rest = "";
            break;
        };
        let tag = &tag_text[..close];
        rest = &tag_text[close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if !tag.starts_with('/') && HIDDEN.contains(&name.as_str()) {
            // Skip to the element's end tag.
            let end = format!("</{name}");
            rest = match find_ignore_case(rest, &end) {
                Some(at) => rest[at..].find('>').map_or("", |gt| &rest[at + gt + 1..]),
                None => "",
            };
            continue;
        }
        if BLOCKS.contains(&name.as_str()) || name == "td" {
            // Table cells side by side stay on one line.
            out.push(if name == "td" { ' ' } else { '\n' });
        }
    }
    push_text(&mut out, rest);
    // Lines trimmed, runs of blank lines one.
    let mut text = String::with_capacity(out.len());
    let mut blank = true;
    for line in out.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            if !blank {
                text.push('\n');
            }
            blank = true;
        } else {
            text.push_str(&line);
            text.push('\n');
            blank = false;
        }
    }
    text
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Text between tags, with its character references decoded and its line breaks spaces (in
/// HTML a line break in the source is no line break).
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        push_spaced(out, &rest[..amp]);
        let after = &rest[amp + 1..];
        match after.find(';').filter(|&semi| semi <= 10) {
            Some(semi) => match entity(&after[..semi]) {
                Some(c) => {
                    out.push(c);
                    rest = &after[semi + 1..];
                }
                None => {
                    out.push('&');
                    rest = after;
                }
            },
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    push_spaced(out, rest);
}

fn push_spaced(out: &mut String, text: &str) {
    out.extend(
        text.chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
    );
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "rsquo" => '\u{2019}',
        "lsquo" => '\u{2018}',
        "rdquo" => '\u{201d}',
        "ldquo" => '\u{201c}',
        "ndash" => '\u{2013}',
        "mdash" => '\u{2014}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_lines_of_text() {
        let html = "<html><head><style>p {color: red}</style></head><body>\n<p>Your message to\n<b>ann@example.org</b> couldn&#39;t be delivered.</p><table><tr><td>Remote Server returned</td><td>&#x27;550 5.1.10 &lt;ann@example.org&gt;&#x27;</td></tr></table>a &amp; b &unknown; & c<br>end<SCRIPT>x<y</SCRIPT>";
        assert_eq!(
            to_text(html),
            "Your message to ann@example.org couldn't be delivered.\n\nRemote Server returned '550 5.1.10 <ann@example.org>'\n\na & b &unknown; & c\nend\n"
        );
        assert_eq!(to_text("no tags"), "no tags\n");
        assert_eq!(to_text("cut <b"), "cut\n");
        assert_eq!(to_text("<style>never closed"), "");
    }
}
