//! The bounce code rules: what a bounce says about the address (a [`Reason`]) and what it
//! does to it (an [`Action`]), decided by the first of the ordered rules whose conditions all
//! hold. The rules come from rules.yaml (see [`crate::config`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use regex::RegexSet;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::bounces::codes::{self, EnhancedCode, EnhancedPattern, ReplyCode, ReplyPattern};

/// How the built-in rules are named in messages.
pub(crate) const DEFAULT_RULES_NAME: &str = "rules.yaml (built in)";

/// What a bounce says about the address, after the rules have read its codes and text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The mailbox does not exist.
    UserUnknown,
    /// The domain does not exist or takes no mail.
    DomainUnknown,
    /// The domain publishes a null MX (RFC 7505).
    NullMx,
    /// The address is malformed.
    BadAddress,
    /// The mailbox moved or is not local.
    Moved,
    /// The account is disabled or deactivated.
    AccountDisabled,
    /// The mailbox is full or over quota.
    MailboxFull,
    /// The mailbox is temporarily unavailable.
    MailboxUnavailable,
    /// Greylisting: the receiver asks to retry later.
    Greylisted,
    /// The receiver limits the sender's rate.
    RateLimited,
    /// The sender is blocked as spam or by a blocklist.
    SpamBlock,
    /// The sender fails a policy: SPF, DKIM, DMARC, reverse DNS, authorisation.
    PolicyBlock,
    /// The message is too large.
    MessageTooLarge,
    /// The content was rejected.
    ContentRejected,
    /// The receiving mail system failed.
    SystemError,
    /// Routing or network trouble on the way.
    NetworkError,
    /// An SMTP protocol error.
    ProtocolError,
    /// A problem with the sender's own address.
    SenderAddress,
    /// Nothing known about the cause.
    Unknown,
}

impl Reason {
    /// A block against the sender's reputation or setup, not a fault of the address.
    pub fn is_sender_block(self) -> bool {
        matches!(self, Reason::SpamBlock | Reason::PolicyBlock)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UserUnknown => "user-unknown",
            Reason::DomainUnknown => "domain-unknown",
            Reason::NullMx => "null-mx",
            Reason::BadAddress => "bad-address",
            Reason::Moved => "moved",
            Reason::AccountDisabled => "account-disabled",
            Reason::MailboxFull => "mailbox-full",
            Reason::MailboxUnavailable => "mailbox-unavailable",
            Reason::Greylisted => "greylisted",
            Reason::RateLimited => "rate-limited",
            Reason::SpamBlock => "spam-block",
            Reason::PolicyBlock => "policy-block",
            Reason::MessageTooLarge => "message-too-large",
            Reason::ContentRejected => "content-rejected",
            Reason::SystemError => "system-error",
            Reason::NetworkError => "network-error",
            Reason::ProtocolError => "protocol-error",
            Reason::SenderAddress => "sender-address",
            Reason::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
pub struct TextRegex(#[schemars(description = "A regular expression (Rust regex syntax).")] String);

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
/// first rule that matches a bounce decides its reason and action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A unique name, shown by `explain` and in findings.
    pub name: String,
    /// Case-insensitive substrings of the diagnostic text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<String>,
    /// Case-insensitive regular expressions over the diagnostic text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<TextRegex>,
    /// Enhanced status code patterns (RFC 3463).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enhanced: Vec<EnhancedPattern>,
    /// SMTP reply code patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reply: Vec<ReplyPattern>,
    pub reason: Reason,
    pub action: Action,
    /// What the sender should do, shown by `explain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

impl Rule {
    pub(crate) fn has_condition(&self) -> bool {
        !(self.text.is_empty()
            && self.regex.is_empty()
            && self.enhanced.is_empty()
            && self.reply.is_empty())
    }
}

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

/// The codes and text of one bounce, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct BounceInput<'a> {
    pub reply: Option<ReplyCode>,
    pub enhanced: Option<EnhancedCode>,
    pub text: &'a str,
}

/// The outcome of the rules for one bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub reason: Reason,
    pub action: Action,
    /// The index of the matching rule in [`RuleSet::rules`]; `None` when no rule matched.
    pub rule: Option<usize>,
    /// The rule said suppress, but the bounce is a 4xx: it counts instead.
    pub softened: bool,
}

/// The ordered rules, with their text patterns compiled into one set for a single pass.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<(Rule, Origin)>,
    /// The rules' names, shared cheaply with every piece of evidence that cites one.
    names: Vec<Arc<str>>,
    /// For each rule, its pattern's index in `texts`.
    text_index: Vec<Option<usize>>,
    texts: RegexSet,
}

impl RuleSet {
    pub(crate) fn new(rules: Vec<(Rule, Origin)>) -> Result<RuleSet, regex::Error> {
        let mut patterns = Vec::new();
        let mut text_index = Vec::with_capacity(rules.len());
        for (rule, _) in &rules {
            let alternatives: Vec<String> = rule
                .text
                .iter()
                .map(|text| regex::escape(text))
                .chain(rule.regex.iter().map(|r| format!("(?:{})", r.0)))
                .collect();
            if alternatives.is_empty() {
                text_index.push(None);
            } else {
                text_index.push(Some(patterns.len()));
                patterns.push(format!("(?i:{})", alternatives.join("|")));
            }
        }
        Ok(RuleSet {
            texts: RegexSet::new(patterns)?,
            names: rules
                .iter()
                .map(|(rule, _)| Arc::from(rule.name.as_str()))
                .collect(),
            rules,
            text_index,
        })
    }

    pub fn rules(&self) -> &[(Rule, Origin)] {
        &self.rules
    }

    /// The name of rule `index`.
    pub fn name(&self, index: usize) -> Arc<str> {
        self.names[index].clone()
    }

    /// Find the codes in a bounce text, and classify it.
    pub fn classify_text(
        &self,
        text: &str,
    ) -> (Option<ReplyCode>, Option<EnhancedCode>, Classification) {
        let (reply, enhanced) = codes::find_codes(text);
        let classification = self.classify(BounceInput {
            reply,
            enhanced,
            text,
        });
        (reply, enhanced, classification)
    }

    /// The first rule whose conditions all hold.
    pub fn classify(&self, bounce: BounceInput<'_>) -> Classification {
        let text_matches = if self.texts.is_empty() || bounce.text.is_empty() {
            None
        } else {
            Some(self.texts.matches(bounce.text))
        };
        let found = self
            .rules
            .iter()
            .zip(&self.text_index)
            .position(|((rule, _), text_index)| {
                let text_ok = text_index
                    .is_none_or(|i| text_matches.as_ref().is_some_and(|set| set.matched(i)));
                let enhanced_ok = rule.enhanced.is_empty()
                    || bounce
                        .enhanced
                        .is_some_and(|code| rule.enhanced.iter().any(|p| p.matches(code)));
                let reply_ok = rule.reply.is_empty()
                    || bounce
                        .reply
                        .is_some_and(|code| rule.reply.iter().any(|p| p.matches(code)));
                text_ok && enhanced_ok && reply_ok
            });
        // The class of the bounce: the reply code's, else the enhanced code's.
        let class = bounce
            .reply
            .map(ReplyCode::class)
            .or(bounce.enhanced.map(|code| code.class));
        if class == Some(2) {
            // A 2xx is a delivery, not a bounce.
            return Classification {
                reason: Reason::Unknown,
                action: Action::Ignore,
                rule: None,
                softened: false,
            };
        }
        match found {
            Some(index) => {
                let (rule, _) = &self.rules[index];
                // A 4xx is temporary by definition: it counts toward the soft-bounce
                // threshold, however dead the text makes the address sound.
                let softened = rule.action == Action::Suppress && class == Some(4);
                Classification {
                    reason: rule.reason,
                    action: if softened { Action::Count } else { rule.action },
                    rule: Some(index),
                    softened,
                }
            }
            None => Classification {
                reason: Reason::Unknown,
                action: Action::Ignore,
                rule: None,
                softened: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, load};

    fn default_config() -> Config {
        load(None).expect("the built-in rules.yaml must load")
    }

    fn classify(config: &Config, text: &str) -> (Reason, Action) {
        let (_, _, c) = config.rules.classify_text(text);
        (c.reason, c.action)
    }

    #[test]
    fn the_reply_code_table_is_classified_as_documented() {
        let config = default_config();
        let table = [
            ("421", Reason::RateLimited, Action::Ignore),
            ("450", Reason::MailboxUnavailable, Action::Count),
            ("451", Reason::Greylisted, Action::Count),
            ("452", Reason::MailboxFull, Action::Count),
            ("550", Reason::UserUnknown, Action::Suppress),
            ("551", Reason::Moved, Action::Suppress),
            ("552", Reason::MessageTooLarge, Action::Suppress),
            ("553", Reason::BadAddress, Action::Suppress),
            ("554", Reason::SpamBlock, Action::Ignore),
            ("441", Reason::Unknown, Action::Count),
            ("571", Reason::Unknown, Action::Suppress),
        ];
        for (code, reason, action) in table {
            assert_eq!(classify(&config, code), (reason, action), "{code}");
        }
    }

    #[test]
    fn enhanced_codes_take_precedence_over_reply_codes() {
        let config = default_config();
        assert_eq!(
            classify(&config, "552 5.2.2"),
            (Reason::MailboxFull, Action::Count)
        );
        assert_eq!(
            classify(&config, "550 5.2.2"),
            (Reason::MailboxFull, Action::Count)
        );
        assert_eq!(
            classify(&config, "550 4.1.1"),
            (Reason::UserUnknown, Action::Suppress),
            "the enhanced code names the reason; the 5xx reply makes it permanent"
        );
        assert_eq!(
            classify(&config, "550 5.7.1"),
            (Reason::PolicyBlock, Action::Ignore)
        );
        assert_eq!(
            classify(&config, "550 5.4.7"),
            (Reason::NetworkError, Action::Ignore)
        );
        assert_eq!(
            classify(&config, "556 5.1.10"),
            (Reason::NullMx, Action::Suppress)
        );
        assert_eq!(
            classify(&config, "550 5.7.13"),
            (Reason::AccountDisabled, Action::Suppress)
        );
    }

    #[test]
    fn diagnostic_text_overrides_codes() {
        let config = default_config();
        let cases = [
            (
                "550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found",
                Reason::UserUnknown,
                Action::Suppress,
            ),
            ("552 5.1.1 Mailbox full", Reason::MailboxFull, Action::Count),
            (
                "550 5.7.1 Service unavailable; client host blocked using Spamhaus",
                Reason::SpamBlock,
                Action::Ignore,
            ),
            (
                "550 5.2.1 receiving mail at a rate that prevents additional messages",
                Reason::RateLimited,
                Action::Ignore,
            ),
            (
                "451 4.7.1 Greylisted, please try again later",
                Reason::Greylisted,
                Action::Count,
            ),
            (
                "550 5.7.26 Unauthenticated email is not accepted due to DMARC policy",
                Reason::PolicyBlock,
                Action::Ignore,
            ),
            ("no such user here", Reason::UserUnknown, Action::Suppress),
        ];
        for (text, reason, action) in cases {
            assert_eq!(classify(&config, text), (reason, action), "{text}");
        }
    }

    #[test]
    fn a_4xx_never_suppresses_and_a_2xx_is_no_bounce() {
        let config = default_config();
        for text in [
            "450 4.1.1 <a@b.de>: Recipient address rejected: User unknown",
            "450 4.1.2 <a@b.de>: Recipient address rejected: Domain not found",
            "4.1.1 user unknown",
        ] {
            assert_eq!(classify(&config, text).1, Action::Count, "{text}");
        }
        assert_eq!(
            classify(&config, "250 2.1.5 OK user unknown"),
            (Reason::Unknown, Action::Ignore)
        );
    }

    #[test]
    fn sender_side_texts_win_over_recipient_side_ones() {
        let config = default_config();
        let cases = [
            (
                "554 5.7.1 Client host blocked using zen.spamhaus.org; try again later",
                Reason::SpamBlock,
                Action::Ignore,
            ),
            (
                "421 4.7.0 Too many connections, try again later",
                Reason::RateLimited,
                Action::Ignore,
            ),
            (
                "550 5.4.5 Daily user sending quota exceeded.",
                Reason::RateLimited,
                Action::Ignore,
            ),
            (
                "550 5.1.8 Sender domain does not exist",
                Reason::SenderAddress,
                Action::Ignore,
            ),
            (
                "552 Message size exceeds fixed maximum message size",
                Reason::MessageTooLarge,
                Action::Ignore,
            ),
            (
                "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]",
                Reason::UserUnknown,
                Action::Suppress,
            ),
            (
                "554 delivery error: dd This mailbox is disabled (554.30)",
                Reason::AccountDisabled,
                Action::Suppress,
            ),
            (
                "Message rejected, max 500 recipients",
                Reason::Unknown,
                Action::Ignore,
            ),
        ];
        for (text, reason, action) in cases {
            assert_eq!(classify(&config, text), (reason, action), "{text}");
        }
    }
}
