//! Stage 4: read the stored bounce histories and sum them up per address.
//!
//! Each event is classified by the rules; per address the result keeps its first suppressing
//! bounce and the days of its counted soft bounces. The policy (thresholds, window) is applied
//! later, by the gate. A row that can't be read is a [`HistoryProblem`], never dropped silently.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bounces::classify::{BounceInput, RuleSet};
use crate::bounces::codes::{self, EnhancedCode, ReplyCode};
use crate::bounces::command::Command;
use crate::bounces::import::{Source, Trace};
use crate::bounces::reason::Reason;
use crate::bounces::rules::Action;
use crate::bounces::time::{self, DateOrder};
use crate::error::Error;
use crate::walk::{self, Walked};

mod file;
mod generic;
mod problem;
use crate::syntax::{self, SyntaxOptions};
pub use file::{FileRead, FileSummary, read_file, read_file_each};
pub use problem::{HistoryProblem, HistoryRowProblem};

/// Longest diagnostic text kept as evidence; the rest is cut (rules see the whole text).
const MAX_EVIDENCE_CHARS: usize = 200;

pub use crate::bounces::time::{UnixSeconds, format_day, parse_time};

/// One classified bounce, kept as evidence for a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub file: Arc<Path>,
    pub line: u64,
    pub time: Option<UnixSeconds>,
    pub reply: Option<u16>,
    pub enhanced: Option<EnhancedCode>,
    pub text: String,
    pub reason: Reason,
    /// The name of the rule that matched, if any.
    pub rule: Option<Arc<str>>,
    /// The export it came from, when not the generic CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The source's own verdict, verbatim, beside ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_verdict: Option<String>,
    /// The provider only re-suppressed an address it had already suppressed: no new bounce,
    /// but proof the address is suppressed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub already_suppressed: bool,
    /// The SMTP command the bounce answered, as the source or the text says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
    /// The servers and the returned message, when the source names them. Boxed: most
    /// histories have none, and a million pieces of evidence must stay small.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Box<Trace>>,
}

impl Evidence {
    /// `550 5.1.1 user unknown`, for messages.
    pub fn summary(&self) -> String {
        let text = self.text.trim();
        // The codes the text does not already say.
        let codes = self
            .reply
            .map(|reply| reply.to_string())
            .into_iter()
            .chain(self.enhanced.map(|code| code.to_string()))
            .filter(|code| !text.contains(code.as_str()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut summary = if codes.is_empty() {
            text.to_owned()
        } else {
            format!("{codes} {text}").trim().to_owned()
        };
        if summary.is_empty() {
            summary = self.source_verdict.clone().unwrap_or_default();
        }
        if self.already_suppressed {
            let source = self.source.map_or("the provider", Source::name);
            summary = format!("{summary} {source}: already suppressed")
                .trim()
                .to_owned();
        }
        summary
    }
}

/// What the history says about one address.
#[derive(Debug, Clone, Default)]
pub struct AddressHistory {
    /// Its earliest bounce whose rule says `suppress`.
    pub suppressed_by: Option<Arc<Evidence>>,
    /// The days (UTC, days since the epoch) of its counted soft bounces, with their evidence.
    pub soft: Vec<(i64, Arc<Evidence>)>,
    /// Counted soft bounces without a date: they cannot be placed in the window.
    pub undated_soft: u32,
    /// Blocks against the sender (spam, policy) recorded for this address.
    pub sender_blocks: u32,
    /// Its earliest complaint (a feedback report): no bounce, but a reason to stop mailing it.
    pub complained_by: Option<Arc<Evidence>>,
}

impl AddressHistory {
    /// Distinct days with a counted soft bounce inside `(anchor_day - days, anchor_day]`.
    pub fn soft_days_within(&self, anchor_day: i64, days: u32) -> Vec<&Arc<Evidence>> {
        let mut seen: Vec<i64> = Vec::new();
        let mut evidence = Vec::new();
        for (day, event) in &self.soft {
            if *day <= anchor_day && *day > anchor_day - i64::from(days) && !seen.contains(day) {
                seen.push(*day);
                evidence.push(event);
            }
        }
        evidence
    }
}

/// All histories, summed up per address key.
#[derive(Debug, Default)]
pub struct History {
    pub files: Vec<PathBuf>,
    pub by_address: foldhash::HashMap<String, AddressHistory>,
    pub events_read: usize,
    pub events_used: usize,
    /// The newest event time not after tomorrow: the end of the soft-bounce window unless
    /// --as-of is given. A row dated in the future must not move the window past every real
    /// bounce and so switch repeated-soft detection off.
    pub newest: Option<UnixSeconds>,
    pub problems: Vec<HistoryProblem>,
    /// Built at the first [`History::get`].
    filter: std::sync::OnceLock<KeyFilter>,
}

impl History {
    /// The sums of one address key. Most rows of a list have no history: a bitset of the
    /// keys' hashes (a few hundred KB, in cache) turns them away before a miss in a map of
    /// megabytes.
    pub fn get(&self, key: &str) -> Option<&AddressHistory> {
        self.get_hashed(key, syntax::key_hash(key))
    }

    /// [`History::get`], for a key whose [`syntax::key_hash`] is known already.
    pub fn get_hashed(&self, key: &str, hash: u128) -> Option<&AddressHistory> {
        if self.by_address.is_empty() {
            return None;
        }
        let filter = self.filter();
        // A key added after the filter was made (never, once loaded) must still be found.
        if filter.keys == self.by_address.len() && !filter.may_hold(hash) {
            return None;
        }
        self.by_address.get(key)
    }
}

impl History {
    fn filter(&self) -> &KeyFilter {
        self.filter
            .get_or_init(|| KeyFilter::of(self.by_address.keys().map(String::as_str)))
    }
}

/// A Bloom filter of address keys: 16 bits a key, and two probes from the key's
/// [`syntax::key_hash`], both in one 64-bit word (one cache miss a lookup, not two), so about
/// 1.5% of the keys it never saw get through to the map.
#[derive(Debug, Default)]
struct KeyFilter {
    words: Vec<u64>,
    /// The number of words less one (a power of two less one).
    mask: u64,
    keys: usize,
}

impl KeyFilter {
    fn of<'a>(keys: impl ExactSizeIterator<Item = &'a str>) -> KeyFilter {
        let count = keys.len();
        let words = (count.max(1) * 16 / 64).next_power_of_two();
        let mut filter = KeyFilter {
            words: vec![0; words],
            mask: words as u64 - 1,
            keys: count,
        };
        for key in keys {
            let (word, bits) = filter.probes(syntax::key_hash(key));
            filter.words[word] |= bits;
        }
        filter
    }

    /// The word, and the two bits in it: the word from the hash's low half, the bits from its
    /// high half.
    fn probes(&self, hash: u128) -> (usize, u64) {
        let high = (hash >> 64) as u64;
        let bits = 1 << (high & 63) | 1 << (high >> 6 & 63);
        ((hash as u64 & self.mask) as usize, bits)
    }

    fn may_hold(&self, hash: u128) -> bool {
        let (word, bits) = self.probes(hash);
        self.words[word] & bits == bits
    }
}

/// The history files under the given paths (directories are walked for history files, see
/// `is_history_file`).
pub fn discover(paths: &[PathBuf]) -> Result<Walked, Error> {
    let mut found = Walked::default();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| Error::History {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let walked =
                walk::walk(path, is_history_file, |_| true).map_err(|error| Error::History {
                    path: path.clone(),
                    source: error.into(),
                })?;
            found.extend(walked);
        } else {
            walk::named_file(&metadata).map_err(|source| Error::History {
                path: path.clone(),
                source,
            })?;
            found.files.push(path.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.files.retain(|file| seen.insert(file.clone()));
    Ok(found)
}

/// Files a directory walk takes for bounce histories: the generic CSV, the providers' JSON
/// exports, mail logs (rotated ones too: `mail.log.1`) and bounce messages. Other files (a
/// README) are left alone; any file named explicitly is read.
fn is_history_file(path: &Path) -> bool {
    const EXTENSIONS: &[&str] = &[
        "csv", "tsv", "json", "jsonl", "ndjson", "log", "eml", "mbox",
    ];
    const COMPRESSED: &[&str] = &[".gz", ".bz2", ".xz", ".zst", ".zip"];
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.starts_with('.') || COMPRESSED.iter().any(|ext| name.ends_with(ext)) {
        return false;
    }
    let by_extension = path
        .extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        });
    // A maildir keeps each mail as a file without an extension under `cur/` or `new/`.
    let in_maildir = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "cur" || dir == "new");
    by_extension
        || in_maildir
        || name.starts_with("mail.log")
        || name.starts_with("maillog")
        || name == "mbox"
}

/// A history row read and classified, before it is summed up.
pub struct Event {
    pub key: String,
    /// The normalised address as shown, when it is not the key (a case-folded local part):
    /// most are, and `check` never asks.
    display: Option<Box<str>>,
    pub action: Action,
    sender_block: bool,
    /// A complaint (a feedback report), not a bounce.
    complaint: bool,
    pub time: Option<UnixSeconds>,
    /// The line it was read from.
    pub line: u64,
    /// Something wrong with the row that did not stop it being used (its time).
    pub warning: Option<HistoryRowProblem>,
    /// Kept only for bounces that suppress or count, unless [`HistoryOptions::all_evidence`]:
    /// the others say nothing about the address. Boxed: an event stays small until it is
    /// added up.
    pub evidence: Option<Arc<Evidence>>,
}

impl Event {
    /// The normalised address as shown.
    pub fn address(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.key)
    }
}

/// How to read history files.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryOptions {
    pub syntax: SyntaxOptions,
    /// Read every file as this format instead of detecting it (`--history-format`).
    pub format: Option<Source>,
    /// The year of a syslog-stamped mail log's last line (`--log-year`).
    pub log_year: Option<i32>,
    /// Keep the evidence of every event (for `history import`), not only of those that count.
    pub all_evidence: bool,
    /// How to read dates written with slashes (`--date-order`).
    pub date_order: Option<DateOrder>,
    /// Now: rows dated more than a day after it are in the future. `None`: the system clock.
    pub now: Option<UnixSeconds>,
}

impl HistoryOptions {
    /// The latest time a row may have without being in the future.
    fn latest_time(&self) -> UnixSeconds {
        self.now.unwrap_or_else(time::now) + 86_400
    }
}

/// One bounce as read from a file, before the rules and the policy.
struct RawBounce<'a> {
    line: u64,
    address: &'a str,
    time: Option<UnixSeconds>,
    reply: Option<ReplyCode>,
    enhanced: Option<EnhancedCode>,
    text: &'a str,
    source: Option<Source>,
    source_verdict: Option<&'a str>,
    already_suppressed: bool,
    /// The SMTP command, when the source says it apart from the text.
    command: Option<Command>,
    /// The servers and the returned message, when the source names them.
    trace: Trace,
}

/// Read and classify every history file, in parallel, and sum the events up per address. Each
/// file's events are added up as they are read (a round of pieces at a time: never a whole
/// file's events), then the files' sums are merged in file order, which adds up to what one
/// pass over all events in that order gives.
pub fn load(files: &[PathBuf], rules: &RuleSet, options: HistoryOptions) -> History {
    // The clock read once, not once an event.
    let options = HistoryOptions {
        now: Some(options.now.unwrap_or_else(time::now)),
        ..options
    };
    let latest = options.latest_time();
    let per_file: Vec<(FileSummary, History)> = files
        .par_iter()
        .map(|path| file::read_file_summed(path, rules, options, latest))
        .collect();
    let mut history = History {
        files: files.to_vec(),
        ..History::default()
    };
    for (read, sums) in per_file {
        history.events_read += read.rows;
        history.events_used += read.events;
        history.problems.extend(read.problems);
        merge(&mut history, sums);
    }
    // The lookups' filter is made here, on the core that loads the history (it has time while
    // the lists are checked), not at the gate's first lookup, which every core would wait for.
    history.filter();
    history
}

/// Add one file's (or piece's) sums to those of the files (pieces) before it.
fn merge(history: &mut History, file: History) {
    history.newest = history.newest.max(file.newest);
    if history.by_address.is_empty() {
        history.by_address = file.by_address;
        return;
    }
    for (key, later) in file.by_address {
        let entry = history.by_address.entry(key).or_default();
        entry.sender_blocks += later.sender_blocks;
        entry.undated_soft += later.undated_soft;
        entry.soft.extend(later.soft);
        if let Some(evidence) = later.complained_by
            && is_earlier(entry.complained_by.as_deref(), evidence.time)
        {
            entry.complained_by = Some(evidence);
        }
        if let Some(evidence) = later.suppressed_by
            && is_earlier(entry.suppressed_by.as_deref(), evidence.time)
        {
            entry.suppressed_by = Some(evidence);
        }
    }
}

fn add_event(history: &mut History, event: Event, latest: UnixSeconds) {
    if let Some(time) = event.time.filter(|time| *time <= latest) {
        history.newest = Some(history.newest.map_or(time, |newest| newest.max(time)));
    }
    let entry = history.by_address.entry(event.key).or_default();
    if event.sender_block {
        entry.sender_blocks += 1;
    }
    let Some(evidence) = event.evidence else {
        return;
    };
    if event.complaint {
        if is_earlier(entry.complained_by.as_deref(), evidence.time) {
            entry.complained_by = Some(evidence);
        }
        return;
    }
    match event.action {
        Action::Suppress => {
            if is_earlier(entry.suppressed_by.as_deref(), evidence.time) {
                entry.suppressed_by = Some(evidence);
            }
        }
        Action::Count => match evidence.time {
            Some(time) => {
                // The evidence stays in its box: a soft bounce adds 16 bytes to the list.
                entry.soft.push((time.div_euclid(86_400), evidence));
            }
            None => entry.undated_soft += 1,
        },
        Action::Ignore => {}
    }
}

/// Whether an event at `time` comes before `current` (an undated one comes after every
/// dated one).
fn is_earlier(current: Option<&Evidence>, time: Option<UnixSeconds>) -> bool {
    match (current, time) {
        (None, _) => true,
        (Some(current), Some(time)) => current.time.is_none_or(|t| time < t),
        (Some(_), None) => false,
    }
}

/// A sender's note that it will try again (a Postfix deferral, a SendGrid `deferred` event, a
/// DSN with `Action: delayed`, a Mailgun temporary failure): one message retried over days
/// must not add up to a repeated soft bounce.
fn is_retry(source: Option<Source>, verdict: &str) -> bool {
    let verdict = verdict.trim().to_ascii_lowercase();
    match source {
        Some(Source::Postfix) => verdict == "status=deferred",
        Some(Source::SendgridWebhook) => verdict.starts_with("deferred"),
        Some(Source::Dsn | Source::Mail(_)) => verdict == "action: delayed",
        Some(Source::MailgunEvents) => verdict.contains("/temporary"),
        Some(Source::ResendWebhook) => verdict == "email.delivery_delayed",
        Some(Source::Mandrill) => verdict == "deferral",
        Some(Source::BrevoWebhook) => verdict == "deferred",
        Some(Source::Sparkpost) => verdict.starts_with("delay"),
        _ => false,
    }
}

/// Normalise the address, classify the bounce by the rules, keep the evidence.
fn classify_bounce(
    raw: RawBounce<'_>,
    rules: &RuleSet,
    options: HistoryOptions,
    file: &Arc<Path>,
) -> Result<Event, HistoryRowProblem> {
    let address = syntax::check_address(raw.address, options.syntax).map_err(|error| {
        HistoryRowProblem::BadAddress {
            address: raw.address.to_owned(),
            why: if raw.address.is_empty() {
                "is empty".to_owned()
            } else {
                error.to_string()
            },
        }
    })?;
    // Codes the source did not give may stand in its text.
    let (reply, enhanced) = match (raw.reply, raw.enhanced) {
        (Some(reply), Some(enhanced)) => (Some(reply), Some(enhanced)),
        (reply, enhanced) => {
            let (text_reply, text_enhanced) = codes::find_codes(raw.text);
            let reply = reply.or(text_reply);
            // An enhanced code from the text must agree with the reply code's class.
            let text_enhanced =
                text_enhanced.filter(|code| reply.is_none_or(|r| r.class() == code.class));
            (reply, enhanced.or(text_enhanced))
        }
    };
    // With no code and no text, the source's own verdict ("Permanent/General", "HardBounce")
    // is all there is to classify; the built-in rules end with rules for those.
    let verdict = raw.source_verdict.unwrap_or_default();
    let text = if raw.text.is_empty() {
        verdict
    } else {
        raw.text
    };
    if reply.is_none() && enhanced.is_none() && text.is_empty() && !raw.already_suppressed {
        return Err(HistoryRowProblem::NoBounceInfo);
    }
    let classification = rules.classify(BounceInput {
        reply,
        enhanced,
        text,
        command: raw.command,
    });
    let action = if raw.already_suppressed {
        // A provider's own suppression is proof enough, whatever the codes say.
        Action::Suppress
    } else if classification.action == Action::Count && is_retry(raw.source, verdict) {
        // A retry of one message is not a soft bounce of its own: the final failure is.
        Action::Ignore
    } else {
        classification.action
    };
    let complaint = classification.reason == Reason::Feedback;
    let keep = options.all_evidence || action != Action::Ignore || complaint;
    let evidence = keep.then(|| {
        Arc::new(Evidence {
            file: file.clone(),
            line: raw.line,
            time: raw.time,
            reply: reply.map(ReplyCode::value),
            enhanced,
            // Shown in findings: cut. Kept by `history import`: whole.
            text: if options.all_evidence {
                raw.text.to_owned()
            } else {
                cut(raw.text, MAX_EVIDENCE_CHARS).to_owned()
            },
            reason: classification.reason,
            rule: classification.rule.map(|index| rules.name(index)),
            source: raw.source,
            source_verdict: raw.source_verdict.map(str::to_owned),
            already_suppressed: raw.already_suppressed,
            command: classification.command,
            trace: (!raw.trace.is_empty()).then(|| Box::new(raw.trace.clone())),
        })
    });
    let future = raw
        .time
        .filter(|time| *time > options.latest_time())
        .map(|time| HistoryRowProblem::FutureTime {
            value: format_day(time),
        });
    let (key, display) = address.into_key_and_display();
    Ok(Event {
        line: raw.line,
        warning: future,
        display,
        key: key.into(),
        action,
        sender_block: classification.reason.is_sender_block(),
        complaint,
        time: raw.time,
        evidence,
    })
}

/// The first `chars` characters of `text`.
fn cut(text: &str, chars: usize) -> &str {
    // No more bytes than characters wanted: nothing to count.
    if text.len() <= chars {
        return text;
    }
    text.char_indices()
        .nth(chars)
        .map_or(text, |(end, _)| &text[..end])
}

#[cfg(test)]
mod tests;
