//! Waiting once: every DNS question, and every domain's set of MX hosts, gets one window (the
//! timeout), and the tries are raced inside it.
//!
//! hickory's own `attempts` asks again only after a whole timeout has passed, so a name that is
//! never answered costs timeout x (attempts + 1). Here hickory makes one try per resolver and
//! the tries are hedged: try k goes out at k/(attempts + 1) of the window, or at once when a try
//! before it failed (SERVFAIL, REFUSED), each may run to the end of the window, and the first
//! answer wins, a late answer to an early try too. A slow but live server still gets the whole
//! window; a silent one costs the window once.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use hickory_resolver::net::{DnsError, NetError};
use tokio::time::Instant;

/// How a race ended.
#[derive(Debug)]
pub enum Raced<T> {
    /// The first result that won.
    Won(T),
    /// None won: the result of each item in launch order, `None` where none came by the
    /// deadline.
    Lost(Vec<Option<T>>),
}

/// Start `count` futures made by `launch`, one every `spacing` from now or at once when one
/// before has lost, and return the first result that `wins`. At `deadline`, or when every one
/// has lost, return the results that came. The futures still running then are dropped:
/// whatever must outlive the race is spawned by `launch` itself. They run inside the caller's
/// task, not as tasks of their own: a task per try cost a tenth of the throughput on loopback.
pub async fn race<T, F, L, W>(
    count: usize,
    spacing: Duration,
    deadline: Instant,
    mut launch: L,
    wins: W,
) -> Raced<T>
where
    F: Future<Output = T>,
    L: FnMut(usize) -> F,
    W: Fn(&T) -> bool,
{
    let started = Instant::now();
    let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let mut running = FuturesUnordered::new();
    let mut launched = 0;
    let mut start_next = |running: &mut FuturesUnordered<_>, launched: &mut usize| {
        running.push(tagged(*launched, launch(*launched)));
        *launched += 1;
    };
    if count == 0 {
        return Raced::Lost(results);
    }
    start_next(&mut running, &mut launched);
    loop {
        let next_at = started + spacing.saturating_mul(launched as u32);
        tokio::select! {
            // An answer that is there by the deadline wins over the deadline.
            biased;
            Some((index, result)) = running.next() => {
                if wins(&result) {
                    return Raced::Won(result);
                }
                results[index] = Some(result);
                if launched < count {
                    start_next(&mut running, &mut launched);
                } else if running.is_empty() {
                    return Raced::Lost(results);
                }
            }
            _ = tokio::time::sleep_until(next_at), if launched < count => {
                start_next(&mut running, &mut launched);
            }
            _ = tokio::time::sleep_until(deadline) => return Raced::Lost(results),
        }
    }
}

async fn tagged<F: Future>(index: usize, future: F) -> (usize, F::Output) {
    (index, future.await)
}

/// One DNS question, tried `tries` times within `window`: `ask(k)` makes try k (each through
/// its own resolver: one resolver would merge identical questions in flight into one). An
/// answer, positive or negative (NXDOMAIN, NODATA), settles it; a fault lets the other tries
/// go on. Without an answer, the most telling fault: a server's own words (SERVFAIL) before a
/// timeout.
pub async fn ask<T, F, A>(window: Duration, tries: usize, ask: A) -> Result<T, NetError>
where
    F: Future<Output = Result<T, NetError>>,
    A: FnMut(usize) -> F,
{
    let tries = tries.max(1);
    let deadline = Instant::now() + window;
    match race(tries, window / tries as u32, deadline, ask, settles).await {
        Raced::Won(result) => result,
        Raced::Lost(results) => Err(results
            .into_iter()
            .flatten()
            .filter_map(Result::err)
            .reduce(|kept, next| if is_silence(&kept) { next } else { kept })
            .unwrap_or(NetError::Timeout)),
    }
}

fn settles<T>(result: &Result<T, NetError>) -> bool {
    matches!(
        result,
        Ok(_) | Err(NetError::Dns(DnsError::NoRecordsFound(_)))
    )
}

/// Nothing came back from the server.
fn is_silence(error: &NetError) -> bool {
    matches!(
        error,
        NetError::Timeout | NetError::NoConnections | NetError::Io(_)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use hickory_resolver::proto::op::ResponseCode;

    use super::*;

    /// What one try does in the tests: answer after a delay, fail after a delay, or never.
    #[derive(Clone, Copy)]
    enum Try {
        Answers(u64),
        Fails(u64),
        Silent,
    }

    /// Runs the tries (delays in ms) with a 3 s window; the outcome, when it came, and when
    /// each try went out, in ms from the start.
    async fn run(tries: &[Try]) -> (Result<usize, NetError>, u64, Vec<u64>) {
        let started = Instant::now();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let plan = tries.to_vec();
        let log = sent.clone();
        let result = ask(Duration::from_secs(3), tries.len(), move |k| {
            log.lock()
                .unwrap()
                .push(started.elapsed().as_millis() as u64);
            let step = plan[k];
            async move {
                match step {
                    Try::Answers(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        Ok(k)
                    }
                    Try::Fails(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        Err(NetError::Dns(DnsError::ResponseCode(
                            ResponseCode::ServFail,
                        )))
                    }
                    Try::Silent => std::future::pending().await,
                }
            }
        })
        .await;
        let took = started.elapsed().as_millis() as u64;
        let sent = sent.lock().unwrap().clone();
        (result, took, sent)
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_name_costs_one_window_with_every_retry_inside_it() {
        let (result, took, sent) = run(&[Try::Silent, Try::Silent, Try::Silent]).await;
        assert!(matches!(result, Err(NetError::Timeout)), "{result:?}");
        assert_eq!(took, 3000);
        assert_eq!(sent, [0, 1000, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_answer_to_the_first_try_wins() {
        // The first try answers at 2.5 s, after both retries went out unanswered.
        let (result, took, sent) = run(&[Try::Answers(2500), Try::Silent, Try::Silent]).await;
        assert_eq!(result.unwrap(), 0);
        assert_eq!(took, 2500);
        assert_eq!(sent, [0, 1000, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fault_sends_the_next_try_at_once_and_the_first_answer_wins() {
        let (result, took, sent) = run(&[Try::Fails(10), Try::Answers(20), Try::Silent]).await;
        assert_eq!(result.unwrap(), 1);
        assert_eq!(took, 30);
        assert_eq!(sent, [0, 10], "the third try is never needed");
    }

    #[tokio::test(start_paused = true)]
    async fn faults_only_end_with_the_servers_words_not_a_timeout() {
        let (result, took, _) = run(&[Try::Fails(10), Try::Fails(10)]).await;
        assert!(
            matches!(result, Err(NetError::Dns(DnsError::ResponseCode(_)))),
            "{result:?}"
        );
        assert_eq!(took, 20, "no wait for the window's end");
        let (result, took, _) = run(&[Try::Silent, Try::Fails(10)]).await;
        assert!(
            matches!(result, Err(NetError::Dns(DnsError::ResponseCode(_)))),
            "{result:?}"
        );
        assert_eq!(took, 3000, "the silent try might still have answered");
    }
}
