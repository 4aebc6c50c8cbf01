//! The classifier alone: 100,000 bounce texts (the corpus of tests/cases/bounces, cycled),
//! codes found and rules applied as `check` does for each history event: one after the other
//! on one thread, and on all cores as the history stage runs it (rayon). Run with
//! `cargo bench --bench classify`; record the figures in BENCHMARKS.md. Target: well under
//! 0.1 s for 100,000 events.

use std::path::Path;

use rayon::prelude::*;
use std::time::Instant;

/// As in the binary: the allocator is part of what is measured.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: usize = 100_000;
const RUNS: usize = 7;

fn corpus_texts() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/bounces");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the corpus folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tsv"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .filter(|line| !line.starts_with('#') && !line.starts_with("reason\t"))
                .filter_map(|line| line.splitn(4, '\t').nth(3).map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn main() {
    let config = bouncegate::config::load(None).expect("the built-in rules");
    let texts = corpus_texts();
    let events: Vec<&str> = texts
        .iter()
        .cycle()
        .take(EVENTS)
        .map(String::as_str)
        .collect();
    let bytes: usize = events.iter().map(|text| text.len()).sum();
    let rules = &config.rules;
    let count_suppressed = |text: &&str| {
        usize::from(
            rules.classify_text(text).action == bouncegate::bounces::rules::Action::Suppress,
        )
    };
    let measure = |parallel: bool| {
        let mut times = Vec::new();
        let mut suppressed = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            suppressed = if parallel {
                events.par_iter().map(count_suppressed).sum()
            } else {
                events.iter().map(count_suppressed).sum::<usize>()
            };
            times.push(started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        (times[RUNS / 2], times[0], suppressed)
    };
    println!(
        "classify: {EVENTS} events ({} distinct texts, {:.1} MB), {} rules",
        texts.len(),
        bytes as f64 / 1e6,
        rules.rules().len(),
    );
    for (name, parallel) in [
        ("one thread", false),
        (&*format!("{} threads", rayon::current_num_threads()), true),
    ] {
        let (median, min, suppressed) = measure(parallel);
        println!(
            "  {name}: median {median:.3} s (min {min:.3} s), {:.2} M events/s; {suppressed} suppressed",
            EVENTS as f64 / median / 1e6,
        );
    }
}
