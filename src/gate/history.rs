//! What an address's bounce history says in a list: a historic hard bounce, repeated soft
//! bounces inside the window, or a complaint.

use std::sync::Arc;

use crate::bounces::history::AddressHistory;
use crate::config::{ComplaintPolicy, Policy};
use crate::finding::{Reason, Severity};

use super::error_if;

/// A suppressing bounce, or enough counted soft bounces inside the window; else a complaint,
/// as the policy says.
pub(super) fn history_verdict(
    past: &AddressHistory,
    window: Option<Window>,
    policy: &Policy,
) -> Option<(Severity, Reason)> {
    if let Some(evidence) = &past.suppressed_by {
        return Some((
            error_if(policy.fail_on_historic_hard),
            Reason::HistoricHard {
                evidence: evidence.clone(),
            },
        ));
    }
    let complaint = || {
        let evidence = past.complained_by.clone()?;
        let severity = match policy.complaints {
            ComplaintPolicy::Suppress => Severity::Error,
            ComplaintPolicy::Warn => Severity::Warning,
            ComplaintPolicy::Ignore => return None,
        };
        Some((severity, Reason::Complaint { evidence }))
    };
    let Some(window) = window else {
        return complaint();
    };
    let days = past.soft_days_within(window.end_day, window.days);
    if days.len() < policy.soft_suppress_after as usize {
        return complaint();
    }
    let latest = days.iter().max_by_key(|e| e.time)?;
    Some((
        error_if(policy.fail_on_repeated_soft),
        Reason::RepeatedSoft {
            days: days.len(),
            window_days: window.days,
            latest: Arc::clone(latest),
        },
    ))
}

/// The end of the soft-bounce window: a day number (UTC days since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub end_day: i64,
    pub days: u32,
}
