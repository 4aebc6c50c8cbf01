//! Hostile input, made at test time (too big or too binary to commit): the binary must answer
//! with a clear error naming the file and line, exit 2, never panic, and account for every row.

mod support {
    pub mod bin;
}

use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn bouncegate(dir: &Path, args: &[&str]) -> Output {
    // These tests are about input, not DNS: never ask the machine's resolver.
    support::bin::bouncegate()
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .output()
        .expect("run bouncegate")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "no JSON report ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn assert_no_panic(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "exit {:?}: {stderr}",
        output.status.code()
    );
}

fn codes(report: &Value) -> Vec<(String, u64)> {
    report["lists"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|list| list["findings"].as_array().unwrap())
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn a_ten_megabyte_line_is_an_error_on_its_line_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "a".repeat(10 * 1024 * 1024);
    std::fs::write(
        dir.path().join("list.csv"),
        format!("email\nann@gmail.com\n{huge}@gmail.com\nbob@gmail.com\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("list.txt"),
        format!("ann@gmail.com\n{huge}\nbob@gmail.com\n"),
    )
    .unwrap();
    for file in ["list.csv", "list.txt"] {
        let output = bouncegate(dir.path(), &["check", file, "--format", "json"]);
        assert_no_panic(&output);
        assert_eq!(output.status.code(), Some(2), "{file}");
        let report = json(&output);
        let line = if file == "list.csv" { 3 } else { 2 };
        assert_eq!(
            codes(&report),
            vec![("line-too-long".to_owned(), line)],
            "{file}"
        );
        let stats = &report["lists"][0]["stats"];
        assert_eq!(stats["rows_read"], 3, "{file}");
        assert_eq!(stats["rows_checked"], 2, "{file}");
        assert_eq!(stats["rows_skipped"], 1, "{file}");
    }
}

#[test]
#[cfg(unix)] // symbolic links and FIFOs as Unix makes them
fn a_missing_path_or_an_empty_directory_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lists.csv")).unwrap();
    std::os::unix::fs::symlink("nowhere.csv", dir.path().join("dangling.csv")).unwrap();
    for (path, words) in [
        ("lists.csv", "no list files found"),
        ("dangling.csv", "No such file"),
        ("absent", "No such file"),
    ] {
        let output = bouncegate(dir.path(), &["check", path]);
        assert_eq!(output.status.code(), Some(2), "{path}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(path) && stderr.contains(words),
            "{path}: {stderr}"
        );
    }
}

/// splitmix64, so a failure can be reproduced.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            // Bias toward the bytes that matter to the parsers.
            match (z >> 56) % 8 {
                0 => b"\",;\t|\n\r@"[(z % 8) as usize],
                1 => b"abc.-_"[(z % 6) as usize],
                _ => (z & 0xFF) as u8,
            }
        })
        .collect()
}

#[test]
fn random_bytes_never_panic_and_every_row_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..40u64 {
        let bytes = noise(seed, 2_000 + (seed as usize * 97) % 3_000);
        for name in ["list.csv", "list.txt"] {
            std::fs::write(dir.path().join(name), &bytes).unwrap();
            let output = bouncegate(dir.path(), &["check", name, "--format", "json"]);
            assert_no_panic(&output);
            let report = json(&output);
            let stats = &report["lists"][0]["stats"];
            assert_eq!(
                stats["rows_read"].as_u64().unwrap(),
                stats["rows_checked"].as_u64().unwrap() + stats["rows_skipped"].as_u64().unwrap(),
                "seed {seed} {name}"
            );
        }
        // The same noise as a bounce history, behind a valid header.
        let mut history = b"email,code,diagnostic\n".to_vec();
        history.extend(&bytes);
        std::fs::write(dir.path().join("history.csv"), &history).unwrap();
        std::fs::write(dir.path().join("ok.txt"), "ann@gmail.com\n").unwrap();
        let output = bouncegate(
            dir.path(),
            &[
                "check",
                "ok.txt",
                "--history",
                "history.csv",
                "--format",
                "json",
            ],
        );
        assert_no_panic(&output);
        json(&output);
    }
}

#[test]
fn unusable_history_rows_are_warnings_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list.txt"), "ann@gmail.com\n").unwrap();
    std::fs::write(
        dir.path().join("history.csv"),
        b"email,timestamp,smtp_code,enhanced_code,diagnostic\n\
          not-an-address,2026-01-01,550,,user unknown\n\
          ann@gmail.com,yesterday,550,,user unknown\n\
          ann@gmail.com,2026-01-01,55,,user unknown\n\
          ann@gmail.com,2026-01-01,550,5.1,user unknown\n\
          ann@gmail.com,2026-01-01,,,\n\
          ann@gmail.com,2026-01-01,550\n\
          ann@gmail.com,2026-01-01,550,,\xff\xfe\n",
    )
    .unwrap();
    let output = bouncegate(
        dir.path(),
        &[
            "check",
            "list.txt",
            "--history",
            "history.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the warnings do not fail the gate; the hard bounce of the undated row does"
    );
    let report = json(&output);
    let found: Vec<(String, u64, String)> = report["history"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("history-bad-address", 2),
        ("history-bad-time", 3),
        ("history-bad-reply-code", 4),
        ("history-bad-enhanced-code", 5),
        ("history-no-bounce-info", 6),
        ("ragged-row", 7),
        ("not-utf8", 8),
    ];
    assert_eq!(
        found,
        expected
            .iter()
            .map(|(code, line)| ((*code).to_owned(), *line, "warning".to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(report["history"]["events_read"], 7);
    // The row whose time cannot be read is used without one: suppressing needs no date.
    assert_eq!(report["history"]["events_used"], 1);
    assert_eq!(report["lists"][0]["findings"][0]["code"], "historic-hard");
}

#[test]
fn an_unreadable_history_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list.txt"), "ann@gmail.com\n").unwrap();
    std::fs::write(dir.path().join("history.csv"), "name,phone\nAnn,555\n").unwrap();
    let output = bouncegate(
        dir.path(),
        &[
            "check",
            "list.txt",
            "--history",
            "history.csv",
            "--color",
            "never",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("history.csv:1: error[missing-columns]: the file is in no known bounce format: tried SendGrid"),
        "{stdout}"
    );
}

/// No line of `text` (split where a CI log splits: at a newline or a carriage return) starts a
/// workflow command.
fn assert_no_workflow_command(label: &str, text: &str) {
    for line in text.split(['\n', '\r']) {
        assert!(
            !line.trim_start().starts_with("::"),
            "{label}: the line {line:?} would be read as a workflow command in:\n{text}"
        );
    }
}

/// Data that names a workflow command (a file name, a cell, a bounce text, a path) is shown
/// escaped by every subcommand: it never starts a line of the log.
#[test]
fn no_subcommand_lets_data_forge_a_workflow_command() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let list = "a\r::error title=x::y.csv";
    std::fs::write(root.join(list), "email\nann@gmail.com\nbob@gmail.com\n").unwrap();
    let history = "h\n::warning::x.csv";
    std::fs::write(
        root.join(history),
        "email,timestamp,smtp_code,diagnostic\n\
         bob@gmail.com,2026-03-02,550,user unknown\n\
         \"\r::warning::cell@x\",2026-03-02,550,user unknown\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let output = support::bin::run(root, args);
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let cases = [
        (
            "check",
            run(&["check", "--offline", "--history", history, "--", list]),
        ),
        (
            "fix",
            run(&["fix", "--offline", "--history", history, "--", list]),
        ),
        (
            "history import",
            run(&["history", "import", history, "--out", "out.csv"]),
        ),
        (
            "a missing path",
            run(&["check", "--offline", "nothing\n::error::x.csv"]),
        ),
        ("explain", run(&["explain", "550 user unknown\r::error::x"])),
    ];
    for (label, said) in &cases {
        assert_no_workflow_command(label, said);
    }
    // And what was escaped is still there to read.
    assert!(
        cases[1].1.contains("a\\r::error title=x::y.csv"),
        "{}",
        cases[1].1
    );
    assert!(
        cases[2].1.contains("h\\n::warning::x.csv"),
        "{}",
        cases[2].1
    );
}

/// Inside GitHub Actions, `fix` and `history import` turn workflow commands off around the
/// lines that show data, as `check` does around its report.
#[test]
fn in_github_actions_data_lines_are_inside_stop_commands() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("list.csv"), "email\nbob@gmail.com\n").unwrap();
    std::fs::write(
        root.join("h.csv"),
        "email,timestamp,smtp_code,diagnostic\nbob@gmail.com,2026-03-02,550,user unknown\n",
    )
    .unwrap();
    for args in [
        &["fix", "--offline", "--history", "h.csv", "list.csv"][..],
        &["history", "import", "h.csv", "--out", "out.csv"][..],
    ] {
        let output = support::bin::bouncegate()
            .args(args)
            .env("GITHUB_ACTIONS", "true")
            .current_dir(root)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let token = stdout
            .strip_prefix("::stop-commands::")
            .and_then(|rest| rest.lines().next())
            .unwrap_or_else(|| panic!("{args:?}: {stdout}"));
        assert!(
            stdout.trim_end().ends_with(&format!("::{token}::")),
            "{args:?}: {stdout}"
        );
    }
}

/// Run with a guard: a run that blocks (on a FIFO) is killed and fails the test, instead of
/// hanging the suite. The bound is the behaviour under test, and generous.
#[cfg(unix)]
fn run_guarded(dir: &Path, args: &[&str]) -> Output {
    let mut child = support::bin::bouncegate()
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{args:?} blocked");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A FIFO named as a list, a history or the rules file is refused at once (exit 2), never read:
/// reading one blocks until something writes to it.
#[test]
#[cfg(unix)] // symbolic links and FIFOs as Unix makes them
fn a_fifo_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let made = std::process::Command::new("mkfifo")
        .arg(root.join("pipe.csv"))
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::write(root.join("list.csv"), "email\nann@gmail.com\n").unwrap();
    for args in [
        &["check", "--offline", "pipe.csv"][..],
        &["check", "--offline", "--history", "pipe.csv", "list.csv"][..],
        &["check", "--offline", "--rules", "pipe.csv", "list.csv"][..],
    ] {
        let output = run_guarded(root, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("pipe.csv") && stderr.contains("not a regular file"),
            "{args:?}: {stderr}"
        );
    }
}

/// A directory walk follows a symbolic link to a list inside the repository, and says which
/// links it does not follow (out of the repository, to nothing), instead of skipping them
/// without a word.
#[test]
#[cfg(unix)] // symbolic links and FIFOs as Unix makes them
fn a_walk_follows_links_inside_the_repository_and_names_the_others() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.csv"), "email\nann@gmail.com\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::create_dir_all(root.join("lists")).unwrap();
    std::fs::write(root.join("data/a.csv"), "email\nbob@gmail\n").unwrap();
    std::fs::write(root.join("lists/b.csv"), "email\ncid@gmail.com\n").unwrap();
    std::os::unix::fs::symlink("../data/a.csv", root.join("lists/in.csv")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.csv"), root.join("lists/out.csv")).unwrap();
    std::os::unix::fs::symlink("nowhere.csv", root.join("lists/dead.csv")).unwrap();
    let output = bouncegate(root, &["check", "lists", "--format", "json"]);
    let report = json(&output);
    let lists: Vec<&str> = report["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|list| list["path"].as_str().unwrap())
        .collect();
    assert_eq!(lists, ["lists/b.csv", "lists/in.csv"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "in.csv's bad address is checked"
    );
    let skipped: Vec<(&str, &str)> = report["skipped_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["why"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(
        skipped[0],
        ("lists/dead.csv", "a symbolic link to nothing: not read")
    );
    assert_eq!(skipped[1].0, "lists/out.csv");
    assert!(
        skipped[1].1.contains("outside the repository"),
        "{skipped:?}"
    );
    let human = bouncegate(root, &["check", "lists"]);
    let stdout = String::from_utf8_lossy(&human.stdout);
    assert!(
        stdout.contains("skipped lists/dead.csv: a symbolic link to nothing: not read"),
        "{stdout}"
    );
}

/// A directory whose only files are links the walk does not follow finds no list: the error
/// says so, and names each skipped link with why, instead of calling the directory empty.
#[test]
#[cfg(unix)] // symbolic links and FIFOs as Unix makes them
fn a_directory_of_skipped_links_names_them_in_its_error() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.csv"), "email\nann@gmail.com\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("lists")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.csv"), root.join("lists/out.csv")).unwrap();
    std::os::unix::fs::symlink("nowhere.csv", root.join("lists/dead.csv")).unwrap();
    let output = bouncegate(root, &["check", "lists"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lists: no list files found"), "{stderr}");
    assert!(
        stderr.contains("; skipped lists/dead.csv: a symbolic link to nothing: not read"),
        "{stderr}"
    );
    assert!(stderr.contains("; skipped lists/out.csv: "), "{stderr}");
}
