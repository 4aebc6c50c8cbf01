//! The engine's promises, on the built-in rules and on rule sets built here.

use super::*;
use crate::bounces::rules::TextRegex;

fn default_rules() -> RuleSet {
    crate::config::load(None)
        .expect("the built-in rules.yaml must load")
        .rules
}

fn outcome(rules: &RuleSet, text: &str) -> (Reason, Action) {
    let c = rules.classify_text(text);
    (c.reason, c.action)
}

#[test]
fn a_2xx_is_a_delivery_whatever_the_text_says() {
    let rules = default_rules();
    let c = rules.classify_text("250 2.1.5 OK user unknown");
    assert_eq!(
        (c.reason, c.action, c.rule),
        (Reason::Delivered, Action::Ignore, None)
    );
    assert_eq!(c.decider, Decider::Delivered);
    // A 2.x.x without a reply code is a delivery too.
    assert_eq!(outcome(&rules, "2.0.0 mailbox full").0, Reason::Delivered);
}

#[test]
fn an_x_0_0_code_says_nothing_and_the_text_or_reply_decides() {
    let rules = default_rules();
    // Without the text, 550 5.0.0 falls to the bare 550: the address.
    let bare = rules.classify_text("550 5.0.0 <bob@example.org>");
    assert_eq!(
        (bare.reason, bare.action),
        (Reason::UserUnknown, Action::Suppress)
    );
    assert_eq!(bare.decider, Decider::Bare);
    // A text that names the sender decides, and an unknown text suppresses nothing.
    assert_eq!(
        outcome(&rules, "550 5.0.0 IP frequency limited"),
        (Reason::RateLimited, Action::Ignore)
    );
    assert_eq!(
        outcome(&rules, "550 5.0.0 zebra giraffe"),
        (Reason::Undefined, Action::Ignore)
    );
    // X.0.0 would match a 5.*.* pattern if it were read as a code.
    assert_eq!(rules.classify_text("554 5.0.0").reason, Reason::Undefined);
}

#[test]
fn the_command_moves_an_address_reason_to_the_side_it_concerns() {
    let rules = default_rules();
    let cases = [
        (
            "550 5.1.1 User unknown (in reply to RCPT TO command)",
            Some(Command::Rcpt),
            Reason::UserUnknown,
            Action::Suppress,
            None,
        ),
        (
            "550 5.1.1 User unknown (in reply to end of DATA command)",
            Some(Command::Data),
            Reason::Filtered,
            Action::Count,
            Some(Reason::UserUnknown),
        ),
        (
            "SMTP error from remote mail server after end of data: 550 unknown user",
            Some(Command::Data),
            Reason::Filtered,
            Action::Count,
            Some(Reason::UserUnknown),
        ),
        (
            "550 5.1.1 User unknown (in reply to MAIL FROM command)",
            Some(Command::Mail),
            Reason::Rejected,
            Action::Ignore,
            Some(Reason::UserUnknown),
        ),
        (
            "host mx.example.org refused to talk to me: 550 no such user",
            Some(Command::Connect),
            Reason::Blocked,
            Action::Ignore,
            Some(Reason::UserUnknown),
        ),
        // A full mailbox after DATA is still a full mailbox (quota is often checked there).
        (
            "552 5.2.2 Mailbox full (in reply to end of DATA command)",
            Some(Command::Data),
            Reason::MailboxFull,
            Action::Count,
            None,
        ),
        // A sender reason is not moved.
        (
            "554 5.7.1 blocked using zen.spamhaus.org (in reply to RCPT TO command)",
            Some(Command::Rcpt),
            Reason::Blocked,
            Action::Ignore,
            None,
        ),
    ];
    for (text, command, reason, action, moved_from) in cases {
        let c = rules.classify_text(text);
        assert_eq!(
            (c.command, c.reason, c.action, c.moved_from),
            (command, reason, action, moved_from),
            "{text}"
        );
    }
    // The earliest marker wins; a command the source gives wins over the text.
    let c = rules.classify_text("after RCPT TO:<a@b.org>: 550 user unknown (was after data)");
    assert_eq!(c.command, Some(Command::Rcpt));
    let given = rules.classify(BounceInput {
        command: Some(Command::Data),
        ..BounceInput::from_text("550 5.1.1 user unknown (in reply to RCPT TO command)")
    });
    assert_eq!(given.reason, Reason::Filtered);
}

#[test]
fn a_4xx_never_suppresses_at_once() {
    let rules = default_rules();
    for text in [
        "450 4.1.1 <a@b.de>: Recipient address rejected: User unknown",
        "450 4.1.2 <a@b.de>: Recipient address rejected: Domain not found",
        "4.1.1 user unknown",
    ] {
        let c = rules.classify_text(text);
        assert_eq!(c.action, Action::Count, "{text}");
        assert!(c.softened, "{text}");
    }
    let full = rules.classify_text("452 4.2.2 Mailbox full");
    assert_eq!((full.action, full.softened), (Action::Count, false));
}

#[test]
fn the_sender_wins_when_a_text_names_both_sides() {
    let rules = default_rules();
    assert_eq!(
        outcome(
            &rules,
            "550 5.1.1 Client host [192.0.2.1] blocked using zen.spamhaus.org; user unknown"
        ),
        (Reason::Blocked, Action::Ignore)
    );
    assert_eq!(
        outcome(
            &rules,
            "550 5.1.1 <x@y.org>: has sent to too many recipients this hour"
        ),
        (Reason::RateLimited, Action::Ignore)
    );
}

#[test]
fn a_rule_without_an_action_takes_its_reasons_and_a_rule_may_name_one() {
    let rule = |name: &str, text: &str, reason: Reason, action: Option<Action>| Rule {
        name: name.to_owned(),
        text: vec![text.to_owned()],
        regex: Vec::new(),
        enhanced: Vec::new(),
        reply: Vec::new(),
        bare: false,
        reason,
        action,
        advice: None,
    };
    let mut reasons = ReasonTable::new();
    reasons.insert(
        Reason::Suspend,
        crate::bounces::rules::ReasonFile {
            action: Some(Action::Suppress),
            advice: Some("gone".to_owned()),
        },
    );
    let rules = RuleSet::new(
        vec![
            (
                rule("own", "vip quota", Reason::Suspend, Some(Action::Ignore)),
                Origin::Default,
            ),
            (
                rule("by-reason", "locked", Reason::Suspend, None),
                Origin::Default,
            ),
        ],
        reasons.clone(),
    )
    .unwrap();
    assert_eq!(
        outcome(&rules, "550 vip quota"),
        (Reason::Suspend, Action::Ignore)
    );
    let by_reason = rules.classify_text("550 locked");
    assert_eq!(by_reason.action, Action::Suppress);
    assert_eq!(rules.advice(&by_reason), Some("gone"));
    assert_eq!(rules.evidence(&by_reason), "phrase \"locked\"");
    // A reason with no action anywhere is refused when the rules are built.
    let error = RuleSet::new(
        vec![(rule("r", "x", Reason::Blocked, None), Origin::Default)],
        reasons,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("reason 'blocked' has no action"),
        "{error}"
    );
}

#[test]
fn every_reason_has_an_action_and_advice_in_the_built_in_rules() {
    let rules = default_rules();
    for reason in Reason::ALL {
        let settings = rules.reasons().get(reason);
        assert!(
            settings.is_some_and(|s| s.action.is_some() && s.advice.is_some()),
            "reasons: {reason} needs an action and advice"
        );
        // Only the address may be suppressed or counted.
        let action = settings.and_then(|s| s.action).unwrap();
        assert_eq!(
            action != Action::Ignore,
            reason.side() == Side::Address,
            "{reason}: {action}"
        );
    }
}

#[test]
fn the_readme_lists_every_reason_with_its_default_action() {
    let readme = include_str!("../../../README.md");
    let rules = default_rules();
    for reason in Reason::ALL {
        let action = rules.reasons()[reason].action.unwrap();
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{reason}` |")))
            .unwrap_or_else(|| panic!("README.md has no row for reason {reason}"));
        assert!(row.ends_with(&format!("| {action} |")), "{row}");
    }
}

#[test]
fn an_x_0_0_code_matches_no_pattern_however_wide() {
    let rule = Rule {
        name: "any-permanent".to_owned(),
        text: Vec::new(),
        regex: Vec::new(),
        enhanced: vec!["5.*.*".parse().unwrap()],
        reply: Vec::new(),
        bare: false,
        reason: Reason::UserUnknown,
        action: Some(Action::Suppress),
        advice: None,
    };
    let rules = RuleSet::new(vec![(rule, Origin::Default)], ReasonTable::new()).unwrap();
    assert_eq!(rules.classify_text("550 5.0.0 zebra").rule, None);
    // Only both parts zero say nothing: 5.1.0 and 5.0.1 are codes.
    assert_eq!(rules.classify_text("550 5.1.0 zebra").rule, Some(0));
    assert_eq!(rules.classify_text("550 5.0.1 zebra").rule, Some(0));
}

#[test]
fn the_evidence_names_what_decided() {
    let rules = default_rules();
    let cases = [
        (
            "550 5.1.1 zebra",
            Decider::Enhanced("5.1.1".parse().unwrap()),
        ),
        ("550 <bob@example.org>", Decider::Bare),
        ("552 zebra", Decider::Reply(ReplyCode::new(552).unwrap())),
        // A rule of reply codes alone is decided by the reply, whatever enhanced code is there.
        (
            "421 4.1.5 zebra",
            Decider::Reply(ReplyCode::new(421).unwrap()),
        ),
        ("Permanent/General", Decider::Regex),
        ("554 5.0.0 zebra", Decider::Nothing),
    ];
    for (text, decider) in cases {
        assert_eq!(rules.classify_text(text).decider, decider, "{text}");
    }
    assert_eq!(
        rules.evidence(&rules.classify_text("550 5.1.1 zebra")),
        "enhanced code 5.1.1"
    );
    assert_eq!(
        rules.evidence(&rules.classify_text("552 zebra")),
        "reply code 552"
    );
}

#[test]
fn a_host_that_takes_no_mail_says_so_at_the_greeting() {
    // RFC 7504: 521 is a greeting reply. It stays the address's (the domain takes no mail),
    // where other address reasons at the greeting are the connecting host's.
    let c = default_rules().classify_text(
        "host mx.example.org[192.0.2.1] refused to talk to me: 521 5.3.2 example.org does not accept mail",
    );
    assert_eq!(c.command, Some(Command::Connect));
    assert_eq!((c.reason, c.action), (Reason::NotAccept, Action::Suppress));
}

#[test]
fn a_remembered_classification_is_the_one_the_rules_give() {
    // Texts that fold to one (the address and host names out, lower case) share a memo
    // entry; what differs in codes or command does not.
    let rules = default_rules();
    let fresh = |text: &str| {
        // Another rule set (another memo) classifies it as if for the first time.
        let other = default_rules();
        other.classify_text(text)
    };
    let texts = [
        "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown",
        "550 5.1.1 <BOB@example.net>: recipient address rejected: user unknown",
        "450 4.1.1 <ann@example.org>: Recipient address rejected: User unknown",
        "550 5.1.1 <ann@example.org>: User unknown (in reply to end of DATA command)",
        "550 5.1.1 <ann@example.org>: User unknown (in reply to MAIL FROM command)",
        "Permanent/General",
        "permanent/general",
    ];
    for _ in 0..2 {
        for text in texts {
            assert_eq!(rules.classify_text(text), fresh(text), "{text}");
        }
    }
    let remembered = rules.classify_text(texts[1]);
    assert_eq!(remembered, rules.classify_text(texts[0]));
    assert_eq!(remembered.reason, Reason::UserUnknown);
}

#[test]
fn a_text_a_regular_expression_decided_is_not_remembered() {
    // The regex reads the text as written; two texts that fold to one may differ there.
    let rule = Rule {
        name: "vip".to_owned(),
        text: Vec::new(),
        regex: vec![TextRegex("ceo@example\\.org".to_owned())],
        enhanced: Vec::new(),
        reply: Vec::new(),
        bare: false,
        reason: Reason::Suspend,
        action: Some(Action::Suppress),
        advice: None,
    };
    let rules = RuleSet::new(vec![(rule, Origin::Default)], ReasonTable::new()).unwrap();
    let first = rules.classify_text("550 <ceo@example.org> zebra");
    let second = rules.classify_text("550 <bob@example.org> zebra");
    assert_eq!(first.rule, Some(0));
    assert_eq!(second.rule, None);
    assert_eq!(
        rules.classify_text("550 <ceo@example.org> zebra").rule,
        Some(0)
    );
}
