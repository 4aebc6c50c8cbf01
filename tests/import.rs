//! The provider formats, end to end: each fixture in tests/fixtures/history is detected from
//! its content and imported, and its events are checked exactly. Then hostile inputs and a
//! small deterministic fuzz loop: a clear error or problem, never a panic.

mod support {
    pub mod seeded;
}

use std::path::PathBuf;

use support::seeded::Seeded;

use bouncegate::bounces::import::{
    ImportError, ImportOptions, Imported, MAX_TEXT_BYTES, Source, Trace, detect, import,
    parse_format_name,
};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (line, address, time, reply, enhanced, source verdict, already suppressed)
type Row = (
    u64,
    &'static str,
    Option<i64>,
    Option<u16>,
    Option<&'static str>,
    &'static str,
    bool,
);

type OwnedRow = (
    u64,
    String,
    Option<i64>,
    Option<u16>,
    Option<String>,
    String,
    bool,
);

fn rows(imported: &Imported) -> Vec<OwnedRow> {
    imported
        .events
        .iter()
        .map(|e| {
            (
                e.line,
                e.address.clone(),
                e.time,
                e.reply,
                e.enhanced.clone(),
                e.source_verdict.clone(),
                e.already_suppressed,
            )
        })
        .collect()
}

fn owned(want: &[Row]) -> Vec<OwnedRow> {
    want.iter()
        .map(
            |&(line, address, time, reply, enhanced, verdict, suppressed)| {
                (
                    line,
                    address.to_owned(),
                    time,
                    reply,
                    enhanced.map(str::to_owned),
                    verdict.to_owned(),
                    suppressed,
                )
            },
        )
        .collect()
}

fn year(year: i32) -> ImportOptions {
    ImportOptions {
        log_year: Some(year),
        file_modified: None,
    }
}

/// Detect, import, and compare every event; no problems; `skipped` records that are not bounces.
fn check(
    name: &str,
    source: Source,
    options: ImportOptions,
    want: &[Row],
    skipped: usize,
) -> Imported {
    let bytes = fixture(name);
    assert_eq!(detect(&bytes), Some(source), "{name}: detected");
    let imported = import(&bytes, source, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(imported.source, source);
    assert_eq!(imported.problems, vec![], "{name}: problems");
    assert_eq!(rows(&imported), owned(want), "{name}: events");
    assert_eq!(imported.skipped, skipped, "{name}: skipped");
    for event in &imported.events {
        assert_eq!(event.source, source);
        assert!(!event.text.contains('\n'), "{name}: {}", event.text);
        assert!(
            event.location.contains(&format!("line {}", event.line)),
            "{name}: {}",
            event.location
        );
    }
    imported
}

#[test]
fn sendgrid_exports() {
    check(
        "sendgrid-bounces.csv",
        Source::SendgridCsv,
        ImportOptions::default(),
        &[
            (
                2,
                "nobody@example.com",
                Some(1_772_445_240),
                None,
                Some("5.1.1"),
                "5.1.1",
                false,
            ),
            (
                3,
                "full@example.org",
                Some(1_772_531_640),
                None,
                Some("5.2.2"),
                "5.2.2",
                false,
            ),
            (
                4,
                "old@example.net",
                Some(1_763_109_012),
                None,
                Some("5.0.0"),
                "5.0.0",
                false,
            ),
        ],
        0,
    );
    let blocks = check(
        "sendgrid-blocks.csv",
        Source::SendgridCsv,
        ImportOptions::default(),
        &[
            (
                2,
                "user@blocked.example",
                Some(1_772_452_800),
                None,
                Some("5.7.1"),
                "5.7.1",
                false,
            ),
            (
                3,
                "rate@example.com",
                Some(1_772_456_400),
                None,
                Some("4.7.28"),
                "4.7.28",
                false,
            ),
        ],
        0,
    );
    assert!(
        blocks.events[0]
            .text
            .starts_with("554 5.7.1 Service unavailable; Client host")
    );
    let json = check(
        "sendgrid-bounces.json",
        Source::SendgridJson,
        ImportOptions::default(),
        &[
            (
                2,
                "testemail1@test.com",
                Some(1_443_651_125),
                None,
                Some("5.1.1"),
                "5.1.1",
                false,
            ),
            (
                8,
                "testemail2@testing.com",
                Some(1_433_800_303),
                None,
                Some("5.1.1"),
                "5.1.1",
                false,
            ),
        ],
        0,
    );
    assert_eq!(json.events[1].location, "$[1] (line 8)");
    assert_eq!(
        json.events[1].text,
        "550 5.1.1 <testemail2@testing.com>: Recipient address rejected: User unknown in virtual alias table"
    );
}

#[test]
fn sendgrid_webhook() {
    let imported = check(
        "sendgrid-webhook.json",
        Source::SendgridWebhook,
        ImportOptions::default(),
        &[
            (
                3,
                "slow@example.com",
                Some(1_772_445_060),
                None,
                None,
                "deferred",
                false,
            ),
            (
                6,
                "nobody@example.com",
                Some(1_772_445_120),
                None,
                Some("5.1.1"),
                "bounce/bounce",
                false,
            ),
            (
                7,
                "listed@example.net",
                Some(1_772_445_180),
                None,
                Some("5.7.1"),
                "bounce/blocked",
                false,
            ),
            (
                8,
                "gone@example.org",
                Some(1_772_445_240),
                None,
                Some("5.0.0"),
                "dropped",
                true,
            ),
        ],
        // Delivered, opened, and the unsubscribe drop: read, not bounces.
        4,
    );
    assert_eq!(
        imported.events[0].text,
        "451 4.7.1 Greylisted, please try again in 300 seconds"
    );
    assert_eq!(imported.events[3].text, "Bounced Address");
    // The same events stored as JSON lines (a time as a string too).
    check(
        "sendgrid-webhook.jsonl",
        Source::SendgridWebhook,
        ImportOptions::default(),
        &[
            (
                1,
                "nobody@example.com",
                Some(1_772_445_120),
                None,
                Some("5.1.1"),
                "bounce/bounce",
                false,
            ),
            (
                4,
                "gone@example.org",
                Some(1_772_445_240),
                None,
                Some("5.0.0"),
                "dropped",
                true,
            ),
        ],
        1,
    );
}

#[test]
fn mailgun_events_and_bounces() {
    let events = check(
        "mailgun-events.json",
        Source::MailgunEvents,
        ImportOptions::default(),
        &[
            (
                3,
                "alice@example.com",
                Some(1_772_445_242),
                Some(550),
                Some("5.1.1"),
                "failed/permanent/bounce",
                false,
            ),
            (
                24,
                "bob@example.org",
                Some(1_772_445_300),
                None,
                None,
                "failed/permanent/suppress-bounce",
                true,
            ),
            (
                42,
                "carol@example.net",
                Some(1_772_445_900),
                Some(452),
                None,
                "failed/temporary/generic",
                false,
            ),
        ],
        2,
    );
    assert_eq!(
        events.events[0].text,
        "5.1.1 The email account that you tried to reach does not exist. Please try 5.1.1 double-checking the recipient's email address for typos or 5.1.1 unnecessary spaces. Learn more at 5.1.1 https://support.google.com/mail/?p=NoSuchUser x4si1234567qtb.12 - gsmtp"
    );
    assert_eq!(
        events.events[1].text,
        "Not delivering to previously bounced address"
    );
    assert_eq!(events.events[0].location, "$.items[0] (line 3)");
    check(
        "mailgun-bounces.json",
        Source::MailgunBounces,
        ImportOptions::default(),
        &[
            (
                3,
                "alice@example.com",
                Some(1_319_194_975),
                Some(550),
                None,
                "bounce",
                false,
            ),
            (
                9,
                "bob@example.com",
                Some(1_772_446_440),
                Some(550),
                None,
                "bounce",
                false,
            ),
            (
                16,
                "carol@example.com",
                Some(1_772_524_800),
                Some(554),
                None,
                "bounce",
                false,
            ),
        ],
        0,
    );
}

#[test]
fn amazon_ses_sns_plain_and_json_lines() {
    let sns = check(
        "ses-sns.json",
        Source::Ses,
        ImportOptions::default(),
        &[(
            1,
            "recipient@example.com",
            Some(1_772_446_440),
            Some(550),
            Some("5.1.1"),
            "Permanent/General",
            false,
        )],
        0,
    );
    assert_eq!(sns.events[0].text, "550 5.1.1 user unknown");
    assert_eq!(
        sns.events[0].location,
        "$.Message → $.bounce.bouncedRecipients[0] (line 1)"
    );
    let lines = check(
        "ses-events.jsonl",
        Source::Ses,
        ImportOptions::default(),
        &[
            (
                1,
                "jane@example.com",
                Some(1_772_446_800),
                Some(550),
                Some("5.1.1"),
                "Permanent/General",
                false,
            ),
            (
                1,
                "richard@example.com",
                Some(1_772_446_800),
                Some(550),
                Some("5.1.1"),
                "Permanent/General",
                false,
            ),
            (
                1,
                "noinfo@example.com",
                Some(1_772_446_800),
                None,
                None,
                "Permanent/General",
                false,
            ),
            (
                3,
                "suppressed@example.com",
                Some(1_772_449_200),
                None,
                Some("5.1.1"),
                "Permanent/OnAccountSuppressionList",
                true,
            ),
            // A complaint: its own event, no bounce (the rules read its feedback type).
            (
                4,
                "angry@example.com",
                Some(1_772_452_800),
                None,
                None,
                "Complaint/abuse",
                false,
            ),
            (
                5,
                "full@example.org",
                Some(1_772_524_800),
                Some(452),
                Some("4.2.2"),
                "Transient/MailboxFull",
                false,
            ),
        ],
        1,
    );
    assert_eq!(
        lines.events[1].text,
        "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser"
    );
    assert_eq!(
        lines.events[1].location,
        "$.bounce.bouncedRecipients[1] (line 1)"
    );
    assert_eq!(lines.events[4].text, "Feedback-Type: abuse");
    assert!(
        lines.events[3]
            .text
            .starts_with("Amazon SES did not send the message")
    );
    check(
        "ses-array.json",
        Source::Ses,
        ImportOptions::default(),
        &[
            (
                8,
                "known-bad@example.com",
                Some(1_772_614_800),
                None,
                Some("5.1.1"),
                "Permanent/Suppressed",
                true,
            ),
            (
                37,
                "unclear@example.net",
                Some(1_772_616_600),
                None,
                None,
                "Undetermined/Undetermined",
                false,
            ),
        ],
        1,
    );
}

#[test]
fn postmark_bounces() {
    let imported = check(
        "postmark-bounces.json",
        Source::Postmark,
        ImportOptions::default(),
        &[
            (
                4,
                "anything@blackhole.postmarkapp.com",
                Some(1_772_464_440),
                Some(550),
                None,
                "HardBounce",
                true,
            ),
            (
                24,
                "full@example.org",
                Some(1_772_467_200),
                Some(452),
                None,
                "SoftBounce",
                false,
            ),
            (
                44,
                "slow@example.net",
                Some(1_772_499_723),
                None,
                None,
                "Transient",
                false,
            ),
            (
                78,
                "angry@example.com",
                Some(1_772_506_800),
                None,
                None,
                "SpamComplaint",
                false,
            ),
        ],
        1,
    );
    assert!(
        imported.events[0]
            .text
            .starts_with("550 5.1.1 The email account")
    );
    assert!(
        imported.events[2]
            .text
            .starts_with("The server could not temporarily deliver")
    );
    // A bare array of bounces is read the same.
    let bare = br#"[{"Type": "HardBounce", "Email": "a@x.com", "BouncedAt": "2026-03-02T00:00:00Z", "Details": "smtp;550 5.1.1 unknown", "Inactive": true}]"#;
    assert_eq!(detect(bare), Some(Source::Postmark));
    let imported = import(bare, Source::Postmark, &ImportOptions::default()).unwrap();
    assert_eq!(imported.events.len(), 1);
    assert!(imported.events[0].already_suppressed);
}

#[test]
fn postfix_logs() {
    let log = check(
        "postfix-mail.log",
        Source::Postfix,
        year(2026),
        &[
            (
                4,
                "nobody@gmail.com",
                Some(1_772_446_442),
                Some(550),
                Some("5.1.1"),
                "status=bounced",
                false,
            ),
            (
                5,
                "full@example.org",
                Some(1_772_446_442),
                Some(452),
                Some("4.2.2"),
                "status=deferred",
                false,
            ),
            (
                8,
                "ghost@nxdomain.example",
                Some(1_772_446_510),
                None,
                Some("5.4.4"),
                "status=bounced",
                false,
            ),
            (
                9,
                "user@outlook.com",
                Some(1_772_446_560),
                Some(550),
                Some("5.7.1"),
                "status=bounced",
                false,
            ),
            (
                10,
                "bob@mx1.example.com",
                Some(1_772_446_620),
                None,
                Some("5.1.1"),
                "status=bounced",
                false,
            ),
            (
                11,
                "later@example.com",
                Some(1_772_446_650),
                None,
                Some("4.4.1"),
                "status=deferred",
                false,
            ),
        ],
        1,
    );
    // The multi-line reply is kept whole, flattened; the enhanced code comes from dsn=.
    assert_eq!(
        log.events[0].text,
        "host gmail-smtp-in.l.google.com[142.250.102.27] said: 550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser a640c23a62f3a-abc123si.1 - gsmtp (in reply to RCPT TO command)"
    );
    assert_eq!(log.events[4].text, "unknown user: \"bob\"");
    assert_eq!(log.events[0].location, "line 4");
    check(
        "postfix-iso.log",
        Source::Postfix,
        year(1999),
        &[
            (
                1,
                "nobody@example.com",
                Some(1_772_442_840),
                Some(550),
                Some("5.1.1"),
                "status=bounced",
                false,
            ),
            (
                3,
                "spam@example.org",
                Some(1_772_443_200),
                Some(554),
                Some("5.7.1"),
                "status=bounced",
                false,
            ),
        ],
        0,
    );
}

#[test]
fn a_postfix_log_spanning_new_year_ends_in_the_given_year() {
    let want: &[Row] = &[
        (
            1,
            "a@example.com",
            Some(1_767_225_490),
            None,
            Some("4.4.1"),
            "status=deferred",
            false,
        ),
        (
            2,
            "b@example.com",
            Some(1_767_225_599),
            Some(550),
            Some("5.1.1"),
            "status=bounced",
            false,
        ),
        (
            5,
            "c@example.com",
            Some(1_767_225_605),
            Some(421),
            Some("4.7.0"),
            "status=deferred",
            false,
        ),
        (
            6,
            "d@example.com",
            Some(1_767_259_800),
            Some(550),
            Some("5.2.1"),
            "status=bounced",
            false,
        ),
    ];
    // The year of the file's modification time (2026-01-01T06:00:00Z) is the last line's.
    let modified = ImportOptions {
        log_year: None,
        file_modified: Some(1_767_247_200),
    };
    check("postfix-newyear.log", Source::Postfix, modified, want, 0);
    // An explicit year wins over the modification time.
    let both = ImportOptions {
        log_year: Some(2026),
        file_modified: Some(0),
    };
    check("postfix-newyear.log", Source::Postfix, both, want, 0);
    let a_year_later = import(
        &fixture("postfix-newyear.log"),
        Source::Postfix,
        &year(2027),
    )
    .unwrap();
    assert_eq!(
        a_year_later.events[0].time,
        Some(1_767_225_490 + 365 * 86_400)
    );
}

#[test]
fn delivery_status_notifications() {
    let eml = check(
        "dsn-multi.eml",
        Source::Dsn,
        ImportOptions::default(),
        &[
            (
                48,
                "nobody@gmail.com",
                Some(1_772_443_080),
                Some(550),
                Some("5.1.1"),
                "Action: failed",
                false,
            ),
            (
                59,
                "ghost@nxdomain.example",
                Some(1_772_443_080),
                None,
                Some("5.4.4"),
                "Action: failed",
                false,
            ),
            (
                66,
                "full@example.org",
                Some(1_772_442_990),
                Some(452),
                Some("4.2.2"),
                "Action: delayed",
                false,
            ),
        ],
        1,
    );
    assert_eq!(
        eml.events[0].text,
        "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser a640c23a62f3a-abc123si.1 - gsmtp"
    );
    assert_eq!(
        eml.events[1].text,
        "Host or domain name not found. Name service error for name=nxdomain.example type=AAAA: Host not found"
    );
    let mbox = check(
        "dsn-two.mbox",
        Source::Dsn,
        ImportOptions::default(),
        &[
            (
                36,
                "gone@contoso.com",
                Some(1_772_449_200),
                Some(550),
                Some("5.1.10"),
                "Action: failed",
                false,
            ),
            (
                90,
                "slow@example.org",
                Some(1_772_524_804),
                None,
                Some("4.4.1"),
                "Action: delayed",
                false,
            ),
        ],
        1,
    );
    assert_eq!(
        mbox.events[1].text,
        "The recipient server did not accept our requests to connect. Learn more at https://support.google.com/mail/answer/7720 [mx.example.org. 203.0.113.40: timed out]"
    );
}

#[test]
fn every_fixture_is_detected_and_every_format_name_parses() {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 16, "{names:?}");
    for name in &names {
        let source = detect(&fixture(name));
        assert!(source.is_some(), "{name} is not detected");
        let source = source.unwrap();
        assert_eq!(parse_format_name(source.name()), Ok(source));
    }
    assert!(parse_format_name("csv").is_err());
}

// Hostile inputs.

fn any_source(bytes: &[u8]) -> Vec<Result<Imported, ImportError>> {
    Source::ALL
        .iter()
        .map(|&source| import(bytes, source, &year(2026)))
        .collect()
}

/// Every outcome is an event, a problem that says what was expected, or an error that does.
fn assert_sane(label: &str, result: &Result<Imported, ImportError>) {
    match result {
        Ok(imported) => {
            for event in &imported.events {
                assert!(event.text.len() <= MAX_TEXT_BYTES, "{label}");
                assert!(
                    !event.address.is_empty() && event.address.len() <= 1024,
                    "{label}"
                );
                assert!(event.line >= 1, "{label}");
                assert!(event.time.is_none_or(|t| t >= 0), "{label}");
                assert!(
                    event.reply.is_none_or(|r| (200..=599).contains(&r)),
                    "{label}"
                );
            }
            for problem in &imported.problems {
                assert!(problem.message.contains("expected"), "{label}: {problem}");
                assert!(problem.line >= 1, "{label}: {problem}");
            }
        }
        Err(error) => {
            let text = error.to_string();
            assert!(text.contains("expected"), "{label}: {text}");
        }
    }
}

#[test]
fn empty_and_utf16_files_are_errors_for_every_format() {
    for bytes in [&b""[..], b"  \n\r\n", b"\xEF\xBB\xBF", b"\xFF\xFEe\0m\0"] {
        for (source, result) in Source::ALL.iter().zip(any_source(bytes)) {
            let error = result
                .err()
                .unwrap_or_else(|| panic!("{source}: {bytes:?}"));
            assert!(error.to_string().contains(source.expected()), "{error}");
        }
        assert_eq!(detect(bytes), None);
    }
}

#[test]
fn broken_json_is_an_error_with_its_line_and_column() {
    let truncated = &fixture("mailgun-events.json")[..700];
    assert_eq!(detect(truncated), Some(Source::MailgunEvents));
    let error = import(truncated, Source::MailgunEvents, &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(error, ImportError::Json { line: 15, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("line 15, column"), "{error}");

    let not_utf8 = b"[{\"email\": \"b\xE9b@example.com\", \"created\": 1772409600}]";
    let error = import(not_utf8, Source::SendgridJson, &ImportOptions::default()).unwrap_err();
    assert!(error.to_string().contains("line 1, column"), "{error}");

    let deep = "[".repeat(100_000);
    for source in [Source::Ses, Source::Postmark, Source::SendgridWebhook] {
        let error = import(deep.as_bytes(), source, &ImportOptions::default()).unwrap_err();
        assert!(matches!(error, ImportError::Json { .. }), "{error:?}");
    }
    assert_eq!(detect(deep.as_bytes()), None);
}

#[test]
fn wrong_types_are_problems_naming_the_path() {
    let cases: [(Source, &str, &str, &str); 9] = [
        (
            Source::SendgridJson,
            r#"[{"email": 42, "created": 1}]"#,
            "$[0] (line 1)",
            "the number 42",
        ),
        (
            Source::SendgridJson,
            r#"[{"email": "a@x.com", "created": "soon"}]"#,
            "$[0] (line 1)",
            "Unix seconds",
        ),
        (
            Source::SendgridWebhook,
            r#"[{"event": ["bounce"], "email": "a@x.com"}]"#,
            "$[0] (line 1)",
            "an array",
        ),
        (
            Source::MailgunEvents,
            r#"{"items": {"event": "failed"}}"#,
            "$ (line 1)",
            "expected an array",
        ),
        (
            Source::MailgunEvents,
            r#"{"items": ["failed"]}"#,
            "$.items[0] (line 1)",
            "expected an object",
        ),
        (
            Source::MailgunBounces,
            r#"{"items": [{"address": "a@x.com", "code": {"n": 550}}]}"#,
            "$.items[0] (line 1)",
            "an object",
        ),
        (
            Source::Ses,
            r#"{"notificationType": "Bounce", "bounce": {"bouncedRecipients": "a@x.com"}}"#,
            "$ (line 1)",
            "the string",
        ),
        (
            Source::Postmark,
            r#"{"TotalCount": 1, "Bounces": [{"Email": "a@x.com", "BouncedAt": 1772409600}]}"#,
            "$.Bounces[0] (line 1)",
            "the number",
        ),
        (Source::Postmark, "42", "$ (line 1)", "the number 42"),
    ];
    for (source, text, location, words) in cases {
        let imported = import(text.as_bytes(), source, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(imported.events, vec![], "{text}");
        assert_eq!(imported.problems.len(), 1, "{text}");
        let problem = &imported.problems[0];
        assert_eq!(problem.location, location, "{text}");
        assert!(
            problem.message.contains(words),
            "{text}: {}",
            problem.message
        );
        assert_sane(text, &Ok(imported.clone()));
    }
}

#[test]
fn huge_fields_are_cut() {
    let reason = "550 5.1.1 ".to_owned() + &"x".repeat(2_000_000);
    let webhook = serde_json::json!([{"event": "bounce", "email": "a@x.com", "timestamp": 1772409600, "reason": reason}]);
    let imported = import(
        webhook.to_string().as_bytes(),
        Source::SendgridWebhook,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(imported.events[0].text.len(), MAX_TEXT_BYTES);

    let long_address =
        serde_json::json!([{"event": "bounce", "email": "a".repeat(5000) + "@x.com"}]);
    let imported = import(
        long_address.to_string().as_bytes(),
        Source::SendgridWebhook,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(imported.events, vec![]);
    assert!(
        imported.problems[0].message.contains("bytes"),
        "{:?}",
        imported.problems
    );

    let line = format!(
        "Mar  2 10:14:00 mx postfix/smtp[1]: A: to=<a@x.com>, dsn=5.1.1, status=bounced (said: 550 {})\n",
        "y".repeat(200_000)
    );
    let imported = import(line.as_bytes(), Source::Postfix, &year(2026)).unwrap();
    assert!(imported.events[0].text.len() <= MAX_TEXT_BYTES);

    let folded = format!(
        "Final-Recipient: rfc822; a@x.com\nAction: failed\nDiagnostic-Code: smtp; 550 x\n{}",
        " more text\n".repeat(100_000)
    );
    let imported = import(folded.as_bytes(), Source::Dsn, &ImportOptions::default()).unwrap();
    assert!(imported.events[0].text.len() <= MAX_TEXT_BYTES);

    let csv = format!(
        "created,email,reason,status\n1772409600,a@x.com,{},5.1.1\n",
        "z".repeat(100_000)
    );
    let imported = import(
        csv.as_bytes(),
        Source::SendgridCsv,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(imported.events, vec![]);
    assert_eq!(imported.problems[0].line, 2);
}

#[test]
fn text_formats_survive_bad_bytes_and_broken_structure() {
    // A Postfix line with Latin-1 in the reply is still read (lossily); noise is not a log.
    let log = b"Mar  2 10:14:00 mx postfix/smtp[1]: A: to=<a@x.com>, dsn=5.1.1, status=bounced (said: 550 Empf\xE4nger unbekannt)\n";
    let imported = import(log, Source::Postfix, &year(2026)).unwrap();
    assert_eq!(imported.events[0].address, "a@x.com");
    let error = import(b"\x00\x01\x02binary\xFF", Source::Postfix, &year(2026)).unwrap_err();
    assert!(
        error.to_string().contains("no Postfix delivery line"),
        "{error}"
    );

    // A DSN cut inside its report, one nested 50 deep, one without a boundary.
    let eml = fixture("dsn-multi.eml");
    let cut = &eml[..eml.len() * 2 / 3];
    assert_sane(
        "cut dsn",
        &import(cut, Source::Dsn, &ImportOptions::default()),
    );
    let mut nested = String::new();
    for depth in 0..50 {
        nested.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{depth}\n\n--b{depth}\n"
        ));
    }
    nested.push_str("Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@x.com\nAction: failed\n");
    let imported = import(nested.as_bytes(), Source::Dsn, &ImportOptions::default());
    assert_sane("nested", &imported);
    let no_boundary = b"Content-Type: multipart/report; report-type=delivery-status\n\nFinal-Recipient: rfc822; a@x.com\n";
    let imported = import(no_boundary, Source::Dsn, &ImportOptions::default()).unwrap();
    assert!(
        imported.problems[0].message.contains("without a boundary"),
        "{:?}",
        imported.problems
    );

    // A CSV header that is not UTF-8 is an error; a bad row is a problem at its line.
    let error = import(
        b"created,em\xE9il,reason,status\n",
        Source::SendgridCsv,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("line 1"), "{error}");
    let imported = import(
        b"created,email,reason,status\n1772409600,a@x.com,r\xE9,5.1.1\n1772409600,b@x.com,ok,5.1.1\n",
        Source::SendgridCsv,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(imported.events.len(), 1);
    assert_eq!(imported.problems[0].line, 2);
}

// A small deterministic fuzz loop over mutated fixtures.

const TOKENS: [&[u8]; 14] = [
    b"{", b"}", b"[", b"]", b"\"", b",", b":", b"\n", b"\r\n", b"\\", b"--", b"\xE9", b"\0",
    b"\n\n",
];

fn mutate(rng: &mut Seeded, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            1 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            3 => {
                let end = (at + rng.below(256)).min(out.len());
                let copy = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, copy);
            }
            4 => out.truncate(at),
            _ => {
                let digits = (rng.next() % 1_000_000_000_000).to_string();
                out.splice(at..at, digits.bytes());
            }
        }
    }
    out
}

#[test]
fn mutated_fixtures_never_panic() {
    // The providers' exports, and the newer senders' (tests/fixtures/senders/<provider>/).
    let senders = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/senders");
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .chain(std::fs::read_dir(&senders).unwrap())
        .map(|entry| entry.unwrap().path())
        .flat_map(|path| {
            if path.is_dir() {
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path())
                    .collect()
            } else {
                vec![path]
            }
        })
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            !name.ends_with(".md") && !name.ends_with(".tsv")
        })
        .collect();
    names.sort();
    let mut rng = Seeded(0x5EED_B0B5);
    let mut runs = 0;
    for path in &names {
        let name = path.display();
        let original = std::fs::read(path).unwrap();
        let own = detect(&original).unwrap();
        for round in 0..20 {
            let bytes = mutate(&mut rng, &original);
            let label = format!("{name} round {round}");
            let detected = detect(&bytes);
            assert_sane(&label, &import(&bytes, own, &year(2026)));
            if let Some(source) = detected.filter(|&s| s != own) {
                assert_sane(&label, &import(&bytes, source, &year(2026)));
            }
            // Every fifth mutant is read as every format.
            if round % 5 == 0 {
                for result in any_source(&bytes) {
                    assert_sane(&label, &result);
                }
            }
            runs += 1;
        }
    }
    assert!(runs >= 750, "{runs} runs: every fixture, 20 mutants each");
}

/// What bounce mails are made of, for the mutations below.
const MAIL_TOKENS: [&[u8]; 10] = [
    b"\nFrom MAILER-DAEMON Fri Dec  4 10:00:00 2026\n",
    b"=?ISO-2022-JP?B?GyRCJUElJyVDJS8bKEI=?=",
    b"=\n",
    b"=E9",
    b"\nContent-Transfer-Encoding: base64\n",
    b"\nContent-Type: multipart/report; boundary=\"b\"\n\n--b\n",
    b"\nContent-Type: message/delivery-status\n\n",
    b"\nFinal-Recipient: rfc822; \n",
    b"\n--b--\n",
    b"<ann@example.org>:",
];

/// Every bounce mail fixture (every family), mutated 20 times: read as a bounce mail, it
/// gives events and problems that make sense, or an error that says what was expected.
#[test]
fn mutated_bounce_mails_never_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounce-mail");
    let mut mails: Vec<PathBuf> = ["servers", "microsoft-gateways", "providers"]
        .iter()
        .flat_map(|folder| std::fs::read_dir(root.join(folder)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    mails.sort();
    assert!(mails.len() >= 100, "{} mails", mails.len());
    let mut rng = Seeded(0xB0_0C_E5);
    for path in &mails {
        let original = std::fs::read(path).unwrap();
        for round in 0..20 {
            let mut bytes = mutate(&mut rng, &original);
            if round % 2 == 0 {
                let token = MAIL_TOKENS[rng.below(MAIL_TOKENS.len())];
                let at = rng.below(bytes.len() + 1);
                bytes.splice(at..at, token.iter().copied());
            }
            let label = format!("{} round {round}", path.display());
            assert_sane(&label, &import(&bytes, Source::Dsn, &year(2026)));
        }
    }
}

/// What a bounce mail says about where it came from, read into each event's trace. Each row:
/// the fixture | the recipient | the reporting server | the remote server | the returned
/// message's Message-ID | its List-Id ("-" for none).
#[test]
fn bounce_mails_say_which_servers_and_which_message() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounce-mail");
    let table = [
        // RFC 3464: Reporting-MTA, and Remote-MTA for the one recipient that has it; the
        // returned message attached.
        "microsoft-gateways/exchange2003-user-unknown-two-recipients.eml | maria.novak@contoso-demo.example | MAIL01.contoso-demo.example | - | <7F3A2C1D44E0B94C8A1F3C2D5E6B7A0901A2B3@MAIL01.contoso-demo.example> | -",
        "microsoft-gateways/exchange2003-user-unknown-two-recipients.eml | kim.lee@fabrikam.example | MAIL01.contoso-demo.example | mx1.fabrikam.example | <7F3A2C1D44E0B94C8A1F3C2D5E6B7A0901A2B3@MAIL01.contoso-demo.example> | -",
        // A provider's notice from its mailer daemon, the message copied inline below it.
        "providers/aol-no-such-account.eml | kim.invented@yahoo.com | aol.com | - | <20241126080000.77A1C3E2@smtp-out.example.com> | Example Weekly <weekly.example.com>",
        // Exim: "host mx.example.net [192.0.2.x]" names the server that refused.
        "servers/exim-rcpt-user-unknown.eml | paul.meyer@example.net | mx.example.org | mx.example.net | <E1bZ7kp-0003Lh-W1@mx.example.org> | -",
        // A feedback report: its Reporting-MTA, and the reported message's ids.
        "providers/arf-generic-isp-headers.eml | sam.invented@example-isp.net | fbl.example-isp.net | - | <20250318090000.4D5E6F7A@smtp.example.net> | Example Weekly <weekly.example.net>",
    ];
    for row in table {
        let cells: Vec<&str> = row.split(" | ").collect();
        let bytes = std::fs::read(root.join(cells[0])).unwrap();
        let imported = import(&bytes, Source::Dsn, &ImportOptions::default()).unwrap();
        let event = imported
            .events
            .iter()
            .find(|event| event.address == cells[1])
            .unwrap_or_else(|| panic!("{row}: no event for {}", cells[1]));
        let value = |cell: &str| (cell != "-").then(|| cell.to_owned());
        let expected = Trace {
            reporting_mta: value(cells[2]),
            remote_mta: value(cells[3]),
            message_id: value(cells[4]),
            list_id: value(cells[5]),
        };
        assert_eq!(event.trace, expected, "{row}");
    }
}
