//! The list's word from its rows' findings and counts: its rates, the findings about the list
//! as a whole, its order and its verdict. One function for a whole list and for the parts of a
//! list that shards judged apart (`merge` adds the parts up and concludes once).

use super::{ListReport, Verdict, error_if, level_severity};
use crate::config::Policy;
use crate::finding::{Finding, Reason, Severity};

/// Whether [`conclude`] makes this finding: it is about the list as a whole, from its counts.
pub fn is_conclusion(reason: &Reason) -> bool {
    matches!(
        reason,
        Reason::EmptyList
            | Reason::SenderBlocks { .. }
            | Reason::BounceRate { .. }
            | Reason::AddedBounceRate { .. }
    )
}

/// The list's word from its rows' findings and counts: its rates, the findings about the list
/// as a whole ([`is_conclusion`]), its order and its verdict. `list.verdict` says on entry
/// only whether a row or the file was unreadable (`BadInput`).
///
/// One function for a whole list and for the parts of a list that shards judged apart
/// (`merge` adds the parts up and concludes once), so both say the same.
pub fn conclude(mut list: ListReport, policy: &Policy) -> ListReport {
    let bad_input = list.verdict == Verdict::BadInput;
    let file = list.path.clone();
    let stats = &mut list.stats;
    let findings = &mut list.findings;
    let whole_list = |severity, reason| Finding {
        file: file.clone(),
        line: None,
        severity,
        address: None,
        reason,
    };
    // A header alone (or blank lines, comments): the run says so rather than passing it as a
    // clean list.
    if stats.rows_checked == 0 && !bad_input {
        findings.push(Finding {
            line: Some(1),
            ..whole_list(Severity::Warning, Reason::EmptyList)
        });
    }
    stats.bounce_rate = rate(stats.bouncing, stats.addresses);
    if let Some(added) = &mut stats.added {
        added.bounce_rate = rate(added.bouncing, added.addresses);
        // A bad import into a big list must not hide behind the list's size.
        if added.bounce_rate > policy.max_bounce_rate {
            findings.push(whole_list(
                error_if(policy.fail_on_bounce_rate),
                Reason::AddedBounceRate {
                    rate: added.bounce_rate,
                    limit: policy.max_bounce_rate,
                    bouncing: added.bouncing,
                    addresses: added.addresses,
                },
            ));
        }
    }
    if stats.sender_blocks > 0
        && let Some(severity) = level_severity(policy.sender_blocks)
    {
        findings.push(whole_list(
            severity,
            Reason::SenderBlocks {
                blocks: stats.sender_blocks,
                addresses: list.blocked_addresses,
            },
        ));
    }
    if stats.bounce_rate > policy.max_bounce_rate {
        findings.push(whole_list(
            error_if(policy.fail_on_bounce_rate),
            Reason::BounceRate {
                rate: stats.bounce_rate,
                limit: policy.max_bounce_rate,
                bouncing: stats.bouncing,
                addresses: stats.addresses,
            },
        ));
    }
    // Stable: a line's findings keep the order they were made in.
    findings.sort_by_key(|f| (f.line.unwrap_or(u64::MAX), f.reason.rank()));
    list.verdict = Verdict::of(bad_input, findings);
    list
}

/// `bouncing / addresses`, 0 for an empty list.
pub fn rate(bouncing: usize, addresses: usize) -> f64 {
    if addresses == 0 {
        0.0
    } else {
        bouncing as f64 / addresses as f64
    }
}
