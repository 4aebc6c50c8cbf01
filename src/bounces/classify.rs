//! The classifier: one bounce (reply code, enhanced code, diagnostic text, the SMTP command)
//! in, a [`Reason`] and an [`Action`] out, with the evidence that decided.
//!
//! The ordered rules of rules.yaml decide: the first whose conditions all hold gives the
//! reason, and the reason's entry in `reasons:` the action unless the rule names one. Around
//! the rules the engine keeps four promises that no rule can break:
//! - a 2xx is a delivery, never a bounce;
//! - an `X.0.0` enhanced code says nothing, so rules see none;
//! - the command moves an address reason to the side it really concerns: "user unknown"
//!   after DATA is the recipient's content filter (`filtered`), after MAIL FROM the sender
//!   (`rejected`), at the greeting or HELO the connecting host (`blocked`);
//! - a 4xx (or a 4.x.x without a reply code) never suppresses at once: it counts.
//!
//! Every phrase of every rule, and every command marker, is matched in one pass of one
//! Aho-Corasick automaton over the lowercased text.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::RegexSet;

use crate::bounces::codes::{self, EnhancedCode, ReplyCode};
use crate::bounces::command::{self, Command};
use crate::bounces::reason::{Reason, Side};
use crate::bounces::rules::{Action, Origin, ReasonTable, Rule};

/// The codes, text and (when the source says) command of one bounce.
#[derive(Debug, Clone, Copy)]
pub struct BounceInput<'a> {
    pub reply: Option<ReplyCode>,
    pub enhanced: Option<EnhancedCode>,
    pub text: &'a str,
    /// The command, when the source records it apart from the text; otherwise it is read
    /// from the text when the text says it.
    pub command: Option<Command>,
}

impl<'a> BounceInput<'a> {
    /// A bounce known only by its text: the codes are read from it.
    pub fn from_text(text: &'a str) -> BounceInput<'a> {
        let (reply, enhanced) = codes::find_codes(text);
        BounceInput {
            reply,
            enhanced,
            text,
            command: None,
        }
    }
}

/// What decided a classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// A phrase of the rule (its index in the rule set's phrase list).
    Phrase(usize),
    /// One of the rule's regular expressions.
    Regex,
    /// The enhanced code.
    Enhanced(EnhancedCode),
    /// The reply code.
    Reply(ReplyCode),
    /// The text gives no reason at all.
    Bare,
    /// The reply (or enhanced) code's class 2: a delivery.
    Delivered,
    /// No rule matched.
    Nothing,
}

/// The outcome for one bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub reason: Reason,
    pub action: Action,
    /// The index of the matching rule in [`RuleSet::rules`]; `None` when none matched.
    pub rule: Option<usize>,
    pub decider: Decider,
    /// The command the bounce answered, when known.
    pub command: Option<Command>,
    /// The rule's own reason, when the command moved it (see the module docs).
    pub moved_from: Option<Reason>,
    /// The rule said suppress, but the bounce is a 4xx: it counts instead.
    pub softened: bool,
}

/// What a phrase of the automaton stands for.
#[derive(Debug, Clone)]
enum Target {
    /// The rules that list this phrase.
    Rules(Vec<usize>),
    Command(Command),
}

/// The ordered rules, compiled for a single pass over each text.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<(Rule, Origin)>,
    reasons: ReasonTable,
    /// The rules' names, shared cheaply with every piece of evidence that cites one.
    names: Vec<Arc<str>>,
    phrases: AhoCorasick,
    /// Per phrase of `phrases`: its text and what it stands for.
    targets: Vec<(String, Target)>,
    /// For each rule, its pattern's index in `regexes`.
    regex_index: Vec<Option<usize>>,
    regexes: RegexSet,
}

/// Why a rule set cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum RuleSetError {
    #[error("the rules' regular expressions do not compile together: {0}")]
    Regex(#[from] regex::Error),
    #[error("the rules' phrases do not compile: {0}")]
    Phrases(#[from] aho_corasick::BuildError),
    #[error("reason '{0}' has no action under reasons:, and rule '{1}' names none")]
    NoAction(Reason, String),
}

/// Lowercase, with every run of white space one space, and the addresses and the code prefixes
/// that multi-line replies repeat on each line (`550-5.1.1 `) taken out, so that "User
/// <bob@example.org> unknown" and a phrase cut by a line break still match.
fn fold(text: &str, reply: Option<ReplyCode>) -> String {
    // `550-`: the mark of a continued line of a multi-line reply.
    let mut mark = [0u8; 4];
    let continued = reply.map(|reply| {
        let value = reply.value();
        mark = [
            b'0' + (value / 100) as u8,
            b'0' + (value / 10 % 10) as u8,
            b'0' + (value % 10) as u8,
            b'-',
        ];
        std::str::from_utf8(&mark).unwrap_or_default()
    });
    let words = Words {
        has_address: memchr::memchr(b'@', text.as_bytes()).is_some(),
        continued,
    };
    let mut folded = String::with_capacity(text.len());
    if !text.is_ascii() {
        for word in text.split_whitespace() {
            words.push(&mut folded, word);
        }
        return folded;
    }
    // Most bounce texts are ASCII: one pass over the bytes; only a word that holds an
    // address or may be a continued line's mark takes the careful way.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let word = &text[start..i];
        if word.is_empty() {
            break;
        }
        if words.is_special(word) {
            words.push(&mut folded, word);
        } else {
            if !folded.is_empty() {
                folded.push(' ');
            }
            let from = folded.len();
            folded.push_str(word);
            folded[from..].make_ascii_lowercase();
        }
    }
    folded
}

/// How [`fold`] treats the words of one text.
struct Words<'a> {
    has_address: bool,
    continued: Option<&'a str>,
}

impl Words<'_> {
    fn is_special(&self, word: &str) -> bool {
        (self.has_address && word.contains('@'))
            || self.continued.is_some_and(|mark| word.starts_with(mark))
    }

    fn push(&self, folded: &mut String, word: &str) {
        let word = if self.has_address && word.contains('@') {
            // `TO:<bob@example.org>:` keeps `TO:`; a bare `bob@example.org` goes whole.
            match (word.find('<'), word.rfind('>')) {
                (Some(open), Some(close)) if open < close => &word[..open],
                _ => "",
            }
        } else {
            word
        };
        // `550-5.1.1` and `550-` starting a continued line say nothing new.
        let is_mark = self.continued.is_some_and(|mark| {
            word.strip_prefix(mark)
                .is_some_and(|rest| rest.is_empty() || codes::find_enhanced_code(rest).is_some())
        });
        if word.is_empty() || is_mark {
            return;
        }
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.extend(word.chars().flat_map(char::to_lowercase));
    }
}

/// Words that give no reason: the frame every bounce is written in. A text of nothing but
/// these, codes, addresses and host names is "bare".
const FILLER: &[&str] = &[
    "a",
    "action",
    "address",
    "after",
    "an",
    "at",
    "be",
    "been",
    "bounce",
    "by",
    "code",
    "command",
    "could",
    "data",
    "deliver",
    "delivery",
    "diagnostic",
    "dsn",
    "e-mail",
    "email",
    "end",
    "error",
    "esmtp",
    "failed",
    "failure",
    "fatal",
    "for",
    "from",
    "has",
    "host",
    "in",
    "is",
    "mail",
    "message",
    "mx",
    "not",
    "of",
    "on",
    "permanent",
    "permanently",
    "please",
    "rcpt",
    "reason",
    "recipient",
    "remote",
    "reply",
    "requested",
    "response",
    "returned",
    "said",
    "server",
    "smtp",
    "sorry",
    "status",
    "taken",
    "talking",
    "the",
    "this",
    "to",
    "transaction",
    "unable",
    "undeliverable",
    "was",
    "while",
    "with",
    "your",
];

/// Whether a folded text gives no reason at all (see [`FILLER`]).
fn is_bare(folded: &str) -> bool {
    folded
        .split(|c: char| c.is_whitespace() || ",;:()[]<>\"'#=!?{}|/*".contains(c))
        .map(|word| word.trim_matches(|c: char| c == '.' || c == '-' || c == '_'))
        .filter(|word| !word.is_empty())
        .all(|word| {
            word.contains(['@', '.'])
                || word.bytes().any(|b| b.is_ascii_digit())
                || !word.chars().any(char::is_alphabetic)
                || FILLER.binary_search(&word).is_ok()
        })
}

impl RuleSet {
    pub(crate) fn new(
        rules: Vec<(Rule, Origin)>,
        reasons: ReasonTable,
    ) -> Result<RuleSet, RuleSetError> {
        for (rule, _) in &rules {
            if rule.action.is_none() && reasons.get(&rule.reason).is_none_or(|r| r.action.is_none())
            {
                return Err(RuleSetError::NoAction(rule.reason, rule.name.clone()));
            }
        }
        let mut targets: Vec<(String, Target)> = command::MARKERS
            .iter()
            .map(|(marker, command)| ((*marker).to_owned(), Target::Command(*command)))
            .collect();
        let mut index: foldhash::HashMap<String, usize> = targets
            .iter()
            .enumerate()
            .map(|(i, (phrase, _))| (phrase.clone(), i))
            .collect();
        let mut patterns = Vec::new();
        let mut regex_index = Vec::with_capacity(rules.len());

        for (number, (rule, _)) in rules.iter().enumerate() {
            for phrase in &rule.text {
                let phrase = fold(phrase, None);
                if phrase.is_empty() {
                    continue;
                }
                let at = *index.entry(phrase.clone()).or_insert_with(|| {
                    targets.push((phrase, Target::Rules(Vec::new())));
                    targets.len() - 1
                });
                if let Target::Rules(numbers) = &mut targets[at].1 {
                    numbers.push(number);
                }
            }
            if rule.regex.is_empty() {
                regex_index.push(None);
            } else {
                regex_index.push(Some(patterns.len()));

                let alternatives: Vec<String> =
                    rule.regex.iter().map(|r| format!("(?:{})", r.0)).collect();
                patterns.push(format!("(?i:{})", alternatives.join("|")));
            }
        }
        let phrases = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            // A DFA: the fastest overlapping search, for a few MB of memory at most.
            .kind(Some(AhoCorasickKind::DFA))
            .build(targets.iter().map(|(phrase, _)| phrase))?;
        Ok(RuleSet {
            names: rules
                .iter()
                .map(|(rule, _)| Arc::from(rule.name.as_str()))
                .collect(),
            regexes: RegexSet::new(patterns)?,
            rules,
            reasons,
            phrases,
            targets,
            regex_index,
        })
    }

    pub fn rules(&self) -> &[(Rule, Origin)] {
        &self.rules
    }

    pub fn reasons(&self) -> &ReasonTable {
        &self.reasons
    }

    /// The name of rule `index`.
    pub fn name(&self, index: usize) -> Arc<str> {
        self.names[index].clone()
    }

    /// The advice for a classification: its rule's, else its reason's.
    pub fn advice(&self, classification: &Classification) -> Option<&str> {
        let rule_advice = classification
            .rule
            .filter(|_| classification.moved_from.is_none())
            .and_then(|index| self.rules[index].0.advice.as_deref());
        rule_advice.or_else(|| {
            self.reasons
                .get(&classification.reason)
                .and_then(|settings| settings.advice.as_deref())
        })
    }

    /// What decided, in words: `phrase "user unknown"`, `enhanced code 5.1.1`.
    pub fn evidence(&self, classification: &Classification) -> String {
        match classification.decider {
            Decider::Phrase(index) => format!("phrase \"{}\"", self.targets[index].0),
            Decider::Regex => "a regular expression of the rule".to_owned(),
            Decider::Enhanced(code) => format!("enhanced code {code}"),
            Decider::Reply(code) => format!("reply code {code}"),
            Decider::Bare => "a reply code with a text that gives no reason".to_owned(),
            Decider::Delivered => "a 2xx reply: delivered".to_owned(),
            Decider::Nothing => "nothing: no rule matched".to_owned(),
        }
    }

    fn default_action(&self, reason: Reason) -> Action {
        self.reasons
            .get(&reason)
            .and_then(|settings| settings.action)
            .unwrap_or(Action::Ignore)
    }

    /// Find the codes in a bounce text, and classify it.
    pub fn classify_text(&self, text: &str) -> Classification {
        self.classify(BounceInput::from_text(text))
    }

    /// The first rule whose conditions all hold, and the promises of the module docs.
    pub fn classify(&self, bounce: BounceInput<'_>) -> Classification {
        let class = bounce
            .reply
            .map(ReplyCode::class)
            .or(bounce.enhanced.map(|code| code.class));
        let folded = fold(bounce.text, bounce.reply);

        // One pass: per rule its first phrase found, and the earliest command marker.
        let mut phrase_of_rule: Vec<Option<usize>> = vec![None; self.rules.len()];
        let mut marker: Option<(usize, Command)> = None;
        for found in self.phrases.find_overlapping_iter(&folded) {
            let pattern = found.pattern().as_usize();
            match &self.targets[pattern].1 {
                Target::Rules(numbers) => {
                    for &number in numbers {
                        phrase_of_rule[number].get_or_insert(pattern);
                    }
                }
                Target::Command(command) => {
                    if marker.is_none_or(|(start, _)| found.start() < start) {
                        marker = Some((found.start(), *command));
                    }
                }
            }
        }
        let command = bounce.command.or(marker.map(|(_, command)| command));

        if class == Some(2) {
            return Classification {
                reason: Reason::Delivered,
                action: Action::Ignore,
                rule: None,
                decider: Decider::Delivered,
                command,
                moved_from: None,
                softened: false,
            };
        }

        let regex_matches = (!self.regexes.is_empty() && !bounce.text.is_empty())
            .then(|| self.regexes.matches(bounce.text));
        let enhanced = bounce
            .enhanced
            .filter(|code| code.subject != 0 || code.detail != 0);
        let mut bare: Option<bool> = None;

        let found = self
            .rules
            .iter()
            .enumerate()
            .find_map(|(number, (rule, _))| {
                let phrase = phrase_of_rule[number];
                let has_text = !rule.text.is_empty() || !rule.regex.is_empty();
                let regex = self.regex_index[number]
                    .is_some_and(|i| regex_matches.as_ref().is_some_and(|set| set.matched(i)));
                if has_text && phrase.is_none() && !regex {
                    return None;
                }
                let enhanced_ok = rule.enhanced.is_empty()
                    || enhanced.is_some_and(|code| rule.enhanced.iter().any(|p| p.matches(code)));
                let reply_ok = rule.reply.is_empty()
                    || bounce
                        .reply
                        .is_some_and(|code| rule.reply.iter().any(|p| p.matches(code)));
                if !(enhanced_ok && reply_ok) {
                    return None;
                }
                if rule.bare && !*bare.get_or_insert_with(|| is_bare(&folded)) {
                    return None;
                }
                let decider = match (phrase, enhanced, bounce.reply) {
                    (Some(pattern), _, _) => Decider::Phrase(pattern),
                    _ if regex => Decider::Regex,
                    (_, Some(code), _) if !rule.enhanced.is_empty() => Decider::Enhanced(code),
                    _ if rule.bare => Decider::Bare,
                    (_, _, Some(code)) => Decider::Reply(code),
                    _ => Decider::Nothing,
                };
                Some((number, decider))
            });

        let Some((number, decider)) = found else {
            return Classification {
                reason: Reason::Undefined,
                action: self.default_action(Reason::Undefined),
                rule: None,
                decider: Decider::Nothing,
                command,
                moved_from: None,
                softened: false,
            };
        };
        let rule = &self.rules[number].0;
        let mut reason = rule.reason;
        let mut action = rule.action.unwrap_or_else(|| self.default_action(reason));
        let mut moved_from = None;
        if reason.side() == Side::Address {
            let moved = match command {
                Some(Command::Data) if reason == Reason::UserUnknown => Some(Reason::Filtered),
                Some(Command::Mail) => Some(Reason::Rejected),
                Some(Command::Connect) => Some(Reason::Blocked),
                _ => None,
            };
            if let Some(moved) = moved {
                moved_from = Some(reason);
                reason = moved;
                action = self.default_action(moved);
            }
        }
        // A 4xx is temporary by definition: it counts toward the soft-bounce threshold,
        // however dead the text makes the address sound.
        let softened = action == Action::Suppress && class == Some(4);
        if softened {
            action = Action::Count;
        }
        Classification {
            reason,
            action,
            rule: Some(number),
            decider,
            command,
            moved_from,
            softened,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_joins_lines_and_drops_continued_code_prefixes() {
        let text = "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking\t the  address 550 5.1.1 https://x";
        let (reply, _) = codes::find_codes(text);
        assert_eq!(
            fold(text, reply),
            "the email account that you tried to reach does not exist. please try double-checking the address 550 5.1.1 https://x"
        );
        assert_eq!(fold("Mailbox  FULL", None), "mailbox full");
    }

    #[test]
    fn filler_is_sorted_for_binary_search() {
        let mut sorted = FILLER.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, FILLER, "keep FILLER sorted and without repeats");
    }

    #[test]
    fn a_bare_text_has_nothing_but_codes_addresses_hosts_and_filler() {
        for text in [
            "",
            "550",
            "550 5.0.0 <bob@example.org>",
            "host mx.example.org[192.0.2.1] said: 550 <bob@example.org>: (in reply to RCPT TO command)",
            "smtp; 550 Requested action not taken",
            "550 #5.0.0 recipient address rejected",
        ] {
            let folded = fold(text, None);
            // "rejected" gives a reason of a kind (a refusal), so the last one is not bare.
            assert_eq!(is_bare(&folded), !text.contains("rejected"), "{text}");
        }
        for text in [
            "550 Blocked",
            "550 5.0.0 IP frequency limited",
            "550 Denied by policy",
        ] {
            assert!(!is_bare(&fold(text, None)), "{text}");
        }
    }

    fn default_rules() -> RuleSet {
        crate::config::load(None)
            .expect("the built-in rules.yaml must load")
            .rules
    }

    fn outcome(rules: &RuleSet, text: &str) -> (Reason, Action) {
        let c = rules.classify_text(text);
        (c.reason, c.action)
    }

    #[test]
    fn a_2xx_is_a_delivery_whatever_the_text_says() {
        let rules = default_rules();
        let c = rules.classify_text("250 2.1.5 OK user unknown");
        assert_eq!(
            (c.reason, c.action, c.rule),
            (Reason::Delivered, Action::Ignore, None)
        );
        assert_eq!(c.decider, Decider::Delivered);
        // A 2.x.x without a reply code is a delivery too.
        assert_eq!(outcome(&rules, "2.0.0 mailbox full").0, Reason::Delivered);
    }

    #[test]
    fn an_x_0_0_code_says_nothing_and_the_text_or_reply_decides() {
        let rules = default_rules();
        // Without the text, 550 5.0.0 falls to the bare 550: the address.
        let bare = rules.classify_text("550 5.0.0 <bob@example.org>");
        assert_eq!(
            (bare.reason, bare.action),
            (Reason::UserUnknown, Action::Suppress)
        );
        assert_eq!(bare.decider, Decider::Bare);
        // A text that names the sender decides, and an unknown text suppresses nothing.
        assert_eq!(
            outcome(&rules, "550 5.0.0 IP frequency limited"),
            (Reason::RateLimited, Action::Ignore)
        );
        assert_eq!(
            outcome(&rules, "550 5.0.0 zebra giraffe"),
            (Reason::Undefined, Action::Ignore)
        );
        // X.0.0 would match a 5.*.* pattern if it were read as a code.
        assert_eq!(rules.classify_text("554 5.0.0").reason, Reason::Undefined);
    }

    #[test]
    fn the_command_moves_an_address_reason_to_the_side_it_concerns() {
        let rules = default_rules();
        let cases = [
            (
                "550 5.1.1 User unknown (in reply to RCPT TO command)",
                Some(Command::Rcpt),
                Reason::UserUnknown,
                Action::Suppress,
                None,
            ),
            (
                "550 5.1.1 User unknown (in reply to end of DATA command)",
                Some(Command::Data),
                Reason::Filtered,
                Action::Count,
                Some(Reason::UserUnknown),
            ),
            (
                "SMTP error from remote mail server after end of data: 550 unknown user",
                Some(Command::Data),
                Reason::Filtered,
                Action::Count,
                Some(Reason::UserUnknown),
            ),
            (
                "550 5.1.1 User unknown (in reply to MAIL FROM command)",
                Some(Command::Mail),
                Reason::Rejected,
                Action::Ignore,
                Some(Reason::UserUnknown),
            ),
            (
                "host mx.example.org refused to talk to me: 550 no such user",
                Some(Command::Connect),
                Reason::Blocked,
                Action::Ignore,
                Some(Reason::UserUnknown),
            ),
            // A full mailbox after DATA is still a full mailbox (quota is often checked there).
            (
                "552 5.2.2 Mailbox full (in reply to end of DATA command)",
                Some(Command::Data),
                Reason::MailboxFull,
                Action::Count,
                None,
            ),
            // A sender reason is not moved.
            (
                "554 5.7.1 blocked using zen.spamhaus.org (in reply to RCPT TO command)",
                Some(Command::Rcpt),
                Reason::Blocked,
                Action::Ignore,
                None,
            ),
        ];
        for (text, command, reason, action, moved_from) in cases {
            let c = rules.classify_text(text);
            assert_eq!(
                (c.command, c.reason, c.action, c.moved_from),
                (command, reason, action, moved_from),
                "{text}"
            );
        }
        // The earliest marker wins; a command the source gives wins over the text.
        let c = rules.classify_text("after RCPT TO:<a@b.org>: 550 user unknown (was after data)");
        assert_eq!(c.command, Some(Command::Rcpt));
        let given = rules.classify(BounceInput {
            command: Some(Command::Data),
            ..BounceInput::from_text("550 5.1.1 user unknown (in reply to RCPT TO command)")
        });
        assert_eq!(given.reason, Reason::Filtered);
    }

    #[test]
    fn a_4xx_never_suppresses_at_once() {
        let rules = default_rules();
        for text in [
            "450 4.1.1 <a@b.de>: Recipient address rejected: User unknown",
            "450 4.1.2 <a@b.de>: Recipient address rejected: Domain not found",
            "4.1.1 user unknown",
        ] {
            let c = rules.classify_text(text);
            assert_eq!(c.action, Action::Count, "{text}");
            assert!(c.softened, "{text}");
        }
        let full = rules.classify_text("452 4.2.2 Mailbox full");
        assert_eq!((full.action, full.softened), (Action::Count, false));
    }

    #[test]
    fn the_sender_wins_when_a_text_names_both_sides() {
        let rules = default_rules();
        assert_eq!(
            outcome(
                &rules,
                "550 5.1.1 Client host [192.0.2.1] blocked using zen.spamhaus.org; user unknown"
            ),
            (Reason::Blocked, Action::Ignore)
        );
        assert_eq!(
            outcome(
                &rules,
                "550 5.1.1 <x@y.org>: has sent to too many recipients this hour"
            ),
            (Reason::RateLimited, Action::Ignore)
        );
    }

    #[test]
    fn a_rule_without_an_action_takes_its_reasons_and_a_rule_may_name_one() {
        let rule = |name: &str, text: &str, reason: Reason, action: Option<Action>| Rule {
            name: name.to_owned(),
            text: vec![text.to_owned()],
            regex: Vec::new(),
            enhanced: Vec::new(),
            reply: Vec::new(),
            bare: false,
            reason,
            action,
            advice: None,
        };
        let mut reasons = ReasonTable::new();
        reasons.insert(
            Reason::Suspend,
            crate::bounces::rules::ReasonFile {
                action: Some(Action::Suppress),
                advice: Some("gone".to_owned()),
            },
        );
        let rules = RuleSet::new(
            vec![
                (
                    rule("own", "vip quota", Reason::Suspend, Some(Action::Ignore)),
                    Origin::Default,
                ),
                (
                    rule("by-reason", "locked", Reason::Suspend, None),
                    Origin::Default,
                ),
            ],
            reasons.clone(),
        )
        .unwrap();
        assert_eq!(
            outcome(&rules, "550 vip quota"),
            (Reason::Suspend, Action::Ignore)
        );
        let by_reason = rules.classify_text("550 locked");
        assert_eq!(by_reason.action, Action::Suppress);
        assert_eq!(rules.advice(&by_reason), Some("gone"));
        assert_eq!(rules.evidence(&by_reason), "phrase \"locked\"");
        // A reason with no action anywhere is refused when the rules are built.
        let error = RuleSet::new(
            vec![(rule("r", "x", Reason::Blocked, None), Origin::Default)],
            reasons,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("reason 'blocked' has no action"),
            "{error}"
        );
    }

    #[test]
    fn every_reason_has_an_action_and_advice_in_the_built_in_rules() {
        let rules = default_rules();
        for reason in Reason::ALL {
            let settings = rules.reasons().get(reason);
            assert!(
                settings.is_some_and(|s| s.action.is_some() && s.advice.is_some()),
                "reasons: {reason} needs an action and advice"
            );
            // Only the address may be suppressed or counted.
            let action = settings.and_then(|s| s.action).unwrap();
            assert_eq!(
                action != Action::Ignore,
                reason.side() == Side::Address,
                "{reason}: {action}"
            );
        }
    }

    #[test]
    fn the_readme_lists_every_reason_with_its_default_action() {
        let readme = include_str!("../../README.md");
        let rules = default_rules();
        for reason in Reason::ALL {
            let action = rules.reasons()[reason].action.unwrap();
            let row = readme
                .lines()
                .find(|line| line.starts_with(&format!("| `{reason}` |")))
                .unwrap_or_else(|| panic!("README.md has no row for reason {reason}"));
            assert!(row.ends_with(&format!("| {action} |")), "{row}");
        }
    }
}
