//! The user's file layered over the default one, and the result turned into a [`Config`].

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use super::{
    ComplaintPolicy, Config, DnsFile, Level, Policy, PolicyFile, Rate, RulesFile, Seconds,
};
use crate::bounces::classify::RuleSet;
use crate::bounces::rules::{DEFAULT_RULES_NAME, Origin, Rule};
use crate::domains::DnsOptions;
use crate::error::ConfigError;
use crate::risk::RiskOptions;
use crate::syntax::SyntaxOptions;

pub(super) fn resolve(
    default: RulesFile,
    user: Option<(RulesFile, &Path)>,
) -> Result<Config, ConfigError> {
    let user_path = user.as_ref().map(|(_, path)| path.to_path_buf());
    let user = user.map(|(file, _)| file).unwrap_or_default();

    let mut rules: Vec<(Rule, Origin)> = Vec::new();
    let mut names = HashSet::new();
    for spanned in user.rules.iter().flatten() {
        let path = user_path.clone().unwrap_or_default();
        let at = |message: String| ConfigError::Invalid {
            file: path.display().to_string(),
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            message,
        };
        if !spanned.value.has_condition() {
            return Err(at(format!(
                "rule '{}' has no condition: expected at least one of text, regex, enhanced, reply, bare",
                spanned.value.name
            )));
        }
        if !names.insert(spanned.value.name.clone()) {
            return Err(at(format!(
                "rule '{}' is defined twice: rule names must be unique",
                spanned.value.name
            )));
        }
        rules.push((spanned.value.clone(), Origin::User(path.clone())));
    }
    if user.default_rules.unwrap_or(true) {
        for spanned in default.rules.iter().flatten() {
            // A user rule with the name of a default rule replaces it.
            if !names.contains(&spanned.value.name) {
                rules.push((spanned.value.clone(), Origin::Default));
            }
        }
    }

    let effective = layer(default, user);
    let policy = resolve_policy(effective.policy.clone().unwrap_or_default());
    let risk =
        RiskOptions::from_file(effective.risk.clone().unwrap_or_default()).map_err(|message| {
            ConfigError::Invalid {
                file: user_path
                    .as_ref()
                    .map_or(DEFAULT_RULES_NAME.to_owned(), |p| p.display().to_string()),
                line: 1,
                column: 1,
                message,
            }
        })?;
    let syntax = effective.syntax.clone().unwrap_or_default();
    let reasons = effective.reasons.clone().unwrap_or_default();
    let rule_set = RuleSet::new(rules, reasons).map_err(|error| ConfigError::Invalid {
        file: user_path
            .as_ref()
            .map_or(DEFAULT_RULES_NAME.to_owned(), |p| p.display().to_string()),
        line: 1,
        column: 1,
        message: error.to_string(),
    })?;
    Ok(Config {
        lists: effective.lists.clone().unwrap_or_default(),
        exclude: effective.exclude.clone().unwrap_or_default(),
        history: effective.history.clone().unwrap_or_default(),
        syntax: SyntaxOptions {
            allow_quoted_local: syntax.allow_quoted_local.unwrap_or(false),
            allow_domain_literal: syntax.allow_domain_literal.unwrap_or(false),
            case_sensitive_local: syntax.case_sensitive_local.unwrap_or(false),
        },
        policy,
        dns: resolve_dns(effective.dns.clone().unwrap_or_default()),
        risk,
        rules: rule_set,
        base_dir: user_path
            .as_deref()
            .and_then(Path::parent)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        user_file: user_path,
        effective,
    })
}

/// Each key the user sets overrides the default's, however deep (lists of globs are replaced
/// whole); rules are kept apart (see [`resolve`]). Both files were checked when parsed, so
/// the merge is done on their JSON form and read back.
fn layer(mut default: RulesFile, mut user: RulesFile) -> RulesFile {
    fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
        match (base, over) {
            (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
                for (key, value) in over {
                    merge(base.entry(key).or_insert(serde_json::Value::Null), value);
                }
            }
            (base, over) => *base = over,
        }
    }
    default.rules = None;
    user.rules = None;
    user.default_rules = None;
    let mut merged = serde_json::to_value(&default).unwrap_or_default();
    merge(&mut merged, serde_json::to_value(&user).unwrap_or_default());
    serde_json::from_value(merged).unwrap_or(default)
}

/// Fill the policy; a key missing from both layers takes the value the README documents.
fn resolve_policy(file: PolicyFile) -> Policy {
    let soft = file.soft_bounce.unwrap_or_default();
    let fail = file.fail_on.unwrap_or_default();
    let severity = file.severity.unwrap_or_default();
    Policy {
        max_bounce_rate: file.max_bounce_rate.map_or(0.02, Rate::value),
        soft_suppress_after: soft.suppress_after.map_or(3, NonZeroU32::get),
        soft_within_days: soft.within_days.map_or(90, NonZeroU32::get),
        fail_on_predicted_hard: fail.predicted_hard.unwrap_or(true),
        fail_on_historic_hard: fail.historic_hard.unwrap_or(true),
        fail_on_repeated_soft: fail.repeated_soft.unwrap_or(true),
        fail_on_bounce_rate: fail.bounce_rate.unwrap_or(true),
        duplicate: severity.duplicate.unwrap_or(Level::Warning),
        whitespace: severity.whitespace.unwrap_or(Level::Warning),
        empty_cell: severity.empty_cell.unwrap_or(Level::Warning),
        sender_blocks: severity.sender_blocks.unwrap_or(Level::Warning),
        history_row: severity.history_row.unwrap_or(Level::Warning),
        implicit_mx: severity.implicit_mx.unwrap_or(Level::Warning),
        fail_on_unknown: fail.unknown.unwrap_or(false),
        unknown_counts_as_bounce: file.unknown_counts_as_bounce.unwrap_or(false),
        complaints: file.complaints.unwrap_or(ComplaintPolicy::Warn),
        role_account: advisory(fail.role_account, severity.role_account),
        disposable_domain: advisory(fail.disposable_domain, severity.disposable_domain),
        typo_domain: advisory(fail.typo_domain, severity.typo_domain),
        risky_counts_as_bounce: file.risky_counts_as_bounce.unwrap_or(false),
    }
}

/// An advisory's level: a warning; `fail_on` makes it an error, and `severity` sets it
/// outright (`off` wins over `fail_on`).
fn advisory(fail: Option<bool>, severity: Option<Level>) -> Level {
    match (severity, fail) {
        (Some(Level::Off), _) => Level::Off,
        (_, Some(true)) => Level::Error,
        (Some(level), _) => level,
        (None, _) => Level::Warning,
    }
}

fn resolve_dns(file: DnsFile) -> DnsOptions {
    let defaults = DnsOptions::default();
    DnsOptions {
        offline: file.offline.unwrap_or(defaults.offline),
        nameservers: file
            .nameservers
            .unwrap_or_default()
            .into_iter()
            .map(|server| server.0)
            .collect(),
        timeout: file.timeout.map_or(defaults.timeout, Seconds::duration),
        attempts: file.attempts.map_or(defaults.attempts, usize::from),
        concurrency: file
            .concurrency
            .map_or(defaults.concurrency, |n| n.get() as usize),
        cache_file: file.cache,
        cache_max_age: file
            .cache_max_age_hours
            .map_or(defaults.cache_max_age, |hours| {
                std::time::Duration::from_secs(u64::from(hours.get()) * 3600)
            }),
        progress: false,
    }
}
