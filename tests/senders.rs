//! The sending providers' histories, as data: each folder of tests/fixtures/senders holds a
//! provider's files (written from its documentation; NOTES.md says which pages) and
//! expected.tsv, one row per record: `file line address time reply enhanced kind
//! source_verdict text`. Each file is read as `check` reads it (format detected, every
//! record classified by the built-in rules), and every row must come out as its kind says:
//!
//! - `hard`: a bounce that suppresses the address; `suppressed`: the provider's own suppression
//!   (already suppressed, so it suppresses too); `soft`: a counted soft bounce;
//! - `retry`, `blocked-sender` and `ignore` (the server's reply is about the message or the
//!   server, not the address: the rules decide, whatever the provider called it): read,
//!   neither suppressing nor counted;
//! - `complaint`: a complaint; `optout` and `skip`: no event at all.
//!
//! Time, reply and enhanced code must match where the row gives them. An event no row
//! expects fails the test too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bouncegate::bounces::history::{self, Event, HistoryOptions};
use bouncegate::bounces::reason::Reason;
use bouncegate::bounces::rules::Action;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/senders");

struct Row {
    file: String,
    line: u64,
    address: String,
    time: Option<i64>,
    reply: Option<u16>,
    enhanced: Option<String>,
    kind: String,
}

fn rows(provider: &Path) -> Vec<Row> {
    let table = std::fs::read_to_string(provider.join("expected.tsv")).unwrap();
    let value = |cell: &str| (cell != "-").then(|| cell.to_owned());
    table
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            Row {
                file: cells[0].to_owned(),
                line: cells[1].parse().unwrap(),
                address: cells[2].to_lowercase(),
                time: value(cells[3]).map(|t| t.parse().unwrap()),
                reply: value(cells[4]).map(|r| r.parse().unwrap()),
                enhanced: value(cells[5]),
                kind: cells[6].to_owned(),
            }
        })
        .collect()
}

/// What the event says, in the words of the kinds.
fn kind_of(event: &Event) -> String {
    let evidence = event.evidence.as_ref().expect("all evidence kept");
    if evidence.reason == Reason::Feedback {
        return "complaint".to_owned();
    }
    match event.action {
        Action::Suppress if evidence.already_suppressed => "suppressed",
        Action::Suppress => "hard",
        Action::Count => "soft",
        Action::Ignore => "retry-or-blocked-sender",
    }
    .to_owned()
}

fn matches(row: &Row, event: &Event) -> Vec<String> {
    let evidence = event.evidence.as_ref().unwrap();
    let mut wrong = Vec::new();
    let got = kind_of(event);
    let kind_fits = match row.kind.as_str() {
        "retry" | "blocked-sender" | "ignore" => got == "retry-or-blocked-sender",
        kind => got == kind,
    };
    if !kind_fits {
        wrong.push(format!(
            "kind {got} (reason {}), expected {}",
            evidence.reason, row.kind
        ));
    }
    if row.time.is_some() && event.time != row.time {
        wrong.push(format!("time {:?}, expected {:?}", event.time, row.time));
    }
    if row.reply.is_some() && evidence.reply != row.reply {
        wrong.push(format!(
            "reply {:?}, expected {:?}",
            evidence.reply, row.reply
        ));
    }
    let enhanced = evidence.enhanced.map(|code| code.to_string());
    if row.enhanced.is_some() && enhanced != row.enhanced {
        wrong.push(format!(
            "enhanced {enhanced:?}, expected {:?}",
            row.enhanced
        ));
    }
    wrong
}

#[test]
fn every_record_of_every_sender_comes_out_as_its_kind_says() {
    let rules = bouncegate::config::load(None).unwrap().rules;
    let options = HistoryOptions {
        all_evidence: true,
        // The fixtures' events are in 2024-2026: none is in the future.
        now: Some(4_102_444_800),
        ..HistoryOptions::default()
    };
    let mut providers: Vec<PathBuf> = std::fs::read_dir(ROOT)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("expected.tsv").is_file())
        .collect();
    providers.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for provider in &providers {
        let name = provider.file_name().unwrap().to_string_lossy().into_owned();
        let mut by_file: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for row in rows(provider) {
            by_file.entry(row.file.clone()).or_default().push(row);
        }
        for (file, rows) in by_file {
            let read = history::read_file(&provider.join(&file), &rules, options);
            for problem in &read.problems {
                failures.push(format!("{name}/{file}: {problem:?}"));
            }
            let mut used = vec![false; read.events.len()];
            for row in &rows {
                checked += 1;
                let found = read.events.iter().enumerate().find(|(index, event)| {
                    !used[*index] && event.line == row.line && event.key == row.address
                });
                let at = format!("{name}/{file}:{} {}", row.line, row.address);
                match (row.kind.as_str(), found) {
                    ("optout" | "skip", None) => {}
                    ("optout" | "skip", Some((_, event))) => failures.push(format!(
                        "{at}: an event ({}), expected {}",
                        kind_of(event),
                        row.kind
                    )),
                    (_, None) => failures.push(format!("{at}: no event, expected {}", row.kind)),
                    (_, Some((index, event))) => {
                        used[index] = true;
                        for wrong in matches(row, event) {
                            failures.push(format!("{at}: {wrong}"));
                        }
                    }
                }
            }
            for (event, used) in read.events.iter().zip(used) {
                if !used {
                    failures.push(format!(
                        "{name}/{file}:{} {}: an event no row expects ({})",
                        event.line,
                        event.key,
                        kind_of(event)
                    ));
                }
            }
        }
    }
    assert!(checked > 0, "no expected.tsv under {ROOT}");
    assert!(
        failures.is_empty(),
        "{} of {checked} records:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

mod support {
    pub mod bin;
    pub mod exports;
}

/// A folder that mixes every sender's files, the older providers' too: `history import` gives
/// the union of their events once (a second import adds nothing), and `check` judges a list
/// the same from the files as from the history CSV they were imported into.
#[test]
fn a_folder_of_every_sender_imports_once_and_round_trips_through_the_generic_csv() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let exports = root.join("exports");
    std::fs::create_dir(&exports).unwrap();
    let mut files = 0;
    for provider in std::fs::read_dir(ROOT).unwrap() {
        let provider = provider.unwrap().path();
        let name = provider.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&provider).unwrap() {
            let file = file.unwrap().path();
            let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
            // Form bodies (.txt) are named on the command line; a walk leaves .txt files alone.
            if file_name.ends_with(".md")
                || file_name.ends_with(".tsv")
                || file_name.ends_with(".txt")
            {
                continue;
            }
            std::fs::copy(&file, exports.join(format!("{name}-{file_name}"))).unwrap();
            files += 1;
        }
    }
    // And the older providers' exports, moved off the special-use domains they use.
    files += support::exports::copy_older(&exports, "older-");
    assert!(files >= 30, "{files} files");
    let import = ["history", "import", "exports", "--out", "history.csv"];
    let first = support::bin::run(root, &import);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains(&format!("from {files} files")), "{stdout}");
    let again = support::bin::run(root, &import);
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.contains(": 0 appended,"),
        "a second import adds nothing: {again}"
    );

    support::exports::list_every_address(&root.join("history.csv"), &root.join("list.txt"));
    let check = |history: &str| {
        let output = support::bin::run(
            root,
            &[
                "check",
                "list.txt",
                "--offline",
                "--format",
                "json",
                "--history",
                history,
                "--as-of",
                "2026-07-10",
            ],
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let direct = support::exports::verdicts(&check("exports"));
    let normalised = support::exports::verdicts(&check("history.csv"));
    assert!(direct.len() >= 40, "{direct:?}");
    assert_eq!(direct, normalised);
}

/// A record with the fields of two senders is not guessed at: the file is an error that names
/// both and the option that settles it, which then reads it.
#[test]
fn a_record_of_two_senders_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mixed.json"),
        r#"[{"event":"hard_bounce","email":"ann@gmail.com","ts_epoch":1772445600000,"mj_campaign_id":7,"reason":"550 5.1.1 user unknown"}]"#,
    )
    .unwrap();
    let output = support::bin::run(
        dir.path(),
        &["history", "import", "mixed.json", "--out", "h.csv"],
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(
        said.contains(
            "mixed.json:1: error[history-unreadable]: (mailjet) holds the fields of two formats, mailjet and brevo-webhook: name the one it is with --history-format mailjet (or brevo-webhook)"
        ),
        "{said}"
    );
    let forced = support::bin::run(
        dir.path(),
        &[
            "history",
            "import",
            "mixed.json",
            "--out",
            "h.csv",
            "--history-format",
            "brevo-webhook",
        ],
    );
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
}
