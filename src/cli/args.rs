//! The command line: the clap definitions of `bouncegate`'s commands, their arguments and
//! options, which `src/main.rs` parses and hands to the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use bouncegate::bounces::import::{self, Source};
use bouncegate::bounces::time::DateOrder;
use bouncegate::config::Nameserver;
use bouncegate::shard::ShardSpec;

use super::output::OutputArgs;

/// Gate changes to committed mailing lists on predicted hard bounces, historic hard bounces
/// and the projected bounce rate.
#[derive(Parser)]
#[command(version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
pub struct ExplainArgs {
    /// The bounce text, e.g. "550 5.1.1 <a@b.com>: Recipient address rejected: User unknown".
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    pub text: Option<String>,
    /// A file of bounce texts, one per line (`-`: standard input); blank lines are skipped.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// human: a labelled block (one text) or a row per line (--file); json: one JSON object
    /// per text, one per line.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub rules: RulesArg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Human,
    Json,
}

#[derive(Args)]
pub struct RulesArg {
    /// Your rules file, layered over the built-in rules [default: rules.yaml in the current
    /// directory, else in its parents up to the repository's root].
    #[arg(long, value_name = "PATH")]
    pub rules: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum HistoryCommand {
    /// Read bounce histories of any known format (SendGrid, Mailgun, Amazon SES, Postmark,
    /// Resend, Mailchimp, Mandrill, Brevo, Mailjet, SparkPost, Azure Communication Services,
    /// Postfix logs, bounce mails) and append them to the generic history CSV, leaving out the
    /// events it already holds.
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// The files to read, or directories of them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The generic history CSV to append to.
    #[arg(long, value_name = "FILE", default_value = "bounces/history.csv")]
    pub out: PathBuf,
    /// Read every file as this format instead of detecting it.
    #[arg(long, value_name = "NAME", value_parser = parse_source)]
    pub history_format: Option<Source>,
    /// The year of the last line of a syslog-stamped mail log [default: the file's mtime].
    #[arg(long, value_name = "YEAR")]
    pub log_year: Option<i32>,
    /// How to read history dates written with slashes: mdy (03/04/2026 is 4 March) or dmy
    /// (3 April). Without it, a date that reads both ways is warned about and not used.
    #[arg(long, value_name = "ORDER")]
    pub date_order: Option<DateOrder>,
    #[command(flatten)]
    pub rules: RulesArg,
}

#[derive(Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Also remove predicted hard bounces: bad syntax, domains that take no mail.
    #[arg(long)]
    pub include_predicted: bool,
    /// Also correct each typo of a big provider's domain to the suggestion (typo-domain:
    /// ann@gmial.com becomes ann@gmail.com), in place, and list each change.
    #[arg(long)]
    pub apply_suggestions: bool,
    /// The CSV the removed rows go to (address, reason, evidence, source, date).
    #[arg(long, value_name = "FILE", default_value = "suppressed.csv")]
    pub suppressions: PathBuf,
}

/// What `check` reports and how; `fix` writes lists, so it has none of these.
#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Check shard K of N only (a job of a CI matrix) and write its JSON report (to
    /// --report-file, else stdout) for `bouncegate merge`: lists go whole to the shards,
    /// balanced by size; a list over --split-above is split by address. Exit 0 once the
    /// report is written: the verdict is the merge's.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["format", "sarif_file", "write_clean", "write_suppressions"])]
    pub shard: Option<ShardSpec>,
    /// With --shard: split the lists larger than BYTES across the shards by address
    /// [default: 16777216, 16 MiB].
    #[arg(long, value_name = "BYTES", requires = "shard")]
    pub split_above: Option<u64>,
    /// Write cleaned copies of the lists under DIR (every address that fails the gate left
    /// out), for an import; the committed files stay as they are.
    #[arg(long, value_name = "DIR")]
    pub write_clean: Option<PathBuf>,
    /// Write the addresses to suppress at your email provider to FILE: a plain list for .txt,
    /// else a CSV with `email` and `reason`.
    #[arg(long, value_name = "FILE")]
    pub write_suppressions: Option<PathBuf>,
    /// Override policy.max_bounce_rate (a fraction: 0.02 is 2%).
    #[arg(long, value_name = "RATE")]
    pub max_bounce_rate: Option<f64>,
}

/// `merge`: the shards' reports in, one run's report out.
#[derive(Args)]
pub struct MergeArgs {
    /// The JSON reports the shards wrote (`check --shard K/N --report-file FILE`), one per
    /// shard, in any order; a directory stands for the .json files under it.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Print errors and the summary only, no warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// What `check` and `fix` read, and how.
#[derive(Args)]
pub struct InputArgs {
    /// List files, or directories walked for .csv, .tsv and .txt files [default: the `lists:`
    /// globs of rules.yaml, else lists/].
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RulesArg,
    /// Check only the lists changed since this git revision (e.g. origin/main), and fail
    /// when the addresses the change adds bounce over the limit on their own.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Read the list files to check from FILE (one per line, or NUL-separated), `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<String>,
    /// Pass when no list is found (an empty directory, `lists:` globs that match nothing)
    /// instead of failing with exit code 2.
    #[arg(long)]
    pub allow_empty: bool,
    /// Read every history file as this format instead of detecting it (the names are in
    /// README.md's history table, such as sendgrid-csv, ses, postfix, dsn, resend-webhook,
    /// brevo-webhook).
    #[arg(long, value_name = "NAME", value_parser = parse_source)]
    pub history_format: Option<Source>,
    /// The year of the last line of a syslog-stamped mail log [default: the file's mtime].
    #[arg(long, value_name = "YEAR")]
    pub log_year: Option<i32>,
    /// How to read history dates written with slashes: mdy (03/04/2026 is 4 March) or dmy
    /// (3 April). Without it, a date that reads both ways is warned about and not used.
    #[arg(long, value_name = "ORDER")]
    pub date_order: Option<DateOrder>,
    /// Bounce history files or directories [default: the `history:` globs, else bounces/].
    #[arg(long, value_name = "PATH")]
    pub history: Vec<PathBuf>,
    /// The header of the email column [default: found by name: email, e-mail, mail, ...].
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,
    /// End the soft-bounce window on this date [default: the newest history event].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Accept quoted local parts such as "john doe"@example.org.
    #[arg(long)]
    pub allow_quoted_local: bool,
    /// Accept IP address literals such as user@[192.0.2.1].
    #[arg(long)]
    pub allow_domain_literal: bool,
    /// Match local parts case-sensitively.
    #[arg(long)]
    pub case_sensitive_local: bool,
    /// No DNS: check syntax and history only.
    #[arg(long)]
    pub offline: bool,
    /// A name server to ask, IP[:PORT]; repeat for more [default: the system's resolver].
    #[arg(long, value_name = "IP[:PORT]")]
    pub nameserver: Vec<Nameserver>,
    /// Seconds one DNS question waits at most, its retries included [default: 3].
    #[arg(long, value_name = "SECONDS")]
    pub dns_timeout: Option<f64>,
    /// Retries of a DNS question, sent inside its timeout [default: 1].
    #[arg(long, value_name = "N")]
    pub dns_attempts: Option<u8>,
    /// Domains asked at once [default: 64]; as many again that have had no answer for a
    /// third of a second wait out their timeout aside, so silent domains do not hold up the
    /// others.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub dns_concurrency: Option<u32>,
    /// Keep definitive DNS answers in this file between runs.
    #[arg(long, value_name = "FILE")]
    pub dns_cache: Option<PathBuf>,
    /// Print errors and the summary only, no warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_source(name: &str) -> Result<Source, String> {
    import::parse_format_name(name)
}
