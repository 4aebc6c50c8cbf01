//! `check --shard K/N` and `merge`: for seeded worlds of several lists (duplicates within and
//! across lists, bad syntax, padded cells, unreadable rows), a bounce history and domains
//! answered by a real DNS server in this process, the merge of N shards says exactly what one
//! run says: the same JSON report, human report, SARIF, annotations, job summary, outputs and
//! exit code, for N = 1..5, with lists given whole to shards and split by address.

mod support {
    pub mod bin;
    pub mod dns_server;
    pub mod git;
    pub mod seeded;
}

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::bin::bouncegate;
use support::dns_server::{self, TestDns};
use support::seeded::Seeded;

const DOMAINS: [&str; 6] = [
    "ok.shardzone.net",
    "also.shardzone.net",
    "third.shardzone.net",
    "missing.shardzone.net",
    "nullmx.shardzone.net",
    "aonly.shardzone.net",
];

fn zone() -> String {
    "$ORIGIN shardzone.net.
$TTL 3600
@        IN SOA ns.shardzone.net. admin.shardzone.net. 1 7200 3600 1209600 300
@        IN NS  ns
ns       IN A   198.41.0.4
ok       IN MX  10 mx.ok
mx.ok    IN A   93.184.216.34
also     IN MX  10 mx.ok
third    IN MX  10 mx.third
mx.third IN A   93.184.216.35
nullmx   IN MX  0 .
aonly    IN A   93.184.216.36
"
    .to_owned()
}

/// Lists, a history and a rules file in `dir`, from `seed`.
fn world(dir: &Path, seed: u64, bad_row: bool) {
    let mut random = Seeded(seed);
    let mut pool: Vec<String> = (0..120)
        .map(|n| {
            let domain = DOMAINS[n % DOMAINS.len()];
            format!("user{n}@{domain}")
        })
        .collect();
    // Risk flags: role accounts, a typo of a provider, a disposable domain.
    pool.extend(
        [
            "info@ok.shardzone.net",
            "sales@also.shardzone.net",
            "ann@gmial.com",
            "bob@mailinator.com",
        ]
        .map(str::to_owned),
    );
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    let lists = 2 + random.below(4);
    for l in 0..lists {
        let mut text = String::from("email,name\n");
        let rows = 5 + random.below(150);
        for r in 0..rows {
            let address = random.pick(&pool).clone();
            let cell = match random.below(40) {
                0 => format!("{address}@@broken"),
                1 => format!("  {address}  "),
                2 => address.to_uppercase(),
                3 => String::new(),
                4 => "not-an-address".to_owned(),
                _ => address,
            };
            text.push_str(&format!("{cell},row {r}\n"));
            if random.below(30) == 0 {
                text.push('\n');
            }
        }
        if bad_row && l == 0 {
            text.push_str("a@ok.shardzone.net,too,many,fields\n");
        }
        std::fs::write(dir.join(format!("lists/list{l}.csv")), text).unwrap();
    }
    // One list with no address: empty whatever the split.
    std::fs::write(dir.join("lists/empty.csv"), "email\n").unwrap();

    let mut history = String::from("email,timestamp,smtp_code,enhanced_code,diagnostic\n");
    for _ in 0..60 {
        let address = random.pick(&pool).clone();
        let day = 1 + random.below(28);
        let row = match random.below(5) {
            0 => format!(
                "{address},2026-03-{day:02}T09:00:00Z,550,5.1.1,\"550 5.1.1 User unknown\"\n"
            ),
            1 | 2 => format!(
                "{address},2026-03-{day:02}T09:00:00Z,452,4.2.2,\"452 4.2.2 Mailbox full\"\n"
            ),
            3 => format!(
                "{address},2026-03-{day:02}T09:00:00Z,550,5.7.1,\"550 5.7.1 Message rejected: sender IP is listed on a blocklist\"\n"
            ),
            _ => format!("{address},2026-03-{day:02}T09:00:00Z,,,\"complaint: abuse report\"\n"),
        };
        history.push_str(&row);
    }
    std::fs::create_dir_all(dir.join("bounces")).unwrap();
    std::fs::write(dir.join("bounces/history.csv"), history).unwrap();
    // A limit low enough that some lists fail on their rate, high enough that some pass.
    std::fs::write(
        dir.join("rules.yaml"),
        "policy:\n  max_bounce_rate: 0.25\n  soft_bounce:\n    suppress_after: 2\n",
    )
    .unwrap();
}

fn dns_args(server: &TestDns) -> Vec<String> {
    [
        "--nameserver",
        &server.addr.to_string(),
        "--dns-timeout",
        "1",
        "--dns-attempts",
        "0",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn run(dir: &Path, args: &[String], github: bool) -> Output {
    let mut command = bouncegate();
    command.args(args).current_dir(dir);
    if github {
        command
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
            .env("GITHUB_OUTPUT", dir.join("outputs.txt"));
        let _ = std::fs::remove_file(dir.join("summary.md"));
        let _ = std::fs::remove_file(dir.join("outputs.txt"));
    }
    command.output().expect("start bouncegate")
}

/// Everything a run gives, with what differs from run to run (times) taken out.
#[derive(Debug, PartialEq)]
struct Said {
    code: Option<i32>,
    json: Value,
    human: String,
    sarif: String,
    github_stdout: String,
    summary: String,
    outputs: String,
}

fn without_times(mut json: Value) -> Value {
    let object = json.as_object_mut().unwrap();
    object.remove("timings");
    let dns = object["dns"].as_object_mut().unwrap();
    dns.remove("elapsed_ms");
    // Host lookups are per process: each shard asks for the MX hosts its domains name.
    dns.remove("mx_hosts");
    // Answers expire a TTL after they came: a second apart in two runs.
    for check in dns["domains"].as_object_mut().unwrap().values_mut() {
        check.as_object_mut().unwrap().remove("expires");
    }
    json
}

/// Where two JSON values first differ, for a failure message a person can read.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.keys().chain(y.keys()).find_map(|k| {
            first_difference(
                x.get(k).unwrap_or(&Value::Null),
                y.get(k).unwrap_or(&Value::Null),
                &format!("{at}.{k}"),
            )
        }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} != {b}")),
    }
}

/// The text with what differs between runs made equal: the DNS stage's seconds and the
/// random token that turns workflow commands off around the report.
fn timeless(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .map(|line| {
            if line.starts_with("dns: ")
                && let Some(at) = line.rfind(" in ")
            {
                format!("{} in T s", &line[..at])
            } else if line.starts_with("::stop-commands::")
                || (line.starts_with("::") && line.ends_with("::") && !line.contains(' '))
            {
                "::token::".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Step outputs with their random heredoc delimiters made equal.
fn undelimited(outputs: &str) -> String {
    outputs
        .lines()
        .map(|line| match line.find("ghadelimiter_") {
            Some(at) => format!("{}ghadelimiter", &line[..at]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What `merge` (given `first` as the way in: the shard reports) or one `check` says.
fn said(dir: &Path, first: &[String]) -> Said {
    let with = |extra: &[&str], github: bool| {
        let mut args = first.to_vec();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        run(dir, &args, github)
    };
    let json = with(&["--format", "json"], false);
    let report: Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&json.stderr)));
    let human = with(
        &[
            "--format",
            "human",
            "--color",
            "never",
            "--max-findings",
            "0",
        ],
        false,
    );
    let sarif = with(&["--format", "sarif"], false);
    let github = with(&["--color", "never"], true);
    Said {
        code: json.status.code(),
        json: without_times(report),
        human: timeless(&human.stdout),
        sarif: String::from_utf8_lossy(&sarif.stdout).into_owned(),
        github_stdout: timeless(&github.stdout),
        summary: std::fs::read_to_string(dir.join("summary.md")).unwrap_or_default(),
        outputs: undelimited(&std::fs::read_to_string(dir.join("outputs.txt")).unwrap_or_default()),
    }
}

fn check_args(server: &TestDns) -> Vec<String> {
    let mut args = vec!["check".to_owned()];
    args.extend(dns_args(server));
    args
}

fn sharded(dir: &Path, server: &TestDns, count: u32, split_above: u64) -> Said {
    let mut reports = Vec::new();
    for index in 1..=count {
        let file = format!("shard-{index}.json");
        let mut args = check_args(server);
        args.extend([
            "--shard".to_owned(),
            format!("{index}/{count}"),
            "--split-above".to_owned(),
            split_above.to_string(),
            "--report-file".to_owned(),
            file.clone(),
        ]);
        let output = run(dir, &args, false);
        assert_eq!(
            output.status.code(),
            Some(0),
            "shard {index}/{count}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        reports.push(file);
    }
    // Given in reverse: the order of the files does not matter.
    reports.reverse();
    let mut merge = vec!["merge".to_owned()];
    merge.extend(reports);
    said(dir, &merge)
}

#[test]
fn the_merge_of_shards_says_what_one_run_says() {
    let server = dns_server::serve(&[&zone()]);
    for seed in 1..=3u64 {
        let dir = tempfile::tempdir().unwrap();
        world(dir.path(), seed, seed == 3);
        let one = said(dir.path(), &check_args(&server));
        assert!(
            one.json["totals"]["duplicates"].as_u64() > Some(0)
                && one.json["totals"]["predicted_hard"].as_u64() > Some(0)
                && one.json["totals"]["historic_hard"].as_u64() > Some(0),
            "seed {seed}: the world tests little: {} {}",
            one.json["totals"],
            one.json["dns"]
        );
        let mut random = Seeded(seed * 7919);
        for count in 1..=5 {
            // Whole lists only; every list split; a random threshold between.
            for split_above in [u64::MAX, 0, random.below(6000) as u64] {
                let merged = sharded(dir.path(), &server, count, split_above);
                if let Some(difference) = first_difference(&merged.json, &one.json, "") {
                    panic!(
                        "seed {seed}, {count} shards, split above {split_above} bytes: {difference}"
                    );
                }
                let texts = |said: &Said| {
                    [
                        ("human", said.human.clone()),
                        ("sarif", said.sarif.clone()),
                        ("github", said.github_stdout.clone()),
                        ("summary", said.summary.clone()),
                        ("outputs", said.outputs.clone()),
                    ]
                };
                for ((what, merged), (_, one)) in texts(&merged).into_iter().zip(texts(&one)) {
                    let line = merged.lines().zip(one.lines()).find(|(a, b)| a != b);
                    assert!(
                        merged == one,
                        "seed {seed}, {count} shards, split above {split_above} bytes: the {what} differs: {line:?}"
                    );
                }
                assert_eq!(merged.code, one.code);
            }
        }
    }
}

/// `check --offline --shard SPEC --split-above 0 EXTRA --report-file FILE`, which must pass.
fn offline_shard(dir: &Path, spec: &str, extra: &[&str], file: &str) {
    let mut args = vec!["check", "--offline", "--shard", spec, "--split-above", "0"];
    args.extend(extra);
    args.extend(["--report-file", file]);
    let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
    let output = run(dir, &args, false);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn shard_reports(dir: &Path, count: u32) -> Vec<String> {
    (1..=count)
        .map(|index| {
            let file = format!("s{index}.json");
            offline_shard(dir, &format!("{index}/{count}"), &[], &file);
            file
        })
        .collect()
}

fn merge_error(dir: &Path, files: &[&str]) -> String {
    let mut args = vec!["merge".to_owned()];
    args.extend(files.iter().map(|f| (*f).to_owned()));
    let output = run(dir, &args, false);
    assert_eq!(output.status.code(), Some(2), "{files:?}");
    assert!(output.stdout.is_empty());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn merge_refuses_what_is_not_one_run() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path(), 9, false);
    let reports = shard_reports(dir.path(), 3);
    let [one, two, three] = [&reports[0], &reports[1], &reports[2]].map(String::as_str);

    let missing = merge_error(dir.path(), &[one, three]);
    assert!(missing.contains("shard 2 of 3 is missing"), "{missing}");
    let twice = merge_error(dir.path(), &[one, two, two, three]);
    assert!(twice.contains("s2.json: is shard 2 of 3 again"), "{twice}");

    // A shard of another split of the same run.
    offline_shard(dir.path(), "2/4", &[], "four.json");
    let counts = merge_error(dir.path(), &[one, "four.json", three]);
    assert!(
        counts.contains("four.json: is shard 2 of 4, but s1.json is of 3"),
        "{counts}"
    );

    // A list changed between the shards' runs: another commit.
    let list = dir.path().join("lists/list0.csv");
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("late@ok.shardzone.net,late\n");
    std::fs::write(&list, text).unwrap();
    offline_shard(dir.path(), "2/3", &[], "late.json");
    let lists = merge_error(dir.path(), &[one, "late.json", three]);
    assert!(
        lists.contains("late.json: was made from other lists than s1.json"),
        "{lists}"
    );

    // Other rules: a stricter limit in one shard.
    offline_shard(
        dir.path(),
        "2/3",
        &["--max-bounce-rate", "0.01"],
        "strict.json",
    );
    // (the list changed too; compare with a shard of the same lists)
    let reports = shard_reports(dir.path(), 3);
    let rules = merge_error(dir.path(), &[&reports[0], "strict.json", &reports[2]]);
    assert!(
        rules.contains("strict.json: was made from other rules than s1.json"),
        "{rules}"
    );

    // A whole run's report, and a file that is no report.
    let whole = run(
        dir.path(),
        &["check", "--offline", "--report-file", "whole.json"].map(str::to_owned),
        false,
    );
    assert_eq!(
        whole.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let not_shard = merge_error(dir.path(), &["whole.json"]);
    assert!(
        not_shard.contains("whole.json: is the report of a whole run, not of a shard"),
        "{not_shard}"
    );
    std::fs::write(dir.path().join("notes.json"), "{\"hello\": 1}").unwrap();
    let not_report = merge_error(dir.path(), &["notes.json"]);
    assert!(
        not_report.contains("notes.json: is not a bouncegate JSON report"),
        "{not_report}"
    );
    let gone = merge_error(dir.path(), &["gone.json"]);
    assert!(gone.contains("gone.json: cannot be read"), "{gone}");
}

#[test]
fn a_shard_writes_its_report_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path(), 5, false);
    let output = run(
        dir.path(),
        &["check", "--offline", "--shard", "1/2"].map(str::to_owned),
        false,
    );
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["shard"]["index"], 1);
    assert_eq!(report["shard"]["count"], 2);
    let parts = |report: &Value| -> Vec<String> {
        report["shard"]["plan"]
            .as_array()
            .unwrap()
            .iter()
            .map(|list| list["part"].as_str().unwrap().to_owned())
            .collect()
    };
    // Small lists go whole to a shard by default; over --split-above, every shard has a part.
    assert!(
        parts(&report).iter().all(|part| part == "whole"),
        "{:?}",
        parts(&report)
    );
    let split = run(
        dir.path(),
        &["check", "--offline", "--shard", "1/2", "--split-above", "0"].map(str::to_owned),
        false,
    );
    let split: Value = serde_json::from_slice(&split.stdout).unwrap();
    assert!(
        parts(&split).iter().all(|part| part == "split"),
        "{:?}",
        parts(&split)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bouncegate: shard 1/2: "), "{stderr}");
    assert!(
        stderr.contains("`bouncegate merge` the 2 shard reports"),
        "{stderr}"
    );

    for (args, expected) in [
        (vec!["--shard", "0/2"], "is not a shard: expected K/N"),
        (vec!["--shard", "3/2"], "is not a shard: expected K/N"),
        (
            vec!["--shard", "1/2", "--format", "human"],
            "cannot be used with",
        ),
        (vec!["--split-above", "10"], "--shard"),
    ] {
        let mut all = vec!["check", "--offline"];
        all.extend(args.iter().copied());
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        let output = run(dir.path(), &all, false);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// Each output option of `merge` does what it does for `check`: the merge with it equals the
/// one run with it, and differs from the merge without it.
#[test]
fn merge_takes_the_output_options_of_check() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path(), 11, false);
    let reports = shard_reports(dir.path(), 2);
    // What a run prints on stdout, or writes to the file its options name.
    let gives = |first: &[&str], options: &[&str], file: Option<&str>| -> String {
        let mut args: Vec<String> = first.iter().map(|s| (*s).to_owned()).collect();
        args.extend(options.iter().map(|s| (*s).to_owned()));
        let output = run(dir.path(), &args, false);
        assert!(output.status.code() == Some(1), "{args:?}");
        match file {
            Some(file) => std::fs::read_to_string(dir.path().join(file)).unwrap(),
            None => timeless(&output.stdout),
        }
    };
    let merge: Vec<&str> = ["merge"]
        .into_iter()
        .chain(reports.iter().map(String::as_str))
        .collect();
    let check = ["check", "--offline"];
    for (options, file) in [
        (&["--format", "json"][..], None),
        (&["--format", "sarif"][..], None),
        (&["--format", "github"][..], None),
        (&["--max-findings", "1"][..], None),
        (&["--color", "always"][..], None),
        (&["--quiet"][..], None),
        (&["--report-file", "r.json"][..], Some("r.json")),
        (&["--sarif-file", "r.sarif"][..], Some("r.sarif")),
    ] {
        let merged = gives(&merge, options, file);
        let one = gives(&check, options, file);
        let merged = if file == Some("r.json") || options == ["--format", "json"] {
            let json: Value = serde_json::from_str(&merged).unwrap();
            without_times(json).to_string()
        } else {
            merged
        };
        let one = if file == Some("r.json") || options == ["--format", "json"] {
            without_times(serde_json::from_str(&one).unwrap()).to_string()
        } else {
            one
        };
        assert_eq!(merged, one, "{options:?}");
        if file.is_none() {
            assert_ne!(
                merged,
                gives(&merge, &[], None),
                "{options:?} changes nothing"
            );
        }
    }
}

/// With `--changed-since`, each shard judges the addresses the change adds to its share; the
/// merge gates their rate over the whole list, as one run does.
#[test]
fn shards_of_a_pull_request_merge_into_its_one_run() {
    use support::git::git;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    world(root, 21, false);
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "lists"]);
    git(root, &["checkout", "-qb", "import"]);
    // A bad import into one list, a clean one into another.
    let mut random = Seeded(21);
    for (list, domain) in [
        ("lists/list0.csv", "gmail"),
        ("lists/list1.csv", "ok.shardzone.net"),
    ] {
        let mut text = std::fs::read_to_string(root.join(list)).unwrap();
        for n in 0..40 {
            text.push_str(&format!("new{n}x{}@{domain},new\n", random.below(1000)));
        }
        std::fs::write(root.join(list), text).unwrap();
    }
    git(root, &["commit", "-qam", "import"]);
    let mut one = vec!["check".to_owned(), "--offline".to_owned()];
    one.extend(["--changed-since".to_owned(), "main".to_owned()]);
    let one = said(root, &one);
    // The bad import fails on its own rate (the addresses it adds), which only the whole
    // list's parts added up can say.
    let codes: Vec<&str> = one.json["lists"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|list| list["findings"].as_array().unwrap())
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"added-bounce-rate"), "{codes:?}");
    for count in [2, 3] {
        for index in 1..=count {
            offline_shard(
                root,
                &format!("{index}/{count}"),
                &["--changed-since", "main"],
                &format!("pr-{index}.json"),
            );
        }
        let mut merge = vec!["merge".to_owned()];
        merge.extend((1..=count).map(|index| format!("pr-{index}.json")));
        let merged = said(root, &merge);
        if let Some(difference) = first_difference(&merged.json, &one.json, "") {
            panic!("{count} shards: {difference}");
        }
        assert_eq!(merged.human, one.human, "{count} shards");
        assert_eq!(merged.code, one.code);
    }
}
