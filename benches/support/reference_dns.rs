//! The whole run with DNS, bouncegate against the reference validator (python-email-validator
//! with dnspython, benches/reference_dns.py), on the same list against the same in-process
//! server, in the same run: `cargo bench --bench dns -- reference`.
//!
//! Two worlds over one zone: `SILENT` domains whose name servers never answer among the
//! others (the issue's own measurement had four), and the same list with those rows moved to
//! answered domains, so that the reader sees the ratio without the reference's wait per
//! silent address too. 1% of the domains are NXDOMAIN, as in the other parts of the bench.
//! `BOUNCEGATE_BENCH_ROWS` and `BOUNCEGATE_BENCH_DOMAINS` change the size (default 100,000
//! rows over 2,000 domains, 50 rows each).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::dns_server::{self, Fault};

const DEFAULT_ROWS: usize = 100_000;
const DEFAULT_DOMAINS: usize = 2_000;
const SILENT: usize = 4;
const PROVIDER_HOSTS: usize = 50;
/// bouncegate's default `dns.timeout`, given to the reference as its timeout and lifetime.
const TIMEOUT_S: f64 = 3.0;
const RUNS: usize = 3;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |value| {
        value
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}: a number"))
    })
}

/// `domains` mail domains d0..: each with an MX naming one of the provider hosts, every 100th
/// left out (NXDOMAIN). The silent names are under dead.bench.net, which the server drops.
fn zone(domains: usize) -> String {
    let mut zone = String::from(
        "$ORIGIN bench.net.\n$TTL 3600\n@ IN SOA ns.bench.net. admin.bench.net. 1 7200 3600 1209600 300\n@ IN NS ns\nns IN A 198.41.0.4\n",
    );
    for host in 0..PROVIDER_HOSTS {
        let _ = writeln!(zone, "mx{host}.provider IN A 93.184.0.{}", 1 + host);
    }
    for n in 0..domains {
        if n % 100 != 99 {
            let _ = writeln!(zone, "d{n} IN MX 10 mx{}.provider", n % PROVIDER_HOSTS);
        }
    }
    zone
}

/// Row `row` goes to domain `row % domains`; with `silent`, that many of the domains, spread
/// evenly, are silent ones instead (s{n}.dead.bench.net for d{n}.bench.net).
fn write_list(path: &Path, rows: usize, domains: usize, silent: usize) {
    let every = domains / silent.max(1);
    let is_silent = |n: usize| silent > 0 && n % every == every / 2 && n / every < silent;
    let mut list = String::with_capacity(rows * 32);
    list.push_str("email\n");
    for row in 0..rows {
        let n = row % domains;
        if is_silent(n) {
            let _ = writeln!(list, "user{row}@s{n}.dead.bench.net");
        } else {
            let _ = writeln!(list, "user{row}@d{n}.bench.net");
        }
    }
    std::fs::write(path, list).expect("write the list");
}

/// One run of the binary: its wall time, and from its JSON report the DNS stage's time and
/// the addresses by domain verdict.
struct Checked {
    wall: f64,
    dns_ms: u64,
    verdicts: String,
}

fn run_bouncegate(dir: &Path, server: &str) -> Checked {
    let report = dir.join("report.json");
    let stdout = std::fs::File::create(&report).expect("report file");
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_bouncegate"))
        .args([
            "check",
            "list.csv",
            "--format",
            "json",
            "--nameserver",
            server,
        ])
        .current_dir(dir)
        .stdout(stdout)
        .status()
        .expect("start bouncegate");
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(status.code(), Some(1), "the NXDOMAIN domains fail the gate");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("read the report"))
            .expect("the JSON report");
    Checked {
        wall,
        dns_ms: report["timings"]["dns_ms"]
            .as_u64()
            .expect("timings.dns_ms"),
        verdicts: report["lists"][0]["stats"]["domains"].to_string(),
    }
}

/// One run of the reference: its wall time as a child process (Python's start included, as
/// bouncegate's is) and the line it printed; `Err` with why when it cannot run.
fn run_reference(list: &Path, server: &str) -> Result<(f64, String), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/reference_dns.py");
    let started = Instant::now();
    let output = Command::new("python3")
        .arg(&script)
        .arg(list)
        .arg(server)
        .arg(TIMEOUT_S.to_string())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("python3: {error}"))?;
    let wall = started.elapsed().as_secs_f64();
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() {
        Ok((wall, said))
    } else {
        Err(said)
    }
}

pub fn compare() {
    let rows = env_count("BOUNCEGATE_BENCH_ROWS", DEFAULT_ROWS);
    let domains = env_count("BOUNCEGATE_BENCH_DOMAINS", DEFAULT_DOMAINS);
    let server =
        dns_server::serve_with_faults(&[&zone(domains)], &[("dead.bench.net", Fault::Silent)]);
    let nameserver = server.addr.to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    // Python and its modules first: without them the part is skipped, not failed.
    write_list(&dir.path().join("probe.csv"), 1, 1, 0);
    if let Err(why) = run_reference(&dir.path().join("probe.csv"), &nameserver) {
        println!("reference part skipped: {why}");
        return;
    }
    for silent in [SILENT, 0] {
        write_list(&dir.path().join("list.csv"), rows, domains, silent);
        println!(
            "{rows} rows over {domains} domains, {silent} of them silent (timeout {TIMEOUT_S} s); load average {} before",
            super::measure::load_average()
        );
        let mut runs: Vec<Checked> = (0..RUNS)
            .map(|_| run_bouncegate(dir.path(), &nameserver))
            .collect();
        runs.sort_by(|a, b| a.wall.total_cmp(&b.wall));
        let median = &runs[RUNS / 2];
        let stages: Vec<String> = runs
            .iter()
            .map(|run| format!("{:.2}", run.dns_ms as f64 / 1000.0))
            .collect();
        println!(
            "  bouncegate, {RUNS} runs: median {:.2} s (min {:.2}, max {:.2}), DNS stage {} s; addresses by verdict {}",
            median.wall,
            runs[0].wall,
            runs[RUNS - 1].wall,
            stages.join(", "),
            median.verdicts
        );
        // The reference once in the world with silent domains: each of their addresses
        // waits the timeout, minutes in all.
        let reference_runs = if silent > 0 { 1 } else { RUNS };
        let mut walls = Vec::new();
        for _ in 0..reference_runs {
            match run_reference(&dir.path().join("list.csv"), &nameserver) {
                Ok((wall, said)) => {
                    println!("  {said}; as a child process {wall:.2} s");
                    walls.push(wall);
                }
                Err(why) => {
                    println!("  reference failed: {why}");
                    return;
                }
            }
        }
        walls.sort_by(f64::total_cmp);
        let reference = walls[walls.len() / 2];
        println!(
            "  ratio (reference {} / bouncegate median): {:.1}x; load average {} after",
            if walls.len() > 1 { "median" } else { "wall" },
            reference / median.wall,
            super::measure::load_average()
        );
    }
}
