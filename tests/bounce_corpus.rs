//! The bounce corpus: bounce texts of real mail systems, written by us from their public
//! documentation (tests/cases/bounces/*.tsv: reason, action, source, text), classified by the
//! built-in rules. Prints per-reason precision and recall, and fails below the thresholds the
//! classifier promises: hard-vs-not >= 97%, action >= 93%, no sender-side row suppressed.

use std::collections::BTreeMap;
use std::path::Path;

use bouncegate::bounces::reason::{Reason, Side};
use bouncegate::bounces::rules::Action;

struct Row {
    file: String,
    line: usize,
    reason: Reason,
    action: Action,
    text: String,
}

fn parse_action(text: &str) -> Option<Action> {
    match text {
        "suppress" => Some(Action::Suppress),
        "count" => Some(Action::Count),
        "ignore" => Some(Action::Ignore),
        _ => None,
    }
}

fn read_corpus() -> Vec<Row> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/bounces");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tsv"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut header_seen = false;
        for (index, line) in text.lines().enumerate() {
            let at = format!("{name}:{}", index + 1);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if !header_seen {
                assert_eq!(line, "reason\taction\tsource\ttext", "{at}: the header");
                header_seen = true;
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [reason, action, source, text] = fields.as_slice() else {
                panic!(
                    "{at}: expected 4 tab-separated fields, found {}",
                    fields.len()
                );
            };
            assert!(
                !source.trim().is_empty(),
                "{at}: every row names its source"
            );
            rows.push(Row {
                file: name.clone(),
                line: index + 1,
                reason: reason.parse().unwrap_or_else(|e| panic!("{at}: {e}")),
                action: parse_action(action)
                    .unwrap_or_else(|| panic!("{at}: unknown action '{action}'")),
                text: (*text).to_owned(),
            });
        }
    }
    rows
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

#[test]
fn the_classifier_meets_its_promises_on_the_corpus() {
    let config = bouncegate::config::load(None).expect("the built-in rules load");
    let rows = read_corpus();
    let mut hard_agree = 0;
    let mut action_agree = 0;
    let mut reason_agree = 0;
    let mut sender_suppressed = Vec::new();
    // Per reason: (true positives, predicted, expected).
    let mut per_reason: BTreeMap<Reason, (usize, usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    for row in &rows {
        let got = config.rules.classify_text(&row.text);
        let hard = |action: Action| action == Action::Suppress;
        hard_agree += usize::from(hard(got.action) == hard(row.action));
        action_agree += usize::from(got.action == row.action);
        reason_agree += usize::from(got.reason == row.reason);
        per_reason.entry(got.reason).or_default().1 += 1;
        per_reason.entry(row.reason).or_default().2 += 1;
        if got.reason == row.reason {
            per_reason.entry(got.reason).or_default().0 += 1;
        }
        if row.reason.side() == Side::Sender && got.action == Action::Suppress {
            sender_suppressed.push(format!("{}:{}: {}", row.file, row.line, row.text));
        }
        if got.action != row.action || got.reason != row.reason {
            let rule = got.rule.map_or("-".into(), |i| config.rules.name(i));
            wrong.push(format!(
                "{}:{}: expected {}/{} got {}/{} ({rule}, {}): {}",
                row.file,
                row.line,
                row.reason,
                row.action,
                got.reason,
                got.action,
                config.rules.evidence(&got),
                row.text
            ));
        }
    }

    let n = rows.len();
    println!("corpus: {n} rows");
    println!(
        "{:<16} {:>9} {:>9} {:>9}",
        "reason", "precision", "recall", "rows"
    );
    for (reason, (hit, predicted, expected)) in &per_reason {
        println!(
            "{:<16} {:>8.1}% {:>8.1}% {:>9}",
            reason.as_str(),
            percent(*hit, *predicted),
            percent(*hit, *expected),
            expected
        );
    }
    let hard = percent(hard_agree, n);
    let action = percent(action_agree, n);
    println!(
        "hard-vs-not: {hard:.1}%  action: {action:.1}%  reason: {:.1}%",
        percent(reason_agree, n)
    );
    println!("sender-side rows suppressed: {}", sender_suppressed.len());
    println!("disagreements ({}):", wrong.len());
    for line in &wrong {
        println!("  {line}");
    }
    assert!(
        sender_suppressed.is_empty(),
        "sender-side rows suppressed (a live subscriber deleted):\n{}",
        sender_suppressed.join("\n")
    );
    assert!(
        n >= 600,
        "the corpus holds {n} rows; it promises at least 600"
    );
    assert!(
        hard >= 97.0,
        "hard-vs-not agreement {hard:.1}% is under 97%"
    );
    assert!(action >= 93.0, "action agreement {action:.1}% is under 93%");
}
