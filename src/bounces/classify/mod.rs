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

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::RegexSet;

use crate::bounces::codes::{self, EnhancedCode, ReplyCode};

mod text;
use crate::bounces::command::{self, Command};
use crate::bounces::reason::{Reason, Side};
use crate::bounces::rules::{Action, Origin, ReasonTable, Rule};
use text::{fold, is_bare};

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
    /// Which rule set a thread's [`Memo`] holds classifications of (a clone is the same rules).
    id: u64,
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
            // Not a DFA: building one took 20 ms of every run's start, before anything else
            // could run, and the memo leaves few searches to speed up (BENCHMARKS.md).
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(targets.iter().map(|(phrase, _)| phrase))?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Ok(RuleSet {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
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
    ///
    /// A history repeats a few texts for many recipients, and folded (the address and the
    /// host names out) they are one text: the classification of a folded text is looked up
    /// in a memo of this thread before the rules are run, unless a rule's regular expression,
    /// which reads the text as written, had a say.
    pub fn classify(&self, bounce: BounceInput<'_>) -> Classification {
        let key = MemoKey {
            reply: bounce.reply,
            enhanced: bounce.enhanced,
            command: bounce.command,
            folded: fold(bounce.text, bounce.reply),
        };
        let known = MEMO.with_borrow(|memo| {
            (memo.rules == Some(self.id))
                .then(|| memo.known.get(&key).copied())
                .flatten()
        });
        if let Some(known) = known {
            return known;
        }
        let (classification, regex_asked) = self.run_rules(bounce, &key.folded);
        if !regex_asked {
            MEMO.with_borrow_mut(|memo| {
                if memo.rules != Some(self.id) || memo.known.len() >= MEMO_ENTRIES {
                    memo.known.clear();
                    memo.rules = Some(self.id);
                }
                memo.known.insert(key, classification);
            });
        }
        classification
    }

    /// The rules run on one bounce, and whether a regular expression was asked.
    fn run_rules(&self, bounce: BounceInput<'_>, folded: &str) -> (Classification, bool) {
        let class = bounce
            .reply
            .map(ReplyCode::class)
            .or(bounce.enhanced.map(|code| code.class));

        // One pass: per rule its first phrase found, and the earliest command marker.
        let mut phrase_of_rule: Vec<Option<usize>> = vec![None; self.rules.len()];
        let mut marker: Option<Command> = None;
        for found in self.phrases.find_overlapping_iter(folded) {
            let pattern = found.pattern().as_usize();
            match &self.targets[pattern].1 {
                Target::Rules(numbers) => {
                    for &number in numbers {
                        phrase_of_rule[number].get_or_insert(pattern);
                    }
                }
                // Matches come in the order they end; no marker holds another of a different
                // command, so the first to end is the first in the text.
                Target::Command(command) => {
                    marker.get_or_insert(*command);
                }
            }
        }
        let command = bounce.command.or(marker);

        if class == Some(2) {
            let delivered = Classification {
                reason: Reason::Delivered,
                action: Action::Ignore,
                rule: None,
                decider: Decider::Delivered,
                command,
                moved_from: None,
                softened: false,
            };
            return (delivered, false);
        }

        // Only a rule with a regex asks; most bounces are decided before the last rules.
        let mut regex_matches: Option<regex::SetMatches> = None;
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
                let regex = self.regex_index[number].is_some_and(|i| {
                    regex_matches
                        .get_or_insert_with(|| self.regexes.matches(bounce.text))
                        .matched(i)
                });
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
                if rule.bare && !*bare.get_or_insert_with(|| is_bare(folded)) {
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

        let regex_asked = regex_matches.is_some();
        let Some((number, decider)) = found else {
            let nothing = Classification {
                reason: Reason::Undefined,
                action: self.default_action(Reason::Undefined),
                rule: None,
                decider: Decider::Nothing,
                command,
                moved_from: None,
                softened: false,
            };
            return (nothing, regex_asked);
        };
        let rule = &self.rules[number].0;
        let mut reason = rule.reason;
        let mut action = rule.action.unwrap_or_else(|| self.default_action(reason));
        let mut moved_from = None;
        if reason.side() == Side::Address {
            let moved = match command {
                Some(Command::Data) if reason == Reason::UserUnknown => Some(Reason::Filtered),
                Some(Command::Mail) => Some(Reason::Rejected),
                // RFC 7504: 521 at the greeting is how a host says it takes no mail.
                Some(Command::Connect) if reason != Reason::NotAccept => Some(Reason::Blocked),
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
        let classification = Classification {
            reason,
            action,
            rule: Some(number),
            decider,
            command,
            moved_from,
            softened,
        };
        (classification, regex_asked)
    }
}

/// At most this many classifications are remembered a thread; a full memo starts over.
const MEMO_ENTRIES: usize = 4096;

/// What a classification depends on, when no regular expression had a say.
#[derive(PartialEq, Eq, Hash)]
struct MemoKey {
    reply: Option<ReplyCode>,
    enhanced: Option<EnhancedCode>,
    command: Option<Command>,
    folded: String,
}

/// One thread's classifications of one rule set.
#[derive(Default)]
struct Memo {
    rules: Option<u64>,
    known: foldhash::HashMap<MemoKey, Classification>,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

#[cfg(test)]
mod tests;
