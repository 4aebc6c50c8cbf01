//! `bouncegate check`: runs the stages in order and returns the report.
//!
//! read lists -> check syntax -> (domain verdicts: the DNS stage slots in here) -> match bounce
//! history -> apply rules and policy -> report. Lists are read and checked in parallel with
//! the loading of the history; each list is read once.

use std::path::{Path, PathBuf};
use std::time::Instant;

use globset::GlobSet;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_128;

use crate::bounces::history::{self, HistoryOptions, UnixSeconds};
use crate::bounces::import::Source;
use crate::bounces::time::DateOrder;
use crate::changes::{self, ChangeScope};
use crate::config::Config;
use crate::domains::{self, DnsOptions};
use crate::error::Error;
use crate::gate::{self, KeySet, ListReport, Window};
use crate::globs::{self, Selector, glob_set};
use crate::lists::{self, ListFile, ReadOptions};
use crate::report::{HistorySummary, Report, ScopeSummary, Timings};
use crate::risk::{self, Knowledge, RiskReport};
use crate::shard::{
    self, InputHasher, InputHashes, Part, PlannedList, ShardInfo, ShardList, ShardSpec,
};
use crate::syntax::{self, CheckedCells};
use crate::walk::Walked;

/// What to check, beyond what rules.yaml says.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// List files or directories; empty: the `lists:` globs of rules.yaml, else `lists/`.
    pub paths: Vec<PathBuf>,
    /// History files or directories; empty: the `history:` globs, else `bounces/` if present.
    pub history: Vec<PathBuf>,
    pub read: ReadOptions,
    /// The end of the soft-bounce window; default: the newest history event.
    pub as_of: Option<UnixSeconds>,
    /// Check only the lists changed since this git revision, and judge the addresses the
    /// change adds on their own.
    pub changed_since: Option<String>,
    /// Read every history file as this format instead of detecting it.
    pub history_format: Option<Source>,
    /// When no list is found, pass over none instead of failing (`--allow-empty`).
    pub allow_empty: bool,
    /// The year of a syslog-stamped mail log's last line.
    pub log_year: Option<i32>,
    /// How to read slash dates in histories (`--date-order`).
    pub date_order: Option<DateOrder>,
    /// Check only this shard's share (`--shard K/N`).
    pub shard: Option<ShardOptions>,
}

/// `--shard K/N` and where lists start to be split by address.
#[derive(Debug, Clone, Copy)]
pub struct ShardOptions {
    pub spec: ShardSpec,
    pub split_above: u64,
}

impl CheckOptions {
    fn history_options(&self, config: &Config) -> HistoryOptions {
        HistoryOptions {
            syntax: config.syntax,
            format: self.history_format,
            log_year: self.log_year,
            all_evidence: false,
            date_order: self.date_order,
            now: None,
        }
    }
}

pub fn run(config: &Config, options: &CheckOptions) -> Result<Report, Error> {
    let exclude = glob_set("exclude", &config.exclude)?;
    // No list found is an error (a typo in a glob must not pass), unless allowed.
    let mut list_paths = match list_paths(config, options, &exclude) {
        Err(error) if options.allow_empty && error.is_no_list() => Walked::default(),
        found => found?,
    };
    let history_paths = history_paths(config, options)?;
    // Paths a walk left out (a symbolic link out of the repository, a FIFO) are reported.
    let mut skipped_paths = std::mem::take(&mut list_paths.skipped);
    skipped_paths.extend(history_paths.skipped);
    let mut list_paths = list_paths.files;
    let history_paths = history_paths.files;
    let scope = options
        .changed_since
        .as_deref()
        .map(changes::scope)
        .transpose()?;
    let mut unchanged = 0;
    // A change to what judges the lists (a history file, the rules file, and with it the
    // lists' globs) can change the verdict of every list: then every list is checked.
    let judged_anew = match &scope {
        Some(scope) => history_paths
            .iter()
            .chain(config.user_file.as_ref())
            .find(|path| scope.contains(path))
            .cloned()
            .or(deleted_judge(scope, config, options)?),
        None => None,
    };
    if let Some(scope) = &scope
        && judged_anew.is_none()
    {
        let before = list_paths.len();
        list_paths.retain(|path| scope.contains(path));
        unchanged = before - list_paths.len();
    }

    // A shard reads its own lists, and its share of the lists split by address.
    let plan = options
        .shard
        .map(|shard| shard::plan(&list_paths, shard.spec.count, shard.split_above));
    let all_list_paths = plan.as_ref().map(|_| list_paths.clone());
    let parts: Vec<Option<Part>> = match (&plan, options.shard) {
        (Some(plan), Some(shard)) => {
            list_paths = Vec::new();
            plan.iter()
                .filter(|planned| planned.part.reads(shard.spec.index))
                .map(|planned| {
                    list_paths.push(planned.path.clone());
                    Some(planned.part)
                })
                .collect()
        }
        _ => vec![None; list_paths.len()],
    };

    let started = Instant::now();
    let ((checked, domains, risk, lists_time), (history, history_time)) = rayon::join(
        || {
            let started = Instant::now();
            let checked = list_paths
                .par_iter()
                .zip(&parts)
                .map(|(path, part)| {
                    let mut list = lists::read_list(path, &options.read);
                    let mut cells =
                        syntax::check_cells(std::mem::take(&mut list.cells), config.syntax);
                    if let (Some(Part::Split { owner }), Some(shard)) = (part, options.shard) {
                        keep_share(&mut list, &mut cells, *owner, shard.spec);
                    }
                    let previous = scope
                        .as_ref()
                        .map(|scope| previous_keys(scope, path, &options.read, config));
                    (list, cells, previous)
                })
                .collect::<Vec<_>>();
            let risk = assess_risk(&checked, config);
            let lists_time = started.elapsed();
            // DNS waits on the network, not the CPU: it overlaps the history's parsing.
            let domains =
                domains::check_domains(unique_domains(&checked, &config.dns), &config.dns);
            (checked, domains, risk, lists_time)
        },
        || {
            let started = Instant::now();
            let history = history::load(
                &history_paths,
                &config.rules,
                options.history_options(config),
            );
            (history, started.elapsed())
        },
    );

    let window = options.as_of.or(history.newest).map(|end| Window {
        end_day: end.div_euclid(86_400),
        days: config.policy.soft_within_days,
    });
    let gate_started = Instant::now();
    let context = gate::Context {
        domains: &domains,
        history: &history,
        window,
        policy: &config.policy,
        risk: &risk,
    };
    let lists: Vec<ListReport> = checked
        .into_par_iter()
        .map(|(list, cells, previous)| gate::judge(&list, cells, previous.as_ref(), &context))
        .collect();
    let gate_time = gate_started.elapsed();

    let dns_ms = domains.elapsed_ms;
    let mut report = Report::new(
        lists,
        HistorySummary::new(history, window, &config.policy),
        domains,
        config.policy,
    );
    report.skipped_paths = skipped_paths;
    report.rules_file = config.user_file.clone();
    report.scope = scope.map(|scope| ScopeSummary {
        reference: scope.reference,
        base: scope.base,
        lists_changed: report.lists.len(),
        lists_unchanged: unchanged,
        all_lists_because: judged_anew,
    });
    report.timings = Timings {
        lists_ms: lists_time.as_millis(),
        dns_ms,
        history_ms: history_time.as_millis(),
        gate_ms: gate_time.as_millis(),
        total_ms: started.elapsed().as_millis(),
    };
    if let (Some(shard), Some(plan), Some(all_list_paths)) = (options.shard, plan, all_list_paths) {
        let inputs = input_hashes(config, options, &all_list_paths, &history_paths);
        report.shard = Some(Box::new(shard_info(&mut report, shard, plan, inputs)));
    }
    Ok(report)
}

/// Of a list split by address, the rows this shard checks; what belongs to no row (the
/// rows that could not be read, empty cells, the file's own problems) goes to the owner.
fn keep_share(list: &mut ListFile, cells: &mut CheckedCells, owner: u32, spec: ShardSpec) {
    cells.retain(|cell| shard::owns(cell.checked.key(), spec));
    if owner != spec.index {
        list.skips.clear();
        list.file_problem = None;
        list.other_email_column = None;
    }
}

/// The shard's section of its report; the address keys move there from the lists.
fn shard_info(
    report: &mut Report,
    shard: ShardOptions,
    plan: Vec<PlannedList>,
    inputs: InputHashes,
) -> ShardInfo {
    ShardInfo {
        index: shard.spec.index,
        count: shard.spec.count,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        split_above: shard.split_above,
        inputs,
        plan,
        lists: report
            .lists
            .iter_mut()
            .map(|list| ShardList {
                path: list.path.to_path_buf(),
                keys: std::mem::take(&mut list.keys),
                bouncing: std::mem::take(&mut list.bouncing_keys),
                blocked_addresses: list.blocked_addresses,
            })
            .collect(),
        history_bad_input: report.history.bad_input,
    }
}

/// What every shard of one run must agree on.
fn input_hashes(
    config: &Config,
    options: &CheckOptions,
    list_paths: &[PathBuf],
    history_paths: &[PathBuf],
) -> InputHashes {
    let mut rules = InputHasher::default();
    rules
        .piece(crate::config::render_effective(config).as_bytes())
        .piece(
            serde_json::to_string(&config.policy)
                .unwrap_or_default()
                .as_bytes(),
        )
        .piece(format!("{:?}", config.syntax).as_bytes())
        .piece(&[u8::from(config.dns.offline)])
        .piece(format!("{:?}", options.read.column).as_bytes());
    let mut lists = InputHasher::default();
    lists.piece(format!("{:?}", options.changed_since).as_bytes());
    for path in list_paths {
        lists.file(path);
    }
    let mut history = InputHasher::default();
    history.piece(
        format!(
            "{:?} {:?} {:?} {:?}",
            options.as_of, options.history_format, options.log_year, options.date_order
        )
        .as_bytes(),
    );
    for path in history_paths {
        history.file(path);
    }
    InputHashes {
        rules: rules.finish(),
        history: history.finish(),
        lists: lists.finish(),
    }
}

/// A history file or rules file the change deleted: the events it held no longer count, so
/// every list is judged anew, as for a changed one.
fn deleted_judge(
    scope: &ChangeScope,
    config: &Config,
    options: &CheckOptions,
) -> Result<Option<PathBuf>, Error> {
    let history = Selector::new("history", &config.history, &config.base_dir, "bounces")?;
    let named: Vec<PathBuf> = options
        .history
        .iter()
        .map(|path| path.strip_prefix(".").unwrap_or(path).to_path_buf())
        .collect();
    let rules_file = config.base_dir.join(crate::config::RULES_FILE_NAME);
    Ok(scope
        .deleted
        .iter()
        .find(|path| {
            let was_history = if named.is_empty() {
                history.matches(path)
            } else {
                named.iter().any(|history| path.starts_with(history))
            };
            was_history
                || globs::below(path, &config.base_dir)
                    == globs::below(&rules_file, &config.base_dir)
        })
        .cloned())
}

/// The keys of a list at the base revision (none when the file is new there).
fn previous_keys(scope: &ChangeScope, path: &Path, read: &ReadOptions, config: &Config) -> KeySet {
    let Some(bytes) = changes::old_version(scope, path) else {
        return KeySet::default();
    };
    let mut list = lists::read_list_bytes(path, &bytes, read);
    syntax::check_cells(std::mem::take(&mut list.cells), config.syntax)
        .view()
        .iter()
        .map(|cell| cell.checked.key().into())
        .collect()
}

type Checked = (ListFile, CheckedCells, Option<KeySet>);

/// The risk stage: each distinct domain of a valid address judged once.
fn assess_risk(checked: &[Checked], config: &Config) -> RiskReport {
    let (knowledge, seen) = rayon::join(
        || Knowledge::new(&config.risk),
        || {
            checked
                .par_iter()
                // A few big chunks: each chunk's set holds most of the domains again.
                .flat_map(|(_, cells, _)| {
                    let chunk = (cells.len() / (2 * rayon::current_num_threads())).max(65_536);
                    cells.view().par_chunks(chunk)
                })
                .map(|chunk| {
                    // Known by a 128-bit hash of the text (xxh3, as address keys are: two
                    // domains share one with a chance of about 2^-128): a lookup compares
                    // numbers in a small table, not text wherever the list put it.
                    let mut seen: foldhash::HashMap<u128, &str> = foldhash::HashMap::default();
                    for cell in chunk.iter() {
                        if let syntax::Checked::Valid(address) = cell.checked {
                            let domain = address.domain();
                            seen.entry(xxh3_128(domain.as_bytes())).or_insert(domain);
                        }
                    }
                    seen
                })
                .reduce(foldhash::HashMap::default, |mut a, b| {
                    a.extend(b);
                    a
                })
        },
    );
    risk::assess(knowledge, seen.into_values().collect::<Vec<_>>())
}

/// Each domain of a valid address once, for the DNS stage (none when offline).
fn unique_domains(checked: &[Checked], dns: &DnsOptions) -> Vec<String> {
    if dns.offline {
        return Vec::new();
    }
    let mut seen: foldhash::HashSet<&str> = foldhash::HashSet::default();
    for (_, cells, _) in checked {
        for cell in cells.view().iter() {
            if let syntax::Checked::Valid(address) = cell.checked {
                seen.insert(address.domain());
            }
        }
    }
    let mut domains: Vec<String> = seen.into_iter().map(str::to_owned).collect();
    domains.sort_unstable();
    domains
}

fn list_paths(config: &Config, options: &CheckOptions, exclude: &GlobSet) -> Result<Walked, Error> {
    if !options.paths.is_empty() {
        return lists::discover(&options.paths, exclude);
    }
    if !config.lists.is_empty() {
        let found = lists::glob_files(
            &config.base_dir,
            &glob_set("lists", &config.lists)?,
            exclude,
        );
        if found.files.is_empty() {
            return Err(Error::NoListMatches {
                globs: config.lists.join(", "),
            });
        }
        return Ok(found);
    }
    let default = config.base_dir.join("lists");
    if default.is_dir() {
        return lists::discover(&[clean_dot(default)], exclude);
    }
    Err(Error::NothingToCheck)
}

fn history_paths(config: &Config, options: &CheckOptions) -> Result<Walked, Error> {
    if !options.history.is_empty() {
        return history::discover(&options.history);
    }
    if !config.history.is_empty() {
        let none = GlobSet::empty();
        let found = lists::glob_files(
            &config.base_dir,
            &glob_set("history", &config.history)?,
            &none,
        );
        if found.files.is_empty() {
            // A typo in a glob must not pass as "no bounce ever happened".
            return Err(Error::BadOption {
                option: "history",
                value: config.history.join(", "),
                expected: "the `history:` globs of rules.yaml match no file".to_owned(),
            });
        }
        return Ok(found);
    }
    let default = config.base_dir.join("bounces");
    if default.is_dir() {
        return history::discover(&[clean_dot(default)]);
    }
    Ok(Walked::default())
}

/// `./lists` -> `lists`: paths in the report read as the user would write them.
fn clean_dot(path: PathBuf) -> PathBuf {
    path.strip_prefix(".")
        .map_or(path.clone(), Path::to_path_buf)
}
