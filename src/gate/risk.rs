//! The risk flags of one row: looked up in phase 1 of the gate, reported as the policy says in
//! phase 2.

use crate::config::Policy;
use crate::finding::Severity;
use crate::risk::{DomainRisk, RiskFlag, RiskReport};

use super::{ListStats, level_severity};

/// What the risk stage says about one row.
pub(super) struct RowRisk<'a> {
    role: Option<&'a str>,
    domain: Option<&'a DomainRisk>,
}

/// Two lookups: the local part among the roles, the domain among the flagged domains.
pub(super) fn of<'a>(local: &str, domain: &str, risk: &'a RiskReport) -> Option<RowRisk<'a>> {
    let role = risk.role(local);
    let domain = risk.domain(domain);
    (role.is_some() || domain.is_some()).then_some(RowRisk { role, domain })
}

/// The flags the policy reports, each with its severity. A typo outweighs the disposable
/// list (squatted typos are listed there too): the suggestion is what helps.
pub(super) fn flags(row: &RowRisk<'_>, domain: &str, policy: &Policy) -> Vec<(Severity, RiskFlag)> {
    let mut out = Vec::new();
    if let (Some(role), Some(severity)) = (row.role, level_severity(policy.role_account)) {
        let role = role.to_owned();
        out.push((severity, RiskFlag::RoleAccount { role }));
    }
    let Some(risk) = row.domain else {
        return out;
    };
    if let (Some((suggestion, halves)), Some(severity)) =
        (&risk.typo, level_severity(policy.typo_domain))
    {
        out.push((
            severity,
            RiskFlag::TypoDomain {
                domain: domain.to_owned(),
                suggestion: suggestion.to_string(),
                distance: f64::from(*halves) / 2.0,
            },
        ));
    } else if let (Some(listed), Some(severity)) =
        (&risk.disposable, level_severity(policy.disposable_domain))
    {
        out.push((
            severity,
            RiskFlag::DisposableDomain {
                domain: domain.to_owned(),
                listed: listed.to_string(),
            },
        ));
    }
    out
}

/// Count a reported flag of a new address in the list's statistics.
pub(super) fn count(flag: &RiskFlag, stats: &mut ListStats) {
    match flag {
        RiskFlag::RoleAccount { .. } => stats.role_account += 1,
        RiskFlag::DisposableDomain { .. } => stats.disposable_domain += 1,
        RiskFlag::TypoDomain { .. } => stats.typo_domain += 1,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::bounces::history::History;
    use crate::config::Level;
    use crate::domains::DomainReport;
    use crate::finding::Reason;
    use crate::gate::{Context, ListReport, judge};
    use crate::lists::{Cells, ListFile};
    use crate::risk::{Knowledge, RiskOptions, assess};
    use crate::syntax::{SyntaxOptions, check_cells};

    use super::{Policy, RiskFlag};

    /// Judge rows (lines 1, 2, ...) with the built-in knowledge and the policy as adjusted.
    fn judge_rows(rows: &[&str], adjust: impl FnOnce(&mut Policy)) -> ListReport {
        let mut policy = crate::config::load(None).unwrap().policy;
        adjust(&mut policy);
        let cells: Cells = rows
            .iter()
            .enumerate()
            .map(|(i, text)| (i as u64 + 1, *text))
            .collect();
        let checked = check_cells(cells, SyntaxOptions::default());
        let domains: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.rsplit_once('@'))
            .map(|(_, d)| d)
            .collect();
        let risk = assess(Knowledge::new(&RiskOptions::default()), domains);
        let list = ListFile {
            path: PathBuf::from("list.csv"),
            cells: Cells::default(),
            skips: Vec::new(),
            spans: Vec::new(),
            file_problem: None,
            other_email_column: None,
        };
        let (domains, history) = (DomainReport::default(), History::default());
        let context = Context {
            domains: &domains,
            history: &history,
            window: None,
            policy: &policy,
            risk: &risk,
        };
        judge(&list, checked, None, &context)
    }

    fn codes(report: &ListReport) -> Vec<String> {
        report
            .findings
            .iter()
            .map(|f| format!("{} {} {}", f.line.unwrap_or(0), f.severity, f.code()))
            .collect()
    }

    #[test]
    fn each_row_is_flagged_and_each_address_counted_once() {
        let report = judge_rows(
            &[
                "info@acme.de",
                "INFO@acme.de",
                "ann@gmial.com",
                "bob@mailinator.com",
                "broken@gmial",
            ],
            |_| {},
        );
        assert_eq!(
            codes(&report),
            [
                "1 warning role-account",
                "2 warning duplicate",
                "2 warning role-account",
                "3 warning typo-domain",
                "4 warning disposable-domain",
                "5 error no-tld",
                "0 error bounce-rate",
            ]
        );
        let s = &report.stats;
        assert_eq!(
            (s.role_account, s.typo_domain, s.disposable_domain),
            (1, 1, 1)
        );
        assert_eq!(s.bouncing, 1, "only the bad syntax bounces");
        // gmial.com is on the disposable list too: the typo, with its suggestion, is said.
        assert!(matches!(
            &report.findings[3].reason,
            Reason::Risk(RiskFlag::TypoDomain { suggestion, .. }) if suggestion == "gmail.com"
        ));
    }

    #[test]
    fn the_policy_sets_levels_and_may_count_the_flags_as_bounces() {
        let report = judge_rows(
            &["info@acme.de", "ann@gmial.com", "carl@acme.de"],
            |policy| {
                policy.role_account = Level::Error;
                policy.typo_domain = Level::Off;
                policy.max_bounce_rate = 1.0;
            },
        );
        assert_eq!(
            codes(&report),
            ["1 error role-account", "2 warning disposable-domain"]
        );
        assert_eq!(
            report.stats.typo_domain, 0,
            "a silenced flag is not counted"
        );
        assert_eq!(report.stats.bouncing, 0);
        let report = judge_rows(
            &["info@acme.de", "ann@gmial.com", "carl@acme.de"],
            |policy| {
                policy.risky_counts_as_bounce = true;
                policy.max_bounce_rate = 1.0;
            },
        );
        assert_eq!(report.stats.bouncing, 2);
    }
}
