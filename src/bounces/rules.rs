//! The shape of the bounce rules in rules.yaml: the ordered [`Rule`]s that decide a bounce's
//! [`Reason`], and per reason the default [`Action`] and advice. [`crate::bounces::classify`]
//! compiles and runs them; [`crate::config`] reads and layers the files.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::bounces::codes::{EnhancedPattern, ReplyPattern};
use crate::bounces::reason::Reason;

/// How the built-in rules are named in messages.
pub(crate) const DEFAULT_RULES_NAME: &str = "rules.yaml (built in)";

/// What a bounce does to the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The address is dead: its first such bounce suppresses it.
    Suppress,
    /// A soft bounce that counts toward the repeated-soft threshold.
    Count,
    /// Says nothing about the address.
    Ignore,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Suppress => "suppress",
            Action::Count => "count",
            Action::Ignore => "ignore",
        })
    }
}

/// A regular expression, checked when the file is read so a bad one is reported with its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct TextRegex(
    #[schemars(description = "A regular expression (Rust regex syntax).")] pub(crate) String,
);

impl<'de> Deserialize<'de> for TextRegex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        regex::Regex::new(&pattern).map_err(|error| {
            // regex's message draws a caret over several lines; its last line says what.
            let text = error.to_string();
            let what = text
                .lines()
                .last()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            serde::de::Error::custom(format!("bad regex '{pattern}': {what}"))
        })?;
        Ok(TextRegex(pattern))
    }
}

/// One rule: every condition given must hold (each list matches when any entry does); the
/// first rule that matches a bounce decides its reason.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A unique name, shown by `explain` and in findings.
    pub name: String,
    /// Phrases of the diagnostic text, matched case-insensitively with runs of white space
    /// read as one space.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<String>,
    /// Case-insensitive regular expressions over the diagnostic text (a rule with both text
    /// and regex matches when either does).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<TextRegex>,
    /// Enhanced status code patterns (RFC 3463). `X.0.0` codes say nothing and match none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enhanced: Vec<EnhancedPattern>,
    /// SMTP reply code patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reply: Vec<ReplyPattern>,
    /// true: the text gives no reason at all (nothing but codes, addresses, host names and
    /// words such as "smtp", "said", "recipient", "delivery failed").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bare: bool,
    pub reason: Reason,
    /// What the bounce does to the address; without it, the reason's action (`reasons:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// What the sender should do, shown by `explain`; without it, the reason's advice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

impl Rule {
    pub(crate) fn has_condition(&self) -> bool {
        !(self.text.is_empty()
            && self.regex.is_empty()
            && self.enhanced.is_empty()
            && self.reply.is_empty()
            && !self.bare)
    }
}

/// What a reason does by default, in rules.yaml's `reasons:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// One line: what the sender should do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

/// Every reason's default action and advice, after layering.
pub type ReasonTable = BTreeMap<Reason, ReasonFile>;

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Default,
    User(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str(DEFAULT_RULES_NAME),
            Origin::User(path) => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_shows_as_its_file() {
        assert_eq!(Origin::Default.to_string(), DEFAULT_RULES_NAME);
        assert_eq!(
            Origin::User(PathBuf::from("team/rules.yaml")).to_string(),
            "team/rules.yaml"
        );
    }
}
