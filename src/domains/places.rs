//! The concurrency bound, with room aside for the domains that do not answer.
//!
//! A domain is asked in one of `concurrency` places. One that has had no answer for a while
//! (a third of a second in a run: when hickory sends the query again) gives its place to the
//! next domain and waits out its timeout aside, in one of `concurrency` places more; when
//! those are taken too, it keeps its place until one is free. A silent domain thus holds a
//! place for a third of a second, not for its whole timeout, and up to `concurrency` of them
//! wait side by side without slowing the domains that answer much; at most twice
//! `concurrency` domains are asked at once.
//!
//! The room aside is bounded because a domain waiting still holds sockets (each try of a
//! silent question holds up to three: hickory resends it on a new one) and its tries still go
//! to the resolver.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

pub struct Places {
    asked: Arc<Semaphore>,
    aside: Arc<Semaphore>,
    aside_after: Duration,
}

impl Places {
    pub fn new(concurrency: usize, aside_after: Duration) -> Places {
        let concurrency = concurrency.max(1);
        Places {
            asked: Arc::new(Semaphore::new(concurrency)),
            aside: Arc::new(Semaphore::new(concurrency)),
            aside_after,
        }
    }

    /// Run `work` (one domain) once it has a place; if it has not ended after `aside_after`,
    /// it moves aside as soon as there is room, and its place goes to the next. `work` starts
    /// when it has its place (it is first polled then), in the order the calls came.
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> T {
        let Ok(place) = self.asked.clone().acquire_owned().await else {
            unreachable!("the semaphore is never closed")
        };
        let mut work = std::pin::pin!(work);
        if let Ok(done) = tokio::time::timeout(self.aside_after, &mut work).await {
            return done;
        }
        // Still waiting for room aside, the work goes on in its place.
        let aside = tokio::select! {
            done = &mut work => return done,
            aside = self.aside.clone().acquire_owned() => aside,
        };
        drop(place);
        let done = work.await;
        drop(aside);
        done
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::time::Instant;

    use super::*;

    /// Runs works of the given lengths (ms) through `places`, all called at once and in order;
    /// when each started and ended, in ms from the start.
    async fn run(places: Places, lengths: &[u64]) -> Vec<(u64, u64)> {
        let places = Arc::new(places);
        let started = Instant::now();
        let log = Arc::new(Mutex::new(vec![(0, 0); lengths.len()]));
        let mut tasks = tokio::task::JoinSet::new();
        for (k, &length) in lengths.iter().enumerate() {
            let (places, log) = (places.clone(), log.clone());
            tasks.spawn(async move {
                places
                    .run(async {
                        let at = started.elapsed().as_millis() as u64;
                        tokio::time::sleep(Duration::from_millis(length)).await;
                        log.lock().unwrap()[k] = (at, started.elapsed().as_millis() as u64);
                    })
                    .await;
            });
            // Spawned in order, the calls queue in order.
            tokio::task::yield_now().await;
        }
        while tasks.join_next().await.is_some() {}
        log.lock().unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn a_domain_that_answers_keeps_its_place_to_the_end() {
        let places = Places::new(1, Duration::from_secs(1));
        assert_eq!(run(places, &[900, 100]).await, [(0, 900), (900, 1000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_domain_gives_its_place_to_the_next() {
        let places = Places::new(1, Duration::from_secs(1));
        assert_eq!(
            run(places, &[3000, 100, 100]).await,
            [(0, 3000), (1000, 1100), (1100, 1200)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn with_the_room_aside_taken_a_silent_domain_keeps_its_place() {
        // One place and one aside: the second silent domain moves aside only when the first
        // is done, at 3 s, and the third starts then.
        let places = Places::new(1, Duration::from_secs(1));
        assert_eq!(
            run(places, &[3000, 3000, 3000]).await,
            [(0, 3000), (1000, 4000), (3000, 6000)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_domain_that_answers_while_waiting_for_room_aside_frees_its_place() {
        let places = Places::new(1, Duration::from_secs(1));
        assert_eq!(
            run(places, &[3000, 1500, 100]).await,
            [(0, 3000), (1000, 2500), (2500, 2600)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn as_many_wait_aside_as_are_asked() {
        // Two places, two aside: four silent domains wait side by side, the fifth in turn.
        let places = Places::new(2, Duration::from_secs(1));
        assert_eq!(
            run(places, &[3000, 3000, 3000, 3000, 3000]).await,
            [
                (0, 3000),
                (0, 3000),
                (1000, 4000),
                (1000, 4000),
                (3000, 6000)
            ]
        );
    }
}
