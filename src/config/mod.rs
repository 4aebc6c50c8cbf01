//! rules.yaml: the file's shape, and how a user's file is layered over the built-in one.
//!
//! The repository's `rules.yaml` is compiled into the binary and is always the bottom layer. A
//! user's file is layered on top: its rules are tried before the default ones (a user rule with
//! the name of a default rule replaces it), and every other key it sets overrides that key
//! alone. Unknown keys, wrong types, bad regexes and malformed codes are rejected with the
//! file, line and column.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_saphyr::Spanned;

use crate::bounces::classify::RuleSet;
use crate::bounces::rules::{DEFAULT_RULES_NAME, ReasonTable, Rule};
use crate::domains::DnsOptions;
use crate::error::ConfigError;
use crate::risk::{RiskFile, RiskOptions};
use crate::syntax::SyntaxOptions;

/// The default rules, embedded at build time.
pub const DEFAULT_RULES_YAML: &str = include_str!("../../rules.yaml");

/// How a finding kind is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Fails the gate.
    Error,
    /// Shown, does not fail the gate.
    Warning,
    /// Not reported.
    Off,
}

/// What a complaint (a feedback report: the recipient marked a mail as spam) does to the
/// address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ComplaintPolicy {
    /// An error that fails the gate, and `fix` removes the address.
    Suppress,
    /// A warning on the address's line.
    Warn,
    /// Not reported.
    Ignore,
}

/// A bounce rate between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Rate(#[schemars(range(min = 0.0, max = 1.0))] f64);

impl Rate {
    pub fn new(value: f64) -> Result<Rate, String> {
        if (0.0..=1.0).contains(&value) {
            Ok(Rate(value))
        } else {
            Err(format!(
                "bounce rate {value} is out of range: expected a fraction from 0 to 1, such as 0.02 for 2%"
            ))
        }
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Rate::new(f64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyntaxFile {
    /// Accept quoted local parts such as "john doe"@example.org.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_quoted_local: Option<bool>,
    /// Accept IP address literals such as user@[192.0.2.1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_domain_literal: Option<bool>,
    /// Match the local part case-sensitively (Ann@x.org and ann@x.org differ).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_sensitive_local: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SoftBounceFile {
    /// Counted soft bounces, on distinct days, that suppress an address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppress_after: Option<NonZeroU32>,
    /// The window, in days, ending at the newest history event (or --as-of).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_days: Option<NonZeroU32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailOnFile {
    /// Fail on addresses predicted to hard-bounce (bad syntax).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_hard: Option<bool>,
    /// Fail on addresses whose history holds a suppressing bounce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub historic_hard: Option<bool>,
    /// Fail on addresses over the soft-bounce threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated_soft: Option<bool>,
    /// Fail when a projected bounce rate is over max_bounce_rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounce_rate: Option<bool>,
    /// Fail when a domain could not be checked (dns-unknown): off, so a flaky resolver in CI
    /// does not fail the build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<bool>,
    /// Fail on role accounts (info@, sales@): an error unless policy.severity.role_account is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_account: Option<bool>,
    /// Fail on addresses on disposable domains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposable_domain: Option<bool>,
    /// Fail on typos of a big provider's domain (gmial.com).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typo_domain: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityFile {
    /// An address that appears twice in one list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<Level>,
    /// Leading or trailing whitespace around an address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whitespace: Option<Level>,
    /// A CSV row whose email cell is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_cell: Option<Level>,
    /// Blocks against the sender (spam, policy) in the history of a list's addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_blocks: Option<Level>,
    /// A history row that could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_row: Option<Level>,
    /// A domain without MX that takes mail at its address record (implicit MX).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implicit_mx: Option<Level>,
    /// A role account (info@, sales@, kontakt@).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_account: Option<Level>,
    /// An address on a disposable domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposable_domain: Option<Level>,
    /// A typo of a big provider's domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typo_domain: Option<Level>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// The gate fails when a list's projected bounce rate is strictly greater than this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bounce_rate: Option<Rate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_bounce: Option<SoftBounceFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<FailOnFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityFile>,
    /// Count addresses on domains that could not be checked (dns-unknown) in the bounce rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_counts_as_bounce: Option<bool>,
    /// What a complaint in the history does to the address: suppress, warn or ignore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaints: Option<ComplaintPolicy>,
    /// Count the addresses a risk flag is reported for (role accounts, disposable and typo
    /// domains) in the bounce rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risky_counts_as_bounce: Option<bool>,
}

/// A name server: an IP address, with a port when it is not 53 (`192.0.2.53:5353`, `[::1]:53`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(into = "String")]
#[schemars(with = "String")]
pub struct Nameserver(pub std::net::SocketAddr);

impl std::str::FromStr for Nameserver {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        text.parse::<std::net::SocketAddr>()
            .or_else(|_| {
                text.parse::<std::net::IpAddr>()
                    .map(|ip| std::net::SocketAddr::new(ip, 53))
            })
            .map(Nameserver)
            .map_err(|_| {
                format!("'{text}' is not a name server: expected IP[:PORT], such as 192.0.2.53 or 192.0.2.53:5353 or [2001:db8::53]:53")
            })
    }
}

impl From<Nameserver> for String {
    fn from(server: Nameserver) -> String {
        server.0.to_string()
    }
}

impl<'de> Deserialize<'de> for Nameserver {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// How domains are checked over DNS.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsFile {
    /// No DNS at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<bool>,
    /// Name servers to ask; empty: the system's resolver configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nameservers: Option<Vec<Nameserver>>,
    /// Seconds one question waits at most, its retries included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Seconds>,
    /// Retries of a question, sent inside its timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u8>,
    /// Domains asked at once (64 unless set); as many again that have had no answer for a
    /// third of a second wait out their timeout aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<NonZeroU32>,
    /// A file that keeps definitive answers between runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<PathBuf>,
    /// The longest, in hours, a cached answer is trusted, whatever its TTL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_max_age_hours: Option<NonZeroU32>,
}

/// A positive number of seconds, up to an hour.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Seconds(#[schemars(range(min = 0.001, max = 3600.0))] f64);

impl Seconds {
    pub fn new(value: f64) -> Result<Seconds, String> {
        if value > 0.0 && value <= 3600.0 {
            Ok(Seconds(value))
        } else {
            Err(format!(
                "{value} seconds is out of range: expected more than 0 and at most 3600"
            ))
        }
    }

    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Seconds::new(f64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// The shape of rules.yaml. Every key is optional in a user's file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "bouncegate rules.yaml")]
pub struct RulesFile {
    /// Globs of the list files that `check` reads when it is given no path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lists: Option<Vec<String>>,
    /// Globs of files never checked, even when named on the command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<String>>,
    /// Globs of bounce history files read when --history is not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syntax: Option<SyntaxFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskFile>,
    /// When false, only this file's rules are used, not the built-in ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_rules: Option<bool>,
    /// Per reason, the action its bounces take unless a rule names one, and its advice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<ReasonTable>,
    /// Ordered rules; the first that matches wins. A user's rules are tried before the defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Rule>>")]
    pub rules: Option<Vec<Spanned<Rule>>>,
}

/// The policy in force after layering.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub max_bounce_rate: f64,
    pub soft_suppress_after: u32,
    pub soft_within_days: u32,
    pub fail_on_predicted_hard: bool,
    pub fail_on_historic_hard: bool,
    pub fail_on_repeated_soft: bool,
    pub fail_on_bounce_rate: bool,
    pub duplicate: Level,
    pub whitespace: Level,
    pub empty_cell: Level,
    pub sender_blocks: Level,
    pub history_row: Level,
    pub implicit_mx: Level,
    pub fail_on_unknown: bool,
    pub unknown_counts_as_bounce: bool,
    pub complaints: ComplaintPolicy,
    pub role_account: Level,
    pub disposable_domain: Level,
    pub typo_domain: Level,
    pub risky_counts_as_bounce: bool,
}

/// Everything rules.yaml decides, after layering the user's file over the default.
#[derive(Debug, Clone)]
pub struct Config {
    pub lists: Vec<String>,
    pub exclude: Vec<String>,
    pub history: Vec<String>,
    pub syntax: SyntaxOptions,
    pub policy: Policy,
    pub dns: DnsOptions,
    pub risk: RiskOptions,
    pub rules: RuleSet,
    /// The user's file, when one was layered.
    pub user_file: Option<PathBuf>,
    /// Where the `lists:` and `history:` globs and the default `lists/` and `bounces/` start:
    /// the directory of the user's file, else the current directory.
    pub base_dir: PathBuf,
    /// The merged file, for `bouncegate rules`.
    pub effective: RulesFile,
}

/// Parse one rules file; errors carry `name:line:column`.
pub fn parse(yaml: &str, name: &str) -> Result<RulesFile, ConfigError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
    };
    serde_saphyr::from_str_with_options::<Option<RulesFile>>(yaml, options)
        .map(Option::unwrap_or_default)
        .map_err(|error| ConfigError::from_yaml(name, &error))
}

/// The config from the default rules and, when given, the user's file.
pub fn load(user_file: Option<&Path>) -> Result<Config, ConfigError> {
    let default = parse(DEFAULT_RULES_YAML, DEFAULT_RULES_NAME)?;
    let user = match user_file {
        Some(path) => {
            let read_error = |source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            };
            // A FIFO would block the run forever: only a regular file is read.
            let metadata = std::fs::metadata(path).map_err(read_error)?;
            crate::walk::named_file(&metadata).map_err(read_error)?;
            let text = std::fs::read_to_string(path).map_err(read_error)?;
            // bouncegate's own repository keeps the defaults in ./rules.yaml: not a layer.
            if text == DEFAULT_RULES_YAML {
                None
            } else {
                Some((parse(&text, &path.display().to_string())?, path))
            }
        }
        None => None,
    };
    resolve(default, user)
}

/// The JSON Schema of rules.yaml, generated from the types above.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RulesFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The effective rules as YAML that is itself a valid rules.yaml, each rule with its origin.
pub fn render_effective(config: &Config) -> String {
    let mut out = String::new();
    match &config.user_file {
        Some(path) => out.push_str(&format!(
            "# Effective rules: {} layered over {DEFAULT_RULES_NAME}\n",
            path.display()
        )),
        None => out.push_str(&format!("# Effective rules: {DEFAULT_RULES_NAME}\n")),
    }
    out.push_str(&serde_saphyr::to_string(&config.effective).unwrap_or_default());
    out.push_str("rules:\n");
    for (rule, origin) in config.rules.rules() {
        out.push_str(&format!("  # from {origin}\n"));
        let item = serde_saphyr::to_string(&[rule]).unwrap_or_default();
        for line in item.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

mod discover;
mod layering;
pub use discover::{RULES_FILE_NAME, discover_rules_file};
use layering::resolve;

#[cfg(test)]
mod tests;
