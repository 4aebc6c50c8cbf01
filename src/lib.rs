//! bouncegate: gate changes to committed mailing lists on predicted hard bounces, historic hard
//! bounces and the projected bounce rate.
//!
//! The pipeline runs one way, one module per stage: [`lists`] (read the list files) ->
//! [`syntax`] (check each address) -> [`domains`] (can the domain receive mail, over DNS) and
//! [`risk`] (role accounts, disposable domains, typos of big providers) ->
//! [`bounces`] (read bounce histories and classify each bounce) -> [`gate`] (apply the
//! policy) -> [`report`]. [`check`] runs them in order.

pub mod bounces;
pub mod changes;
pub mod check;
pub mod config;
pub mod dns_cache;
pub mod domains;
pub mod error;
pub mod explain;
pub mod finding;
pub mod fix;
pub mod gate;
pub mod globs;
pub mod intern;
pub mod lists;
pub mod merge;
pub mod precommit;
pub mod progress;
pub mod report;
pub mod risk;
pub mod shard;
pub mod shown;
pub mod syntax;
pub mod table;
pub mod walk;
pub mod write;

/// Set by a program that ends soon after a run (the binary): see [`drop_in_background`].
static ENDS_AFTER_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Say that this process ends once its run is reported: what a run is done with is then left
/// to the process's end, which takes its memory back at once, instead of being freed a piece
/// at a time on cores the report needs.
pub fn end_after_run() {
    ENDS_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Free `value` on the thread pool instead of here: a million small allocations take tens of
/// milliseconds to free, and nothing that comes after waits on them. In a process that ends
/// after its run ([`end_after_run`]) it is not freed at all.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    if ENDS_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        rayon::spawn(move || drop(value));
    }
}
