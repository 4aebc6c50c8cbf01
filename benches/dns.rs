//! The DNS stage at scale, against the in-process DNS server of the tests (hickory-server on
//! 127.0.0.1): 50,000 unique domains through the library at several concurrencies, then a
//! 1,000,000-row list over 20,000 domains through the whole pipeline of the built binary, then
//! worlds with dead name servers (`silent`): 2,000, 10,000 and 50,000 domains that answer,
//! alone and beside 40 that never do, at the default timeout; 64 and 200 silent ones among
//! 10,000; and the same against answers that take 20 ms, as from a real resolver (`latency`).
//! Run with `cargo bench --bench dns` (`-- silent` for the silent worlds alone, `-- latency` for
//! the slow resolver's alone); record the figures in BENCHMARKS.md.
//! `cargo bench --bench dns -- reference` runs only the whole run against the reference
//! validator with DNS (support/reference_dns.rs: minutes, most of them the reference's),
//! skipped when Python lacks email_validator or dnspython.

#[path = "../tests/support/dns_server.rs"]
mod dns_server;
#[path = "support/measure.rs"]
mod measure;
#[path = "support/reference_dns.rs"]
mod reference_dns;

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use bouncegate::domains::{DnsOptions, DomainReport, check_domains};
use dns_server::Fault;

const DOMAINS: usize = 50_000;
const PIPELINE_ROWS: usize = 1_000_000;
const PIPELINE_DOMAINS: usize = 20_000;
const PROVIDER_HOSTS: usize = 50;

/// A zone with `DOMAINS` mail domains sharing `PROVIDER_HOSTS` MX hosts; every 100th domain
/// is left out, so it is NXDOMAIN.
fn zone() -> String {
    let mut zone = String::from(
        "$ORIGIN bench.net.\n$TTL 3600\n@ IN SOA ns.bench.net. admin.bench.net. 1 7200 3600 1209600 300\n@ IN NS ns\nns IN A 198.41.0.4\n",
    );
    for host in 0..PROVIDER_HOSTS {
        let _ = writeln!(
            zone,
            "mx{host}.provider IN A 93.184.{}.{}",
            host / 200,
            1 + host % 200
        );
    }
    for n in 0..DOMAINS {
        if n % 100 != 99 {
            let _ = writeln!(zone, "d{n} IN MX 10 mx{}.provider", n % PROVIDER_HOSTS);
        }
    }
    zone
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("dns bench: run with `cargo bench --bench dns`");
        return;
    }
    if std::env::args().any(|a| a == "reference") {
        reference_dns::compare();
        return;
    }
    if std::env::args().any(|a| a == "latency") {
        slow_resolver();
        return;
    }
    if !std::env::args().any(|a| a == "silent") {
        at_scale();
    }
    silent_names();
    slow_resolver();
}

fn at_scale() {
    let started = Instant::now();
    let server = dns_server::serve(&[&zone()]);
    println!(
        "in-process server on {} with {DOMAINS} domains, started in {:.2} s",
        server.addr,
        started.elapsed().as_secs_f64()
    );
    let domains: Vec<String> = (0..DOMAINS).map(|n| format!("d{n}.bench.net")).collect();

    for concurrency in [16, 32, 64, 128, 256] {
        let options = DnsOptions {
            nameservers: vec![server.addr],
            timeout: Duration::from_secs(2),
            attempts: 1,
            concurrency,
            ..DnsOptions::default()
        };
        let started = Instant::now();
        let report = check_domains(domains.clone(), &options);
        let elapsed = started.elapsed().as_secs_f64();
        let unknown = report
            .domains
            .values()
            .filter(|check| check.verdict.code() == "dns-unknown")
            .count();
        let not_found = report
            .domains
            .values()
            .filter(|check| check.verdict.code() == "domain-not-found")
            .count();
        println!(
            "{DOMAINS} domains at concurrency {concurrency:>3}: {elapsed:.2} s, {:.0} domains/s ({} MX host lookups, {not_found} not found, {unknown} unknown)",
            DOMAINS as f64 / elapsed,
            report.mx_hosts
        );
    }

    // The whole pipeline: a 1M-row list over 20,000 of those domains.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut list = String::with_capacity(PIPELINE_ROWS * 32);
    list.push_str("email\n");
    for row in 0..PIPELINE_ROWS {
        let _ = writeln!(list, "user{row}@d{}.bench.net", row % PIPELINE_DOMAINS);
    }
    std::fs::write(dir.path().join("list.csv"), list).expect("write list");
    let mut walls = Vec::new();
    let mut peak = 0;
    for _ in 0..3 {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bouncegate"));
        command
            .args(["check", "list.csv", "--format", "json", "--nameserver"])
            .arg(server.addr.to_string())
            .current_dir(dir.path());
        let run = measure::run_measured(command);
        assert_eq!(
            run.code, 1,
            "1% of the domains are NXDOMAIN: the gate fails"
        );
        walls.push(run.wall);
        peak = peak.max(run.max_rss);
    }
    walls.sort_by(f64::total_cmp);
    println!(
        "pipeline, {PIPELINE_ROWS} rows over {PIPELINE_DOMAINS} domains with DNS, 3 runs: median {:.2} s (min {:.2}, max {:.2}), peak RSS {:.0} MiB",
        walls[1],
        walls[0],
        walls[2],
        peak as f64 / 1024.0
    );
}

const ANSWERED: usize = 50_000;
/// Silent domains of each kind in the zone: the bench uses 20 or 100 of each.
const SILENT_PAIRS: usize = 100;
const DEAD_HOSTS: usize = 4;
/// Runs of each measurement of the silent part: the machine is shared, one run says little.
const REPEATS: usize = 3;

/// Answered domains as in `zone()`, and names whose own name servers are dead: s0..s99 under
/// dead.bench.net, whose MX question is never answered, and h0..h99, whose MX records name
/// four hosts under dead.bench.net, whose addresses are never answered. The server drops every
/// query for dead.bench.net and below, as a resolver does for a zone whose name servers do
/// not answer when its client gives up first.
fn zone_with_dead_servers() -> String {
    let mut zone = String::from(
        "$ORIGIN bench.net.\n$TTL 3600\n@ IN SOA ns.bench.net. admin.bench.net. 1 7200 3600 1209600 300\n@ IN NS ns\nns IN A 198.41.0.4\n",
    );
    for host in 0..PROVIDER_HOSTS {
        let _ = writeln!(zone, "mx{host}.provider IN A 93.184.0.{}", 1 + host);
    }
    for n in 0..ANSWERED {
        if n % 100 != 99 {
            let _ = writeln!(zone, "d{n} IN MX 10 mx{}.provider", n % PROVIDER_HOSTS);
        }
    }
    for n in 0..SILENT_PAIRS {
        let _ = writeln!(zone, "h{n} IN MX 10 mx{}.dead", n % DEAD_HOSTS);
    }
    zone
}

fn count(report: &DomainReport, code: &str) -> usize {
    report
        .domains
        .values()
        .filter(|check| check.verdict.code() == code)
        .count()
}

/// The first `answered` domains of the zone, with `pairs` silent ones of each kind spread
/// evenly among them (the binary asks in alphabetical order: a silent domain can be anywhere).
fn with_silent(answered: usize, pairs: usize) -> Vec<String> {
    let silent: Vec<String> = (0..pairs)
        .flat_map(|n| [format!("s{n}.dead.bench.net"), format!("h{n}.bench.net")])
        .collect();
    let every = answered / silent.len();
    let mut all = Vec::with_capacity(answered + silent.len());
    let mut silent = silent.into_iter();
    for n in 0..answered {
        if n % every == every / 2 {
            all.extend(silent.next());
        }
        all.push(format!("d{n}.bench.net"));
    }
    all.extend(silent);
    all
}

/// Seconds, as the bench prints them: `3.13, 3.20, 3.41`.
fn seconds(list: &[f64]) -> String {
    list.iter()
        .map(|s| format!("{s:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The answered domains alone, then with `pairs` silent ones of each kind among them, `REPEATS`
/// times in turn: the walls alone, the stages, and each stage minus the alone run before it.
fn alone_then_silent(answered: usize, pairs: usize, options: &DnsOptions) -> String {
    let (mut alone_walls, mut stages, mut added) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..REPEATS {
        let alone: Vec<String> = (0..answered).map(|n| format!("d{n}.bench.net")).collect();
        let started = Instant::now();
        let report = check_domains(alone, options);
        let alone_wall = started.elapsed().as_secs_f64();
        assert_eq!(count(&report, "dns-unknown"), 0);
        let started = Instant::now();
        let report = check_domains(with_silent(answered, pairs), options);
        let stage = started.elapsed().as_secs_f64();
        assert_eq!(
            count(&report, "dns-unknown"),
            2 * pairs,
            "exactly the silent ones are unknown"
        );
        alone_walls.push(alone_wall);
        stages.push(stage);
        added.push(stage - alone_wall);
    }
    format!(
        "alone {} s ({:.0} domains/s); + {} silent: stage {} s, stage - alone {} s",
        seconds(&alone_walls),
        answered as f64 / alone_walls[0],
        2 * pairs,
        seconds(&stages),
        seconds(&added)
    )
}

/// The stage with the 40 silent domains among 2,000, 10,000 and 50,000 that answer, against
/// the answered ones alone, at the defaults and at attempts 0 and 2; then 64 and 200 silent
/// among 10,000 at concurrency 64, and 200 at 256 (do silent domains holding places slow the
/// others?).
/// Then the cache: with the answers that the domains take mail kept, only the negative and
/// the silent ones are asked.
fn silent_names() {
    let server = dns_server::serve_with_faults(
        &[&zone_with_dead_servers()],
        &[("dead.bench.net", Fault::Silent)],
    );
    let options = DnsOptions {
        nameservers: vec![server.addr],
        ..DnsOptions::default()
    };
    println!(
        "timeout {} s, concurrency {}; goal: stage - alone <= {:.1} s; load average {}",
        options.timeout.as_secs_f64(),
        options.concurrency,
        options.timeout.as_secs_f64() + 0.5,
        measure::load_average()
    );
    for answered in [2_000, 10_000, ANSWERED] {
        println!(
            "{answered} answered, attempts 1: {}",
            alone_then_silent(answered, 20, &options)
        );
        for attempts in [0, 2] {
            let options = DnsOptions {
                attempts,
                ..options.clone()
            };
            let started = Instant::now();
            let report = check_domains(with_silent(answered, 20), &options);
            assert_eq!(count(&report, "dns-unknown"), 40);
            println!(
                "  attempts {attempts}: stage {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    for (pairs, concurrency) in [(32, 64), (SILENT_PAIRS, 64), (SILENT_PAIRS, 256)] {
        let options = DnsOptions {
            concurrency,
            ..options.clone()
        };
        println!(
            "10000 answered, concurrency {concurrency}: {}",
            alone_then_silent(10_000, pairs, &options)
        );
    }
    println!("load average {} after", measure::load_average());

    let dir = tempfile::tempdir().expect("temp dir");
    let cached = DnsOptions {
        cache_file: Some(dir.path().join("dns-cache.json")),
        ..options.clone()
    };
    let answered: Vec<String> = (0..10_000).map(|n| format!("d{n}.bench.net")).collect();
    check_domains(answered.clone(), &cached);
    let started = Instant::now();
    let report = check_domains(answered, &cached);
    let alone = started.elapsed().as_secs_f64();
    let asked_alone = report.looked_up;
    let started = Instant::now();
    let report = check_domains(with_silent(10_000, 20), &cached);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "with the cache: 10000 answered alone {alone:.2} s ({} from the cache, {asked_alone} negative asked again); with the 40 silent {elapsed:.2} s ({} asked)",
        10_000 - asked_alone,
        report.looked_up
    );
}

/// Latency of the server's answers in `slow_resolver`: a resolver nearby answering from its
/// cache.
const LATENCY: Duration = Duration::from_millis(20);

/// The silent domains among answered ones that each take `LATENCY`, as from a real resolver:
/// there the answered throughput is the free places over the latency, not the CPU, so a
/// silent domain holding a place is felt.
fn slow_resolver() {
    let server = dns_server::serve_with_faults(
        &[&zone_with_dead_servers()],
        &[
            ("dead.bench.net", Fault::Silent),
            ("bench.net", Fault::Slow(LATENCY)),
        ],
    );
    let options = DnsOptions {
        nameservers: vec![server.addr],
        ..DnsOptions::default()
    };
    println!(
        "answers after {} ms, concurrency {}; load average {}",
        LATENCY.as_millis(),
        options.concurrency,
        measure::load_average()
    );
    for pairs in [20, 32, SILENT_PAIRS] {
        println!(
            "10000 answered: {}",
            alone_then_silent(10_000, pairs, &options)
        );
    }
}
