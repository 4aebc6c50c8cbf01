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

/// Free `value` on the thread pool instead of here: a million small allocations take tens of
/// milliseconds to free, and nothing that comes after waits on them. (At exit, what is left
/// unfreed goes with the process.)
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    rayon::spawn(move || drop(value));
}
