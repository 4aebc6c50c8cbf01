//! How `check` and `merge` give their report: the format on stdout, the report files, and
//! inside GitHub Actions the annotations, job summary and step outputs.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use bouncegate::error::Error;
use bouncegate::report::{DEFAULT_MAX_FINDINGS, HumanOptions, Report};
use bouncegate::report::{github, sarif};
use bouncegate::shown;

/// What a report is written as, and where.
#[derive(Args)]
pub struct OutputArgs {
    /// The report format [default: human; github inside GitHub Actions].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub report_file: Option<PathBuf>,
    /// Also write a SARIF report to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif_file: Option<PathBuf>,
    /// In the human report, print at most N findings of one code in one file, then one line
    /// with how many more and their first lines; 0 prints all. The JSON and SARIF reports,
    /// the summary and the annotations always count every finding.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_FINDINGS)]
    pub max_findings: usize,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings grouped by file, then a summary per list.
    Human,
    /// The versioned JSON report (docs/report-schema.md).
    Json,
    /// The human report plus GitHub workflow annotations (the default inside GitHub Actions).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The JSON report and the SARIF log to the files asked for; inside GitHub Actions, the job
/// summary and the step outputs too.
pub fn write_report_files(report: &Report, args: &OutputArgs) -> Result<(), Error> {
    if let Some(path) = &args.report_file {
        write_json_file(report, path)?;
    }
    if let Some(path) = &args.sarif_file {
        write_file(path, sarif::sarif(report).as_bytes())?;
    }
    if in_github_actions() {
        append_github_files([
            ("GITHUB_STEP_SUMMARY", github::step_summary(report)),
            (
                "GITHUB_OUTPUT",
                github::outputs(report, args.report_file.as_deref()),
            ),
        ]);
    }
    Ok(())
}

/// The JSON report, streamed: a million findings are written one by one, never held as one
/// text.
pub fn write_json_file(report: &Report, path: &Path) -> Result<(), Error> {
    let written = std::fs::File::create(path).and_then(|file| {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        report.write_json(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    written.map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The report on stdout in the format asked for; inside GitHub Actions the annotations come
/// too, whatever the format: after the report, on stderr when stdout carries JSON or SARIF.
pub fn print_report(report: &Report, args: &OutputArgs, quiet: bool) {
    let in_actions = in_github_actions();
    let format = args.format.unwrap_or(if in_actions {
        Format::Github
    } else {
        Format::Human
    });
    let annotations = (in_actions || format == Format::Github).then(|| github::annotations(report));
    match format {
        Format::Json => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            // A closed pipe (`| head`) ends the output, not the run: the exit code stands.
            let _ = report.write_json(&mut out).and_then(|()| out.flush());
        }
        Format::Sarif => print_out(&sarif::sarif(report)),
        Format::Human | Format::Github => {
            let human = report.to_human(&HumanOptions {
                colors: use_color(args.color),
                quiet,
                max_findings: args.max_findings,
            });
            let text = if in_actions || format == Format::Github {
                // List data and file names are printed as they are: no line of them may be
                // taken for a workflow command, so command processing is off around them.
                let token = github::stop_token();
                format!("::stop-commands::{token}\n{human}::{token}::\n")
            } else {
                human
            };
            print_out(&(text + annotations.as_deref().unwrap_or_default()));
            return;
        }
    }
    if let Some(annotations) = annotations {
        eprint!("{annotations}");
    }
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Append each text to the file its GitHub variable names, when the variable is set. A
/// failure to write them is a warning on stderr: the gate's verdict stands.
pub fn append_github_files(targets: [(&str, String); 2]) {
    for (variable, text) in targets {
        let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) else {
            continue;
        };
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()));
        if let Err(error) = written {
            eprintln!(
                "bouncegate: warning: ${variable} ({}) cannot be written: {error}",
                shown::path(Path::new(&path))
            );
        }
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn print_out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

pub fn in_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// Write lines that show data (file names, addresses, history rows) to stdout. The data is
/// escaped already ([`shown`]); inside GitHub Actions, workflow commands are off around it
/// too, as for the report of `check`.
pub fn print_data(text: &str) {
    if in_github_actions() {
        let token = github::stop_token();
        print_out(&format!("::stop-commands::{token}\n{text}::{token}::\n"));
    } else {
        print_out(text);
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
