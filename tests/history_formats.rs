//! Providers' exports through the whole tool: `check --history` reads them as they are, and
//! `history import` normalises them into the generic CSV, which `check` reads back to the same
//! verdicts. The fixtures (tests/fixtures/history/) use example.* domains, which the syntax
//! check rightly rejects; here they are moved to ordinary domains.

mod support {
    pub mod bin;
    pub mod exports;
}

use support::bin::run as bouncegate;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// The fixtures with their special-use domains replaced, in `dir/exports`.
fn exports(dir: &Path) {
    support::exports::copy_older(&dir.join("exports"), "");
}

#[test]
fn exports_are_read_as_they_are_and_round_trip_through_the_generic_csv() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    exports(root);

    let args = [
        "history",
        "import",
        "exports",
        "--out",
        "bounces/history.csv",
        "--log-year",
        "2026",
    ];
    let output = bouncegate(root, &args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    // The webhook fixture comes as a JSON array and as JSON lines: the same events once.
    // (One of the 47 is the SES complaint.)
    assert!(stdout.contains("47 appended, 2 already there"), "{stdout}");
    let again = bouncegate(root, &args);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(": 0 appended,"),
        "a second import adds nothing"
    );

    // The list: every address the exports name.
    let addresses = support::exports::list_every_address(
        &root.join("bounces/history.csv"),
        &root.join("list.txt"),
    );
    assert!(addresses >= 15, "{addresses} addresses");

    let check = |history: &str| -> Value {
        let output = bouncegate(
            root,
            &[
                "check",
                "list.txt",
                "--offline",
                "--format",
                "json",
                "--history",
                history,
                "--log-year",
                "2026",
                "--as-of",
                "2026-03-10",
            ],
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let direct = check("exports");
    let normalised = check("bounces/history.csv");
    assert_eq!(
        support::exports::verdicts(&direct),
        support::exports::verdicts(&normalised)
    );
    assert!(
        support::exports::verdicts(&direct)
            .values()
            .any(|code| code == "complaint"),
        "the SES complaint is a complaint, read directly and from the generic CSV"
    );

    let verdict = support::exports::verdicts(&direct);
    // Only re-suppressions, yet historic hard: the provider's word is proof.
    assert_eq!(
        verdict.get("suppressed@gmail.com").map(String::as_str),
        Some("historic-hard")
    );
    let evidence = direct["lists"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["address"] == "suppressed@gmail.com")
        .unwrap()["reason"]["evidence"]
        .clone();
    assert_eq!(evidence["already_suppressed"], true);
    assert_eq!(evidence["source"], "ses");
    assert!(
        evidence["source_verdict"]
            .as_str()
            .unwrap()
            .contains("OnAccountSuppressionList")
    );
}

#[test]
fn a_file_in_no_known_format_names_the_formats_tried() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list.txt"), "ann@gmail.com\n").unwrap();
    std::fs::write(dir.path().join("mystery.json"), "{\"what\": [1, 2, 3]}\n").unwrap();
    let output = bouncegate(
        dir.path(),
        &[
            "check",
            "list.txt",
            "--offline",
            "--history",
            "mystery.json",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("mystery.json:1: error"), "{stdout}");
    assert!(stdout.contains("tried SendGrid"), "{stdout}");
}

fn historic(dir: &Path, history: &str) -> BTreeMap<String, String> {
    let output = bouncegate(
        dir,
        &[
            "check",
            "list.txt",
            "--offline",
            "--format",
            "json",
            "--history",
            history,
        ],
    );
    support::exports::verdicts(&serde_json::from_slice(&output.stdout).unwrap())
}

#[test]
fn formula_like_addresses_survive_the_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("list.txt"),
        "-ann@gmail.com\n=bob@gmail.com\n+carl@gmail.com\n",
    )
    .unwrap();
    std::fs::write(
        root.join("sg.csv"),
        "created,email,reason,status\n1772409600,-ann@gmail.com,user unknown,5.1.1\n\
         1772409600,=bob@gmail.com,user unknown,5.1.1\n1772409600,+carl@gmail.com,user unknown,5.1.1\n",
    )
    .unwrap();
    let direct = historic(root, "sg.csv");
    assert_eq!(direct.len(), 3, "{direct:?}");
    let output = bouncegate(root, &["history", "import", "sg.csv", "--out", "h.csv"]);
    assert_eq!(output.status.code(), Some(0));
    let written = std::fs::read_to_string(root.join("h.csv")).unwrap();
    assert!(
        written.contains("\n'=bob@gmail.com,"),
        "a spreadsheet must not run it: {written}"
    );
    assert_eq!(
        historic(root, "h.csv"),
        direct,
        "the guard is taken off again on reading"
    );
}

#[test]
fn history_import_never_appends_to_a_file_of_other_columns() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("mine.csv"),
        "email,date,code\r\nann@gmail.com,2026-01-02,550\r\n",
    )
    .unwrap();
    std::fs::write(
        root.join("sg.csv"),
        "created,email,reason,status\n1772409600,bob@gmail.com,gone,5.1.1\n",
    )
    .unwrap();
    let output = bouncegate(root, &["history", "import", "sg.csv", "--out", "mine.csv"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("give a new --out"));
    assert_eq!(
        std::fs::read_to_string(root.join("mine.csv")).unwrap(),
        "email,date,code\r\nann@gmail.com,2026-01-02,550\r\n"
    );
}

#[test]
fn retries_of_one_message_are_not_a_repeated_soft_bounce() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("list.txt"), "carl@gmail.com\n").unwrap();
    let mut log = String::new();
    for day in 1..=3 {
        log.push_str(&format!(
            "Mar  {day} 10:00:00 mx postfix/smtp[99]: 4TqAAA: to=<carl@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1, dsn=4.2.2, status=deferred (host gmail-smtp-in.l.google.com[142.250.1.27] said: 452 4.2.2 The email account that you tried to reach is over quota)\n"
        ));
    }
    log.push_str("Mar  4 10:00:00 mx postfix/smtp[99]: 4TqAAA: to=<carl@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1, dsn=2.0.0, status=sent (250 2.0.0 OK)\n");
    std::fs::write(root.join("mail.log"), log).unwrap();
    let output = bouncegate(
        root,
        &[
            "check",
            "list.txt",
            "--offline",
            "--format",
            "json",
            "--history",
            "mail.log",
            "--log-year",
            "2026",
        ],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["history"]["events_used"], 3,
        "the three deferrals are read: {report}"
    );
    assert_eq!(report["history"]["findings"], serde_json::json!([]));
    assert_eq!(
        output.status.code(),
        Some(0),
        "and do not add up to a repeated soft bounce"
    );
}

#[test]
fn a_generic_csv_is_read_as_one_even_when_a_provider_format_would_fit() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("list.txt"), "ann@gmail.com\n").unwrap();
    // SendGrid's columns plus smtp_code: the code column is read.
    std::fs::write(
        root.join("h.csv"),
        "email,created,smtp_code,status,reason\nann@gmail.com,1772409600,550,,\n",
    )
    .unwrap();
    assert_eq!(historic(root, "h.csv").len(), 1);
}

#[test]
fn history_takes_one_path_per_flag_and_fix_refuses_report_options() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("list.txt"), "ann@gmail.com\n").unwrap();
    std::fs::write(root.join("h.csv"), "email,code\nann@gmail.com,550\n").unwrap();
    // The list after --history is a list, not a second history file.
    let output = bouncegate(
        root,
        &["check", "--history", "h.csv", "list.txt", "--offline"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = bouncegate(root, &["fix", "list.txt", "--offline", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unexpected argument '--format'"));
}

#[test]
fn history_import_writes_what_it_decided_and_upgrades_an_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("sg.csv"),
        "created,email,reason,status\n\
         1772409600,ann@gmail.com,550 5.1.1 user unknown,5.1.1\n\
         1772409600,bob@gmail.com,452 4.2.2 mailbox full,4.2.2\n\
         1772409600,carl@gmail.com,554 5.7.1 blocked using zen.spamhaus.org,5.7.1\n",
    )
    .unwrap();
    // A history of bouncegate 0.1: the eight event columns, one event already in it.
    let old_header = "email,timestamp,smtp_code,enhanced_code,diagnostic,source,source_verdict,already_suppressed";
    std::fs::write(
        root.join("h.csv"),
        format!(
            "{old_header}\nann@gmail.com,2026-03-02T00:00:00Z,550,5.1.1,550 5.1.1 user unknown,,,\n"
        ),
    )
    .unwrap();
    let output = bouncegate(root, &["history", "import", "sg.csv", "--out", "h.csv"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("2 appended, 1 already there"),
        "the decision columns are no part of the event: {stdout}"
    );
    let written = std::fs::read_to_string(root.join("h.csv")).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "{old_header},reason,action,rule,command,reporting_mta,remote_mta,message_id,list_id"
        )
    );
    assert!(
        lines[1].ends_with(",,,,,,,,"),
        "old rows get empty decisions: {}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("bob@gmail.com,")
            && lines[2].ends_with(",mailboxfull,count,recipient-mailbox-full,,,,,"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].ends_with(",blocked,ignore,sender-blocked,,,,,"),
        "{}",
        lines[3]
    );
    // check reads the upgraded file, old rows and new alike.
    std::fs::write(
        root.join("list.txt"),
        "ann@gmail.com\nbob@gmail.com\ncarl@gmail.com\n",
    )
    .unwrap();
    let output = bouncegate(
        root,
        &[
            "check",
            "list.txt",
            "--offline",
            "--format",
            "json",
            "--history",
            "h.csv",
        ],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["history"]["events_used"], 3);
    assert_eq!(report["lists"][0]["stats"]["historic_hard"], 1);

    // A history of the eleven columns before `command` gets it and the trace columns too.
    std::fs::write(
        root.join("h11.csv"),
        format!("{old_header},reason,action,rule\nann@gmail.com,2026-03-02T00:00:00Z,550,5.1.1,550 5.1.1 user unknown,,,,userunknown,suppress,x\n"),
    )
    .unwrap();
    let output = bouncegate(root, &["history", "import", "sg.csv", "--out", "h11.csv"]);
    assert_eq!(output.status.code(), Some(0));
    let written = std::fs::read_to_string(root.join("h11.csv")).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "{old_header},reason,action,rule,command,reporting_mta,remote_mta,message_id,list_id"
        )
    );
    assert!(
        lines[1].ends_with(",userunknown,suppress,x,,,,,"),
        "{}",
        lines[1]
    );
    assert_eq!(lines.len(), 4, "ann@ was there already: {written}");
}

/// Bounce mails without a delivery-status part: Exim's own notice is read (recipient, reply,
/// command, family), and an auto-reply is recognised, counted and left out, never an error.
#[test]
fn history_import_reads_a_mail_servers_notice_and_leaves_out_auto_replies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail-import");
    std::fs::create_dir(root.join("mail")).unwrap();
    for name in ["exim.eml", "vacation.eml"] {
        std::fs::copy(source.join(name), root.join("mail").join(name)).unwrap();
    }
    let output = bouncegate(root, &["history", "import", "mail", "--out", "out.csv"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout,
        "out.csv: 1 events from 2 files: 1 appended, 0 already there; 1 auto-replies left out\n"
    );
    let written = std::fs::read_to_string(root.join("out.csv")).unwrap();
    let row = written.lines().nth(1).unwrap();
    assert!(
        row.starts_with("ann.gone@gmail.com,2026-03-02T09:14:00Z,550,5.1.1,"),
        "{row}"
    );
    assert!(
        row.ends_with(
            ",exim,Action: failed,,userunknown,suppress,recipient-unknown,rcpt,\
             mx.shop-mailer.de,gmail-smtp-in.l.google.com,,"
        ),
        "the command, and the servers the notice names: {row}"
    );
}
