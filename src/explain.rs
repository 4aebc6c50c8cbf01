//! `bouncegate explain`: what the rules make of bounce texts, one or a file of them, with the
//! evidence that decided, as text or as one JSON object per line.

use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use crate::bounces::classify::{BounceInput, Classification, RuleSet};
use crate::bounces::codes::EnhancedCode;
use crate::bounces::command::Command;
use crate::bounces::reason::{Reason, Side};
use crate::bounces::rules::Action;
use crate::error::Error;

/// One bounce text, classified.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The line of the input file, when read from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub text: String,
    pub reply: Option<u16>,
    pub enhanced: Option<EnhancedCode>,
    /// The SMTP command the bounce answered, when the text says.
    pub command: Option<Command>,
    pub reason: Reason,
    /// Whose fault: address, sender, path, or none.
    pub side: Side,
    pub action: Action,
    /// The rule that decided, and where it comes from.
    pub rule: Option<String>,
    pub origin: Option<String>,
    /// What decided: the phrase, the code.
    pub evidence: String,
    pub advice: Option<String>,
    /// The rule's reason when the command moved it (e.g. userunknown after DATA).
    pub moved_from: Option<Reason>,
    /// A suppressing reason under a 4xx: counted instead.
    pub softened: bool,
}

impl Explanation {
    pub fn new(rules: &RuleSet, text: &str, line: Option<u64>) -> Explanation {
        let input = BounceInput::from_text(text);
        let classification: Classification = rules.classify(input);
        let rule = classification.rule.map(|index| &rules.rules()[index]);
        Explanation {
            line,
            text: text.to_owned(),
            reply: input.reply.map(|code| code.value()),
            enhanced: input.enhanced,
            command: classification.command,
            reason: classification.reason,
            side: classification.reason.side(),
            action: classification.action,
            rule: rule.map(|(rule, _)| rule.name.clone()),
            origin: rule.map(|(_, origin)| origin.to_string()),
            evidence: rules.evidence(&classification),
            advice: rules.advice(&classification).map(str::to_owned),
            moved_from: classification.moved_from,
            softened: classification.softened,
        }
    }

    /// The labelled block `explain TEXT` prints.
    pub fn to_human(&self) -> String {
        let none = || "none".to_owned();
        let class = match self
            .reply
            .map(|r| r / 100)
            .or(self.enhanced.map(|e| e.class.into()))
        {
            Some(5) => "permanent (5xx)",
            Some(4) => "temporary (4xx)",
            Some(2) => "success (2xx)",
            _ => "unknown (no code)",
        };
        let side = match self.side {
            Side::Address => "the address",
            Side::Sender => "the sender",
            Side::Path => "the path (DNS, routing, the receiving system)",
            Side::None => "nobody: too little to tell, or not a bounce",
        };
        let mut out = String::new();
        let mut field = |name: &str, value: &str| {
            out.push_str(&format!("{:<15}{value}\n", format!("{name}:")));
        };
        field(
            "reply code",
            &self.reply.map_or_else(none, |r| r.to_string()),
        );
        field(
            "enhanced code",
            &self.enhanced.map_or_else(none, |e| e.to_string()),
        );
        field("class", class);
        field(
            "command",
            &self
                .command
                .map_or_else(|| "not said".to_owned(), |c| c.to_string()),
        );
        field("reason", self.reason.as_str());
        field("fault of", side);
        field("action", &self.action.to_string());
        match (&self.rule, &self.origin) {
            (Some(rule), Some(origin)) => field("rule", &format!("{rule} (from {origin})")),
            _ => field(
                "rule",
                "none matched: the bounce says nothing about the address",
            ),
        }
        field("evidence", &self.evidence);
        if let Some(advice) = &self.advice {
            field("advice", advice);
        }
        if let Some(from) = self.moved_from {
            let why = match self.reason {
                Reason::Filtered => "after DATA the recipient was already accepted",
                Reason::Rejected => "in reply to MAIL FROM it concerns the sender",
                _ => "before MAIL FROM it concerns the connecting host",
            };
            field("note", &format!("the rule says {from}, but {why}"));
        }
        if self.softened {
            field(
                "note",
                "a 4xx is temporary: counted as a soft bounce, not suppressed",
            );
        }
        out
    }

    /// One line of `explain --file`: action, reason, rule, then the text.
    pub fn to_row(&self) -> String {
        format!(
            "{}: {:<8} {:<15} {:<28} {}\n",
            self.line.unwrap_or_default(),
            self.action.to_string(),
            self.reason.as_str(),
            self.rule.as_deref().unwrap_or("-"),
            self.text
        )
    }
}

/// A line of an `explain --file` input that holds no text to classify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub why: &'static str,
}

/// Every non-blank line of `path` (`-`: standard input), classified; lines that are not
/// UTF-8 text are returned apart, so the caller can name them and exit 2.
pub fn explain_file(
    rules: &RuleSet,
    path: &Path,
) -> Result<(Vec<Explanation>, Vec<BadLine>), Error> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(read_error)?,
        ))
    };
    let mut explanations = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in reader.split(b'\n').enumerate() {
        let number = index as u64 + 1;
        let bytes = line.map_err(read_error)?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            bad.push(BadLine {
                line: number,
                why: "is not UTF-8 text",
            });
            continue;
        };
        let text = text.trim();
        if !text.is_empty() {
            explanations.push(Explanation::new(rules, text, Some(number)));
        }
    }
    Ok((explanations, bad))
}
