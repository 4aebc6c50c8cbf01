//! Stage 3: decide, for every domain of the checked lists, whether it can receive mail.
//!
//! Each unique domain is resolved once per run, and each MX host once however many domains
//! share it, with bounded concurrency on a tokio runtime. A transient fault (timeout, SERVFAIL,
//! REFUSED, no connection) is `dns-unknown`: never a predicted hard bounce, never cached.
//!
//! - [`resolve`]: the resolvers, the probe of the root zone, and the verdict of each domain.
//! - [`failure`]: how a lookup failed, in the verdict table's terms.
//! - [`hedge`]: one window per question, the retries raced inside it.
//! - [`places`]: the concurrency bound, with room aside for domains that do not answer.
//! - [`waiting`]: the domains still waited on, for the progress line.
//! - [`routable`]: which addresses a mail server on the internet can be at.

mod failure;
mod hedge;
mod places;
mod resolve;
mod routable;
mod waiting;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::dns_cache::DnsCache;
pub use routable::is_globally_routable;

/// What DNS says about a domain's ability to receive mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum DomainVerdict {
    /// MX records with at least one usable host.
    Mx { hosts: Vec<String> },
    /// Exactly one MX, preference 0, exchange `.` (RFC 7505): the domain takes no mail.
    NullMx,
    /// NXDOMAIN.
    DomainNotFound,
    /// No MX, but a globally routable A or AAAA (RFC 5321 5.1): mail goes there.
    ImplicitMx,
    /// No MX, no A, no AAAA.
    NoMailHost,
    /// MX records, but no host of them can be reached.
    MxUnusable { detail: String },
    /// A transient fault: timeout, SERVFAIL, REFUSED, no connection.
    DnsUnknown { detail: String },
}

impl DomainVerdict {
    pub fn code(&self) -> &'static str {
        match self {
            DomainVerdict::Mx { .. } => "mx",
            DomainVerdict::NullMx => "null-mx",
            DomainVerdict::DomainNotFound => "domain-not-found",
            DomainVerdict::ImplicitMx => "implicit-mx",
            DomainVerdict::NoMailHost => "no-mail-host",
            DomainVerdict::MxUnusable { .. } => "mx-unusable",
            DomainVerdict::DnsUnknown { .. } => "dns-unknown",
        }
    }

    /// Mail to this domain will hard-bounce.
    pub fn is_predicted_hard(&self) -> bool {
        matches!(
            self,
            DomainVerdict::NullMx
                | DomainVerdict::DomainNotFound
                | DomainVerdict::NoMailHost
                | DomainVerdict::MxUnusable { .. }
        )
    }

    /// A definitive answer, fit for the cache; unknowns never are.
    pub fn is_definitive(&self) -> bool {
        !matches!(self, DomainVerdict::DnsUnknown { .. })
    }

    /// `exmaple.com does not exist (NXDOMAIN)`.
    pub fn describe(&self, domain: &str) -> String {
        match self {
            DomainVerdict::Mx { hosts } => {
                format!("{domain} receives mail at {}", hosts.join(", "))
            }
            DomainVerdict::NullMx => {
                format!("{domain} publishes a null MX (RFC 7505): it accepts no mail")
            }
            DomainVerdict::DomainNotFound => format!("{domain} does not exist (NXDOMAIN)"),
            DomainVerdict::ImplicitMx => format!(
                "{domain} has no MX record; mail goes to its address record (implicit MX), which many senders refuse"
            ),
            DomainVerdict::NoMailHost => {
                format!(
                    "{domain} has no MX record and no address record: nothing receives its mail"
                )
            }
            DomainVerdict::MxUnusable { detail } => {
                format!("{domain} has MX records but no usable mail host ({detail})")
            }
            DomainVerdict::DnsUnknown { detail } => {
                format!("{domain} could not be checked ({detail}); it is not counted as a bounce")
            }
        }
    }
}

impl fmt::Display for DomainVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A domain's verdict, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCheck {
    #[serde(flatten)]
    pub verdict: DomainVerdict,
    /// Unix seconds until which the answer may be reused (definitive answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// Taken from the cache file rather than asked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
}

/// How to ask DNS.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// No DNS at all: every domain is left unchecked.
    pub offline: bool,
    /// Name servers to ask; empty: the system's resolver configuration.
    pub nameservers: Vec<SocketAddr>,
    /// The longest one question waits, its retries included; a domain waits at most this for
    /// its MX records and this again for its hosts' addresses.
    pub timeout: Duration,
    /// Extra tries after the first, sent inside the timeout's window (see [`hedge`]).
    pub attempts: usize,
    /// Domains asked at once; as many again that have had no answer for a third of a second
    /// may wait out their timeout aside (see [`places`]).
    pub concurrency: usize,
    pub cache_file: Option<PathBuf>,
    /// The longest a cached answer is trusted, whatever its TTL.
    pub cache_max_age: Duration,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

impl Default for DnsOptions {
    fn default() -> Self {
        DnsOptions {
            offline: false,
            nameservers: Vec::new(),
            timeout: Duration::from_secs(3),
            attempts: 1,
            concurrency: 64,
            cache_file: None,
            cache_max_age: Duration::from_secs(7 * 86_400),
            progress: false,
        }
    }
}

/// Every domain verdict of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DomainReport {
    /// False with --offline: no domain was checked.
    pub checked: bool,
    pub domains: BTreeMap<String, DomainCheck>,
    pub from_cache: usize,
    pub looked_up: usize,
    /// Address lookups of MX hosts: each host once, however many domains name it.
    pub mx_hosts: usize,
    pub elapsed_ms: u128,
    /// Problems with DNS as a whole (no name server answers, a cache file ignored), said once.
    pub notes: Vec<String>,
    /// True when no name server answered the probe.
    pub no_nameserver: bool,
}

impl DomainReport {
    pub fn get(&self, domain: &str) -> Option<&DomainVerdict> {
        self.domains.get(domain).map(|check| &check.verdict)
    }

    /// No name server answered at all: every domain is unknown for one reason, said once.
    pub fn all_unknown(&self) -> bool {
        self.no_nameserver
    }
}

/// Resolve every domain (lowercased A-labels, no trailing dot).
pub fn check_domains(domains: Vec<String>, options: &DnsOptions) -> DomainReport {
    let started = Instant::now();
    let mut report = DomainReport {
        checked: !options.offline,
        ..DomainReport::default()
    };
    if options.offline {
        return report;
    }
    let now = unix_now();
    let mut cache = match &options.cache_file {
        Some(path) => {
            let (cache, note) = DnsCache::load(path, now);
            report.notes.extend(note);
            Some(cache)
        }
        None => None,
    };
    let mut to_ask = Vec::new();
    for domain in domains {
        // Only an answer that the domain takes mail is taken from the cache: a negative one is
        // asked again before it can fail a build.
        let cached = cache
            .as_ref()
            .and_then(|c| c.get(&domain))
            .filter(|check| !check.verdict.is_predicted_hard());
        match cached {
            Some(check) => {
                report.from_cache += 1;
                report.domains.insert(domain, check.clone());
            }
            None => to_ask.push(domain),
        }
    }
    report.looked_up = to_ask.len();
    if !to_ask.is_empty() {
        match resolve::resolve_all(to_ask.clone(), options) {
            Ok((answers, note, mx_hosts)) => {
                report.notes.extend(note);
                report.mx_hosts = mx_hosts;
                for (domain, check) in answers {
                    report.domains.insert(domain, check);
                }
            }
            Err(problem) => {
                report.no_nameserver = true;
                report.notes.push(problem.clone());
                for domain in to_ask {
                    report.domains.insert(
                        domain,
                        DomainCheck {
                            verdict: DomainVerdict::DnsUnknown {
                                detail: problem.clone(),
                            },
                            expires: None,
                            cached: false,
                        },
                    );
                }
            }
        }
    }
    if let (Some(cache), Some(path)) = (cache.as_mut(), &options.cache_file) {
        for (domain, check) in &report.domains {
            if !check.cached {
                cache.insert(domain, check);
            }
        }
        if let Err(error) = cache.save(path, now) {
            report.notes.push(format!(
                "{}: the DNS cache could not be written: {error}",
                path.display()
            ));
        }
    }
    report.elapsed_ms = started.elapsed().as_millis();
    report
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
