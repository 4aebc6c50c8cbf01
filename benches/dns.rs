//! The DNS stage at scale, against the in-process DNS server of the tests (hickory-server on
//! 127.0.0.1): 50,000 unique domains through the library at several concurrencies, then a
//! 1,000,000-row list over 20,000 domains through the whole pipeline of the built binary.
//! Run with `cargo bench --bench dns`; record the figures in BENCHMARKS.md.

#[path = "../tests/support/dns_server.rs"]
mod dns_server;
#[path = "support/measure.rs"]
mod measure;

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use bouncegate::domains::{DnsOptions, check_domains};

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
