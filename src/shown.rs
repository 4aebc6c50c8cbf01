//! Data as the tool shows it. List cells, addresses, file names and history rows may hold
//! control characters (a newline in a quoted cell, a carriage return in a file name, an escape
//! sequence): on a terminal or in a CI log they are shown as escapes, never acted on, so that
//! no data can start a line of its own and pass for a GitHub workflow command (`::error::`).
//! Every subcommand shows data through these two functions.

use std::borrow::Cow;
use std::path::Path;

/// `text` with every control character (newlines too) shown as its escape: `\n`, `\r`,
/// `\u{1b}`.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A path as shown: [`visible`].
pub fn path(path: &Path) -> String {
    visible(&path.display().to_string()).into_owned()
}

/// A whole message whose lines are the tool's own (a rules.yaml error with its snippet):
/// line breaks stay, every other control character is escaped, a carriage return too.
pub fn lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.split('\n')
            .map(|line| visible(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_never_acted_on() {
        assert_eq!(
            visible("a\r::error::x\nb\u{1b}[31m"),
            "a\\r::error::x\\nb\\u{1b}[31m"
        );
        assert_eq!(visible("ann@gmail.com"), "ann@gmail.com");
        assert_eq!(
            path(Path::new("lists/a\n::warning::b.csv")),
            "lists/a\\n::warning::b.csv"
        );
        assert_eq!(lines("one\ntwo\r::error::x"), "one\ntwo\\r::error::x");
    }
}
