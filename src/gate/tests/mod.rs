//! The gate on small hand-built lists: each test builds the rows, the domain verdicts and the
//! history a list is judged against, and reads the findings and counts that come out.

use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use crate::bounces::history::{AddressHistory, Evidence};
use crate::bounces::reason::Reason as BounceReason;
use crate::config::ComplaintPolicy;
use crate::domains::DomainCheck;
use crate::lists::{Cells, Skip};
use crate::syntax::{SyntaxOptions, check_cells};
use crate::table::InputProblem;

mod domains;

/// The policy of the built-in rules.yaml.
fn default_policy() -> Policy {
    crate::config::load(None)
        .expect("the built-in rules load")
        .policy
}

/// One list, its history and its domains, judged by a policy the test adjusts.
struct Scene {
    rows: Vec<&'static str>,
    skips: Vec<Skip>,
    domains: DomainReport,
    history: History,
    window: Option<Window>,
    policy: Policy,
    previous: Option<KeySet>,
    /// None by default: the tests of risk flags set it.
    risk: crate::risk::RiskReport,
}

impl Scene {
    /// Rows on lines 1, 2, 3, ...
    fn new(rows: &[&'static str]) -> Scene {
        Scene {
            rows: rows.to_vec(),
            skips: Vec::new(),
            domains: DomainReport::default(),
            history: History::default(),
            window: None,
            policy: default_policy(),
            previous: None,
            risk: crate::risk::RiskReport::default(),
        }
    }

    /// `count` distinct good addresses, then `bad` that fail the syntax check.
    fn with_counts(good: usize, bad: usize) -> (Scene, Vec<String>) {
        let mut texts: Vec<String> = (0..good).map(|n| format!("reader{n}@gmail.com")).collect();
        texts.extend((0..bad).map(|n| format!("broken{n}@gmail")));
        (Scene::new(&[]), texts)
    }

    fn domain(mut self, domain: &str, verdict: DomainVerdict) -> Scene {
        self.domains.checked = true;
        self.domains.domains.insert(
            domain.to_owned(),
            DomainCheck {
                verdict,
                expires: None,
                cached: false,
            },
        );
        self
    }

    fn past(mut self, address: &str, past: AddressHistory) -> Scene {
        self.history.by_address.insert(address.to_owned(), past);
        self
    }

    fn judge(&self) -> ListReport {
        let texts: Vec<String> = self.rows.iter().map(|row| (*row).to_owned()).collect();
        self.judge_texts(&texts)
    }

    fn judge_texts(&self, texts: &[String]) -> ListReport {
        let cells: Cells = texts
            .iter()
            .enumerate()
            .map(|(index, text)| (index as u64 + 1, text.as_str()))
            .collect();
        let list = ListFile {
            path: PathBuf::from("list.csv"),
            cells: Cells::default(),
            skips: self.skips.clone(),
            spans: Vec::new(),
            file_problem: None,
            other_email_column: None,
        };
        let context = Context {
            domains: &self.domains,
            history: &self.history,
            window: self.window,
            policy: &self.policy,
            risk: &self.risk,
        };
        let checked = check_cells(cells, SyntaxOptions::default());
        judge(&list, checked, self.previous.as_ref(), &context)
    }
}

/// `line severity code` for each finding, in report order (`-` for a whole-file finding).
fn summary(report: &ListReport) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            let line = f
                .line
                .map_or_else(|| "-".to_owned(), |line| line.to_string());
            format!("{line} {} {}", f.severity, f.code())
        })
        .collect()
}

fn evidence(reason: BounceReason, time: Option<i64>) -> Evidence {
    Evidence {
        file: Arc::from(std::path::Path::new("bounces.csv")),
        line: 2,
        time,
        reply: Some(550),
        enhanced: None,
        text: String::new(),
        reason,
        rule: None,
        source: None,
        source_verdict: None,
        already_suppressed: false,
        command: None,
        trace: None,
    }
}

fn hard() -> AddressHistory {
    AddressHistory {
        suppressed_by: Some(Arc::new(evidence(BounceReason::UserUnknown, Some(86_400)))),
        ..AddressHistory::default()
    }
}

/// Counted soft bounces on the given days (days since the epoch).
fn soft_on(days: &[i64]) -> AddressHistory {
    AddressHistory {
        soft: days
            .iter()
            .map(|&day| {
                (
                    day,
                    Arc::new(evidence(BounceReason::MailboxFull, Some(day * 86_400))),
                )
            })
            .collect(),
        ..AddressHistory::default()
    }
}

#[test]
fn the_rate_fails_only_strictly_over_the_limit() {
    // 1 of 50 is exactly 2%: no finding. 1 of 49 is 2.04%: a finding with its counts.
    let (scene, texts) = Scene::with_counts(49, 1);
    let at_limit = scene.judge_texts(&texts);
    assert_eq!(at_limit.stats.bounce_rate, 0.02);
    assert_eq!(summary(&at_limit), ["50 error no-tld"]);
    assert_eq!(
        at_limit.verdict,
        Verdict::Fail,
        "the predicted hard bounce fails"
    );

    let (mut scene, texts) = Scene::with_counts(48, 1);
    scene.policy.fail_on_predicted_hard = false;
    let over = scene.judge_texts(&texts);
    assert_eq!(summary(&over), ["49 warning no-tld", "- error bounce-rate"]);
    match &over.findings[1].reason {
        Reason::BounceRate {
            rate,
            limit,
            bouncing,
            addresses,
        } => assert_eq!(
            (*rate, *limit, *bouncing, *addresses),
            (1.0 / 49.0, 0.02, 1, 49)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(over.verdict, Verdict::Fail);

    scene.policy.fail_on_bounce_rate = false;
    let warned = scene.judge_texts(&texts);
    assert_eq!(
        summary(&warned),
        ["49 warning no-tld", "- warning bounce-rate"]
    );
    assert_eq!(warned.verdict, Verdict::Pass);
}

#[test]
fn the_addresses_a_change_adds_are_gated_on_their_own_rate() {
    // The list has 200 old good addresses; the change adds 49 good and 1 bad: 2%, at the limit.
    let (mut scene, mut texts) = Scene::with_counts(249, 0);
    scene.previous = Some(texts[..200].iter().map(|t| t.as_str().into()).collect());
    scene.policy.fail_on_predicted_hard = false;
    texts.push("broken@gmail".to_owned());
    let at_limit = scene.judge_texts(&texts);
    let added = at_limit
        .stats
        .added
        .expect("added stats with a previous revision");
    assert_eq!((added.addresses, added.bouncing), (50, 1));
    assert_eq!(added.bounce_rate, 0.02);
    assert_eq!(summary(&at_limit), ["250 warning no-tld"]);

    // One good address fewer in the change: 1 of 49 added is over, though the list (1 of
    // 249) is far under.
    texts.remove(248);
    let over = scene.judge_texts(&texts);
    assert_eq!(
        summary(&over),
        ["249 warning no-tld", "- error added-bounce-rate"]
    );
    match &over.findings[1].reason {
        Reason::AddedBounceRate {
            bouncing,
            addresses,
            ..
        } => assert_eq!((*bouncing, *addresses), (1, 49)),
        other => panic!("{other:?}"),
    }
    // An address the change repeats from the old list is not added.
    assert!(over.stats.added.is_some_and(|a| a.addresses == 49));

    // Without a previous revision there is no added rate at all.
    scene.previous = None;
    assert_eq!(scene.judge_texts(&texts).stats.added, None);
}

#[test]
fn a_duplicate_names_its_first_line_and_counts_once() {
    let scene = Scene::new(&["ann@gmail.com", "bob@gmail", "Ann@gmail.com", "bob@gmail"]);
    let report = scene.judge();
    assert_eq!(
        summary(&report),
        [
            "2 error no-tld",
            "3 warning duplicate",
            "4 error no-tld",
            "4 warning duplicate",
            "- error bounce-rate"
        ]
    );
    assert_eq!(
        report.findings[1].reason,
        Reason::Duplicate { first_line: 1 }
    );
    // A repeated bad address is reported on each line, and counted once.
    assert_eq!(report.findings[1].address.as_deref(), Some("Ann@gmail.com"));
    let s = &report.stats;
    assert_eq!((s.addresses, s.duplicates, s.predicted_hard), (2, 2, 1));
    assert_eq!((s.bouncing, s.bounce_rate), (1, 0.5));
}

#[test]
fn the_history_suppresses_and_counts_soft_days_inside_the_window_only() {
    let mut scene = Scene::new(&["gone@gmail.com", "full@gmail.com", "old@gmail.com"])
        .past("gone@gmail.com", hard())
        // Three days inside a 90-day window ending on day 100; one of them twice.
        .past("full@gmail.com", soft_on(&[20, 50, 50, 100]))
        // Three days, but one is before the window and one after its end.
        .past("old@gmail.com", soft_on(&[10, 50, 101]));
    scene.window = Some(Window {
        end_day: 100,
        days: 90,
    });
    let report = scene.judge();
    assert_eq!(
        summary(&report),
        [
            "1 error historic-hard",
            "2 error repeated-soft",
            "- error bounce-rate"
        ]
    );
    match &report.findings[1].reason {
        Reason::RepeatedSoft {
            days,
            window_days,
            latest,
        } => {
            assert_eq!((*days, *window_days), (3, 90));
            assert_eq!(
                latest.time,
                Some(100 * 86_400),
                "the latest is the newest day"
            );
        }
        other => panic!("{other:?}"),
    }
    let s = &report.stats;
    assert_eq!((s.historic_hard, s.repeated_soft, s.bouncing), (1, 1, 2));

    // The threshold is inclusive: suppress_after 4 lets full@ (3 days) pass.
    scene.policy.soft_suppress_after = 4;
    assert_eq!(summary(&scene.judge())[1], "- error bounce-rate");
    // Without a window (no dated event), no soft bounce is counted.
    scene.policy.soft_suppress_after = 3;
    scene.window = None;
    assert_eq!(scene.judge().stats.repeated_soft, 0);
    // Each fail_on key makes its finding a warning.
    scene.window = Some(Window {
        end_day: 100,
        days: 90,
    });
    scene.policy.fail_on_historic_hard = false;
    scene.policy.fail_on_repeated_soft = false;
    scene.policy.fail_on_bounce_rate = false;
    assert_eq!(scene.judge().verdict, Verdict::Pass);
}

#[test]
fn sender_blocks_count_blocks_and_each_blocked_address_once() {
    let blocked = |blocks| AddressHistory {
        sender_blocks: blocks,
        ..AddressHistory::default()
    };
    let mut scene = Scene::new(&["a@gmail.com", "b@gmail.com", "a@gmail.com", "c@gmail.com"])
        .past("a@gmail.com", blocked(2))
        .past("b@gmail.com", blocked(1))
        .past("c@gmail.com", blocked(0));
    let report = scene.judge();
    assert_eq!(report.stats.sender_blocks, 3);
    let blocks: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code() == "sender-blocks")
        .collect();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].severity, Severity::Warning);
    assert_eq!(
        blocks[0].reason,
        Reason::SenderBlocks {
            blocks: 3,
            addresses: 2
        }
    );
    // A sender block is not the address's fault: nothing bounces.
    assert_eq!(report.stats.bouncing, 0);

    scene.policy.sender_blocks = Level::Error;
    assert_eq!(scene.judge().verdict, Verdict::Fail);
    scene.policy.sender_blocks = Level::Off;
    assert!(
        scene
            .judge()
            .findings
            .iter()
            .all(|f| f.code() != "sender-blocks")
    );
    // Without blocks there is no finding.
    assert!(
        Scene::new(&["c@gmail.com"])
            .past("c@gmail.com", blocked(0))
            .judge()
            .findings
            .is_empty()
    );
}

#[test]
fn skipped_rows_are_accounted_for_and_bad_input_wins() {
    let mut scene = Scene::new(&["a@gmail.com"]);
    scene.skips = vec![
        Skip {
            line: 2,
            reason: SkipReason::Blank,
        },
        Skip {
            line: 3,
            reason: SkipReason::EmptyCell,
        },
        Skip {
            line: 4,
            reason: SkipReason::BadInput {
                problem: InputProblem::NulByte { column: 1 },
            },
        },
    ];
    let report = scene.judge();
    let s = &report.stats;
    assert_eq!((s.rows_read, s.rows_checked, s.rows_skipped), (4, 1, 3));
    assert_eq!(
        s.skipped,
        BTreeMap::from([("blank", 1), ("empty-cell", 1), ("nul-byte", 1)])
    );
    assert_eq!(
        summary(&report),
        ["3 warning empty-cell", "4 error nul-byte"]
    );
    assert_eq!(report.verdict, Verdict::BadInput);

    scene.policy.empty_cell = Level::Off;
    scene.skips.pop();
    let report = scene.judge();
    assert!(report.findings.is_empty());
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn whitespace_and_duplicates_follow_their_severity_keys() {
    let mut scene = Scene::new(&[" a@gmail.com", "a@gmail.com"]);
    assert_eq!(
        summary(&scene.judge()),
        ["1 warning whitespace", "2 warning duplicate"]
    );
    scene.policy.whitespace = Level::Error;
    scene.policy.duplicate = Level::Off;
    let report = scene.judge();
    assert_eq!(summary(&report), ["1 error whitespace"]);
    assert_eq!(report.verdict, Verdict::Fail);
    // Off hides the finding, not the count.
    assert_eq!(report.stats.duplicates, 1);
}

#[test]
fn the_rate_of_an_empty_list_is_zero() {
    assert_eq!(rate(0, 0), 0.0);
    assert_eq!(rate(1, 4), 0.25);
    let report = Scene::new(&[]).judge();
    assert_eq!((report.stats.addresses, report.stats.bounce_rate), (0, 0.0));
    assert_eq!(report.verdict, Verdict::Pass);
}

fn complained() -> AddressHistory {
    AddressHistory {
        complained_by: Some(Arc::new(evidence(BounceReason::Feedback, Some(86_400)))),
        ..AddressHistory::default()
    }
}

#[test]
fn a_complaint_follows_its_policy_and_is_never_a_bounce() {
    let mut hard_and_complained = hard();
    hard_and_complained.complained_by = complained().complained_by;
    let mut scene = Scene::new(&[
        "sam@gmail.com",
        "lee@gmail.com",
        "kim@dead.fixture.net",
        "ok@gmail.com",
    ])
    .domain("dead.fixture.net", DomainVerdict::DomainNotFound)
    .past("sam@gmail.com", complained())
    // A hard bounce says more than a complaint: one finding, the bounce.
    .past("lee@gmail.com", hard_and_complained)
    // A complaint does not hide what DNS says of the domain.
    .past("kim@dead.fixture.net", complained());
    scene.policy.max_bounce_rate = 1.0;
    let warned = scene.judge();
    assert_eq!(
        summary(&warned),
        [
            "1 warning complaint",
            "2 error historic-hard",
            "3 error domain-not-found",
            "3 warning complaint"
        ]
    );
    let s = &warned.stats;
    assert_eq!((s.complaints, s.historic_hard, s.bouncing), (2, 1, 2));

    scene.policy.complaints = ComplaintPolicy::Suppress;
    let suppressed = scene.judge();
    assert_eq!(summary(&suppressed)[0], "1 error complaint");
    assert_eq!(suppressed.stats.bouncing, 2, "still no bounce");

    scene.policy.complaints = ComplaintPolicy::Ignore;
    let ignored = scene.judge();
    assert_eq!(
        summary(&ignored),
        ["2 error historic-hard", "3 error domain-not-found"]
    );
    assert_eq!(ignored.stats.complaints, 0);
}
