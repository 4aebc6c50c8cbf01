//! One history file, read: its format told from its content, its records classified by the
//! rules, each event handed on as soon as it is made. An mbox is streamed a batch of messages
//! at a time, so a history of any size is read in bounded memory when the caller does not
//! keep the events (`history import` writes them out as they come).

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::{
    Event, History, HistoryOptions, HistoryProblem, HistoryRowProblem, RawBounce, add_event,
    classify_bounce, generic,
};
use crate::bounces::classify::RuleSet;
use crate::bounces::codes::ReplyCode;
use crate::bounces::import::{self, ImportOptions, Imported, Source};
use crate::bounces::rules::Action;
use crate::bounces::time::UnixSeconds;
use crate::table::{self, InputProblem};

/// How much of a file is read to tell an mbox, which is streamed, from the rest, which is
/// read whole.
const HEAD_BYTES: u64 = 64 * 1024;

/// One history file read: its rows read, events, problems, and the auto-replies among its
/// bounce mails (recognised and left out).
#[derive(Default)]
pub struct FileRead {
    pub rows: usize,
    pub events: Vec<Event>,
    pub problems: Vec<HistoryProblem>,
    pub auto_replies: usize,
}

/// What reading a file said, its events handed on one by one.
#[derive(Default)]
pub struct FileSummary {
    pub rows: usize,
    /// How many events were handed on.
    pub events: usize,
    pub problems: Vec<HistoryProblem>,
    pub auto_replies: usize,
}

/// Read one history file of any known format, keeping its events (`check` adds them up as
/// they come instead, see [`super::load`]).
pub fn read_file(path: &Path, rules: &RuleSet, options: HistoryOptions) -> FileRead {
    let mut events = Vec::new();
    let summary = read_file_each(path, rules, options, &mut |event| events.push(event));
    FileRead {
        rows: summary.rows,
        events,
        problems: summary.problems,
        auto_replies: summary.auto_replies,
    }
}

/// Read one history file of any known format, handing each event to `each` in file order
/// as soon as it is classified.
pub fn read_file_each(
    path: &Path,
    rules: &RuleSet,
    options: HistoryOptions,
    each: &mut dyn FnMut(Event),
) -> FileSummary {
    let mut out = Outcome::new(Arc::from(path), Sink::Each(each));
    read_into(path, rules, options, &mut out);
    out.finish().0
}

/// Read one history file of any known format, its events added up per address as they come
/// (see [`super::load`]); events dated after `latest` do not move [`History::newest`].
pub fn read_file_summed(
    path: &Path,
    rules: &RuleSet,
    options: HistoryOptions,
    latest: UnixSeconds,
) -> (FileSummary, History) {
    let sink = Sink::Sum {
        sums: History::default(),
        latest,
    };
    let mut out = Outcome::new(Arc::from(path), sink);
    read_into(path, rules, options, &mut out);
    let (summary, sums) = out.finish();
    (summary, sums.unwrap_or_default())
}

fn read_into(path: &Path, rules: &RuleSet, options: HistoryOptions, out: &mut Outcome<'_>) {
    let unreadable = |out: &mut Outcome<'_>, error: std::io::Error| {
        out.whole_file(InputProblem::Unreadable {
            detail: error.to_string(),
        });
    };
    let mut handle = match std::fs::File::open(path) {
        Ok(handle) => handle,
        Err(error) => return unreadable(out, error),
    };
    let mut bytes = Vec::new();
    if let Err(error) = (&mut handle).take(HEAD_BYTES).read_to_end(&mut bytes) {
        return unreadable(out, error);
    }
    // An mbox may be any size: it is read a batch of messages at a time.
    if matches!(options.format, None | Some(Source::Dsn)) && import::is_mbox(&bytes) {
        let reader = std::io::Cursor::new(bytes).chain(handle);
        let result = import::import_mbox(reader, |imported| out.add(imported, rules, options));
        if let Err(error) = result {
            out.tally
                .problems
                .push(import_failed(&out.file, Source::Dsn, &error));
        }
        return;
    }
    let bytes = match table::read_rest(handle, bytes) {
        Ok(bytes) => bytes,
        Err(error) => return unreadable(out, error),
    };
    // A generic history CSV is read as one, even when a provider's export would also fit
    // its header or a cell quotes a mail log line; the providers' formats come next.
    let detected = match options.format {
        Some(source) => Some(source),
        None if generic::looks_generic(&bytes) => None,
        None => match import::detect_all(&bytes)[..] {
            [] => None,
            [one] => Some(one),
            [first, second, ..] => {
                let error = import::ImportError::Ambiguous { first, second };
                out.tally
                    .problems
                    .push(import_failed(&out.file, first, &error));
                return;
            }
        },
    };
    let Some(source) = detected else {
        return generic::read(&bytes, rules, options, out);
    };
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64);
    let import_options = ImportOptions {
        log_year: options.log_year,
        file_modified: modified,
    };
    match import::import(&bytes, source, &import_options) {
        Ok(imported) => out.add(imported, rules, options),
        Err(error) => out
            .tally
            .problems
            .push(import_failed(&out.file, source, &error)),
    }
}

/// The file is not the format, or could not be read to its end.
fn import_failed(file: &Arc<Path>, source: Source, error: &import::ImportError) -> HistoryProblem {
    HistoryProblem {
        file: file.clone(),
        line: error.line().unwrap_or(1),
        problem: HistoryRowProblem::Import {
            format: source.name(),
            message: error.to_string(),
        },
        whole_file: true,
    }
}

/// Where one file's events go.
pub(super) enum Sink<'s> {
    /// Each event handed on, in file order.
    Each(&'s mut dyn FnMut(Event)),
    /// The events added up per address, a piece at a time in file order: a file's events
    /// are not kept past their piece. (Sums made apart and merged cost two map inserts an
    /// event, and a map a piece.)
    Sum { sums: History, latest: UnixSeconds },
}

/// What a file, or a piece of it, is said to hold: rows read, events handed on, problems, and
/// counted soft bounces without a date.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) rows: usize,
    events: usize,
    pub(super) problems: Vec<HistoryProblem>,
    undated_soft: usize,
}

impl Tally {
    /// Add a later piece's tally.
    fn add(&mut self, later: Tally) {
        self.rows += later.rows;
        self.events += later.events;
        self.undated_soft += later.undated_soft;
        self.problems.extend(later.problems);
    }
}

/// What a piece of a file read, on a core of its own: its tally, and its events in order.
pub(super) struct Piece {
    pub(super) tally: Tally,
    kept: Vec<Event>,
}

impl Piece {
    /// Take one event, or the problem that kept a row from being one.
    pub(super) fn take(&mut self, file: &Arc<Path>, result: Result<Event, HistoryProblem>) {
        let mut event = match result {
            Ok(event) => event,
            Err(problem) => return self.tally.problems.push(problem),
        };
        if let Some(warning) = event.warning.take() {
            self.tally.problems.push(HistoryProblem {
                file: file.clone(),
                line: event.line.max(1),
                problem: warning,
                whole_file: false,
            });
        }
        if event.action == Action::Count && event.time.is_none() {
            self.tally.undated_soft += 1;
        }
        self.tally.events += 1;
        self.kept.push(event);
    }
}

/// Where one file's events go, and what is said about the file.
pub(super) struct Outcome<'s> {
    pub(super) file: Arc<Path>,
    sink: Sink<'s>,
    pub(super) tally: Tally,
    auto_replies: usize,
    /// How many addresses the file may hold at most (its lines), when known.
    expected: usize,
}

impl<'s> Outcome<'s> {
    pub(super) fn new(file: Arc<Path>, sink: Sink<'s>) -> Outcome<'s> {
        Outcome {
            file,
            sink,
            tally: Tally::default(),
            auto_replies: 0,
            expected: 0,
        }
    }

    /// The file has at most `rows` rows, so at most that many addresses.
    pub(super) fn expect_rows(&mut self, rows: usize) {
        self.expected = rows;
    }

    /// An empty piece to read a part of the file into, with room for `rows`.
    pub(super) fn piece(&self, rows: usize) -> Piece {
        self.pieces()(rows)
    }

    /// What makes empty pieces, on any core.
    pub(super) fn pieces(&self) -> impl Fn(usize) -> Piece + Sync + use<> {
        |rows| Piece {
            tally: Tally::default(),
            kept: Vec::with_capacity(rows),
        }
    }

    /// Add what a piece read, the pieces taken in file order.
    pub(super) fn absorb(&mut self, piece: Piece) {
        self.tally.add(piece.tally);
        match &mut self.sink {
            Sink::Each(each) => piece.kept.into_iter().for_each(each),
            Sink::Sum { sums, latest } => {
                // Grown once to what the file may add, not doubled (and every key moved)
                // again and again as the pieces come.
                let room = self.expected.saturating_sub(sums.by_address.len());
                sums.by_address.reserve(room.max(piece.kept.len()));
                for event in piece.kept {
                    add_event(sums, event, *latest);
                }
            }
        }
    }

    /// The file could not be read at all: one whole-file problem says so, and nothing else.
    pub(super) fn whole_file(&mut self, problem: InputProblem) {
        self.tally.rows = 0;
        self.tally.problems = vec![HistoryProblem {
            file: self.file.clone(),
            line: 1,
            problem: HistoryRowProblem::BadInput { problem },
            whole_file: true,
        }];
    }

    /// Hand on the events read, in order; their warnings and the records that could not be
    /// used become problems.
    pub(super) fn take(&mut self, results: Vec<Result<Event, HistoryProblem>>) {
        let mut piece = self.piece(0);
        let file = self.file.clone();
        for result in results {
            piece.take(&file, result);
        }
        self.absorb(piece);
    }

    /// What an importer read (a whole file, or a batch of an mbox's messages), classified.
    fn add(&mut self, imported: Imported, rules: &RuleSet, options: HistoryOptions) {
        let file = self.file.clone();
        let source = imported.source;
        self.tally
            .problems
            .extend(imported.problems.iter().map(|problem| HistoryProblem {
                file: file.clone(),
                line: problem.line.max(1),
                problem: HistoryRowProblem::Import {
                    format: source.name(),
                    message: problem.to_string(),
                },
                whole_file: false,
            }));
        self.tally.rows += imported.events.len() + imported.problems.len();
        self.auto_replies += imported.auto_replies;
        let results = imported
            .events
            .par_iter()
            .map(|event| {
                let raw = RawBounce {
                    line: event.line,
                    address: event.address.trim(),
                    time: event.time,
                    reply: event.reply.and_then(ReplyCode::new),
                    enhanced: event.enhanced.as_deref().and_then(|code| code.parse().ok()),
                    text: &event.text,
                    source: Some(event.source),
                    source_verdict: Some(event.source_verdict.as_str()),
                    already_suppressed: event.already_suppressed,
                    command: event.command,
                    trace: event.trace.clone(),
                };
                classify_bounce(raw, rules, options, &file).map_err(|problem| HistoryProblem {
                    file: file.clone(),
                    line: event.line.max(1),
                    problem,
                    whole_file: false,
                })
            })
            .collect();
        self.take(results);
    }

    /// The problems in line order, then the undated soft bounces, said once a file: they are
    /// read, but the policy cannot weigh them.
    pub(super) fn finish(mut self) -> (FileSummary, Option<History>) {
        self.tally.problems.sort_by_key(|problem| problem.line);
        if self.tally.undated_soft > 0 {
            self.tally.problems.push(HistoryProblem {
                file: self.file.clone(),
                line: 0,
                problem: HistoryRowProblem::UndatedSoft {
                    count: self.tally.undated_soft,
                },
                whole_file: false,
            });
        }
        let summary = FileSummary {
            rows: self.tally.rows,
            events: self.tally.events,
            problems: self.tally.problems,
            auto_replies: self.auto_replies,
        };
        let sums = match self.sink {
            Sink::Each(_) => None,
            Sink::Sum { sums, .. } => Some(sums),
        };
        (summary, sums)
    }
}
