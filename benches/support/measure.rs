//! Run the built binary as a child and measure it: wall time and peak memory (max RSS).

use std::process::{Command, Stdio};
use std::time::Instant;

/// Wall seconds, max RSS in KiB, and exit code of one run.
// The child is reaped by wait4, which also reports its peak memory; Child::wait cannot.
#[allow(clippy::zombie_processes)]
pub fn run_measured(mut command: Command) -> (f64, i64, i32) {
    let start = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .spawn()
        .expect("start bouncegate");
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    (
        start.elapsed().as_secs_f64(),
        usage.ru_maxrss,
        libc::WEXITSTATUS(status),
    )
}
