//! The offline check at scale: a seeded 1,000,000-row list and a 100,000-event history, checked
//! by the built `bouncegate` binary. Prints wall time, CPU time (user + system), rows per
//! second, the child's peak memory (max RSS from wait4) and the load average around the runs,
//! then the reference validator's time on the same list (benches/reference.py, when Python has
//! `email_validator`). Run with `cargo bench --bench offline`; record the figures in
//! BENCHMARKS.md.
//!
//! `BOUNCEGATE_BENCH_ROWS=5000000` checks a list of that many rows instead (the history stays
//! at 100,000 events); `BOUNCEGATE_BENCH_DATA=DIR` keeps the data there;
//! `BOUNCEGATE_BENCH_REFERENCE=0` leaves the reference out.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "support/measure.rs"]
mod measure;

const DEFAULT_ROWS: usize = 1_000_000;
const EVENTS: usize = 100_000;
const DOMAINS: usize = 20_000;
const RUNS: usize = 5;

/// splitmix64: a fixed seed gives the same data on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FIRST: &[&str] = &[
    "ann", "bob", "carla", "dan", "eve", "frank", "gina", "hugo", "ivan", "julia",
];
const LAST: &[&str] = &[
    "lee", "stone", "mendes", "wu", "adams", "ott", "rossi", "brandt", "petrov", "krause",
];

fn address(i: usize, rng: &mut Rng) -> String {
    let first = FIRST[rng.below(FIRST.len())];
    let last = LAST[rng.below(LAST.len())];
    let domain = rng.below(DOMAINS);
    format!("{first}.{last}{i}@mail{domain}-host.com")
}

fn generate(dir: &Path, rows: usize) -> std::io::Result<()> {
    let mut rng = Rng(0x05EE_D0FB_00CE);
    let mut list = String::with_capacity(rows * 52);
    list.push_str("email,first_name,signed_up\n");
    let mut addresses = Vec::with_capacity(rows);
    for i in 0..rows {
        let mut email = address(i, &mut rng);
        // About 1% bad syntax, 1% mixed case, 0.5% padded with spaces.
        match rng.below(200) {
            0 | 1 => email = email.replace(".com", ""),
            2 => email = email.replace('@', "@-"),
            3 | 4 => email = email.to_uppercase(),
            5 => email = format!(" {email} "),
            _ => {}
        }
        let _ = writeln!(
            list,
            "{email},{},2026-0{}-1{}",
            FIRST[i % 10],
            1 + i % 9,
            i % 10
        );
        addresses.push(email);
    }
    std::fs::write(dir.join("list.csv"), list)?;

    let texts = [
        (
            "550",
            "5.1.1",
            "smtp; 550 5.1.1 <{}>: Recipient address rejected: User unknown",
        ),
        ("452", "4.2.2", "452 4.2.2 Mailbox full"),
        (
            "451",
            "4.7.1",
            "451 4.7.1 Greylisted, please try again later",
        ),
        (
            "554",
            "5.7.1",
            "554 5.7.1 Client host blocked using zen.spamhaus.org",
        ),
        (
            "",
            "",
            "said: 552-5.2.2 The email account that you tried to reach is over quota",
        ),
        ("421", "", "421 Too many connections"),
    ];
    let mut history = String::with_capacity(EVENTS * 120);
    history.push_str("email,timestamp,smtp_code,enhanced_code,diagnostic\n");
    for _ in 0..EVENTS {
        let email = addresses[rng.below(rows)].trim().to_lowercase();
        let (reply, enhanced, text) = texts[rng.below(texts.len())];
        let day = 1 + rng.below(28);
        let month = 1 + rng.below(12);
        let _ = writeln!(
            history,
            "{email},2026-{month:02}-{day:02}T10:00:00Z,{reply},{enhanced},\"{}\"",
            text.replace("{}", &email)
        );
    }
    std::fs::write(dir.join("history.csv"), history)
}

/// Run the binary once on the generated data.
fn run_once(dir: &Path) -> measure::Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bouncegate"));
    command
        .args([
            "check",
            "list.csv",
            "--history",
            "history.csv",
            "--format",
            "json",
            // The offline check: DNS has a bench of its own (benches/dns.rs).
            "--offline",
        ])
        .current_dir(dir);
    measure::run_measured(command)
}

/// The reference validator on the same list, when Python has it.
fn run_reference(list: &Path) {
    if std::env::var_os("BOUNCEGATE_BENCH_REFERENCE").is_some_and(|v| v == "0") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/reference.py");
    match Command::new("python3").arg(&script).arg(list).output() {
        Ok(output) if output.status.success() => {
            print!("{}", String::from_utf8_lossy(&output.stdout));
        }
        Ok(output) => println!(
            "reference not run: {}{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => println!("reference not run: python3: {error}"),
    }
}

fn main() {
    // `cargo test --benches` runs bench binaries with --bench absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("offline bench: run with `cargo bench --bench offline`");
        return;
    }
    let rows = std::env::var("BOUNCEGATE_BENCH_ROWS")
        .ok()
        .map(|value| {
            value
                .replace('_', "")
                .parse()
                .expect("BOUNCEGATE_BENCH_ROWS: a number")
        })
        .unwrap_or(DEFAULT_ROWS);
    // BOUNCEGATE_BENCH_DATA=DIR keeps the generated files there, for profiling.
    let temp = tempfile::tempdir().expect("temp dir");
    let kept = std::env::var_os("BOUNCEGATE_BENCH_DATA").map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir).expect("data dir");
    let start = Instant::now();
    generate(dir, rows).expect("generate data");
    let size = std::fs::metadata(dir.join("list.csv")).unwrap().len();
    println!(
        "generated {rows} rows ({:.1} MB) over {DOMAINS} domains and {EVENTS} history events in {:.2} s",
        size as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let load_before = measure::load_average();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut peak = 0;
    for _ in 0..RUNS {
        let run = run_once(dir);
        assert_eq!(
            run.code, 1,
            "the generated list fails the gate (about 1% bad syntax)"
        );
        walls.push(run.wall);
        cpus.push(run.cpu);
        peak = peak.max(run.max_rss);
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    let median = walls[RUNS / 2];
    println!(
        "offline check, {RUNS} runs: median {median:.3} s (min {:.3}, max {:.3}), CPU user+sys median {:.3} s (min {:.3}), {:.0} rows/s, peak RSS {:.0} MiB; load average {load_before} before, {} after",
        walls[0],
        walls[RUNS - 1],
        cpus[RUNS / 2],
        cpus[0],
        rows as f64 / median,
        peak as f64 / 1024.0,
        measure::load_average()
    );
    run_reference(&dir.join("list.csv"));
}
