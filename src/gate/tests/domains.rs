//! The gate on domain verdicts: a domain's rows grouped into one finding, counted once, and
//! the same over rows tallied in several runs.

use super::*;

#[test]
fn a_dead_domain_is_one_finding_with_every_line() {
    let scene = Scene::new(&[
        "a@dead.fixture.net",
        "ok@gmail.com",
        "b@dead.fixture.net",
        "a@dead.fixture.net",
        "gone@dead.fixture.net",
    ])
    .domain("dead.fixture.net", DomainVerdict::DomainNotFound)
    .domain("gmail.com", DomainVerdict::Mx { hosts: vec![] })
    // The history speaks for gone@: its finding, not the domain's.
    .past("gone@dead.fixture.net", hard());
    let report = scene.judge();
    assert_eq!(
        summary(&report),
        [
            "1 error domain-not-found",
            "4 warning duplicate",
            "5 error historic-hard",
            "- error bounce-rate"
        ]
    );
    match &report.findings[0].reason {
        Reason::Domain {
            domain,
            addresses,
            lines,
            ..
        } => {
            assert_eq!(domain, "dead.fixture.net");
            assert_eq!((*addresses, lines.as_slice()), (2, &[1, 3, 4][..]));
        }
        other => panic!("{other:?}"),
    }
    let s = &report.stats;
    assert_eq!((s.predicted_hard, s.historic_hard, s.bouncing), (2, 1, 3));
    assert_eq!(s.domains.get("domain-not-found"), Some(&3));
    assert_eq!(s.domains.get("mx"), Some(&1));
}

#[test]
fn the_addresses_with_plain_mx_are_counted_once_each() {
    let report = Scene::new(&[
        "ok@gmail.com",
        "OK@GMAIL.COM",
        "two@gmail.com",
        "ok@gmail.com",
        "a@dead.fixture.net",
        "a@dead.fixture.net",
        "not an address@gmail.com",
        "not an address@gmail.com",
    ])
    .domain("dead.fixture.net", DomainVerdict::DomainNotFound)
    .domain("gmail.com", DomainVerdict::Mx { hosts: vec![] })
    .judge();
    let s = &report.stats;
    assert_eq!(s.duplicates, 4);
    assert_eq!(s.domains.get("mx"), Some(&2));
    assert_eq!(s.domains.get("domain-not-found"), Some(&1));
}

#[test]
fn implicit_mx_follows_its_severity_key() {
    let mut scene =
        Scene::new(&["a@aonly.fixture.net"]).domain("aonly.fixture.net", DomainVerdict::ImplicitMx);
    assert_eq!(summary(&scene.judge()), ["1 warning implicit-mx"]);
    scene.policy.implicit_mx = Level::Error;
    assert_eq!(summary(&scene.judge()), ["1 error implicit-mx"]);
    scene.policy.implicit_mx = Level::Off;
    assert!(scene.judge().findings.is_empty());
    assert_eq!(scene.judge().stats.bouncing, 0);
}

#[test]
fn an_unknown_domain_is_reported_by_mode_and_never_a_hard_bounce() {
    let unknown = DomainVerdict::DnsUnknown {
        detail: "SERVFAIL".to_owned(),
    };
    let scene = |fail_on_unknown, counts, nothing_answered| {
        let mut scene = Scene::new(&["a@flaky.fixture.net", "b@gmail.com"])
            .domain("flaky.fixture.net", unknown.clone());
        scene.domains.no_nameserver = nothing_answered;
        scene.policy.fail_on_unknown = fail_on_unknown;
        scene.policy.unknown_counts_as_bounce = counts;
        scene.judge()
    };
    // Some domains failed: a warning each, so the lines are known.
    assert_eq!(
        summary(&scene(false, false, false)),
        ["1 warning dns-unknown"]
    );
    // Nothing answered: that was said once, and a warning per domain would repeat it.
    assert!(scene(false, false, true).findings.is_empty());
    // fail_on.unknown fails the gate either way.
    for nothing_answered in [false, true] {
        let report = scene(true, false, nothing_answered);
        assert_eq!(summary(&report), ["1 error dns-unknown"]);
        assert_eq!(report.verdict, Verdict::Fail);
        assert_eq!(report.stats.bouncing, 0);
    }
    // unknown_counts_as_bounce counts it in the rate, as a bounce but not a predicted one.
    let report = scene(false, true, false);
    assert_eq!(
        summary(&report),
        ["1 warning dns-unknown", "- error bounce-rate"]
    );
    assert_eq!((report.stats.bouncing, report.stats.predicted_hard), (1, 0));
}

/// Phase 2 tallies runs of rows on all cores: a list over several runs gets what one pass
/// gets. A dead domain's rows in three runs are one finding (the first address, every line),
/// a domain first seen in a later run comes after it, a copy names a first line runs away, and
/// the counts add up across the runs.
#[test]
fn a_list_of_several_runs_is_judged_as_in_one_pass() {
    let run = super::JUDGE_CHUNK;
    let mut texts: Vec<String> = (0..3 * run)
        .map(|n| format!("reader{n}@gmail.com"))
        .collect();
    for (row, text) in [
        (10, "first@dead.fixture.net"),
        (run + 10, "second@dead.fixture.net"),
        (run + 20, "x@late.fixture.net"),
        (run + 40, " padded@gmail.com "),
        (2 * run + 10, "first@dead.fixture.net"),
        (2 * run + 20, "y@late.fixture.net"),
        (2 * run + 30, "reader5@gmail.com"),
    ] {
        texts[row] = text.to_owned();
    }
    let scene = Scene::new(&[])
        .domain("dead.fixture.net", DomainVerdict::DomainNotFound)
        .domain("late.fixture.net", DomainVerdict::DomainNotFound)
        .domain("gmail.com", DomainVerdict::Mx { hosts: vec![] })
        .past(&format!("reader{}@gmail.com", run + 5), hard());
    let report = scene.judge_texts(&texts);
    let line = |row: usize| row + 1;
    assert_eq!(
        summary(&report),
        [
            format!("{} error domain-not-found", line(10)),
            format!("{} error historic-hard", line(run + 5)),
            format!("{} error domain-not-found", line(run + 20)),
            format!("{} warning whitespace", line(run + 40)),
            format!("{} warning duplicate", line(2 * run + 10)),
            format!("{} warning duplicate", line(2 * run + 30)),
        ]
    );
    let groups: Vec<(&str, usize, &[u64], Option<&str>)> = report
        .findings
        .iter()
        .filter_map(|finding| match &finding.reason {
            Reason::Domain {
                domain,
                addresses,
                lines,
                ..
            } => Some((
                domain.as_str(),
                *addresses,
                lines.as_slice(),
                finding.address.as_deref(),
            )),
            _ => None,
        })
        .collect();
    let lines = |rows: &[usize]| rows.iter().map(|&row| line(row) as u64).collect::<Vec<_>>();
    assert_eq!(
        groups,
        [
            (
                "dead.fixture.net",
                2,
                &lines(&[10, run + 10, 2 * run + 10])[..],
                Some("first@dead.fixture.net")
            ),
            (
                "late.fixture.net",
                2,
                &lines(&[run + 20, 2 * run + 20])[..],
                Some("x@late.fixture.net")
            ),
        ]
    );
    match &report.findings[4].reason {
        Reason::Duplicate { first_line } => assert_eq!(*first_line, line(10) as u64),
        other => panic!("{other:?}"),
    }
    let s = &report.stats;
    assert_eq!(s.duplicates, 2);
    assert_eq!((s.predicted_hard, s.historic_hard, s.bouncing), (4, 1, 5));
    assert_eq!(s.domains.get("domain-not-found"), Some(&4));
    assert_eq!(s.domains.get("mx"), Some(&(3 * run - 6)));
    assert_eq!(s.addresses, 3 * run - 2);
}
