//! The `bouncegate` command: parses arguments and calls the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

mod cli;
use cli::args::{
    CheckArgs, Cli, Command, ExplainArgs, ExplainFormat, FixArgs, HistoryCommand, ImportArgs,
    InputArgs, MergeArgs, RulesArg,
};
use cli::output::{
    self, OutputArgs, append_github_files, in_github_actions, print_data, print_out,
};

/// The check allocates a few strings per address on all cores; glibc's allocator spends a
/// quarter of a 1M-row run in malloc and free (see BENCHMARKS.md), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bouncegate::bounces::history::{HistoryOptions, format_day, parse_time};
use bouncegate::bounces::history_csv;
use bouncegate::check::{self, CheckOptions, ShardOptions};
use bouncegate::config::{self, Config, Rate, Seconds};
use bouncegate::error::Error;
use bouncegate::explain::{self, Explanation};
use bouncegate::fix;
use bouncegate::lists::ReadOptions;
use bouncegate::precommit::{self, Staged};
use bouncegate::progress;
use bouncegate::report::{Report, github};
use bouncegate::shard::{self, ShardSpec};
use bouncegate::{changes, lists};
use bouncegate::{merge, shown};

fn main() -> ExitCode {
    let cli = Cli::parse();
    bouncegate::end_after_run();
    let result = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Merge(args) => run_merge(*args),
        Command::PreCommit(args) => run_pre_commit(args),
        Command::Fix(args) => run_fix(args),
        Command::History {
            command: HistoryCommand::Import(args),
        } => run_import(args),
        Command::Explain(args) => run_explain(args),
        Command::Rules { schema, rules } => {
            if schema {
                print_out(&config::json_schema());
                Ok(0)
            } else {
                load_config(&rules).map(|config| {
                    print_out(&config::render_effective(&config));
                    0
                })
            }
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("bouncegate: error: {}", shown::lines(&error.to_string()));
            if in_github_actions() {
                let location = error.location();
                let said = github::run_error(
                    &error.to_string(),
                    location
                        .as_ref()
                        .map(|(path, line)| (path.as_path(), *line)),
                );
                eprint!("{}", said.annotation);
                append_github_files([
                    ("GITHUB_STEP_SUMMARY", said.summary),
                    ("GITHUB_OUTPUT", said.outputs),
                ]);
            }
            ExitCode::from(2)
        }
    }
}

fn load_config(arg: &RulesArg) -> Result<Config, Error> {
    let found = match &arg.rules {
        Some(path) => Some(path.clone()),
        None => config::discover_rules_file(Path::new(".")),
    };
    Ok(config::load(found.as_deref())?)
}

/// The config and options `check` and `fix` share; `None` when --files-from named nothing.
fn prepare(args: &InputArgs) -> Result<Option<(Config, CheckOptions)>, Error> {
    let mut config = load_config(&args.rules)?;
    config.syntax.allow_quoted_local |= args.allow_quoted_local;
    config.syntax.allow_domain_literal |= args.allow_domain_literal;
    config.syntax.case_sensitive_local |= args.case_sensitive_local;
    let dns = &mut config.dns;
    dns.offline |= args.offline;
    if !args.nameserver.is_empty() {
        dns.nameservers = args.nameserver.iter().map(|server| server.0).collect();
    }
    if let Some(seconds) = args.dns_timeout {
        dns.timeout = Seconds::new(seconds)
            .map_err(|expected| Error::BadOption {
                option: "--dns-timeout",
                value: seconds.to_string(),
                expected,
            })?
            .duration();
    }
    if let Some(attempts) = args.dns_attempts {
        dns.attempts = usize::from(attempts);
    }
    if let Some(concurrency) = args.dns_concurrency {
        dns.concurrency = concurrency as usize;
    }
    if args.dns_cache.is_some() {
        dns.cache_file = args.dns_cache.clone();
    }
    dns.progress = !args.quiet && progress::allowed();
    let as_of = match &args.as_of {
        Some(value) => Some(parse_time(value).ok_or_else(|| Error::BadOption {
            option: "--as-of",
            value: value.clone(),
            expected: "a date such as 2026-03-02 or an RFC 3339 time".to_owned(),
        })?),
        None => None,
    };
    let mut paths = args.paths.clone();
    if let Some(source) = &args.files_from {
        // A changed-file list names deleted files and files that are no lists (README.md):
        // only existing list files are checked.
        let (lists, others): (Vec<PathBuf>, Vec<PathBuf>) = changes::read_file_list(source)?
            .into_iter()
            .partition(|path| path.is_file() && lists::has_list_extension(path));
        if !others.is_empty() && !args.quiet {
            eprintln!(
                "bouncegate: --files-from: {} paths that are not existing .csv, .tsv or .txt files left out",
                others.len()
            );
        }
        paths.extend(lists);
        if paths.is_empty() {
            // Nothing to check is a pass, not "check the default lists".
            print_out("bouncegate: --files-from named no file: nothing to check\n");
            return Ok(None);
        }
    }
    let options = CheckOptions {
        paths,
        changed_since: args.changed_since.clone(),
        allow_empty: args.allow_empty,
        history_format: args.history_format,
        log_year: args.log_year,
        date_order: args.date_order,
        history: args.history.clone(),
        read: ReadOptions {
            column: args.column.clone(),
            spans: false,
        },
        as_of,
        shard: None,
    };
    Ok(Some((config, options)))
}

fn run_pre_commit(mut args: Box<CheckArgs>) -> Result<u8, Error> {
    let config = load_config(&args.input.rules)?;
    let given = args.input.paths.len();
    match precommit::select(&config, &args.input.paths)? {
        Staged::Nothing => {
            println!(
                "bouncegate: none of the {given} files is a list, a bounce history or the rules file: nothing to check"
            );
            return Ok(0);
        }
        Staged::AllLists { because } => {
            println!(
                "bouncegate: {} changed: checking every list",
                shown::path(&because)
            );
            args.input.paths.clear();
        }
        Staged::Lists(lists) => args.input.paths = lists,
    }
    run_check(args)
}

fn run_check(args: Box<CheckArgs>) -> Result<u8, Error> {
    let Some((mut config, mut options)) = prepare(&args.input)? else {
        return Ok(0);
    };
    if let Some(rate) = args.max_bounce_rate {
        config.policy.max_bounce_rate = Rate::new(rate)
            .map_err(|expected| Error::BadOption {
                option: "--max-bounce-rate",
                value: rate.to_string(),
                expected,
            })?
            .value();
    }
    options.shard = args.shard.map(|spec| ShardOptions {
        spec,
        split_above: args.split_above.unwrap_or(shard::DEFAULT_SPLIT_ABOVE),
    });
    let report = check::run(&config, &options)?;
    if let Some(spec) = args.shard {
        return write_shard_report(&report, spec, &args.output);
    }
    output::write_report_files(&report, &args.output)?;
    if let Some(dir) = &args.write_clean {
        let written = fix::write_clean_copies(&report, dir, &options.read, &today())?;
        eprintln!(
            "bouncegate: {written} cleaned list copies written under {}",
            shown::path(dir)
        );
    }
    if let Some(path) = &args.write_suppressions {
        let count = fix::write_suppression_import(&report, path, &options.read)?;
        eprintln!(
            "bouncegate: {count} addresses to suppress written to {}",
            shown::path(path)
        );
    }
    output::print_report(&report, &args.output, args.input.quiet);
    let code = report.exit_code as u8;
    // Freeing a million-address report one string at a time takes longer than the process
    // exit that reclaims it at once.
    std::mem::forget(report);
    Ok(code)
}

/// A shard's report is for `merge`, not for people: its verdict is of a share. It goes to
/// --report-file (else stdout), and stderr says what the shard checked.
fn write_shard_report(report: &Report, spec: ShardSpec, args: &OutputArgs) -> Result<u8, Error> {
    let written = match &args.report_file {
        Some(path) => {
            output::write_json_file(report, path)?;
            format!("report written to {}", shown::path(path))
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let _ = report.write_json(&mut out).and_then(|()| out.flush());
            "report on stdout".to_owned()
        }
    };
    let split = report.shard.as_deref().map_or(0, |info| {
        info.plan
            .iter()
            .filter(|p| matches!(p.part, shard::Part::Split { .. }))
            .count()
    });
    eprintln!(
        "bouncegate: shard {spec}: {} ({split} split by address), {} rows; {written}; `bouncegate merge` the {} shard reports for the verdict",
        bouncegate::finding::plural(report.lists.len(), "list"),
        report.totals.rows_read,
        spec.count
    );
    Ok(0)
}

fn run_merge(args: MergeArgs) -> Result<u8, Error> {
    let reports = merge::report_files(&args.reports)?
        .iter()
        .map(|path| Ok((path.clone(), merge::read_report(path)?)))
        .collect::<Result<Vec<_>, merge::MergeError>>()?;
    let report = merge::merge(reports)?;
    output::write_report_files(&report, &args.output)?;
    output::print_report(&report, &args.output, args.quiet);
    Ok(report.exit_code as u8)
}

fn run_fix(args: Box<FixArgs>) -> Result<u8, Error> {
    let Some((config, options)) = prepare(&args.input)? else {
        return Ok(0);
    };
    let report = check::run(&config, &options)?;
    let scope = if args.include_predicted {
        fix::Scope::HistoryAndPredicted
    } else {
        fix::Scope::History
    };
    let today = today();
    let mut out = String::new();
    // The suppression file may sit among the lists; it is never a list to fix.
    let suppressions = std::fs::canonicalize(&args.suppressions).ok();
    for (path, edits) in fix::plan(&report, scope, args.apply_suggestions) {
        if suppressions.is_some() && std::fs::canonicalize(&path).ok() == suppressions {
            out.push_str(&format!(
                "{}: not fixed: it is the suppression file\n",
                shown::path(&path)
            ));
            continue;
        }
        let fixed = fix::fix_file(&path, &edits, &options.read, &args.suppressions, &today)?;
        out.push_str(&fixed.lines(&args.suppressions));
    }
    for list in report
        .lists
        .iter()
        .filter(|l| l.verdict == bouncegate::gate::Verdict::BadInput)
    {
        out.push_str(&format!(
            "{}: not fixed: it could not be read in full (run `bouncegate check` to see why)\n",
            shown::path(&list.path)
        ));
    }
    if out.is_empty() {
        out.push_str(if args.apply_suggestions {
            "bouncegate: nothing to remove or correct\n"
        } else {
            "bouncegate: nothing to remove\n"
        });
    }
    print_data(&out);
    Ok(
        if report.verdict == bouncegate::report::RunVerdict::BadInput {
            2
        } else {
            0
        },
    )
}

fn run_import(args: ImportArgs) -> Result<u8, Error> {
    let config = load_config(&args.rules)?;
    let options = HistoryOptions {
        syntax: config.syntax,
        format: args.history_format,
        log_year: args.log_year,
        all_evidence: true,
        date_order: args.date_order,
        now: None,
    };
    let files = bouncegate::bounces::history::discover(&args.files)?;
    let summary = history_csv::import(&files.files, &args.out, &config.rules, options)?;
    let mut out = String::new();
    for skipped in &files.skipped {
        out.push_str(&format!(
            "{}: warning[skipped-path]: {}\n",
            shown::path(&skipped.path),
            shown::visible(&skipped.why)
        ));
    }
    let mut bad_input = false;
    for problem in &summary.problems {
        bad_input |= problem.whole_file;
        let line = if problem.line > 0 {
            format!(":{}", problem.line)
        } else {
            String::new()
        };
        let severity = if problem.whole_file {
            "error"
        } else {
            "warning"
        };
        out.push_str(&format!(
            "{}{line}: {severity}[{}]: {}\n",
            shown::path(&problem.file),
            problem.problem.code(),
            shown::visible(&problem.problem.to_string())
        ));
    }
    let auto_replies = match summary.auto_replies {
        0 => String::new(),
        n => format!("; {n} auto-replies left out"),
    };
    out.push_str(&format!(
        "{}: {} events from {} files: {} appended, {} already there{auto_replies}\n",
        shown::path(&args.out),
        summary.events,
        summary.files,
        summary.appended,
        summary.already_there
    ));
    print_data(&out);
    Ok(if bad_input { 2 } else { 0 })
}

/// Today, UTC, as `2026-11-27`: the date of suppressions that have no bounce date.
fn today() -> String {
    format_day(jiff::Timestamp::now().as_second())
}

fn run_explain(args: ExplainArgs) -> Result<u8, Error> {
    let config = load_config(&args.rules)?;
    let json = args.format == ExplainFormat::Json;
    let json_line = |explanation: &Explanation| {
        let mut line = serde_json::to_string(explanation).unwrap_or_default();
        line.push('\n');
        line
    };
    let Some(path) = args.file else {
        let explanation = Explanation::new(
            &config.rules,
            args.text.as_deref().unwrap_or_default(),
            None,
        );
        // A bounce text may hold a carriage return or an escape: shown, never acted on.
        print_out(&if json {
            json_line(&explanation)
        } else {
            shown::lines(&explanation.to_human()).into_owned()
        });
        return Ok(0);
    };
    let (explanations, bad_lines) = explain::explain_file(&config.rules, &path)?;
    let mut out = String::new();
    for explanation in &explanations {
        out.push_str(&if json {
            json_line(explanation)
        } else {
            explanation.to_row()
        });
    }
    print_out(&shown::lines(&out));
    for bad in &bad_lines {
        eprintln!(
            "bouncegate: error: {}:{}: {}: expected one bounce text per line; the line is skipped",
            shown::path(&path),
            bad.line,
            bad.why
        );
    }
    Ok(if bad_lines.is_empty() { 0 } else { 2 })
}
