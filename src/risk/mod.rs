//! Stage 3b: risk flags, advisories about addresses that take mail but hurt a sender anyway:
//! role accounts ([`role`]), disposable domains ([`disposable`]) and typos of the big
//! providers' domains ([`typo`]).
//!
//! The knowledge is embedded (`src/risk/data/`, each file says where it comes from and under
//! which licence) and edited by rules.yaml's `risk:` keys. [`assess`] judges each distinct
//! domain of a run once; the gate then looks each address up twice, its local part among the
//! roles and its domain among the flagged ones. The flags are warnings unless the policy says
//! otherwise, and no bounce unless `policy.risky_counts_as_bounce`.

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub mod disposable;
pub mod role;
pub mod typo;

use disposable::Disposable;
use role::Roles;
use typo::Typos;

/// Names or domains to add to a built-in list, or to take out of it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditsFile {
    /// Added to the built-in list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add: Option<Vec<String>>,
    /// Taken out of the built-in list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypoFile {
    /// Domains never flagged as typos of a big provider's (your own look-alike of one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
}

/// rules.yaml's `risk:` keys: what the risk flags know, beside the built-in lists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskFile {
    /// Role names (local parts such as info or kontakt) for `role-account`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<EditsFile>,
    /// Disposable domains for `disposable-domain` (a domain also covers the domains under it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposable: Option<EditsFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typo: Option<TypoFile>,
}

/// rules.yaml's `risk:` keys after layering, domains as lowercased A-labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskOptions {
    pub roles_add: Vec<String>,
    pub roles_remove: Vec<String>,
    pub disposable_add: Vec<String>,
    pub disposable_remove: Vec<String>,
    pub typo_allow: Vec<String>,
}

impl RiskOptions {
    /// The options from the layered file; an entry that is no domain is refused, naming its key.
    pub fn from_file(file: RiskFile) -> Result<RiskOptions, String> {
        let roles = file.roles.unwrap_or_default();
        let disposable = file.disposable.unwrap_or_default();
        let domains = |key: &str, list: Option<Vec<String>>| -> Result<Vec<String>, String> {
            list.unwrap_or_default()
                .iter()
                .map(|text| normalise_domain(text).ok_or_else(|| format!("risk.{key}: '{text}' is not a domain: expected a name such as mailinator.com")))
                .collect()
        };
        Ok(RiskOptions {
            roles_add: roles.add.unwrap_or_default(),
            roles_remove: roles.remove.unwrap_or_default(),
            disposable_add: domains("disposable.add", disposable.add)?,
            disposable_remove: domains("disposable.remove", disposable.remove)?,
            typo_allow: domains("typo.allow", file.typo.unwrap_or_default().allow)?,
        })
    }
}

/// `Mailinator.COM.` -> `mailinator.com`, `bücher.de` -> `xn--bcher-kva.de`: as address keys
/// hold domains. `None` for text that is no domain name.
fn normalise_domain(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('.');
    let ascii = idna::domain_to_ascii(text).ok()?;
    let is_name = ascii.contains('.')
        && ascii
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    is_name.then_some(ascii)
}

/// Everything the flags know: the embedded lists with rules.yaml's edits.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    pub roles: Roles,
    pub disposable: Disposable,
    pub typos: Typos,
}

impl Knowledge {
    pub fn new(options: &RiskOptions) -> Knowledge {
        Knowledge {
            roles: Roles::new(&options.roles_add, &options.roles_remove),
            disposable: Disposable::new(&options.disposable_add, &options.disposable_remove),
            typos: Typos::new(&options.typo_allow),
        }
    }

    /// What is wrong with a domain, if anything.
    pub fn domain(&self, domain: &str) -> Option<DomainRisk> {
        let risk = DomainRisk {
            disposable: self.disposable.listed(domain).map(Box::from),
            typo: self
                .typos
                .suggest(domain)
                .map(|s| (Box::from(s.domain), s.halves)),
        };
        (risk.disposable.is_some() || risk.typo.is_some()).then_some(risk)
    }
}

/// What the flags say about one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRisk {
    /// The disposable list's entry the domain is (or is under).
    pub disposable: Option<Box<str>>,
    /// The provider's domain it is a typo of, and how far, in half edits.
    pub typo: Option<(Box<str>, u8)>,
}

/// The stage's output: the flagged domains of a run, and the roles to look local parts up in.
#[derive(Debug, Clone, Default)]
pub struct RiskReport {
    roles: Roles,
    domains: foldhash::HashMap<Box<str>, DomainRisk>,
}

impl RiskReport {
    /// The role a local part names, if any.
    pub fn role(&self, local: &str) -> Option<&str> {
        self.roles.of(local)
    }

    /// What is wrong with an address's domain, if anything.
    pub fn domain(&self, domain: &str) -> Option<&DomainRisk> {
        if self.domains.is_empty() {
            return None;
        }
        self.domains.get(domain)
    }

    /// How many of the run's domains were flagged.
    pub fn flagged_domains(&self) -> usize {
        self.domains.len()
    }
}

/// Judge each distinct domain once, on all cores.
pub fn assess<'a>(
    knowledge: Knowledge,
    domains: impl IntoParallelIterator<Item = &'a str>,
) -> RiskReport {
    let flagged = domains
        .into_par_iter()
        .filter_map(|domain| Some((Box::from(domain), knowledge.domain(domain)?)))
        .collect();
    RiskReport {
        roles: knowledge.roles,
        domains: flagged,
    }
}

/// A risk flag, as a finding's reason: an advisory about an address that takes mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RiskFlag {
    /// The local part names a function, not a person.
    RoleAccount { role: String },
    /// The domain (or one it is under, `listed`) gives out throwaway inboxes.
    DisposableDomain { domain: String, listed: String },
    /// The domain is a typo of a big provider's, `suggestion`; `distance` in edits.
    TypoDomain {
        domain: String,
        suggestion: String,
        distance: f64,
    },
}

impl RiskFlag {
    pub fn code(&self) -> &'static str {
        match self {
            RiskFlag::RoleAccount { .. } => "role-account",
            RiskFlag::DisposableDomain { .. } => "disposable-domain",
            RiskFlag::TypoDomain { .. } => "typo-domain",
        }
    }

    /// The message after `file:line: severity[code]: `.
    pub fn message(&self, address: &str) -> String {
        match self {
            RiskFlag::RoleAccount { role } if matches!(role.as_str(), "postmaster" | "abuse") => {
                format!(
                    "{address} is a role account ({role}, a mailbox RFC 2142 requires of every mail domain): it takes mail, but nobody there signed up for a list"
                )
            }
            RiskFlag::RoleAccount { role } => format!(
                "{address} is a role account ({role}): a shared inbox, read by people who did not sign up, complains and churns more than a person"
            ),
            RiskFlag::DisposableDomain { domain, listed } => {
                let under = if domain == listed {
                    String::new()
                } else {
                    format!(", under {listed}")
                };
                format!(
                    "{address} is on a disposable-mail domain ({domain}{under}): its inboxes are thrown away within hours; ask for a lasting address"
                )
            }
            RiskFlag::TypoDomain {
                domain, suggestion, ..
            } => format!(
                "{address}: did you mean {suggestion}? {domain} looks like a typo of it, and look-alike domains often take mail for a squatter; `bouncegate fix --apply-suggestions` corrects it"
            ),
        }
    }

    /// The SARIF rule's short description, full description and help.
    pub fn describe(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            RiskFlag::RoleAccount { .. } => (
                "Role account",
                "The address's local part names a function (info, sales, support, kontakt, ...), not a person: a shared inbox whose readers did not sign up complains and churns more. An advisory: a warning unless policy.fail_on.role_account, and no bounce.",
                "Mail a person instead. To silence: policy.severity.role_account: off, or take the name out with risk.roles.remove in rules.yaml.",
            ),
            RiskFlag::DisposableDomain { .. } => (
                "Disposable domain",
                "The address's domain, or a domain it is under, gives out throwaway inboxes (the disposable-email-domains list, CC0): the address goes dead within hours. An advisory: a warning unless policy.fail_on.disposable_domain, and no bounce.",
                "Ask for a lasting address, or remove this one. To silence: policy.severity.disposable_domain: off, or take the domain out with risk.disposable.remove in rules.yaml.",
            ),
            RiskFlag::TypoDomain { .. } => (
                "Typo of a big provider's domain",
                "The address's domain is no known provider's but a typo of one (gmial.com for gmail.com). Look-alike domains are often registered by squatters with a catch-all: DNS says fine, and the mail goes to a stranger or a spam trap. An advisory: a warning unless policy.fail_on.typo_domain, and no bounce.",
                "Correct the domain: `bouncegate fix --apply-suggestions` rewrites it to the suggestion. If the domain is real, list it in risk.typo.allow in rules.yaml.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_yaml_domains_are_normalised_or_refused() {
        let file = RiskFile {
            disposable: Some(EditsFile {
                add: Some(vec![
                    " Throwaway.EXAMPLE. ".to_owned(),
                    "bücher.de".to_owned(),
                ]),
                remove: None,
            }),
            ..RiskFile::default()
        };
        let options = RiskOptions::from_file(file).unwrap();
        assert_eq!(
            options.disposable_add,
            ["throwaway.example", "xn--bcher-kva.de"]
        );
        let bad = RiskFile {
            typo: Some(TypoFile {
                allow: Some(vec!["not a domain".to_owned()]),
            }),
            ..RiskFile::default()
        };
        let error = RiskOptions::from_file(bad).unwrap_err();
        assert!(error.contains("risk.typo.allow: 'not a domain'"), "{error}");
    }

    #[test]
    fn each_domain_is_judged_once_and_only_flagged_ones_are_kept() {
        let knowledge = Knowledge::new(&RiskOptions::default());
        let report = assess(
            knowledge,
            vec!["gmail.com", "gmial.com", "mailinator.com", "acme.example"],
        );
        assert_eq!(report.flagged_domains(), 2);
        assert_eq!(report.domain("gmail.com"), None);
        let typo = report.domain("gmial.com").unwrap();
        assert_eq!(typo.typo, Some(("gmail.com".into(), 1)));
        let disposable = report.domain("mailinator.com").unwrap();
        assert_eq!(disposable.disposable.as_deref(), Some("mailinator.com"));
        assert_eq!(report.role("Sales+x"), Some("sales"));
    }
}
