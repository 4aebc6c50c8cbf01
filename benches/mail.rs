//! Bounce mail at scale: an mbox of 200,000 bounce mails (about 1 GB) made from the bounce
//! mail fixtures (tests/fixtures/bounce-mail, every family), each recipient made unique and
//! moved off the special-use domains the fixtures use, each mail given a 2 KB trace header as
//! real bounces carry `Received:` chains. `history import` reads it into a fresh history CSV.
//! Prints wall time, mails per second, MB per second and the child's peak memory, for the mbox
//! and for a tenth of it: memory that does not grow with the file is the promise. Run with
//! `cargo bench --bench mail`; record the figures in BENCHMARKS.md.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "support/measure.rs"]
mod measure;

const MAILS: usize = 200_000;
const RUNS: usize = 3;
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bounce-mail");

/// Every fixture mail with its recipients (from the .tsv beside each folder).
fn fixtures() -> Vec<(String, Vec<String>)> {
    let mut mails = Vec::new();
    for folder in ["servers", "microsoft-gateways", "providers"] {
        let table = std::fs::read_to_string(format!("{FIXTURES}/{folder}.tsv")).unwrap();
        let mut names: Vec<&str> = Vec::new();
        let mut recipients: std::collections::HashMap<&str, Vec<String>> = Default::default();
        for row in table.lines().skip(1) {
            let cells: Vec<&str> = row.split('\t').collect();
            if !names.contains(&cells[0]) {
                names.push(cells[0]);
            }
            if cells[2] != "-" {
                recipients
                    .entry(cells[0])
                    .or_default()
                    .push(cells[2].to_owned());
            }
        }
        for name in names {
            let text = std::fs::read(format!("{FIXTURES}/{folder}/{name}")).unwrap();
            // A few fixtures are in a legacy charset: the bytes are kept as they are.
            let text = as_latin1(&text);
            mails.push((text, recipients.remove(name).unwrap_or_default()));
        }
    }
    mails
}

/// Bytes to a String one char per byte, so that replacing ASCII addresses keeps every other
/// byte; written back with [`latin1_bytes`].
fn as_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars().map(|c| c as u8).collect()
}

fn generate(path: &Path, mails: usize) -> std::io::Result<u64> {
    let fixtures = fixtures();
    let trace: String = (0..24)
        .map(|n| format!("\tby relay{n}.example.net with ESMTPS id 4Zq{n:04}x; Fri, 4 Dec 2026 10:00:00 +0000\n"))
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut size = 0u64;
    for n in 0..mails {
        let (text, recipients) = &fixtures[n % fixtures.len()];
        let mut mail = text.replace("\r\n", "\n");
        for recipient in recipients {
            let (local, domain) = recipient.split_once('@').unwrap();
            // The fixtures use special-use domains (example.org), which a history leaves out.
            let domain = domain.replace('.', "-");
            mail = mail.replace(recipient.as_str(), &format!("{local}.{n}@{domain}.com"));
        }
        // mboxrd: a body line starting with "From " is quoted.
        let mail = mail.replace("\nFrom ", "\n>From ");
        let block =
            format!("From MAILER-DAEMON Fri Dec  4 10:00:00 2026\nX-Trace: bench\n{trace}{mail}\n");
        let bytes = latin1_bytes(&block);
        size += bytes.len() as u64;
        out.write_all(&bytes)?;
    }
    out.flush()?;
    Ok(size)
}

/// `history import` of the mbox into a fresh history CSV.
fn run_once(dir: &Path, mbox: &str) -> measure::Run {
    let out = dir.join("history.csv");
    let _ = std::fs::remove_file(&out);
    let mut command = Command::new(env!("CARGO_BIN_EXE_bouncegate"));
    command
        .args(["history", "import", mbox, "--out", "history.csv"])
        .current_dir(dir);
    measure::run_measured(command)
}

fn main() {
    // `cargo test --benches` runs bench binaries with --bench absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("mail bench: run with `cargo bench --bench mail`");
        return;
    }
    // BOUNCEGATE_BENCH_DATA=DIR keeps the generated files there, for profiling.
    let temp = tempfile::tempdir().expect("temp dir");
    let kept = std::env::var_os("BOUNCEGATE_BENCH_DATA").map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir).expect("data dir");
    for (name, mails) in [("small.mbox", MAILS / 10), ("bounces.mbox", MAILS)] {
        let start = Instant::now();
        let size = generate(&dir.join(name), mails).expect("generate the mbox");
        println!(
            "generated {name}: {mails} mails, {:.1} MB in {:.1} s",
            size as f64 / 1e6,
            start.elapsed().as_secs_f64()
        );
        let mut walls = Vec::new();
        let mut peak = 0;
        for _ in 0..RUNS {
            let run = run_once(dir, name);
            assert_eq!(run.code, 0, "history import reads the mbox");
            walls.push(run.wall);
            peak = peak.max(run.max_rss);
        }
        walls.sort_by(f64::total_cmp);
        let median = walls[RUNS / 2];
        let lines = std::fs::read_to_string(dir.join("history.csv"))
            .unwrap()
            .lines()
            .count()
            - 1;
        println!(
            "{name}, {RUNS} runs: median {median:.2} s (min {:.2}, max {:.2}), {:.0} mails/s, {:.0} MB/s, peak RSS {:.0} MiB, {lines} events written",
            walls[0],
            walls[RUNS - 1],
            mails as f64 / median,
            size as f64 / 1e6 / median,
            peak as f64 / 1024.0
        );
    }
}
