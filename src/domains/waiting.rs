//! Which domains the run is waiting on, for the progress line: when every domain that answers
//! is done and only silent ones are left, the line names them and says how long they can take
//! at most, instead of a bar that seems stuck.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The domains being resolved, each with when its current wait began and when it ends at the
/// latest (one window per step: the MX question, then its hosts or its address).
#[derive(Default)]
pub struct Waiting {
    started: AtomicUsize,
    steps: Mutex<HashMap<String, (Instant, Instant)>>,
}

impl Waiting {
    /// One more domain is being resolved (it has been given a place).
    pub fn start(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    /// `domain` begins, `now`, a wait of at most `window`.
    pub fn step(&self, domain: &str, now: Instant, window: Duration) {
        self.lock().insert(domain.to_owned(), (now, now + window));
    }

    pub fn finish(&self, domain: &str) {
        self.lock().remove(domain);
    }

    /// When all `total` domains have started and each one still running has waited at least
    /// `silent_after` in its current step: their names, sorted, and the longest any may take.
    pub fn only_silent_left(
        &self,
        total: usize,
        silent_after: Duration,
        now: Instant,
    ) -> Option<(Vec<String>, Duration)> {
        if self.started.load(Ordering::Relaxed) < total {
            return None; // some domains have not been asked yet
        }
        let steps = self.lock();
        if steps.is_empty()
            || steps
                .values()
                .any(|(since, _)| now.saturating_duration_since(*since) < silent_after)
        {
            return None;
        }
        let mut names: Vec<String> = steps.keys().cloned().collect();
        names.sort();
        let at_most = steps
            .values()
            .map(|(_, until)| until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        Some((names, at_most))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Instant)>> {
        self.steps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How many names the line shows before "…".
const NAMES_SHOWN: usize = 3;

/// `4 not answering, waiting at most 2.1 s more: a.org, b.org, c.org, …`, after the count of
/// domains on the progress line: short enough for 80 columns with a name or two, and the time
/// before the names, so that a narrow terminal cuts names rather than it. Rounded up to a tenth.
pub fn line(domains: &[String], at_most: Duration) -> String {
    let tenths = at_most.as_millis().div_ceil(100);
    let mut names = domains
        .iter()
        .take(NAMES_SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if domains.len() > NAMES_SHOWN {
        names.push_str(", …");
    }
    format!(
        "{} not answering, waiting at most {}.{} s more: {names}",
        domains.len(),
        tenths / 10,
        tenths % 10
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn the_line_names_the_silent_domains_and_the_longest_wait() {
        assert_eq!(
            line(&names(&["dead.example"]), Duration::from_millis(2_050)),
            "1 not answering, waiting at most 2.1 s more: dead.example"
        );
        assert_eq!(
            line(
                &names(&["a.org", "b.org", "c.org", "d.org"]),
                Duration::from_millis(300)
            ),
            "4 not answering, waiting at most 0.3 s more: a.org, b.org, c.org, …"
        );
        assert_eq!(
            line(&names(&["a.org", "b.org"]), Duration::ZERO),
            "2 not answering, waiting at most 0.0 s more: a.org, b.org"
        );
    }

    #[test]
    fn only_silent_left_waits_for_every_domain_to_start_and_every_answer() {
        let waiting = Waiting::default();
        let window = Duration::from_secs(3);
        let silent_after = Duration::from_secs(1);
        let asked = Instant::now();
        waiting.start();
        waiting.step("slow.org", asked, window);
        waiting.start();
        waiting.step("quick.org", asked, window);
        let later = asked + Duration::from_millis(1_500);
        assert_eq!(
            waiting.only_silent_left(3, silent_after, later),
            None,
            "a domain has not started"
        );
        waiting.start();
        waiting.step("new.org", asked + Duration::from_millis(1_000), window);
        assert_eq!(
            waiting.only_silent_left(3, silent_after, later),
            None,
            "new.org has just been asked"
        );
        waiting.finish("new.org");
        waiting.finish("quick.org");
        let (names, at_most) = waiting
            .only_silent_left(3, silent_after, later)
            .expect("only slow.org is left, waiting 1.5 s");
        assert_eq!(names, ["slow.org"]);
        assert_eq!(at_most, Duration::from_millis(1_500));
        waiting.finish("slow.org");
        assert_eq!(waiting.only_silent_left(3, silent_after, later), None);
    }
}
