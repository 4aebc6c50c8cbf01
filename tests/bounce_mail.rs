//! Bounce mails of many mail systems (tests/fixtures/bounce-mail/<set>/*.eml), each with its
//! expected events in <set>.tsv: recipient, reply code, enhanced code, SMTP command, a piece of
//! the diagnostic text, and what a careful sender does with the address. The mails were
//! written for bouncegate from the systems' documented or known formats (each row names its
//! source). This test prints what it measures per set and fails below the floors at the end.

use std::collections::BTreeMap;
use std::path::Path;

use bouncegate::bounces::classify::BounceInput;
use bouncegate::bounces::codes::ReplyCode;
use bouncegate::bounces::import::{self, ImportOptions, Source};

const SETS: &[&str] = &["servers", "microsoft-gateways", "providers"];

struct Row {
    file: String,
    kind: String,
    recipient: String,
    reply: String,
    enhanced: String,
    command: String,
    text: String,
    action: String,
}

fn rows(set: &str) -> Vec<Row> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/bounce-mail/{set}.tsv"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            assert!(cells.len() >= 8, "{set}.tsv: {line}");
            Row {
                file: cells[0].to_owned(),
                kind: cells[1].to_owned(),
                recipient: cells[2].to_ascii_lowercase(),
                reply: cells[3].to_owned(),
                enhanced: cells[4].to_owned(),
                command: cells[5].to_owned(),
                text: cells[6].to_owned(),
                action: cells[7].to_owned(),
            }
        })
        .collect()
}

/// `RCPT` in the table is `rcpt` in bouncegate; HELO and the greeting are both `connect`.
fn command_name(table: &str) -> &str {
    match table {
        "CONN" | "HELO" => "connect",
        "MAIL" => "mail",
        "RCPT" => "rcpt",
        "DATA" => "data",
        _ => "-",
    }
}

fn words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[derive(Default, Debug)]
struct Tally {
    bounces: usize,
    found: usize,
    reply_right: usize,
    reply_stated: usize,
    enhanced_right: usize,
    enhanced_stated: usize,
    command_right: usize,
    command_stated: usize,
    text_right: usize,
    verdict_right: usize,
    live_suppressed: usize,
    others: usize,
    others_right: usize,
    misses: Vec<String>,
}

#[test]
fn every_family_of_bounce_mail_is_read() {
    let rules = bouncegate::config::load(None).unwrap().rules;
    let mut total = Tally::default();
    // Families by the fixtures' names (`exim-...`, `o365-...`): each must go on being read.
    let mut read_families = std::collections::BTreeSet::new();
    let mut unread_families = Vec::new();
    for set in SETS {
        let mut tally = Tally::default();
        let mut by_file: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for row in rows(set) {
            by_file.entry(row.file.clone()).or_default().push(row);
        }
        for (file, expected) in &by_file {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/fixtures/bounce-mail/{set}/{file}"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(
                import::detect(&bytes),
                Some(Source::Dsn),
                "{file}: detected as mail"
            );
            let imported = import::import(&bytes, Source::Dsn, &ImportOptions::default())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            for row in expected {
                match row.kind.as_str() {
                    "bounce" | "delayed" => {
                        tally.bounces += 1;
                        let event = imported
                            .events
                            .iter()
                            .find(|e| e.address.eq_ignore_ascii_case(&row.recipient));
                        let family = file.split(['-', '.']).next().unwrap_or_default();
                        let Some(event) = event else {
                            tally
                                .misses
                                .push(format!("{file}: no event for {}", row.recipient));
                            unread_families.push(format!("{set}/{family}"));
                            continue;
                        };
                        read_families.insert(format!("{set}/{family}"));
                        tally.found += 1;
                        if row.reply != "-" {
                            tally.reply_stated += 1;
                            if event.reply.map(|r| r.to_string()).as_deref() == Some(&row.reply) {
                                tally.reply_right += 1;
                            } else {
                                tally.misses.push(format!(
                                    "{file}: {} reply {:?}, expected {}",
                                    row.recipient, event.reply, row.reply
                                ));
                            }
                        }
                        if row.enhanced != "-" {
                            tally.enhanced_stated += 1;
                            if event.enhanced.as_deref() == Some(row.enhanced.as_str()) {
                                tally.enhanced_right += 1;
                            }
                        }
                        if row.command != "-" {
                            tally.command_stated += 1;
                            if event.command.map(|c| c.as_str()) == Some(command_name(&row.command))
                            {
                                tally.command_right += 1;
                            } else {
                                tally.misses.push(format!(
                                    "{file}: {} command {:?}, expected {}",
                                    row.recipient, event.command, row.command
                                ));
                            }
                        }
                        if words(&event.text).contains(&words(&row.text)) {
                            tally.text_right += 1;
                        } else {
                            tally.misses.push(format!(
                                "{file}: {} text lacks {:?}: {:?}",
                                row.recipient, row.text, event.text
                            ));
                        }
                        // The fixtures' addresses are on example domains, which `check`
                        // refuses; the verdict is the rules' on the event as read.
                        let ours = rules
                            .classify(BounceInput {
                                reply: event.reply.and_then(ReplyCode::new),
                                enhanced: event.enhanced.as_deref().and_then(|c| c.parse().ok()),
                                text: &event.text,
                                command: event.command,
                            })
                            .action
                            .to_string();
                        let ours_suppress = ours == "suppress";
                        if ours_suppress == (row.action == "suppress") {
                            tally.verdict_right += 1;
                        } else {
                            tally.misses.push(format!(
                                "{file}: {} action {ours}, expected {}: {:?}",
                                row.recipient, row.action, event.text
                            ));
                        }
                        if ours_suppress && row.action != "suppress" {
                            tally.live_suppressed += 1;
                        }
                    }
                    other => {
                        tally.others += 1;
                        let right = match other {
                            "auto-reply" => {
                                imported.auto_replies == 1 && imported.events.is_empty()
                            }
                            "complaint" => imported.events.iter().any(|e| {
                                e.address.eq_ignore_ascii_case(&row.recipient)
                                    && e.source == Source::Mail("arf")
                            }),
                            // A delivery: no bounce for the recipient.
                            _ => !imported
                                .events
                                .iter()
                                .any(|e| e.address.eq_ignore_ascii_case(&row.recipient)),
                        };
                        if right {
                            tally.others_right += 1;
                        } else {
                            tally.misses.push(format!(
                                "{file}: not read as {other}: {:?} {:?}",
                                imported
                                    .events
                                    .iter()
                                    .map(|e| (&e.address, e.source))
                                    .collect::<Vec<_>>(),
                                imported.problems
                            ));
                        }
                    }
                }
            }
        }
        report(set, &tally);
        total.bounces += tally.bounces;
        total.found += tally.found;
        total.reply_right += tally.reply_right;
        total.reply_stated += tally.reply_stated;
        total.enhanced_right += tally.enhanced_right;
        total.enhanced_stated += tally.enhanced_stated;
        total.command_right += tally.command_right;
        total.command_stated += tally.command_stated;
        total.text_right += tally.text_right;
        total.verdict_right += tally.verdict_right;
        total.live_suppressed += tally.live_suppressed;
        total.others += tally.others;
        total.others_right += tally.others_right;
    }
    report("all", &total);
    println!("families read: {read_families:?}");
    assert!(
        unread_families.is_empty(),
        "a recipient of these families was not read: {unread_families:?}"
    );
    assert!(
        read_families.len() >= 40,
        "families read: {}",
        read_families.len()
    );
    let share = |right: usize, of: usize| right as f64 / of.max(1) as f64;
    assert!(total.bounces >= 100, "the sets lost their rows");
    assert!(
        share(total.found, total.bounces) >= FLOOR_FOUND,
        "recipients read"
    );
    assert!(
        share(total.verdict_right, total.bounces) >= FLOOR_VERDICT,
        "hard-vs-not"
    );
    assert!(
        total.live_suppressed == MAX_LIVE_SUPPRESSED,
        "live addresses suppressed"
    );
    assert!(
        share(total.others_right, total.others) >= FLOOR_OTHERS,
        "complaints, auto-replies, deliveries"
    );
    assert!(
        share(total.command_right, total.command_stated) >= FLOOR_COMMAND,
        "commands"
    );
    assert!(
        share(total.text_right, total.found) >= FLOOR_TEXT,
        "diagnostic texts"
    );
}

/// The floors: a little under what the readers measure (131 recipients: 100% read,
/// hard-vs-not 97.7%, none live suppressed, 14/14 other mails, commands 97.9% since session
/// transcripts and the German and French notices are read, texts 99.2%), so that what follows cannot quietly lose it. Raise them as
/// the readers improve; the goal is 95% read and 95% hard-vs-not.
const FLOOR_FOUND: f64 = 0.99;
const FLOOR_VERDICT: f64 = 0.97;
/// The issue allows 10 on its real collection; these fixtures suppressed none.
const MAX_LIVE_SUPPRESSED: usize = 0;
const FLOOR_OTHERS: f64 = 1.0;
const FLOOR_COMMAND: f64 = 0.95;
const FLOOR_TEXT: f64 = 0.98;

fn report(set: &str, t: &Tally) {
    let pct = |right: usize, of: usize| 100.0 * right as f64 / of.max(1) as f64;
    println!(
        "{set}: recipients {}/{} ({:.1}%), reply {:.1}%, enhanced {:.1}%, command {:.1}%, text {:.1}%, hard-vs-not {:.1}%, live suppressed {}, other mails {}/{}",
        t.found,
        t.bounces,
        pct(t.found, t.bounces),
        pct(t.reply_right, t.reply_stated),
        pct(t.enhanced_right, t.enhanced_stated),
        pct(t.command_right, t.command_stated),
        pct(t.text_right, t.found),
        pct(t.verdict_right, t.bounces),
        t.live_suppressed,
        t.others_right,
        t.others
    );
    for miss in &t.misses {
        println!("  {miss}");
    }
}
