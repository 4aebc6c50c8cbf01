//! The built binary, started with a cleared environment: PATH alone (git, for
//! `--changed-since`), plus what a test sets. A test inherits nothing by accident: inside
//! GitHub Actions, `GITHUB_ACTIONS`, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` would switch the
//! binary to GitHub mode and append to the job's real summary; `NO_COLOR` or `CI` would change
//! what it prints.

#![allow(dead_code)] // each test binary uses what it needs

use std::path::Path;
use std::process::{Command, Output};

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
