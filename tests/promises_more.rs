//! Promises of tests/promises.tsv that a CLI case (tests/cases/) cannot hold: `fix` and
//! `history import` write files, the DNS settings need name servers of the test's own, and the
//! action's inputs need the action's script. Each test says which promises it holds; each
//! would fail if the option, input or key it names were ignored.

mod support {
    #[cfg(unix)] // the simulated runner is bash with Unix paths
    pub mod action;
    pub mod bin;
    pub mod dns_server;
    pub mod git;
}

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::dns_server;
use support::git::git;

// ---------------------------------------------------------------------------------------
// fix and history import, as data: files in, command, files out.

/// What must hold after a run.
enum Expect {
    /// The file is exactly this.
    Is(&'static str, &'static str),
    /// The file holds this.
    Has(&'static str, &'static str),
    /// The file was not written.
    Absent(&'static str),
    /// stderr does not hold this.
    StderrLacks(&'static str),
}

struct Case {
    /// The promise of tests/promises.tsv the case holds.
    promise: &'static str,
    files: &'static [(&'static str, &'static str)],
    /// `fix` runs get `--offline`: these cases are about everything but DNS.
    args: &'static [&'static str],
    exit: i32,
    expect: &'static [Expect],
}

const ANN_BOB: &str = "ann@gmail.com\nbob@gmail.com\n";
const ANN: &str = "ann@gmail.com\n";
/// bob@ hard-bounced.
const BOB_HARD: &str = "email,code,diagnostic\nbob@gmail.com,550,user unknown\n";
/// A Postfix log line without a year: bob@ hard-bounced on 2 March.
const BOB_LOG: &str = "Mar  2 10:00:00 mx postfix/smtp[99]: 4TqAAA: to=<bob@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1, dsn=5.1.1, status=bounced (host gmail-smtp-in.l.google.com[142.250.1.27] said: 550 5.1.1 The email account that you tried to reach does not exist)\n";
/// A text no built-in rule knows (a bare 550 with it is `undefined`, which suppresses nothing)...
const ZEBRA: &str = "email,code,diagnostic\nbob@gmail.com,550,zebra crossing closed\n";
/// ...and a rule that knows it.
const ZEBRA_RULE: &str =
    "rules:\n  - name: mine-zebra\n    text: [zebra crossing]\n    reason: userunknown\n";
/// Soft bounces on 1, 4 and 7 May, or 5 January, April and July: only --date-order says which.
const SLASH_DATES: &str = "email,timestamp,smtp_code,diagnostic\n\
    full@gmail.com,01/05/2026,452,4.2.2 mailbox full\n\
    full@gmail.com,04/05/2026,452,4.2.2 mailbox full\n\
    full@gmail.com,07/05/2026,452,4.2.2 mailbox full\n";
/// Three soft bounces in March, and a newer event in September that ends the default window.
const MARCH_SOFT: &str = "email,timestamp,smtp_code,diagnostic\n\
    full@gmail.com,2026-03-01,452,4.2.2 mailbox full\n\
    full@gmail.com,2026-03-10,452,4.2.2 mailbox full\n\
    full@gmail.com,2026-03-20,452,4.2.2 mailbox full\n\
    later@gmail.com,2026-09-01,452,4.2.2 mailbox full\n";
const FULL_OK: &str = "full@gmail.com\nok@gmail.com\n";

/// `fix` takes the input options of `check`: each one changes which rows it removes.
const FIX_CASES: &[Case] = &[
    Case {
        promise: "fix --rules",
        files: &[
            ("list.txt", ANN_BOB),
            ("h.csv", ZEBRA),
            ("mine.yaml", ZEBRA_RULE),
        ],
        args: &[
            "fix",
            "list.txt",
            "--history",
            "h.csv",
            "--rules",
            "mine.yaml",
        ],
        exit: 0,
        expect: &[Expect::Is("list.txt", ANN)],
    },
    Case {
        promise: "fix --files-from",
        files: &[
            ("lists/a.txt", ANN_BOB),
            ("lists/b.txt", ANN_BOB),
            ("h.csv", BOB_HARD),
            ("files.txt", "lists/a.txt\n"),
        ],
        args: &["fix", "--files-from", "files.txt", "--history", "h.csv"],
        exit: 0,
        expect: &[
            Expect::Is("lists/a.txt", ANN),
            Expect::Is("lists/b.txt", ANN_BOB),
        ],
    },
    Case {
        // Forced to read a generic CSV as Postmark's JSON, the history has no bounce.
        promise: "fix --history-format",
        files: &[("list.txt", ANN_BOB), ("h.csv", BOB_HARD)],
        args: &[
            "fix",
            "list.txt",
            "--history",
            "h.csv",
            "--history-format",
            "postmark",
        ],
        exit: 2,
        expect: &[Expect::Is("list.txt", ANN_BOB)],
    },
    Case {
        promise: "fix --log-year",
        files: &[("list.txt", ANN_BOB), ("mail.log", BOB_LOG)],
        args: &[
            "fix",
            "list.txt",
            "--history",
            "mail.log",
            "--log-year",
            "2024",
        ],
        exit: 0,
        expect: &[
            Expect::Is("list.txt", ANN),
            Expect::Has("suppressed.csv", ",2024-03-02\n"),
        ],
    },
    Case {
        promise: "fix --date-order",
        files: &[("list.txt", FULL_OK), ("h.csv", SLASH_DATES)],
        args: &[
            "fix",
            "list.txt",
            "--history",
            "h.csv",
            "--date-order",
            "dmy",
        ],
        exit: 0,
        expect: &[Expect::Is("list.txt", "ok@gmail.com\n")],
    },
    Case {
        // No header names the email column: without --column the file cannot be read.
        promise: "fix --column",
        files: &[
            (
                "list.csv",
                "name,work,private\nAnn,ann@gmail.com,bob@gmail.com\nCarl,carl@gmail.com,dan@gmail.com\n",
            ),
            ("h.csv", BOB_HARD),
        ],
        args: &[
            "fix",
            "list.csv",
            "--history",
            "h.csv",
            "--column",
            "private",
        ],
        exit: 0,
        expect: &[Expect::Is(
            "list.csv",
            "name,work,private\nCarl,carl@gmail.com,dan@gmail.com\n",
        )],
    },
    Case {
        promise: "fix --as-of",
        files: &[("list.txt", FULL_OK), ("h.csv", MARCH_SOFT)],
        args: &[
            "fix",
            "list.txt",
            "--history",
            "h.csv",
            "--as-of",
            "2026-04-01",
        ],
        exit: 0,
        expect: &[Expect::Is("list.txt", "ok@gmail.com\n")],
    },
    Case {
        promise: "fix --allow-quoted-local",
        files: &[("list.txt", "\"john doe\"@gmail.com\nann@gmail.com\n")],
        args: &[
            "fix",
            "list.txt",
            "--include-predicted",
            "--allow-quoted-local",
        ],
        exit: 0,
        expect: &[Expect::Is(
            "list.txt",
            "\"john doe\"@gmail.com\nann@gmail.com\n",
        )],
    },
    Case {
        promise: "fix --allow-domain-literal",
        files: &[("list.txt", "user@[192.0.2.1]\nann@gmail.com\n")],
        args: &[
            "fix",
            "list.txt",
            "--include-predicted",
            "--allow-domain-literal",
        ],
        exit: 0,
        expect: &[Expect::Is("list.txt", "user@[192.0.2.1]\nann@gmail.com\n")],
    },
    Case {
        // Bob@ bounced, not bob@.
        promise: "fix --case-sensitive-local",
        files: &[
            ("list.txt", ANN_BOB),
            (
                "h.csv",
                "email,code,diagnostic\nBob@gmail.com,550,user unknown\n",
            ),
        ],
        args: &[
            "fix",
            "list.txt",
            "--history",
            "h.csv",
            "--case-sensitive-local",
        ],
        exit: 0,
        expect: &[Expect::Is("list.txt", ANN_BOB)],
    },
    Case {
        promise: "fix --include-predicted",
        files: &[("list.txt", "broken@gmail\nann@gmail.com\n")],
        args: &["fix", "list.txt", "--include-predicted"],
        exit: 0,
        expect: &[
            Expect::Is("list.txt", ANN),
            Expect::Has("suppressed.csv", "\nbroken@gmail,"),
        ],
    },
    Case {
        // The one note `fix` prints besides its result: the paths --files-from left out.
        promise: "fix --quiet",
        files: &[
            ("lists/a.txt", ANN_BOB),
            ("h.csv", BOB_HARD),
            ("files.txt", "lists/a.txt\nREADME.md\n"),
        ],
        args: &[
            "fix",
            "--files-from",
            "files.txt",
            "--history",
            "h.csv",
            "--quiet",
        ],
        exit: 0,
        expect: &[
            Expect::Is("lists/a.txt", ANN),
            Expect::StderrLacks("left out"),
        ],
    },
];

/// `history import` writes what its options change into the history CSV.
const IMPORT_CASES: &[Case] = &[
    Case {
        // Forced to read a generic CSV as Postmark's JSON: nothing to import.
        promise: "history import --history-format",
        files: &[("h.csv", BOB_HARD)],
        args: &[
            "history",
            "import",
            "h.csv",
            "--out",
            "out.csv",
            "--history-format",
            "postmark",
        ],
        exit: 2,
        expect: &[Expect::Absent("out.csv")],
    },
    Case {
        promise: "history import --log-year",
        files: &[("mail.log", BOB_LOG)],
        args: &[
            "history",
            "import",
            "mail.log",
            "--out",
            "out.csv",
            "--log-year",
            "2024",
        ],
        exit: 0,
        expect: &[Expect::Has(
            "out.csv",
            "\nbob@gmail.com,2024-03-02T10:00:00Z,",
        )],
    },
    Case {
        promise: "history import --date-order",
        files: &[("h.csv", SLASH_DATES)],
        args: &[
            "history",
            "import",
            "h.csv",
            "--out",
            "out.csv",
            "--date-order",
            "dmy",
        ],
        exit: 0,
        expect: &[Expect::Has(
            "out.csv",
            "\nfull@gmail.com,2026-05-01T00:00:00Z,",
        )],
    },
    Case {
        // The decision columns name the rule of the given file.
        promise: "history import --rules",
        files: &[("h.csv", ZEBRA), ("mine.yaml", ZEBRA_RULE)],
        args: &[
            "history",
            "import",
            "h.csv",
            "--out",
            "out.csv",
            "--rules",
            "mine.yaml",
        ],
        exit: 0,
        expect: &[Expect::Has(
            "out.csv",
            ",userunknown,suppress,mine-zebra,,,,,\n",
        )],
    },
];

fn run_case(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (path, text) in case.files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut args = case.args.to_vec();
    if args[0] == "fix" {
        args.push("--offline");
    }
    let output = support::bin::run(root, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = || {
        format!(
            "args: {args:?}\n--- stdout\n{}\n--- stderr\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    };
    if output.status.code() != Some(case.exit) {
        return Err(format!(
            "exit code {:?}, expected {}\n{}",
            output.status.code(),
            case.exit,
            context()
        ));
    }
    let read = |path: &str| std::fs::read_to_string(root.join(path)).ok();
    for expect in case.expect {
        let problem = match *expect {
            Expect::Is(path, want) => (read(path).as_deref() != Some(want))
                .then(|| format!("{path} is {:?}, expected {want:?}", read(path))),
            Expect::Has(path, want) => (!read(path).unwrap_or_default().contains(want))
                .then(|| format!("{path} lacks {want:?}: {:?}", read(path))),
            Expect::Absent(path) => read(path).map(|text| format!("{path} was written: {text:?}")),
            Expect::StderrLacks(unwanted) => stderr
                .contains(unwanted)
                .then(|| format!("stderr holds {unwanted:?}")),
        };
        if let Some(problem) = problem {
            return Err(format!("{problem}\n{}", context()));
        }
    }
    Ok(())
}

fn run_cases(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run_case(case)
                .err()
                .map(|error| format!("{}: {error}", case.promise))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn fix_takes_the_input_options_of_check() {
    run_cases(FIX_CASES);
}

#[test]
fn history_import_options() {
    run_cases(IMPORT_CASES);
}

/// fix --changed-since: only the lists the change touched are fixed.
#[test]
fn fix_changed_since_fixes_only_the_changed_lists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::write(root.join("lists/a.txt"), ANN_BOB).unwrap();
    std::fs::write(root.join("lists/b.txt"), ANN_BOB).unwrap();
    std::fs::write(root.join("h.csv"), BOB_HARD).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "lists"]);
    git(root, &["checkout", "-qb", "import"]);
    std::fs::write(
        root.join("lists/a.txt"),
        format!("{ANN_BOB}carl@gmail.com\n"),
    )
    .unwrap();
    git(root, &["commit", "-qam", "import"]);

    let output = support::bin::run(
        root,
        &[
            "fix",
            "lists",
            "--history",
            "h.csv",
            "--changed-since",
            "main",
            "--offline",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("lists/a.txt")).unwrap(),
        "ann@gmail.com\ncarl@gmail.com\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("lists/b.txt")).unwrap(),
        ANN_BOB,
        "b.txt did not change since main: not fixed"
    );
}

/// rules.yaml policy.complaints: `fix` removes a complainer when complaints suppress, and
/// keeps it when they only warn (the default).
#[test]
fn fix_removes_a_complainer_only_when_complaints_suppress() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/complaints-warn");
    let list = std::fs::read_to_string(case.join("list.txt")).unwrap();
    for (rules, kept) in [
        ("", list.clone()),
        (
            "policy:\n  complaints: suppress\n",
            list.replacen("sam@example-isp.net\n", "", 1),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("list.txt"), &list).unwrap();
        std::fs::write(dir.path().join("rules.yaml"), rules).unwrap();
        std::fs::create_dir(dir.path().join("bounces")).unwrap();
        std::fs::copy(
            case.join("bounces/fbl.eml"),
            dir.path().join("bounces/fbl.eml"),
        )
        .unwrap();
        let output = support::bin::run(
            dir.path(),
            &["fix", "list.txt", "--history", "bounces", "--offline"],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{rules}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("list.txt")).unwrap(),
            kept,
            "{rules}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// DNS settings, each given as an option of `check`, of `fix`, or as a key of rules.yaml.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    Check,
    Fix,
    Key,
}

const EVERY_WAY: [Via; 3] = [Via::Check, Via::Fix, Via::Key];

/// Run on a fresh `list.csv` in `dir`: the setting as `options` (Check, Fix) or as `key`
/// under `dns:` in rules.yaml (Key), with `common` options in every run. `fix` gets
/// `--include-predicted`, so that a domain's verdict shows in the list it leaves.
fn dns_run(
    dir: &Path,
    via: Via,
    list: &str,
    options: &[&str],
    key: &str,
    common: &[&str],
) -> Output {
    std::fs::write(dir.join("list.csv"), list).unwrap();
    let rules = dir.join("rules.yaml");
    let _ = std::fs::remove_file(&rules);
    let mut args = match via {
        Via::Fix => vec!["fix", "list.csv", "--include-predicted"],
        _ => vec!["check", "list.csv"],
    };
    args.extend(common);
    match via {
        Via::Key => std::fs::write(&rules, format!("dns:\n  {key}\n")).unwrap(),
        _ => args.extend(options),
    }
    support::bin::run(dir, &args)
}

/// The query turned into an answer with this RCODE and no records.
fn empty_answer(query: &[u8], rcode: u8) -> Option<Vec<u8>> {
    let mut reply = query[..dns_server::question_end(query)?].to_vec();
    reply[2] = (reply[2] | 0x80) & !0x02; // QR, not truncated
    reply[3] = (reply[3] & 0xF0) | 0x80 | rcode; // RA
    for count in &mut reply[6..12] {
        *count = 0;
    }
    Some(reply)
}

/// A name server that answers the root probe at once and every other query NXDOMAIN (no
/// SOA: nothing is cached) after `delay`, counting the most queries it held at once.
struct SlowDns {
    addr: SocketAddr,
    most_at_once: Arc<AtomicUsize>,
}

fn slow_dns(delay: Duration) -> SlowDns {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let held = Arc::new(AtomicUsize::new(0));
    let most_at_once = Arc::new(AtomicUsize::new(0));
    let most = most_at_once.clone();
    // The threads end with the test process.
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok((len, from)) = socket.recv_from(&mut buffer) {
            let query = &buffer[..len];
            let root = query.get(12) == Some(&0);
            let Some(reply) = empty_answer(query, if root { 0 } else { 3 }) else {
                continue;
            };
            if root {
                let _ = socket.send_to(&reply, from);
                continue;
            }
            let now = held.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let (socket, held) = (socket.try_clone().unwrap(), held.clone());
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                held.fetch_sub(1, Ordering::SeqCst);
                let _ = socket.send_to(&reply, from);
            });
        }
    });
    SlowDns { addr, most_at_once }
}

/// check/fix --dns-timeout and dns.timeout: against a server that never answers, the one
/// probe takes one timeout, its retries included (they go out inside it): 0.25 s here, 3 s at
/// the default.
#[test]
fn dns_timeout_bounds_the_wait_for_a_silent_server() {
    let silent = dns_server::silent();
    let server = silent.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    for via in EVERY_WAY {
        let started = Instant::now();
        let output = dns_run(
            dir.path(),
            via,
            "email\nann@gmail.com\n",
            &["--dns-timeout", "0.25"],
            "timeout: 0.25",
            &["--nameserver", &server],
        );
        let elapsed = started.elapsed();
        assert_eq!(output.status.code(), Some(0), "{via:?}");
        assert!(
            elapsed >= Duration::from_millis(250) && elapsed < Duration::from_millis(2500),
            "{via:?}: {elapsed:?}"
        );
    }
}

/// check/fix --dns-attempts and dns.attempts: the silent server receives the root probe
/// 1 + 3 times (1 + 1 at the default), all inside the one 0.2 s timeout (too short for the
/// resolver's own resend of a UDP query, which comes after a third of a second). It reads
/// nothing while the binary runs; the queries wait in the socket and are counted after.
#[test]
fn dns_attempts_is_the_number_of_retries() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = socket.local_addr().unwrap().to_string();
    socket.set_nonblocking(true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for via in EVERY_WAY {
        let output = dns_run(
            dir.path(),
            via,
            "email\nann@gmail.com\n",
            &["--dns-attempts", "3"],
            "attempts: 3",
            &["--nameserver", &server, "--dns-timeout", "0.2"],
        );
        assert_eq!(output.status.code(), Some(0), "{via:?}");
        let mut queries = 0;
        let mut buffer = [0u8; 4096];
        while socket.recv_from(&mut buffer).is_ok() {
            queries += 1;
        }
        assert_eq!(queries, 4, "{via:?}");
    }
}

/// check/fix --dns-concurrency and dns.concurrency: with 2, the server never holds more than
/// two queries at once; at the default 64 it holds all twelve domains' queries together.
#[test]
fn dns_concurrency_bounds_the_queries_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let list: String = std::iter::once("email\n".to_owned())
        .chain((0..12).map(|n| format!("user@d{n}.fixture.net\n")))
        .collect();
    for via in EVERY_WAY {
        let server = slow_dns(Duration::from_millis(150));
        let addr = server.addr.to_string();
        let output = dns_run(
            dir.path(),
            via,
            &list,
            &["--dns-concurrency", "2"],
            "concurrency: 2",
            &["--nameserver", &addr, "--dns-timeout", "3"],
        );
        assert!(output.status.code().is_some(), "{via:?}");
        let most = server.most_at_once.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{via:?}: {most} queries at once");
    }
}

const ANN_MISSING_BOB_OK: &str = "email\nann@missing.fixture.net\nbob@ok.fixture.net\n";

/// check/fix --offline and dns.offline: the name server would say missing.fixture.net does
/// not exist, but it is not asked.
#[test]
fn offline_asks_no_name_server() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let addr = server.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    for via in EVERY_WAY {
        let output = dns_run(
            dir.path(),
            via,
            ANN_MISSING_BOB_OK,
            &["--offline"],
            "offline: true",
            &["--nameserver", &addr],
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{via:?}: {stdout}");
        assert!(!stdout.contains("domain-not-found"), "{via:?}: {stdout}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("list.csv")).unwrap(),
            ANN_MISSING_BOB_OK,
            "{via:?}"
        );
    }
}

/// fix --nameserver and dns.nameservers (check --nameserver: tests/dns.rs): the server given
/// is the one asked, and its NXDOMAIN is a predicted hard bounce.
#[test]
fn the_name_server_given_is_asked() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let addr = server.addr.to_string();
    let key = format!("nameservers: [\"{addr}\"]");
    let dir = tempfile::tempdir().unwrap();
    for via in EVERY_WAY {
        let output = dns_run(
            dir.path(),
            via,
            ANN_MISSING_BOB_OK,
            &["--nameserver", &addr],
            &key,
            &["--dns-timeout", "1"],
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        if via == Via::Fix {
            assert_eq!(output.status.code(), Some(0), "{stdout}");
            assert_eq!(
                std::fs::read_to_string(dir.path().join("list.csv")).unwrap(),
                "email\nbob@ok.fixture.net\n"
            );
        } else {
            assert_eq!(output.status.code(), Some(1), "{via:?}: {stdout}");
            assert!(
                stdout.contains("error[domain-not-found]: ann@missing.fixture.net"),
                "{via:?}: {stdout}"
            );
        }
    }
}

/// check/fix --dns-cache and dns.cache: the answers are kept in the file named.
#[test]
fn the_dns_cache_file_is_written() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let addr = server.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("kept/dns.json");
    for via in EVERY_WAY {
        let _ = std::fs::remove_file(&cache);
        let output = dns_run(
            dir.path(),
            via,
            ANN_MISSING_BOB_OK,
            &["--dns-cache", "kept/dns.json"],
            "cache: kept/dns.json",
            &["--nameserver", &addr, "--dns-timeout", "1"],
        );
        assert!(output.status.code().is_some(), "{via:?}");
        let stored: Value = serde_json::from_slice(&std::fs::read(&cache).unwrap_or_default())
            .unwrap_or_else(|error| panic!("{via:?}: no cache file: {error}"));
        for domain in ["missing.fixture.net", "ok.fixture.net"] {
            assert!(
                stored["entries"].get(domain).is_some(),
                "{via:?}: {domain}: {stored}"
            );
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// dns.cache_max_age_hours: an answer whose TTL is a day is kept one hour.
#[test]
fn the_cache_keeps_an_answer_no_longer_than_cache_max_age_hours() {
    let zone = "$ORIGIN longttl.net.
$TTL 86400
@        IN SOA ns.longttl.net. admin.longttl.net. 1 7200 3600 1209600 86400
@        IN NS  ns
ns       IN A   198.41.0.4
mail     IN MX  10 mx.mail
mx.mail  IN A   93.184.216.34
";
    let server = dns_server::serve(&[zone]);
    let addr = server.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = dns_run(
        dir.path(),
        Via::Key,
        "email\nann@mail.longttl.net\n",
        &[],
        "cache_max_age_hours: 1",
        &["--nameserver", &addr, "--dns-cache", "dns.json"],
    );
    assert_eq!(output.status.code(), Some(0));
    let stored: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("dns.json")).unwrap()).unwrap();
    let entry = &stored["entries"]["mail.longttl.net"];
    assert_eq!(entry["verdict"], "mx", "{stored}");
    let expires = entry["expires"].as_i64().unwrap();
    let now = unix_now();
    assert!(
        expires > now && expires <= now + 3600,
        "expires {expires}, now {now}"
    );
}

fn check_json(dir: &Path, rules: &str, server: SocketAddr, list: &str) -> (Option<i32>, Value) {
    std::fs::write(dir.join("rules.yaml"), rules).unwrap();
    std::fs::write(dir.join("list.csv"), list).unwrap();
    let (code, report, _) = support::bin::check_json(dir, server, &["list.csv"]);
    (code, report)
}

/// (code, severity) of every finding of the first list.
fn findings(report: &Value) -> Vec<(String, String)> {
    report["lists"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// policy.fail_on.unknown alone (tests/dns.rs sets it with unknown_counts_as_bounce, which
/// fails the gate by itself): a domain the server answers SERVFAIL for is an error.
#[test]
fn fail_on_unknown_makes_an_unknown_domain_an_error() {
    let server = dns_server::servfail();
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = check_json(
        dir.path(),
        "policy:\n  fail_on:\n    unknown: true\n",
        server.addr,
        "email\nann@a.fixture.net\n",
    );
    assert_eq!(findings(&report), [("dns-unknown".into(), "error".into())]);
    assert_eq!(code, Some(1));
}

/// policy.severity.implicit_mx: a domain that takes mail at its A record only is an error.
#[test]
fn severity_implicit_mx_sets_the_level_of_implicit_mx() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = check_json(
        dir.path(),
        "policy:\n  severity:\n    implicit_mx: error\n",
        server.addr,
        "email\nbob@aonly.fixture.net\n",
    );
    assert_eq!(findings(&report), [("implicit-mx".into(), "error".into())]);
    assert_eq!(code, Some(1));
}

// ---------------------------------------------------------------------------------------
// The action's inputs. As in tests/action.rs: the "Check the lists" step's script runs in
// bash with the env its `env:` mapping gives, in a simulated GitHub environment, with the
// binary this suite built.

/// The action's steps in `repo`, outside a pull request.
#[cfg(unix)]
fn run_action(repo: &Path, inputs: &[(&str, &str)]) -> support::action::Run {
    support::action::run(repo, inputs, None)
}

/// A repository whose list holds an address on a domain the fixture zone says does not exist,
/// and whose rules.yaml names the test's name server (the action has no input for one).
#[cfg(unix)]
fn dns_repo(server: SocketAddr) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lists")).unwrap();
    std::fs::write(dir.path().join("lists/news.csv"), ANN_MISSING_BOB_OK).unwrap();
    std::fs::write(
        dir.path().join("rules.yaml"),
        format!("dns:\n  nameservers: [\"{server}\"]\n  timeout: 1\n"),
    )
    .unwrap();
    dir
}

/// action offline: no domain is checked, and no DNS cache is written (the default dns-cache
/// input names one).
#[test]
#[cfg(unix)]
fn action_offline_checks_no_domain() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let repo = dns_repo(server.addr);
    let run = run_action(repo.path(), &[("offline", "true")]);
    assert_eq!(run.status, 0, "{}", run.log);
    assert_eq!(run.report()["dns"]["checked"], false);
    assert!(!repo.path().join(".bouncegate/dns-cache.json").exists());
}

/// action dns-cache: the answers are kept in the file the input names.
#[test]
#[cfg(unix)]
fn action_dns_cache_keeps_the_answers_in_the_file_named() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let repo = dns_repo(server.addr);
    let run = run_action(repo.path(), &[("dns-cache", "cache/dns.json")]);
    assert_eq!(run.status, 1, "{}", run.log);
    let stored: Value =
        serde_json::from_slice(&std::fs::read(repo.path().join("cache/dns.json")).unwrap())
            .unwrap();
    assert_eq!(
        stored["entries"]["missing.fixture.net"]["verdict"],
        "domain-not-found"
    );
}

/// action changed-since: outside a pull request, the input alone scopes the check to the
/// lists changed since that revision.
#[test]
#[cfg(unix)]
fn action_changed_since_checks_only_the_changed_lists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::write(root.join("lists/a.csv"), "email\nann@gmail.com\n").unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "lists"]);
    git(root, &["checkout", "-qb", "import"]);
    std::fs::write(root.join("lists/b.csv"), "email\nbob@gmail.com\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "import"]);
    let run = run_action(root, &[("offline", "true"), ("changed-since", "main")]);
    assert_eq!(run.status, 0, "{}", run.log);
    let report = run.report();
    assert_eq!(report["scope"]["lists_changed"], 1, "{report}");
    assert_eq!(report["scope"]["lists_unchanged"], 1, "{report}");
}

/// action format: json prints the JSON report on the log (the annotations go to stderr).
#[test]
#[cfg(unix)]
fn action_format_json_prints_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lists")).unwrap();
    std::fs::write(dir.path().join("lists/a.csv"), "email\nann@gmail.com\n").unwrap();
    let run = run_action(dir.path(), &[("offline", "true"), ("format", "json")]);
    assert_eq!(run.status, 0, "{}", run.log);
    let check = &run.step_stdout["check"];
    let printed: Value =
        serde_json::from_str(check).unwrap_or_else(|error| panic!("{error}: {check}"));
    assert_eq!(printed["schema_version"], 2);
}

/// action allow-empty: no list found passes, where it fails without the input (exit 2).
#[test]
#[cfg(unix)]
fn action_allow_empty_passes_when_no_list_is_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.yaml"),
        "lists: [\"list/**/*.csv\"]\n",
    )
    .unwrap();
    let strict = run_action(dir.path(), &[("offline", "true")]);
    assert_eq!(strict.status, 2, "{}", strict.log);
    let allowed = run_action(dir.path(), &[("offline", "true"), ("allow-empty", "true")]);
    assert_eq!(allowed.status, 0, "{}", allowed.log);
    assert_eq!(allowed.report()["totals"]["lists"], 0);
}

/// fix --allow-empty: no list found is nothing to fix, where it fails without the option.
#[test]
fn fix_allow_empty_has_nothing_to_fix_when_no_list_is_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.yaml"),
        "lists: [\"list/**/*.csv\"]\n",
    )
    .unwrap();
    let strict = support::bin::run(dir.path(), &["fix", "--offline"]);
    assert_eq!(strict.status.code(), Some(2));
    let allowed = support::bin::run(dir.path(), &["fix", "--offline", "--allow-empty"]);
    assert_eq!(
        allowed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
}
