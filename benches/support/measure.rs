//! Run the built binary as a child and measure it: wall time, CPU time and peak memory.

use std::process::{Command, Stdio};
use std::time::Instant;

/// One run of the child.
pub struct Run {
    pub wall: f64,
    /// User plus system CPU seconds: steadier than the wall time on a shared machine.
    // Each bench includes this file; not every one reports CPU time.
    #[allow(dead_code)]
    pub cpu: f64,
    /// Max RSS in KiB.
    pub max_rss: i64,
    pub code: i32,
}

/// Run the command once, its stdout thrown away.
// The child is reaped by wait4, which also reports its peak memory; Child::wait cannot.
#[allow(clippy::zombie_processes)]
pub fn run_measured(mut command: Command) -> Run {
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
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        wall: start.elapsed().as_secs_f64(),
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        max_rss: usage.ru_maxrss,
        code: libc::WEXITSTATUS(status),
    }
}

/// The load average (1, 5, 15 minutes): the machine is shared, so each figure comes with it.
// Each bench includes this file; not every one prints the load.
#[allow(dead_code)]
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}
