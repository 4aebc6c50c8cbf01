//! `bouncegate merge`: the shards' reports (`check --shard K/N`) made into the report of one
//! run, with the verdict, totals, statistics and findings one unsharded run gives.
//!
//! A list checked whole by one shard is taken as that shard judged it. A list split by
//! address is added up from its parts (each address, with its duplicates, is in one part)
//! and concluded once, by the gate's own [`gate::conclude`]: its rates, its sender blocks,
//! whether it is empty, and its verdict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Reason};
use crate::gate::{self, ListReport, ListStats, Verdict};
use crate::report::{JSON_SCHEMA_VERSION, Report, Timings};
use crate::shard::{Part, ShardInfo};

/// Why shard reports cannot be merged. Each names the report file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: cannot be read: {}", crate::shown::path(path), source)]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: is not a bouncegate JSON report: {}; give the files `check --shard K/N --report-file FILE` wrote",
        crate::shown::path(path),
        detail
    )]
    NotJson { path: PathBuf, detail: String },
    #[error(
        "{}: is a report of schema version {}, this bouncegate reads {}: run the shards and the merge with one bouncegate version",
        crate::shown::path(path),
        found,
        JSON_SCHEMA_VERSION
    )]
    Schema { path: PathBuf, found: u64 },
    #[error(
        "{}: is the report of a whole run, not of a shard: it was written without --shard K/N",
        crate::shown::path(path)
    )]
    NotShard { path: PathBuf },
    #[error(
        "{}: was written by bouncegate {}, this is {}: run the shards and the merge with one version",
        crate::shown::path(path),
        found,
        ours
    )]
    Version {
        path: PathBuf,
        found: String,
        ours: &'static str,
    },
    #[error(
        "{}: is shard {} of {}, but {} is of {}: give the reports of one run",
        crate::shown::path(path),
        index,
        count,
        crate::shown::path(first),
        first_count
    )]
    Count {
        path: PathBuf,
        index: u32,
        count: u32,
        first: PathBuf,
        first_count: u32,
    },
    #[error(
        "{}: is shard {} of {} again ({} is too): give each shard once",
        crate::shown::path(path),
        index,
        count,
        crate::shown::path(other)
    )]
    Twice {
        path: PathBuf,
        other: PathBuf,
        index: u32,
        count: u32,
    },
    #[error(
        "shard {index} of {count} is missing: give all {count} shard reports (a failed matrix job writes none)"
    )]
    Missing { index: u32, count: u32 },
    #[error(
        "{}: was made from other {} than {}: every shard must check the same commit with the same options and rules",
        crate::shown::path(path),
        what,
        crate::shown::path(first)
    )]
    Inputs {
        path: PathBuf,
        first: PathBuf,
        what: &'static str,
    },
    #[error("no shard report given: give the files `check --shard K/N --report-file FILE` wrote")]
    Nothing,
    #[error(
        "{}: holds no .json file: give the directory the shards' reports were downloaded to",
        crate::shown::path(dir)
    )]
    EmptyDir { dir: PathBuf },
    #[error(
        "{}: lacks the list {}, which its plan gives to it: the report is cut or edited; run the shard again",
        crate::shown::path(path),
        crate::shown::path(list)
    )]
    Incomplete { path: PathBuf, list: PathBuf },
}

/// One shard's report, its section taken out.
struct Shard {
    path: PathBuf,
    report: Report,
    info: ShardInfo,
}

impl Shard {
    /// The list at `path`, with its keys back from the shard's section.
    fn list(&self, path: &Path) -> Option<ListReport> {
        let index = self.report.lists.iter().position(|l| *l.path == *path)?;
        let mut list = self.report.lists[index].clone();
        let keys = self.info.lists.get(index)?;
        list.keys = keys.keys.clone();
        list.bouncing_keys = keys.bouncing.clone();
        list.blocked_addresses = keys.blocked_addresses;
        Some(list)
    }
}

/// The report files named: a directory stands for the `.json` files under it (as
/// actions/download-artifact leaves a matrix's artifacts: a directory each), in path order.
pub fn report_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, MergeError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_file())
            .map(walkdir::DirEntry::into_path)
            .filter(|file| file.extension().is_some_and(|ext| ext == "json"))
            .collect();
        if found.is_empty() {
            return Err(MergeError::EmptyDir { dir: path.clone() });
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Read one shard report.
pub fn read_report(path: &Path) -> Result<Report, MergeError> {
    let text = std::fs::read(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let not_json = |detail: String| MergeError::NotJson {
        path: path.to_path_buf(),
        detail,
    };
    // The version first: a report of another schema fails on that, not on a missing field.
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: Option<u64>,
    }
    let version: Version =
        serde_json::from_slice(&text).map_err(|error| not_json(error.to_string()))?;
    match version.schema_version {
        Some(found) if found == u64::from(JSON_SCHEMA_VERSION) => {}
        Some(found) => {
            return Err(MergeError::Schema {
                path: path.to_path_buf(),
                found,
            });
        }
        None => return Err(not_json("it has no schema_version".to_owned())),
    }
    serde_json::from_slice(&text).map_err(|error| not_json(error.to_string()))
}

/// Merge the reports (each with the file it was read from) into the report of one run.
pub fn merge(reports: Vec<(PathBuf, Report)>) -> Result<Report, MergeError> {
    let shards = check_shards(reports)?;
    let first = &shards[0];
    let policy = first.report.policy;

    let mut lists = Vec::with_capacity(first.info.plan.len());
    for planned in &first.info.plan {
        let list = match planned.part {
            Part::Whole { shard } => {
                let shard = &shards[shard as usize - 1];
                shard
                    .list(&planned.path)
                    .ok_or_else(|| MergeError::Incomplete {
                        path: shard.path.clone(),
                        list: planned.path.clone(),
                    })?
            }
            Part::Split { .. } => {
                let parts = shards
                    .iter()
                    .map(|shard| {
                        shard
                            .list(&planned.path)
                            .ok_or_else(|| MergeError::Incomplete {
                                path: shard.path.clone(),
                                list: planned.path.clone(),
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                gate::conclude(add_up(parts), &policy)
            }
        };
        lists.push(list);
    }

    let mut history = first.report.history.clone();
    history.bad_input = first.info.history_bad_input;
    let mut dns = first.report.dns.clone();
    for shard in &shards[1..] {
        let other = &shard.report.dns;
        dns.domains.extend(
            other
                .domains
                .iter()
                .map(|(domain, check)| (domain.clone(), check.clone())),
        );
        dns.mx_hosts += other.mx_hosts;
        dns.elapsed_ms = dns.elapsed_ms.max(other.elapsed_ms);
        dns.no_nameserver |= other.no_nameserver;
        for note in &other.notes {
            if !dns.notes.contains(note) {
                dns.notes.push(note.clone());
            }
        }
    }
    // A domain two shards asked counts once, as in one run.
    dns.from_cache = dns.domains.values().filter(|check| check.cached).count();
    dns.looked_up = dns.domains.len() - dns.from_cache;

    let mut merged = Report::new(lists, history, dns, policy);
    merged.scope = first.report.scope.clone().map(|mut scope| {
        scope.lists_changed = merged.lists.len();
        scope
    });
    merged.skipped_paths = first.report.skipped_paths.clone();
    merged.rules_file = first.report.rules_file.clone();
    // The stages' times of the slowest shard: how long the matrix waited for each.
    merged.timings = shards.iter().fold(Timings::default(), |t, shard| {
        let r = &shard.report.timings;
        Timings {
            lists_ms: t.lists_ms.max(r.lists_ms),
            dns_ms: t.dns_ms.max(r.dns_ms),
            history_ms: t.history_ms.max(r.history_ms),
            gate_ms: t.gate_ms.max(r.gate_ms),
            total_ms: t.total_ms.max(r.total_ms),
        }
    });
    Ok(merged)
}

/// Every report is a shard of one run of this version, each shard once, all of the same
/// inputs; in shard order.
fn check_shards(reports: Vec<(PathBuf, Report)>) -> Result<Vec<Shard>, MergeError> {
    let mut by_index: BTreeMap<u32, Shard> = BTreeMap::new();
    for (path, mut report) in reports {
        let Some(info) = report.shard.take() else {
            return Err(MergeError::NotShard { path });
        };
        let info = *info;
        if info.version != env!("CARGO_PKG_VERSION") {
            return Err(MergeError::Version {
                found: info.version,
                path,
                ours: env!("CARGO_PKG_VERSION"),
            });
        }
        if let Some(first) = by_index.values().next() {
            if info.count != first.info.count {
                return Err(MergeError::Count {
                    index: info.index,
                    count: info.count,
                    first: first.path.clone(),
                    first_count: first.info.count,
                    path,
                });
            }
            let (ours, theirs) = (&info.inputs, &first.info.inputs);
            let differs = [
                ("rules", ours.rules != theirs.rules),
                ("bounce histories", ours.history != theirs.history),
                (
                    "lists",
                    ours.lists != theirs.lists
                        || info.split_above != first.info.split_above
                        || info.plan != first.info.plan,
                ),
            ];
            if let Some((what, _)) = differs.into_iter().find(|(_, differs)| *differs) {
                return Err(MergeError::Inputs {
                    path,
                    first: first.path.clone(),
                    what,
                });
            }
        }
        if let Some(other) = by_index.get(&info.index) {
            return Err(MergeError::Twice {
                other: other.path.clone(),
                index: info.index,
                count: info.count,
                path,
            });
        }
        by_index.insert(info.index, Shard { path, report, info });
    }
    let count = by_index
        .values()
        .next()
        .ok_or(MergeError::Nothing)?
        .info
        .count;
    if let Some(index) = (1..=count).find(|index| !by_index.contains_key(index)) {
        return Err(MergeError::Missing { index, count });
    }
    Ok(by_index.into_values().collect())
}

/// The parts of a split list added up: counts, keys and row findings; a domain's findings
/// (one per domain in each part) become one.
fn add_up(parts: Vec<ListReport>) -> ListReport {
    let mut parts = parts.into_iter().map(unconcluded);
    let Some(mut sum) = parts.next() else {
        return ListReport {
            path: std::sync::Arc::from(Path::new("")),
            verdict: Verdict::Pass,
            stats: ListStats::default(),
            findings: Vec::new(),
            keys: Default::default(),
            bouncing_keys: Default::default(),
            blocked_addresses: 0,
        };
    };
    let mut domain_findings: foldhash::HashMap<String, usize> = sum
        .findings
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((domain_of(f)?.to_owned(), i)))
        .collect();
    for part in parts {
        if part.verdict == Verdict::BadInput {
            sum.verdict = Verdict::BadInput;
        }
        sum.stats.add(&part.stats);
        sum.keys.extend(part.keys);
        sum.bouncing_keys.extend(part.bouncing_keys);
        sum.blocked_addresses += part.blocked_addresses;
        for finding in part.findings {
            let known = domain_of(&finding).and_then(|d| domain_findings.get(d).copied());
            match (known, domain_of(&finding).map(str::to_owned)) {
                (Some(i), _) => join_domain_findings(&mut sum.findings[i], finding),
                (None, Some(domain)) => {
                    domain_findings.insert(domain, sum.findings.len());
                    sum.findings.push(finding);
                }
                (None, None) => sum.findings.push(finding),
            }
        }
    }
    sum
}

/// A shard's part of a split list, without what the shard concluded about its part alone.
fn unconcluded(mut part: ListReport) -> ListReport {
    part.findings.retain(|f| !gate::is_conclusion(&f.reason));
    if part.verdict != Verdict::BadInput {
        part.verdict = Verdict::Pass;
    }
    part
}

fn domain_of(finding: &Finding) -> Option<&str> {
    match &finding.reason {
        Reason::Domain { domain, .. } => Some(domain),
        _ => None,
    }
}

/// One domain's finding from two parts: at the first line of both, with every line.
fn join_domain_findings(existing: &mut Finding, other: Finding) {
    let (
        Reason::Domain {
            addresses, lines, ..
        },
        Reason::Domain {
            addresses: more,
            lines: other_lines,
            ..
        },
    ) = (&mut existing.reason, other.reason)
    else {
        return;
    };
    *addresses += more;
    if other.line < existing.line {
        existing.line = other.line;
        existing.address = other.address;
    }
    lines.extend(other_lines);
    lines.sort_unstable();
}
