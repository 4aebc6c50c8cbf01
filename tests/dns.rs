//! The DNS stage against a real DNS server started inside the test process on 127.0.0.1
//! (hickory-server, port 0), through the library and through the built binary.

mod support {
    pub mod bin;
    pub mod dns_server;
}

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use bouncegate::domains::{DnsOptions, DomainReport, DomainVerdict, check_domains};
use serde_json::Value;
use support::dns_server::{self, Fault, TestDns};

fn options(server: &TestDns) -> DnsOptions {
    DnsOptions {
        nameservers: vec![server.addr],
        timeout: Duration::from_millis(500),
        attempts: 0,
        ..DnsOptions::default()
    }
}

fn check(names: &[&str], options: &DnsOptions) -> DomainReport {
    check_domains(names.iter().map(|d| (*d).to_owned()).collect(), options)
}

fn code(report: &DomainReport, domain: &str) -> &'static str {
    report
        .get(domain)
        .unwrap_or_else(|| panic!("no verdict for {domain}"))
        .code()
}

#[test]
fn every_row_of_the_verdict_table() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let cases = [
        ("ok.fixture.net", "mx"),
        ("nullmx.fixture.net", "null-mx"),
        ("missing.fixture.net", "domain-not-found"),
        ("aonly.fixture.net", "implicit-mx"),
        ("aaaaonly.fixture.net", "implicit-mx"),
        ("privateonly.fixture.net", "no-mail-host"),
        ("nodata.fixture.net", "no-mail-host"),
        ("alias.fixture.net", "mx"),
        ("hostless.fixture.net", "mx-unusable"),
        ("localmx.fixture.net", "mx-unusable"),
        ("privmx.fixture.net", "mx-unusable"),
        ("zeromx.fixture.net", "mx-unusable"),
        ("ipmx.fixture.net", "mx-unusable"),
        ("xn--bcher-kva.fixture.net", "mx"),
        ("big.fixture.net", "mx"),
        // Outside every zone the server answers REFUSED: a transient fault, not a bounce.
        ("elsewhere.org", "dns-unknown"),
    ];
    let names: Vec<&str> = cases.iter().map(|(d, _)| *d).collect();
    let report = check(&names, &options(&server));
    for (domain, expected) in cases {
        assert_eq!(
            code(&report, domain),
            expected,
            "{domain}: {:?}",
            report.get(domain)
        );
    }
    match report.get("ok.fixture.net") {
        Some(DomainVerdict::Mx { hosts }) => {
            assert_eq!(hosts, &["mx1.ok.fixture.net", "mx2.ok.fixture.net"])
        }
        other => panic!("{other:?}"),
    }
    match report.get("big.fixture.net") {
        Some(DomainVerdict::Mx { hosts }) => assert_eq!(hosts.len(), 60, "all 60 came over TCP"),
        other => panic!("{other:?}"),
    }
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(report.looked_up, cases.len());
}

#[test]
fn servfail_and_silence_are_unknown_never_hard() {
    let servfail = dns_server::servfail();
    let report = check(&["a.fixture.net", "b.fixture.net"], &options(&servfail));
    for domain in ["a.fixture.net", "b.fixture.net"] {
        match report.get(domain) {
            Some(DomainVerdict::DnsUnknown { detail }) => {
                assert!(detail.contains("SERVFAIL"), "{detail}")
            }
            other => panic!("{domain}: {other:?}"),
        }
    }

    // No name server answers: said once, up front, and the run does not wait a timeout per
    // domain.
    let silent = dns_server::silent();
    let domains: Vec<String> = (0..500).map(|n| format!("d{n}.fixture.net")).collect();
    let started = Instant::now();
    let report = check_domains(domains, &options(&silent));
    let elapsed = started.elapsed();
    assert!(report.all_unknown());
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(
        report.notes[0].contains("no name server answers"),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .domains
            .values()
            .all(|c| c.verdict.code() == "dns-unknown")
    );

    // A name server that calls every name nonexistent, the root zone too, is not believed:
    // nothing it says becomes a hard bounce.
    let liar = dns_server::nxdomain_everywhere();
    let report = check(&["a.fixture.net", "ok.fixture.net"], &options(&liar));
    assert!(report.all_unknown());
    assert!(
        report.notes[0].contains("root zone does not exist"),
        "{:?}",
        report.notes
    );
    for domain in ["a.fixture.net", "ok.fixture.net"] {
        assert_eq!(code(&report, domain), "dns-unknown", "{domain}");
    }
    // 500 domains x 0.5 s would be minutes even at concurrency 64; one probe is 0.5 s.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_failed_address_family_is_unknown_and_an_answer_without_ttl_is_not_cached() {
    // MX: NODATA, A: NODATA, AAAA: SERVFAIL. The AAAA might have held the mail host: unknown.
    let server = dns_server::nodata_except(28);
    let report = check(&["half.fixture.net"], &options(&server));
    assert_eq!(code(&report, "half.fixture.net"), "dns-unknown");

    // Everything NODATA, but without an SOA: no-mail-host for this run, kept nowhere.
    let dir = tempfile::tempdir().unwrap();
    let server = dns_server::nodata_except(0);
    let mut with_cache = options(&server);
    with_cache.cache_file = Some(dir.path().join("nested/cache.json"));
    let report = check(&["bare.fixture.net"], &with_cache);
    assert_eq!(code(&report, "bare.fixture.net"), "no-mail-host");
    let stored: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("nested/cache.json")).unwrap())
            .unwrap();
    assert_eq!(
        stored["entries"],
        serde_json::json!({}),
        "no TTL, no cache entry"
    );
    assert!(
        report.notes.is_empty(),
        "the cache's folder is created: {:?}",
        report.notes
    );
}

/// The cache keeps definitive answers, never unknowns. An answer that the domain takes mail is
/// kept for `cache_max_age` (a week by default) whatever its TTL, so that a weekly job finds
/// it; a negative answer only for its TTL, and it is asked again before it can fail a build.
#[test]
fn the_cache_keeps_definitive_answers_never_unknowns_and_negatives_are_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("dns-cache.json");
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let mut with_cache = options(&server);
    with_cache.cache_file = Some(cache.clone());

    let first = check(
        &["ok.fixture.net", "missing.fixture.net", "elsewhere.org"],
        &with_cache,
    );
    assert_eq!(first.looked_up, 3);
    let stored: Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    let entries = stored["entries"].as_object().unwrap();
    assert!(
        !entries.contains_key("elsewhere.org"),
        "an unknown is never cached"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // The MX answer's TTL is an hour: it is kept the whole week all the same.
    let week = 7 * 86_400;
    let expires = entries["ok.fixture.net"]["expires"].as_i64().unwrap();
    assert!(
        expires > now + week - 600 && expires <= now + week,
        "{expires} vs {now}"
    );
    // The negative answer's expiry comes from the SOA minimum (300 s).
    let expires = entries["missing.fixture.net"]["expires"].as_i64().unwrap();
    assert!(expires > now && expires <= now + 300, "{expires} vs {now}");

    let second = check(
        &["ok.fixture.net", "missing.fixture.net", "elsewhere.org"],
        &with_cache,
    );
    assert_eq!(second.from_cache, 1, "the mail-taking answer alone");
    assert_eq!(
        second.looked_up, 2,
        "the negative answer and the unknown are asked again"
    );

    // A negative answer in the cache, not expired, for a domain that takes mail now: asked
    // again, and the fresh answer replaces it.
    let mut stale = stored.clone();
    stale["entries"]["ok.fixture.net"] =
        serde_json::json!({"verdict": "domain-not-found", "expires": now + 3600});
    std::fs::write(&cache, serde_json::to_vec(&stale).unwrap()).unwrap();
    let third = check(&["ok.fixture.net"], &with_cache);
    assert_eq!(third.from_cache, 0);
    assert_eq!(code(&third, "ok.fixture.net"), "mx");
}

#[test]
fn each_mx_host_is_resolved_once_however_many_domains_share_it() {
    // shared1 and shared2 both name mx.provider; ok names mx1.ok (usable, so mx2.ok is never
    // needed); alias is a CNAME to ok.
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let domains = [
        "shared1.fixture.net",
        "shared2.fixture.net",
        "ok.fixture.net",
        "alias.fixture.net",
    ];
    let report = check(&domains, &options(&server));
    for domain in domains {
        assert_eq!(code(&report, domain), "mx", "{domain}");
    }
    assert_eq!(report.looked_up, 4);
    assert_eq!(report.mx_hosts, 2, "mx.provider and mx1.ok, once each");
}

/// The fixture zone plus names whose name servers are dead: everything at and below
/// dead.fixture.net is never answered (`Fault::Silent`), and slow.fixture.net is answered late.
fn server_with_dead_names() -> TestDns {
    let mut zone = dns_server::fixture_zone();
    zone.push_str(
        "deadmx  IN MX 10 mx1.dead
deadmx  IN MX 20 mx2.dead
deadmx2 IN MX 10 mx1.dead
deadmx2 IN MX 20 mx2.dead
slow    IN MX 10 mx1.ok
",
    );
    dns_server::serve_with_faults(
        &[&zone],
        &[
            ("dead.fixture.net", Fault::Silent),
            ("slow.fixture.net", Fault::Slow(Duration::from_millis(700))),
        ],
    )
}

const A: u16 = 1;
const MX: u16 = 15;
const AAAA: u16 = 28;

/// A domain whose name servers never answer costs the run one timeout, its retries included:
/// they go out inside the window, not one timeout after another. Its MX hosts, when they are
/// the silent ones, cost one more window, A and AAAA and every host together; the domains that
/// answer are not held up. Before hedging this run took 1 + 2 + 2 + ... = about 12 s.
#[test]
fn a_silent_domain_costs_one_timeout_with_its_retries_inside_it() {
    let server = server_with_dead_names();
    let timeout = Duration::from_secs(1);
    let mut options = options(&server);
    options.timeout = timeout;
    options.attempts = 2;
    let started = Instant::now();
    let report = check(
        &[
            "ok.fixture.net",
            "missing.fixture.net",
            "dead.fixture.net",
            "deadmx.fixture.net",
            "deadmx2.fixture.net",
        ],
        &options,
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= timeout && elapsed < timeout + Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(code(&report, "ok.fixture.net"), "mx");
    assert_eq!(code(&report, "missing.fixture.net"), "domain-not-found");
    for domain in [
        "dead.fixture.net",
        "deadmx.fixture.net",
        "deadmx2.fixture.net",
    ] {
        assert_eq!(code(&report, domain), "dns-unknown", "never a hard bounce");
    }
    match report.get("deadmx.fixture.net") {
        Some(DomainVerdict::DnsUnknown { detail }) => {
            assert!(detail.contains(".dead.fixture.net"), "{detail}")
        }
        other => panic!("{other:?}"),
    }

    // The MX question went out attempts + 1 times, all inside the one window.
    let log = &server.faulted;
    assert_eq!(log.questions("dead.fixture.net", MX), 3);
    // When each question first went out (hickory's own resends of a question come after).
    let mut first_sent: Vec<(u16, Instant)> = Vec::new();
    for query in log.entries() {
        if query.name == "dead.fixture.net" && !first_sent.iter().any(|(id, _)| *id == query.id) {
            first_sent.push((query.id, query.at));
        }
    }
    let spread = first_sent[2].1.duration_since(first_sent[0].1);
    assert!(
        spread >= Duration::from_millis(500) && spread < timeout,
        "the retries went out inside the window: {spread:?}"
    );
    // Both domains name mx1.dead: it was asked for once, A and AAAA, each with its retries.
    assert_eq!(log.questions("mx1.dead.fixture.net", A), 3);
    assert_eq!(log.questions("mx1.dead.fixture.net", AAAA), 3);
    // The second host is raced inside the same window: asked half-way through it (its share),
    // not once the first host's window is over.
    let first = |name: &str| {
        log.entries()
            .iter()
            .find(|q| q.name == name)
            .map(|q| q.at)
            .unwrap_or_else(|| panic!("{name} never asked"))
    };
    let after = first("mx2.dead.fixture.net").duration_since(first("mx1.dead.fixture.net"));
    assert!(
        after >= Duration::from_millis(300) && after < Duration::from_millis(800),
        "{after:?}"
    );

    // A server that never answers at all costs the probe one timeout too.
    let silent = dns_server::silent();
    let mut options = self::options(&silent);
    options.timeout = timeout;
    options.attempts = 3;
    let started = Instant::now();
    let report = check(&["ok.fixture.net"], &options);
    let elapsed = started.elapsed();
    assert!(report.all_unknown());
    assert!(
        elapsed >= timeout && elapsed < timeout + Duration::from_millis(1500),
        "{elapsed:?}"
    );
}

/// A domain that waits for a silent host another domain already waited for does not wait a
/// second window: the host's lookup is made once and outlives the domain that started it.
#[test]
fn the_run_never_waits_twice_for_the_same_silent_host() {
    let server = server_with_dead_names();
    let mut options = options(&server);
    // One domain at a time, done before it would give its place up (after a third of a second):
    // deadmx2 starts when deadmx has given up on both hosts (or waits for the same lookups).
    options.timeout = Duration::from_millis(300);
    options.attempts = 1;
    options.concurrency = 1;
    let report = check(&["deadmx.fixture.net", "deadmx2.fixture.net"], &options);
    assert_eq!(code(&report, "deadmx.fixture.net"), "dns-unknown");
    assert_eq!(code(&report, "deadmx2.fixture.net"), "dns-unknown");
    for host in ["mx1.dead.fixture.net", "mx2.dead.fixture.net"] {
        let asked = server.faulted.questions(host, A);
        assert!(
            (1..=2).contains(&asked),
            "{host} asked {asked} times, not attempts + 1 = 2"
        );
    }
}

/// A slow but live server gets the whole window: the answer to the first try, late, after the
/// retries went out, still wins.
#[test]
fn a_late_answer_within_the_timeout_wins() {
    let server = server_with_dead_names();
    let mut options = options(&server);
    options.timeout = Duration::from_secs(1);
    options.attempts = 2;
    let report = check(&["slow.fixture.net"], &options);
    assert_eq!(
        code(&report, "slow.fixture.net"),
        "mx",
        "{:?}",
        report.get("slow.fixture.net")
    );
    assert!(
        server.faulted.questions("slow.fixture.net", MX) >= 2,
        "retries went out"
    );
}

fn run_binary(dir: &Path, nameserver: SocketAddr, extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = vec!["list.csv"];
    args.extend(extra);
    support::bin::check_json(dir, nameserver, &args)
}

fn write_list(dir: &Path) {
    let mut list = String::from("email\n");
    for n in 0..40 {
        list.push_str(&format!("user{n}@ok.fixture.net\n"));
    }
    list.push_str("ann@missing.fixture.net\nbob@aonly.fixture.net\ncarl@missing.fixture.net\n");
    list.push_str("dan@nullmx.fixture.net\neve@bücher.fixture.net\n");
    std::fs::write(dir.join("list.csv"), list).unwrap();
}

#[test]
fn the_binary_groups_findings_by_failing_domain() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let dir = tempfile::tempdir().unwrap();
    write_list(dir.path());
    let (code, report, stderr) = run_binary(dir.path(), server.addr, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let findings: Vec<(String, u64, String)> = report["lists"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap_or(0),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("domain-not-found".to_owned(), 42, "error".to_owned()),
            ("implicit-mx".to_owned(), 43, "warning".to_owned()),
            ("null-mx".to_owned(), 45, "error".to_owned()),
            ("bounce-rate".to_owned(), 0, "error".to_owned()),
        ]
    );
    let not_found = &report["lists"][0]["findings"][0];
    assert_eq!(not_found["reason"]["lines"], serde_json::json!([42, 44]));
    assert_eq!(not_found["reason"]["addresses"], 2);
    assert!(
        not_found["message"]
            .as_str()
            .unwrap()
            .starts_with("ann@missing.fixture.net: missing.fixture.net does not exist (NXDOMAIN); 2 addresses on lines 42, 44"),
        "{}",
        not_found["message"]
    );
    let stats = &report["lists"][0]["stats"];
    assert_eq!(stats["predicted_hard"], 3);
    assert_eq!(stats["domains"]["mx"], 41);
    assert_eq!(stats["domains"]["domain-not-found"], 2);
    // JSON carries every domain verdict.
    let domains = report["dns"]["domains"].as_object().unwrap();
    assert_eq!(domains.len(), 5);
    assert_eq!(domains["xn--bcher-kva.fixture.net"]["verdict"], "mx");
}

#[test]
fn the_binary_passes_when_dns_only_fails_transiently() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.csv"),
        "email\nann@a.fixture.net\nbob@b.fixture.net\n",
    )
    .unwrap();
    let servers = [
        dns_server::servfail(),
        dns_server::silent(),
        dns_server::nxdomain_everywhere(),
    ];
    for server in servers {
        let (code, report, stderr) = run_binary(dir.path(), server.addr, &[]);
        assert_eq!(
            code,
            Some(0),
            "dns-unknown never fails the build by default: {stderr}"
        );
        assert_eq!(report["lists"][0]["stats"]["predicted_hard"], 0);
        assert_eq!(report["lists"][0]["stats"]["domains"]["dns-unknown"], 2);
        // fail_on.unknown fails it, naming each domain's lines, even when no name server
        // answered at all.
        std::fs::write(
            dir.path().join("fail-on-unknown.yaml"),
            "policy:\n  fail_on:\n    unknown: true\n",
        )
        .unwrap();
        let (code, report, stderr) = run_binary(
            dir.path(),
            server.addr,
            &["--rules", "fail-on-unknown.yaml"],
        );
        assert_eq!(code, Some(1), "{stderr}");
        let findings = report["lists"][0]["findings"].as_array().unwrap();
        assert!(!findings.is_empty());
        for finding in findings {
            assert_eq!(finding["code"], "dns-unknown", "{finding}");
            assert_eq!(finding["severity"], "error", "{finding}");
        }
        assert_eq!(report["lists"][0]["stats"]["bouncing"], 0);
        // With unknown_counts_as_bounce they count in the rate, too.
        let rules = dir.path().join("strict.yaml");
        std::fs::write(
            &rules,
            "policy:\n  fail_on:\n    unknown: true\n  unknown_counts_as_bounce: true\n",
        )
        .unwrap();
        let (code, report, _) = run_binary(dir.path(), server.addr, &["--rules", "strict.yaml"]);
        assert_eq!(code, Some(1));
        assert_eq!(report["lists"][0]["stats"]["bouncing"], 2);
    }
}

/// The progress bar draws on a terminal (a real pty, from util-linux's `script`), and not in
/// CI, with --quiet, or into a pipe.
#[test]
fn the_progress_bar_shows_on_a_terminal_only() {
    let server = dns_server::serve(&[&dns_server::fixture_zone()]);
    let dir = tempfile::tempdir().unwrap();
    write_list(dir.path());
    let run = |ci: bool, extra: &str| {
        let command = format!(
            "{} check list.csv --nameserver {} --color never {extra}",
            support::bin::path(),
            server.addr
        );
        let env: &[(&str, &str)] = if ci { &[("CI", "true")] } else { &[] };
        support::bin::on_terminal(dir.path(), &command, env)
    };
    let shown = run(false, "");
    assert!(shown.contains("/5 domains"), "{shown}");
    assert!(
        shown.contains("domain-not-found"),
        "the report follows: {shown}"
    );
    assert!(!run(true, "").contains("/5 domains"), "hidden in CI");
    assert!(
        !run(false, "--quiet").contains("/5 domains"),
        "hidden with --quiet"
    );
    let piped = support::bin::bouncegate()
        .args([
            "check",
            "list.csv",
            "--nameserver",
            &server.addr.to_string(),
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("domains"),
        "not into a pipe"
    );
}

/// When only silent domains are left, the progress line names them and says how long they
/// can take at most.
#[test]
fn the_progress_line_names_the_silent_domains_left() {
    let server = server_with_dead_names();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.csv"),
        "email\nann@ok.fixture.net\nbob@dead.fixture.net\n",
    )
    .unwrap();
    let command = format!(
        "{} check list.csv --nameserver {} --color never --dns-timeout 2 --dns-attempts 1",
        support::bin::path(),
        server.addr
    );
    let shown = support::bin::on_terminal(dir.path(), &command, &[]);
    // Each redraw of the line begins after a carriage return.
    let waiting: Vec<&str> = shown
        .split('\r')
        .filter(|line| line.contains("1/2 domains: 1 not answering, waiting at most "))
        .collect();
    assert!(!waiting.is_empty(), "{shown}");
    for line in waiting {
        assert!(
            line.trim_end().ends_with(" s more: dead.fixture.net"),
            "{line}"
        );
        // Shown once the domain has waited a second (its first try's share of the window):
        // at most the other second is left (0.0 when a loaded machine redraws the line after
        // the window closed, before the domain's task has ended).
        let seconds: f64 = line
            .split("waiting at most ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!((0.0..=1.0).contains(&seconds), "{line}");
    }
}
