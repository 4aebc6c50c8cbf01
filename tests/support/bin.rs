//! The built binary, started with a cleared environment: PATH alone (git, for
//! `--changed-since`), plus what a test sets. A test inherits nothing by accident: inside
//! GitHub Actions, `GITHUB_ACTIONS`, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` would switch the
//! binary to GitHub mode and append to the job's real summary; `NO_COLOR` or `CI` would change
//! what it prints.

#![allow(dead_code)] // each test binary uses what it needs

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `bouncegate`, in a cleared environment.
pub fn bouncegate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bouncegate"));
    clean(&mut command);
    command
}

/// Run `bouncegate ARGS` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    bouncegate()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("start bouncegate")
}

/// Run `bouncegate check ARGS --format json` in `dir` against the name server at
/// `nameserver` (half a second per query, no retry: a test's server answers at once or never);
/// its exit code, JSON report and stderr. Panics when stdout is not a report.
pub fn check_json(
    dir: &Path,
    nameserver: SocketAddr,
    args: &[&str],
) -> (Option<i32>, Value, String) {
    let nameserver = nameserver.to_string();
    let output = bouncegate()
        .arg("check")
        .args(args)
        .args([
            "--nameserver",
            &nameserver,
            "--dns-timeout",
            "0.5",
            "--dns-attempts",
            "0",
        ])
        .args(["--format", "json"])
        .current_dir(dir)
        .output()
        .expect("start bouncegate");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {stderr}"));
    (output.status.code(), report, stderr)
}

/// Run a shell command line on a real terminal (util-linux `script` makes the pty), in a
/// cleared environment plus TERM (a terminal always has one) and `env`; what it showed.
pub fn on_terminal(dir: &Path, command_line: &str, env: &[(&str, &str)]) -> String {
    let mut script = Command::new("script");
    clean(&mut script);
    script
        .args(["-qec", command_line, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .envs(env.iter().copied());
    let output = script.output().expect("util-linux script");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The path of the binary, for command lines.
pub fn path() -> &'static str {
    env!("CARGO_BIN_EXE_bouncegate")
}

fn clean(command: &mut Command) {
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
}
