use super::*;

#[test]
fn a_directory_walk_takes_history_files_and_maildir_mails() {
    for (path, taken) in [
        ("bounces/history.csv", true),
        ("bounces/mail.log.1", true),
        ("bounces/returned.eml", true),
        ("Maildir/cur/1733390000.M1P2.mx:2,S", true),
        ("Maildir/new/1733390001.M2P2.mx", true),
        ("Maildir/tmp/1733390002.M3P2.mx", false),
        ("bounces/README", false),
        ("bounces/.hidden.csv", false),
        ("bounces/old.csv.gz", false),
    ] {
        assert_eq!(is_history_file(Path::new(path)), taken, "{path}");
    }
}

fn evidence(time: i64) -> Evidence {
    Evidence {
        file: Arc::from(Path::new("h.csv")),
        line: 1,
        time: Some(time),
        reply: Some(452),
        enhanced: None,
        text: String::new(),
        reason: Reason::MailboxFull,
        rule: None,
        source: None,
        source_verdict: None,
        already_suppressed: false,
        command: None,
        trace: None,
    }
}

#[test]
fn soft_days_are_distinct_and_inside_the_window() {
    let day = 86_400;
    let history = AddressHistory {
        soft: [100, 100, 101, 10, 190, 191]
            .iter()
            .map(|d| (*d, Arc::new(evidence(d * day))))
            .collect(),
        ..AddressHistory::default()
    };
    // Window (100, 190]: days 101 and 190; day 100 is one day too old, 191 is after the anchor.
    assert_eq!(history.soft_days_within(190, 90).len(), 2);
    // Window (10, 100]: day 100 twice counts once, plus nothing else.
    assert_eq!(history.soft_days_within(100, 90).len(), 1);
}

/// An event on `key` at `time` (or undated), told apart by its line.
fn event(key: &str, line: u64, time: Option<i64>, action: Action, complaint: bool) -> Event {
    let mut evidence = evidence(0);
    evidence.time = time;
    evidence.line = line;
    Event {
        key: key.to_owned(),
        display: None,
        action,
        sender_block: line.is_multiple_of(2),
        complaint,
        time,
        line,
        warning: None,
        evidence: Some(Arc::new(evidence)),
    }
}

fn sums(history: &History) -> String {
    let mut entries: Vec<_> = history.by_address.iter().collect();
    entries.sort_by_key(|(key, _)| key.as_str());
    format!("{:?} {entries:?}", history.newest)
}

/// Files added up apart and merged in order give what one pass over all their events in
/// that order gives: the earliest suppression and complaint (the first of equals, undated
/// last), every soft bounce in order, sender blocks summed.
#[test]
fn merged_files_add_up_as_one_pass_does() {
    use Action::{Count, Ignore, Suppress};
    let files = [
        vec![
            event("a@x.de", 1, Some(300), Suppress, false),
            event("a@x.de", 2, Some(50), Count, true),
            event("a@x.de", 3, Some(86_400), Count, false),
            event("b@x.de", 4, None, Suppress, false),
            event("c@x.de", 5, Some(10), Ignore, false),
        ],
        vec![
            event("a@x.de", 6, None, Suppress, false),
            event("a@x.de", 7, Some(100), Suppress, false),
            event("a@x.de", 8, Some(50), Count, true),
            event("a@x.de", 9, Some(2 * 86_400), Count, false),
            event("b@x.de", 10, Some(5), Suppress, false),
            event("d@x.de", 12, Some(400), Count, false),
        ],
        vec![
            event("a@x.de", 14, Some(100), Suppress, false),
            event("b@x.de", 16, None, Count, false),
            event("c@x.de", 18, Some(9), Suppress, false),
        ],
    ];
    let latest = 1_000_000;
    let mut one_pass = History::default();
    for event in files.iter().flatten() {
        add_event(&mut one_pass, clone(event), latest);
    }
    let mut merged = History::default();
    for file in &files {
        let mut sums = History::default();
        for event in file {
            add_event(&mut sums, clone(event), latest);
        }
        merge(&mut merged, sums);
    }
    assert_eq!(sums(&merged), sums(&one_pass));
    // The earliest suppression of a@x.de is the first of the two at 100 (line 7).
    let a = &merged.by_address["a@x.de"];
    assert_eq!(a.suppressed_by.as_ref().map(|e| e.line), Some(7));
    assert_eq!(a.complained_by.as_ref().map(|e| e.line), Some(2));
    assert_eq!(
        a.soft.iter().map(|(_, e)| e.line).collect::<Vec<_>>(),
        [3, 9]
    );
}

fn clone(event: &Event) -> Event {
    Event {
        key: event.key.clone(),
        display: event.display.clone(),
        warning: None,
        evidence: event.evidence.clone(),
        ..*event
    }
}

#[test]
fn get_finds_every_address_and_its_filter_turns_most_others_away() {
    let mut history = History::default();
    assert!(history.get("ann@x.org").is_none(), "an empty history");
    for i in 0..20_000 {
        history
            .by_address
            .insert(format!("user{i}@x.org"), AddressHistory::default());
    }
    for i in 0..20_000 {
        assert!(history.get(&format!("user{i}@x.org")).is_some(), "user{i}");
    }
    let filter = history.filter.get().expect("made at the first get");
    let through = (0..20_000)
        .filter(|i| filter.may_hold(syntax::key_hash(&format!("other{i}@x.org"))))
        .count();
    assert!(
        through < 20_000 / 25,
        "{through} of 20,000 absent keys got through"
    );
    // A key added after the filter was made is still found.
    history
        .by_address
        .insert("late@x.org".to_owned(), AddressHistory::default());
    assert!(history.get("late@x.org").is_some());
}

/// Everything one read of a generic history CSV says, in `chunk_bytes` pieces: the summary
/// (rows, events, problems with their lines) and the sums, or the events in order.
fn read_generic(data: &[u8], chunk_bytes: usize, summed: bool) -> String {
    let rules = crate::config::load(None).expect("built-in rules").rules;
    let options = HistoryOptions {
        now: Some(2_000_000_000),
        ..HistoryOptions::default()
    };
    let file: Arc<Path> = Arc::from(Path::new("history.csv"));
    let mut events = Vec::new();
    let mut keep = |event: Event| events.push((event.key, event.line, event.action));
    let sink = if summed {
        file::Sink::Sum {
            sums: History::default(),
            latest: options.latest_time(),
        }
    } else {
        file::Sink::Each(&mut keep)
    };
    let mut out = file::Outcome::new(file, sink);
    generic::read_chunked(data, &rules, options, &mut out, chunk_bytes);
    let (summary, history) = out.finish();
    let problems: Vec<String> = summary
        .problems
        .iter()
        .map(|p| format!("{}:{} {}", p.line, p.whole_file, p.problem))
        .collect();
    let gathered = match history {
        Some(history) => sums(&history),
        None => format!("{events:?}"),
    };
    format!(
        "rows {} events {} problems {problems:?}\n{gathered}",
        summary.rows, summary.events
    )
}

/// Read in chunks as small as a byte (every line start a chunk start), a history CSV reads as
/// it does in one piece: the same rows, events in order, sums, and problems at their lines,
/// quoted line breaks and a ragged row included.
#[test]
fn chunked_history_reads_what_serial_reading_reads() {
    let files: &[&[u8]] = &[
        b"email,timestamp,smtp_code,diagnostic\n\
          ann@x.de,2026-01-02T00:00:00Z,550,\"550 5.1.1 user\nunknown\"\n\
          bob@x.de,2026-01-03T00:00:00Z,452,mailbox full\n\
          ann@x.de,2026-01-01T00:00:00Z,550,550 5.1.1 no such user\n\
          bob@x.de,2026-01-05T00:00:00Z,452,\"4.2.2 over\r\nquota\"\n\
          carl@x.de,yesterday,550,user unknown\n\
          dora@x.de,2026-01-06T00:00:00Z,550\n\
          not an address,2026-01-06T00:00:00Z,550,user unknown\n\
          bob@x.de,,452,mailbox full\n\
          ann@x.de,2026-01-01T00:00:00Z,550,\"550 5.1.1 second of equals\"\n",
        b"\"email\",\"code\"\r\n\"a@x.de\",\"550\"\r\n\r\nb@x.de,421\r\n\"c@x.de\",\"55\n0\"\r\n",
        b"email,diagnostic\nann@x.de,\"550 user unknown\nbob@x.de,550 user unknown\n",
        b"\"bad\nheader\nemail,smtp_code\nann@x.de,550\n",
    ];
    for data in files {
        for summed in [false, true] {
            let whole = read_generic(data, usize::MAX, summed);
            for chunk_bytes in [1, 2, 7, 64] {
                let text = String::from_utf8_lossy(data);
                assert_eq!(
                    read_generic(data, chunk_bytes, summed),
                    whole,
                    "{chunk_bytes}-byte chunks, summed {summed}: {text}"
                );
            }
        }
    }
    // The pieces added up are the pieces: a reader can see the sums are not empty.
    let first = read_generic(files[0], 1, true);
    assert!(
        first.contains("ann@x.de") && first.contains("rows 9 events 7"),
        "{first}"
    );
}

/// Evidence text is cut at a number of characters, never inside one.
#[test]
fn cut_keeps_whole_characters() {
    assert_eq!(cut("abc", 5), "abc");
    assert_eq!(cut("abcdef", 3), "abc");
    assert_eq!(cut("ééé", 2), "éé");
    assert_eq!(cut("ééé", 3), "ééé");
    assert_eq!(cut("a€b€", 3), "a€b");
    assert_eq!(cut("", 0), "");
}
