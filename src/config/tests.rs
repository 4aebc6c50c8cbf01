use super::*;
use crate::bounces::reason::Reason;
use crate::bounces::rules::{Action, Origin};

fn config_with(user_yaml: &str) -> Result<Config, ConfigError> {
    let default = parse(DEFAULT_RULES_YAML, DEFAULT_RULES_NAME)?;
    let user = parse(user_yaml, "user.yaml")?;
    resolve(default, Some((user, Path::new("user.yaml"))))
}

fn default_config() -> Config {
    load(None).expect("the built-in rules.yaml must load")
}

fn classify(config: &Config, text: &str) -> (Reason, Action) {
    let c = config.rules.classify_text(text);
    (c.reason, c.action)
}

#[test]
fn user_rules_come_first_and_policy_keys_override_one_by_one() {
    let config = config_with(
        "policy:\n  max_bounce_rate: 0.05\n  soft_bounce:\n    within_days: 30\nrules:\n  - name: vip-full\n    text: [vip quota]\n    reason: mailboxfull\n    action: ignore\n",
    )
    .unwrap();
    assert_eq!(config.policy.max_bounce_rate, 0.05);
    assert_eq!(config.policy.soft_within_days, 30);
    assert_eq!(
        config.policy.soft_suppress_after, 3,
        "kept from the default"
    );
    assert_eq!(config.rules.rules()[0].0.name, "vip-full");
    assert_eq!(
        classify(&config, "550 5.1.1 vip quota"),
        (Reason::MailboxFull, Action::Ignore)
    );
    assert_eq!(
        classify(&config, "550 5.1.1 user unknown"),
        (Reason::UserUnknown, Action::Suppress)
    );
}

#[test]
fn dns_keys_layer_one_by_one() {
    let config = config_with(
        "dns:\n  nameservers: ['192.0.2.53', '[2001:db8::53]:5353']\n  concurrency: 8\n",
    )
    .unwrap();
    assert_eq!(config.dns.concurrency, 8);
    assert_eq!(
        config.dns.nameservers,
        vec![
            "192.0.2.53:53".parse().unwrap(),
            "[2001:db8::53]:5353".parse().unwrap()
        ]
    );
    assert_eq!(
        config.dns.timeout,
        std::time::Duration::from_secs(3),
        "kept"
    );
    assert_eq!(config.dns.attempts, 1, "kept");
    assert!(!config.dns.offline);
}

#[test]
fn a_user_rule_replaces_the_default_rule_of_the_same_name() {
    let default_names: Vec<String> = default_config()
        .rules
        .rules()
        .iter()
        .map(|(r, _)| r.name.clone())
        .collect();
    let name = &default_names[0];
    let config = config_with(&format!(
        "rules:\n  - name: {name}\n    text: [zzz]\n    reason: undefined\n    action: ignore\n"
    ))
    .unwrap();
    assert_eq!(config.rules.rules().len(), default_names.len());
    assert_eq!(
        config.rules.rules()[0].1,
        Origin::User(PathBuf::from("user.yaml"))
    );
}

#[test]
fn mistakes_are_reported_with_line_and_column() {
    let cases = [
        (
            "policy:\n  max_bounce_rat: 0.1\n",
            "user.yaml:2:",
            "max_bounce_rat",
        ),
        (
            "policy:\n  fail_on:\n    bounce_rate: yes\n",
            "user.yaml:3:",
            "bool",
        ),
        (
            "rules:\n  - name: r\n    regex: ['(unclosed']\n    reason: undefined\n    action: ignore\n",
            "user.yaml:3:",
            "bad regex",
        ),
        (
            "rules:\n  - name: r\n    enhanced: ['5.1']\n    reason: undefined\n    action: ignore\n",
            "user.yaml:3:",
            "enhanced code pattern",
        ),
        (
            "rules:\n  - name: r\n    reply: [650]\n    reason: undefined\n    action: ignore\n",
            "user.yaml:3:",
            "reply code pattern",
        ),
        (
            "rules:\n  - name: r\n    reason: undefined\n    action: ignore\n",
            "user.yaml:2:",
            "no condition",
        ),
        (
            "rules:\n  - name: r\n    text: [a]\n    reason: lost\n    action: ignore\n",
            "user.yaml:4:",
            "lost",
        ),
        (
            "policy:\n  max_bounce_rate: 2\n",
            "user.yaml:2:",
            "out of range",
        ),
    ];
    for (yaml, location, words) in cases {
        let message = config_with(yaml).unwrap_err().to_string();
        assert!(message.starts_with(location), "{yaml}\n=> {message}");
        assert!(message.contains(words), "{yaml}\n=> {message}");
    }
}

#[test]
fn the_committed_schema_matches_the_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rules.schema.json");
    let generated = json_schema();
    if std::env::var_os("BOUNCEGATE_BLESS").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "rules.schema.json is out of date: run `BOUNCEGATE_BLESS=1 cargo test schema` and commit it"
    );
}

#[test]
fn the_effective_rules_print_as_a_valid_rules_file() {
    let config = default_config();
    let printed = render_effective(&config);
    let reparsed = parse(&printed, "printed").unwrap();
    assert_eq!(reparsed.rules.unwrap().len(), config.rules.rules().len());
}
