//! Stage 3: decide, for every domain of the checked lists, whether it can receive mail.
//!
//! Each unique domain is resolved once per run, and each MX host once however many domains
//! share it, with bounded concurrency on a tokio runtime. A transient fault (timeout, SERVFAIL,
//! REFUSED, no connection) is `dns-unknown`: never a predicted hard bounce, never cached.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, Semaphore};

use crate::dns_cache::DnsCache;

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
    pub timeout: Duration,
    /// Extra tries after the first.
    pub attempts: usize,
    /// Domains resolved at once.
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

/// Consecutive timeouts after which the rest of the domains are not asked: the network is gone.
const GIVE_UP_AFTER_TIMEOUTS: usize = 200;

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
        match resolve_all(to_ask.clone(), options) {
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

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The resolver as the options say, for fully qualified names only.
pub fn build_resolver(options: &DnsOptions) -> Result<TokioResolver, String> {
    let (servers, mut resolver_options) = if options.nameservers.is_empty() {
        let (config, system_options) = hickory_resolver::system_conf::read_system_conf()
            .map_err(|error| {
                format!("the system's resolver configuration cannot be read ({error}): give --nameserver")
            })?;
        (config.name_servers().to_vec(), system_options)
    } else {
        let servers = options
            .nameservers
            .iter()
            .map(|address| {
                let mut server = NameServerConfig::udp_and_tcp(address.ip());
                for connection in &mut server.connections {
                    connection.port = address.port();
                }
                server
            })
            .collect();
        (servers, ResolverOpts::default())
    };
    if servers.is_empty() {
        return Err("no name server is configured: give --nameserver".to_owned());
    }
    resolver_options.timeout = options.timeout;
    resolver_options.attempts = options.attempts;
    // Each name is asked once per run; caching inside the resolver would only keep NXDOMAIN
    // and NODATA answers that this run never asks for again.
    resolver_options.cache_size = 0;
    resolver_options.ndots = 0;
    resolver_options.use_hosts_file = ResolveHosts::Never;
    resolver_options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    let config = ResolverConfig::from_parts(None, Vec::new(), servers);
    let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
    *builder.options_mut() = resolver_options;
    builder
        .build()
        .map_err(|error| format!("the resolver cannot be built: {error}"))
}

/// How a lookup failed, in the terms the verdict table uses.
enum Failure {
    NxDomain {
        negative_ttl: Option<u32>,
    },
    NoData {
        negative_ttl: Option<u32>,
    },
    /// Timeout, SERVFAIL, REFUSED, no connection: try again later.
    Transient {
        detail: String,
        timeout: bool,
    },
}

fn classify_error(error: &NetError) -> Failure {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(no_records)) => {
            let negative_ttl = no_records.negative_ttl;
            if no_records.response_code == ResponseCode::NXDomain {
                Failure::NxDomain { negative_ttl }
            } else {
                Failure::NoData { negative_ttl }
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => Failure::Transient {
            detail: format!("the name server answered {}", response_code_name(*code)),
            timeout: false,
        },
        NetError::Timeout => Failure::Transient {
            detail: "no answer before the timeout".to_owned(),
            timeout: true,
        },
        NetError::NoConnections => Failure::Transient {
            detail: "no connection to any name server".to_owned(),
            timeout: true,
        },
        other => Failure::Transient {
            detail: other.to_string(),
            timeout: matches!(other, NetError::Io(_)),
        },
    }
}

fn response_code_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        other => format!("{other:?}").to_uppercase(),
    }
}

/// What one MX host's addresses allow.
#[derive(Debug, Clone)]
enum HostOutcome {
    Usable { ttl: u32 },
    Unusable { detail: String, ttl: Option<u32> },
    Unknown { detail: String },
}

/// Shared by all domain lookups of a run.
struct Shared {
    resolver: TokioResolver,
    hosts: Mutex<HashMap<Name, Arc<OnceCell<HostOutcome>>>>,
    timeouts_in_a_row: AtomicUsize,
    /// Address lookups of MX hosts actually made.
    host_lookups: AtomicUsize,
    max_age: u32,
    now: i64,
}

type Answers = Vec<(String, DomainCheck)>;

/// The answers, a note when the name servers stopped answering, and the MX hosts resolved.
fn resolve_all(
    domains: Vec<String>,
    options: &DnsOptions,
) -> Result<(Answers, Option<String>, usize), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("the DNS runtime cannot start: {error}"))?;
    runtime.block_on(async {
        let resolver = build_resolver(options)?;
        if let Some(problem) = probe(&resolver).await {
            return Err(problem);
        }
        let shared = Arc::new(Shared {
            resolver,
            hosts: Mutex::new(HashMap::new()),
            timeouts_in_a_row: AtomicUsize::new(0),
            host_lookups: AtomicUsize::new(0),
            max_age: options.cache_max_age.as_secs().min(u64::from(u32::MAX)) as u32,
            now: unix_now(),
        });
        let progress = crate::progress::bar(options.progress, domains.len() as u64, "domains");
        let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for domain in domains {
            let shared = shared.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let check = resolve_domain(&shared, &domain).await;
                (domain, check)
            });
        }
        let mut answers = Vec::with_capacity(tasks.len());
        while let Some(joined) = tasks.join_next().await {
            if let Ok(answer) = joined {
                answers.push(answer);
            }
            progress.inc(1);
        }
        progress.finish_and_clear();
        let gave_up = shared.timeouts_in_a_row.load(Ordering::Relaxed) >= GIVE_UP_AFTER_TIMEOUTS;
        let note = gave_up.then(|| {
            format!("the name servers stopped answering ({GIVE_UP_AFTER_TIMEOUTS} timeouts in a row): the remaining domains are dns-unknown")
        });
        Ok((answers, note, shared.host_lookups.load(Ordering::Relaxed)))
    })
}

/// Ask for the root zone's name servers: any answer, even REFUSED, shows a name server is
/// there; none means no network, said once instead of one timeout per domain. A server that
/// calls the root zone nonexistent cannot be trusted with any answer.
async fn probe(resolver: &TokioResolver) -> Option<String> {
    match resolver.lookup(Name::root(), RecordType::NS).await {
        Ok(_) => None,
        Err(error) => match classify_error(&error) {
            Failure::NxDomain { .. } => Some(
                "the name server says the root zone does not exist, so none of its answers can be trusted: every domain is dns-unknown"
                    .to_owned(),
            ),
            Failure::Transient {
                timeout: true,
                detail,
            } => Some(format!(
                "no name server answers ({detail}): every domain is dns-unknown; check the network or give --nameserver, or use --offline"
            )),
            _ => None,
        },
    }
}

fn fqdn(domain: &str) -> Result<Name, String> {
    Name::from_ascii(format!("{domain}."))
        .map_err(|error| format!("'{domain}' is not a DNS name: {error}"))
}

async fn resolve_domain(shared: &Shared, domain: &str) -> DomainCheck {
    let unknown = |detail: String| DomainCheck {
        verdict: DomainVerdict::DnsUnknown { detail },
        expires: None,
        cached: false,
    };
    if shared.timeouts_in_a_row.load(Ordering::Relaxed) >= GIVE_UP_AFTER_TIMEOUTS {
        return unknown("not asked: the name servers stopped answering".to_owned());
    }
    let name = match fqdn(domain) {
        Ok(name) => name,
        Err(detail) => return unknown(detail),
    };
    // An answer without a TTL (a negative answer without an SOA) is used but not cached. An
    // answer that the domain takes mail is kept for `cache_max_age` whatever its TTL (mail
    // hosts rarely vanish, and a weekly job must find last week's answers); a negative one for
    // its TTL, capped, and it is asked again before it fails a build anyway.
    let definitive = |verdict: DomainVerdict, ttl: Option<u32>| DomainCheck {
        expires: ttl.map(|ttl| {
            let keep = if verdict.is_predicted_hard() {
                ttl.min(shared.max_age)
            } else {
                shared.max_age
            };
            shared.now + i64::from(keep)
        }),
        verdict,
        cached: false,
    };
    match lookup(shared, shared.resolver.mx_lookup(name.clone()).await) {
        Ok(answers) => {
            let ttl = answers.answers().iter().map(|r| r.ttl).min();
            let mx: Vec<(u16, Name)> = answers
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::MX(mx) => Some((mx.preference, mx.exchange.clone())),
                    _ => None,
                })
                .collect();
            match mx.as_slice() {
                [] => implicit_mx(shared, name, ttl, definitive).await,
                [(0, exchange)] if exchange.is_root() => definitive(DomainVerdict::NullMx, ttl),
                _ => mx_hosts(shared, mx, ttl, definitive).await,
            }
        }
        Err(Failure::NxDomain { negative_ttl }) => {
            definitive(DomainVerdict::DomainNotFound, negative_ttl)
        }
        Err(Failure::NoData { negative_ttl }) => {
            implicit_mx(shared, name, negative_ttl, definitive).await
        }
        Err(Failure::Transient { detail, .. }) => unknown(detail),
    }
}

/// Map a lookup result, keeping count of timeouts in a row.
fn lookup<T>(shared: &Shared, result: Result<T, NetError>) -> Result<T, Failure> {
    match result {
        Ok(value) => {
            shared.timeouts_in_a_row.store(0, Ordering::Relaxed);
            Ok(value)
        }
        Err(error) => {
            let failure = classify_error(&error);
            match &failure {
                Failure::Transient { timeout: true, .. } => {
                    shared.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed);
                }
                _ => shared.timeouts_in_a_row.store(0, Ordering::Relaxed),
            }
            Err(failure)
        }
    }
}

/// The addresses of a name, asked as A and AAAA separately: hickory's combined lookup answers
/// with one family when the other fails, which would turn a timeout into "no address".
struct Addresses {
    found: Vec<IpAddr>,
    /// The smallest TTL of what was found, or of the negative answers.
    ttl: Option<u32>,
    /// A transient failure on either side.
    transient: Option<String>,
}

async fn addresses(shared: &Shared, name: &Name) -> Addresses {
    let mut out = Addresses {
        found: Vec::new(),
        ttl: None,
        transient: None,
    };
    let min = |a: Option<u32>, b: Option<u32>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    for record_type in [RecordType::A, RecordType::AAAA] {
        match lookup(
            shared,
            shared.resolver.lookup(name.clone(), record_type).await,
        ) {
            Ok(answers) => {
                for record in answers.answers() {
                    let ip = match &record.data {
                        RData::A(a) => IpAddr::V4(a.0),
                        RData::AAAA(aaaa) => IpAddr::V6(aaaa.0),
                        _ => continue, // a CNAME on the way
                    };
                    out.found.push(ip);
                    out.ttl = min(out.ttl, Some(record.ttl));
                }
            }
            Err(Failure::NxDomain { negative_ttl } | Failure::NoData { negative_ttl }) => {
                out.ttl = min(out.ttl, negative_ttl);
            }
            Err(Failure::Transient { detail, .. }) => out.transient = Some(detail),
        }
    }
    out
}

/// No MX: a globally routable A or AAAA receives the mail (RFC 5321 5.1). `mx_ttl` is the
/// TTL of the answer that said there is no MX: the verdict lasts no longer than it.
async fn implicit_mx(
    shared: &Shared,
    name: Name,
    mx_ttl: Option<u32>,
    definitive: impl Fn(DomainVerdict, Option<u32>) -> DomainCheck,
) -> DomainCheck {
    let found = addresses(shared, &name).await;
    let ttl = match (found.ttl, mx_ttl) {
        (Some(a), Some(b)) => Some(a.min(b)),
        // Without the MX answer's TTL, the verdict is used but not kept.
        _ => None,
    };
    if found.found.iter().any(is_globally_routable) {
        return definitive(DomainVerdict::ImplicitMx, ttl);
    }
    // The family that could not be asked might have held the address.
    if let Some(detail) = found.transient {
        return DomainCheck {
            verdict: DomainVerdict::DnsUnknown { detail },
            expires: None,
            cached: false,
        };
    }
    definitive(DomainVerdict::NoMailHost, ttl)
}

/// MX records: usable when any host resolves to a globally routable address.
async fn mx_hosts(
    shared: &Shared,
    mut mx: Vec<(u16, Name)>,
    ttl: Option<u32>,
    definitive: impl Fn(DomainVerdict, Option<u32>) -> DomainCheck,
) -> DomainCheck {
    mx.sort_by_key(|(preference, _)| *preference);
    let mut problems = Vec::new();
    let mut unknown = None;
    let mut min_ttl = ttl;
    for (_, exchange) in &mx {
        let outcome = host_outcome(shared, exchange).await;
        match outcome {
            HostOutcome::Usable { ttl } => {
                let ttl = min_ttl.map_or(ttl, |t| t.min(ttl));
                let hosts = mx
                    .iter()
                    .map(|(_, host)| host.to_ascii().trim_end_matches('.').to_owned())
                    .collect();
                return definitive(DomainVerdict::Mx { hosts }, Some(ttl));
            }
            HostOutcome::Unusable { detail, ttl } => {
                min_ttl = match (min_ttl, ttl) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                problems.push(detail);
            }
            HostOutcome::Unknown { detail } => unknown = Some(detail),
        }
    }
    // A host that could not be checked might be the usable one.
    if let Some(detail) = unknown {
        return DomainCheck {
            verdict: DomainVerdict::DnsUnknown { detail },
            expires: None,
            cached: false,
        };
    }
    definitive(
        DomainVerdict::MxUnusable {
            detail: problems.join("; "),
        },
        min_ttl,
    )
}

/// Each MX host is resolved once per run, however many domains name it.
async fn host_outcome(shared: &Shared, exchange: &Name) -> HostOutcome {
    let cell = {
        let mut hosts = shared
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts.entry(exchange.clone()).or_default().clone()
    };
    cell.get_or_init(|| resolve_host(shared, exchange))
        .await
        .clone()
}

async fn resolve_host(shared: &Shared, exchange: &Name) -> HostOutcome {
    let shown = exchange.to_ascii();
    let bare = shown.trim_end_matches('.');
    if bare.parse::<IpAddr>().is_ok() {
        return HostOutcome::Unusable {
            detail: format!("the MX names the IP address {bare} instead of a host"),
            ttl: None,
        };
    }
    // RFC 6761: localhost is this machine, whatever any name server says.
    if bare.eq_ignore_ascii_case("localhost") || bare.to_ascii_lowercase().ends_with(".localhost") {
        return HostOutcome::Unusable {
            detail: format!("the MX names {bare}, which is the sending machine itself"),
            ttl: None,
        };
    }
    shared.host_lookups.fetch_add(1, Ordering::Relaxed);
    let found = addresses(shared, exchange).await;
    if found.found.iter().any(is_globally_routable) {
        return HostOutcome::Usable {
            ttl: found.ttl.unwrap_or(shared.max_age),
        };
    }
    if let Some(detail) = found.transient {
        return HostOutcome::Unknown {
            detail: format!("{bare}: {detail}"),
        };
    }
    let detail = if found.found.is_empty() {
        format!("{bare} has no address")
    } else {
        let list: Vec<String> = found.found.iter().map(IpAddr::to_string).collect();
        format!(
            "{bare} resolves only to addresses that are not globally routable: {}",
            list.join(", ")
        )
    };
    HostOutcome::Unusable {
        detail,
        ttl: found.ttl,
    }
}

/// Not loopback, unspecified, private, shared, link-local, documentation, benchmarking,
/// multicast or reserved: an address that a mail server on the internet can be at.
pub fn is_globally_routable(address: &IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_global_v4(*v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_global_v4(v4),
            None => is_global_v6(*v6),
        },
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_internet_addresses_are_globally_routable() {
        for local in [
            "127.0.0.1",
            "0.0.0.0",
            "10.0.0.5",
            "172.16.1.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.10",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            let address: IpAddr = local.parse().unwrap();
            assert!(!is_globally_routable(&address), "{local}");
        }
        for global in [
            "8.8.8.8",
            "142.250.1.27",
            "2a00:1450:4001::1b",
            "::ffff:8.8.4.4",
        ] {
            let address: IpAddr = global.parse().unwrap();
            assert!(is_globally_routable(&address), "{global}");
        }
    }
}
