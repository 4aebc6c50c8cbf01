//! The `bouncegate` command: parses arguments and calls the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod cli;
use cli::output::{
    self, OutputArgs, append_github_files, in_github_actions, print_data, print_out,
};

/// The check allocates a few strings per address on all cores; glibc's allocator spends a
/// quarter of a 1M-row run in malloc and free (see BENCHMARKS.md), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bouncegate::bounces::history::{HistoryOptions, format_day, parse_time};
use bouncegate::bounces::history_csv;
use bouncegate::bounces::import::{self, Source};
use bouncegate::bounces::time::DateOrder;
use bouncegate::check::{self, CheckOptions, ShardOptions};
use bouncegate::config::{self, Config, Nameserver, Rate, Seconds};
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

/// Gate changes to committed mailing lists on predicted hard bounces, historic hard bounces
/// and the projected bounce rate.
#[derive(Parser)]
#[command(version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check list files; exit 0 pass, 1 the gate failed, 2 usage, config or input error.
    Check(Box<CheckArgs>),
    /// Merge the JSON reports of `check --shard K/N` jobs into the report of one run: the
    /// verdict, totals, findings, exit code, annotations, job summary and SARIF of one
    /// unsharded check.
    Merge(Box<MergeArgs>),
    /// For pre-commit: of the FILES given (the staged ones), check the lists that the `lists:`
    /// globs of rules.yaml (else lists/) match; every list when a history file or the rules
    /// file is among them; nothing, and exit 0, when none is. Takes check's options.
    PreCommit(Box<CheckArgs>),
    /// Remove from the list files every address that must be suppressed (historic hard,
    /// repeated soft); the removed rows go to a suppression file first.
    Fix(Box<FixArgs>),
    /// Bounce histories: `history import` normalises providers' exports into the generic CSV.
    History {
        #[command(subcommand)]
        command: HistoryCommand,
    },
    /// Classify bounce texts: the codes found, the command, the reason, the action, the rule
    /// and the evidence that decided. Exit 2 when a line of --file is not text.
    Explain(ExplainArgs),
    /// Print the effective rules (the built-in ones with yours layered on top).
    Rules {
        /// Print the JSON Schema of rules.yaml instead.
        #[arg(long)]
        schema: bool,
        #[command(flatten)]
        rules: RulesArg,
    },
}

#[derive(Args)]
struct ExplainArgs {
    /// The bounce text, e.g. "550 5.1.1 <a@b.com>: Recipient address rejected: User unknown".
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    text: Option<String>,
    /// A file of bounce texts, one per line (`-`: standard input); blank lines are skipped.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// human: a labelled block (one text) or a row per line (--file); json: one JSON object
    /// per text, one per line.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    format: ExplainFormat,
    #[command(flatten)]
    rules: RulesArg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExplainFormat {
    Human,
    Json,
}

#[derive(Args)]
struct RulesArg {
    /// Your rules file, layered over the built-in rules [default: rules.yaml in the current
    /// directory, else in its parents up to the repository's root].
    #[arg(long, value_name = "PATH")]
    rules: Option<PathBuf>,
}

#[derive(Subcommand)]
enum HistoryCommand {
    /// Read bounce histories of any known format (SendGrid, Mailgun, Amazon SES, Postmark,
    /// Resend, Mailchimp, Mandrill, Brevo, Mailjet, SparkPost, Azure Communication Services,
    /// Postfix logs, bounce mails) and append them to the generic history CSV, leaving out the
    /// events it already holds.
    Import(ImportArgs),
}

#[derive(Args)]
struct ImportArgs {
    /// The files to read, or directories of them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The generic history CSV to append to.
    #[arg(long, value_name = "FILE", default_value = "bounces/history.csv")]
    out: PathBuf,
    /// Read every file as this format instead of detecting it.
    #[arg(long, value_name = "NAME", value_parser = parse_source)]
    history_format: Option<Source>,
    /// The year of the last line of a syslog-stamped mail log [default: the file's mtime].
    #[arg(long, value_name = "YEAR")]
    log_year: Option<i32>,
    /// How to read history dates written with slashes: mdy (03/04/2026 is 4 March) or dmy
    /// (3 April). Without it, a date that reads both ways is warned about and not used.
    #[arg(long, value_name = "ORDER")]
    date_order: Option<DateOrder>,
    #[command(flatten)]
    rules: RulesArg,
}

#[derive(Args)]
struct FixArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Also remove predicted hard bounces: bad syntax, domains that take no mail.
    #[arg(long)]
    include_predicted: bool,
    /// Also correct each typo of a big provider's domain to the suggestion (typo-domain:
    /// ann@gmial.com becomes ann@gmail.com), in place, and list each change.
    #[arg(long)]
    apply_suggestions: bool,
    /// The CSV the removed rows go to (address, reason, evidence, source, date).
    #[arg(long, value_name = "FILE", default_value = "suppressed.csv")]
    suppressions: PathBuf,
}

/// What `check` reports and how; `fix` writes lists, so it has none of these.
#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Check shard K of N only (a job of a CI matrix) and write its JSON report (to
    /// --report-file, else stdout) for `bouncegate merge`: lists go whole to the shards,
    /// balanced by size; a list over --split-above is split by address. Exit 0 once the
    /// report is written: the verdict is the merge's.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["format", "sarif_file", "write_clean", "write_suppressions"])]
    shard: Option<ShardSpec>,
    /// With --shard: split the lists larger than BYTES across the shards by address
    /// [default: 16777216, 16 MiB].
    #[arg(long, value_name = "BYTES", requires = "shard")]
    split_above: Option<u64>,
    /// Write cleaned copies of the lists under DIR (every address that fails the gate left
    /// out), for an import; the committed files stay as they are.
    #[arg(long, value_name = "DIR")]
    write_clean: Option<PathBuf>,
    /// Write the addresses to suppress at your email provider to FILE: a plain list for .txt,
    /// else a CSV with `email` and `reason`.
    #[arg(long, value_name = "FILE")]
    write_suppressions: Option<PathBuf>,
    /// Override policy.max_bounce_rate (a fraction: 0.02 is 2%).
    #[arg(long, value_name = "RATE")]
    max_bounce_rate: Option<f64>,
}

/// `merge`: the shards' reports in, one run's report out.
#[derive(Args)]
struct MergeArgs {
    /// The JSON reports the shards wrote (`check --shard K/N --report-file FILE`), one per
    /// shard, in any order; a directory stands for the .json files under it.
    #[arg(required = true, value_name = "REPORT")]
    reports: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Print errors and the summary only, no warnings.
    #[arg(long, short)]
    quiet: bool,
}

/// What `check` and `fix` read, and how.
#[derive(Args)]
struct InputArgs {
    /// List files, or directories walked for .csv, .tsv and .txt files [default: the `lists:`
    /// globs of rules.yaml, else lists/].
    paths: Vec<PathBuf>,
    #[command(flatten)]
    rules: RulesArg,
    /// Check only the lists changed since this git revision (e.g. origin/main), and fail
    /// when the addresses the change adds bounce over the limit on their own.
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,
    /// Read the list files to check from FILE (one per line, or NUL-separated), `-` for stdin.
    #[arg(long, value_name = "FILE")]
    files_from: Option<String>,
    /// Pass when no list is found (an empty directory, `lists:` globs that match nothing)
    /// instead of failing with exit code 2.
    #[arg(long)]
    allow_empty: bool,
    /// Read every history file as this format instead of detecting it (the names are in
    /// README.md's history table, such as sendgrid-csv, ses, postfix, dsn, resend-webhook,
    /// brevo-webhook).
    #[arg(long, value_name = "NAME", value_parser = parse_source)]
    history_format: Option<Source>,
    /// The year of the last line of a syslog-stamped mail log [default: the file's mtime].
    #[arg(long, value_name = "YEAR")]
    log_year: Option<i32>,
    /// How to read history dates written with slashes: mdy (03/04/2026 is 4 March) or dmy
    /// (3 April). Without it, a date that reads both ways is warned about and not used.
    #[arg(long, value_name = "ORDER")]
    date_order: Option<DateOrder>,
    /// Bounce history files or directories [default: the `history:` globs, else bounces/].
    #[arg(long, value_name = "PATH")]
    history: Vec<PathBuf>,
    /// The header of the email column [default: found by name: email, e-mail, mail, ...].
    #[arg(long, value_name = "NAME")]
    column: Option<String>,
    /// End the soft-bounce window on this date [default: the newest history event].
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Accept quoted local parts such as "john doe"@example.org.
    #[arg(long)]
    allow_quoted_local: bool,
    /// Accept IP address literals such as user@[192.0.2.1].
    #[arg(long)]
    allow_domain_literal: bool,
    /// Match local parts case-sensitively.
    #[arg(long)]
    case_sensitive_local: bool,
    /// No DNS: check syntax and history only.
    #[arg(long)]
    offline: bool,
    /// A name server to ask, IP[:PORT]; repeat for more [default: the system's resolver].
    #[arg(long, value_name = "IP[:PORT]")]
    nameserver: Vec<Nameserver>,
    /// Seconds one DNS question waits at most, its retries included [default: 3].
    #[arg(long, value_name = "SECONDS")]
    dns_timeout: Option<f64>,
    /// Retries of a DNS question, sent inside its timeout [default: 1].
    #[arg(long, value_name = "N")]
    dns_attempts: Option<u8>,
    /// Domains asked at once [default: 64]; as many again that have had no answer for a
    /// third of a second wait out their timeout aside, so silent domains do not hold up the
    /// others.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    dns_concurrency: Option<u32>,
    /// Keep definitive DNS answers in this file between runs.
    #[arg(long, value_name = "FILE")]
    dns_cache: Option<PathBuf>,
    /// Print errors and the summary only, no warnings.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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

fn parse_source(name: &str) -> Result<Source, String> {
    import::parse_format_name(name)
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
