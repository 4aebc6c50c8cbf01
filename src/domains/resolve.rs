//! Asking DNS: the resolvers, the probe of the root zone, and the verdict of each domain.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::DEFAULT_RETRY_FLOOR;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use indicatif::ProgressBar;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::failure::{Failure, classify_error};
use super::hedge::{self, Raced};
use super::places::Places;
use super::routable::is_globally_routable;
use super::waiting::{self, Waiting};
use super::{DnsOptions, DomainCheck, DomainVerdict, unix_now};
use crate::progress;

/// Consecutive timeouts after which the rest of the domains are not asked: the network is gone.
const GIVE_UP_AFTER_TIMEOUTS: usize = 200;

/// hickory sends a UDP query again after this long without an answer: a domain that has had
/// none by then has lost its first send, and waits out its timeout aside (see [`Places`]).
/// Later, a silent domain would hold its place long enough to slow the others against a
/// resolver whose answers take tens of milliseconds (BENCHMARKS.md, "Silent name servers").
const ASIDE_AFTER: Duration = DEFAULT_RETRY_FLOOR;

/// How often the progress line looks at what is left.
const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// The resolvers of a run, one per try: hickory merges an identical question in flight into
/// the one already asked, so a hedged try through the same resolver would send nothing.
pub struct Resolvers {
    each: Arc<[TokioResolver]>,
    /// The timeout: the longest one question waits, its retries included.
    window: Duration,
}

impl Resolvers {
    /// One question, hedged within the window (see [`hedge`]).
    async fn ask(&self, name: &Name, record_type: RecordType) -> Result<Lookup, NetError> {
        let each = self.each.clone();
        hedge::ask(self.window, each.len(), |k| {
            let (resolver, name) = (each[k].clone(), name.clone());
            async move { resolver.lookup(name, record_type).await }
        })
        .await
    }

    /// A try that has not answered in its share of the window is taken for lost and the next
    /// goes out; a domain waiting that long, or a second, is called silent on the progress line.
    fn silent_after(&self) -> Duration {
        (self.window / self.each.len() as u32).min(Duration::from_secs(1))
    }
}

/// The resolvers as the options say, for fully qualified names only: attempts + 1 of them,
/// each making one try per question that may last the whole window.
pub fn build_resolvers(options: &DnsOptions) -> Result<Resolvers, String> {
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
    // The retries are ours, inside the window: hickory's would each wait a whole timeout.
    resolver_options.attempts = 0;
    // Each name is asked once per run; caching inside the resolver would only keep NXDOMAIN
    // and NODATA answers that this run never asks for again.
    resolver_options.cache_size = 0;
    resolver_options.ndots = 0;
    resolver_options.use_hosts_file = ResolveHosts::Never;
    resolver_options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    let each = (0..=options.attempts)
        .map(|_| {
            let config = ResolverConfig::from_parts(None, Vec::new(), servers.clone());
            let mut builder =
                Resolver::builder_with_config(config, TokioRuntimeProvider::default());
            *builder.options_mut() = resolver_options.clone();
            builder
                .build()
                .map_err(|error| format!("the resolver cannot be built: {error}"))
        })
        .collect::<Result<Arc<[TokioResolver]>, String>>()?;
    Ok(Resolvers {
        each,
        window: options.timeout,
    })
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
    resolvers: Resolvers,
    hosts: Mutex<HashMap<Name, Arc<OnceCell<HostOutcome>>>>,
    timeouts_in_a_row: AtomicUsize,
    /// Address lookups of MX hosts actually made.
    host_lookups: AtomicUsize,
    waiting: Waiting,
    max_age: u32,
    now: i64,
}

impl Shared {
    /// What a host's addresses allow, when it has been resolved already.
    fn known_host(&self, exchange: &Name) -> Option<HostOutcome> {
        let hosts = self
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts.get(exchange).and_then(|cell| cell.get().cloned())
    }
}

type Answers = Vec<(String, DomainCheck)>;

/// The answers, a note when the name servers stopped answering, and the MX hosts resolved.
pub fn resolve_all(
    domains: Vec<String>,
    options: &DnsOptions,
) -> Result<(Answers, Option<String>, usize), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("the DNS runtime cannot start: {error}"))?;
    runtime.block_on(async {
        let resolvers = build_resolvers(options)?;
        if let Some(problem) = probe(&resolvers).await {
            return Err(problem);
        }
        let shared = Arc::new(Shared {
            resolvers,
            hosts: Mutex::new(HashMap::new()),
            timeouts_in_a_row: AtomicUsize::new(0),
            host_lookups: AtomicUsize::new(0),
            waiting: Waiting::default(),
            max_age: options.cache_max_age.as_secs().min(u64::from(u32::MAX)) as u32,
            now: unix_now(),
        });
        let total = domains.len();
        let progress = progress::bar(options.progress, total as u64, "domains");
        let places = Arc::new(Places::new(options.concurrency, ASIDE_AFTER));
        let mut tasks = tokio::task::JoinSet::new();
        for domain in domains {
            let shared = shared.clone();
            let places = places.clone();
            tasks.spawn(async move {
                let check = places
                    .run(async {
                        shared.waiting.start();
                        resolve_domain(&shared, &domain).await
                    })
                    .await;
                shared.waiting.finish(&domain);
                (domain, check)
            });
        }
        let mut answers = Vec::with_capacity(total);
        let mut ticks = tokio::time::interval(PROGRESS_TICK);
        let mut shown_waiting = false;
        loop {
            tokio::select! {
                joined = tasks.join_next() => {
                    let Some(joined) = joined else { break };
                    if let Ok(answer) = joined {
                        answers.push(answer);
                    }
                    progress.inc(1);
                }
                _ = ticks.tick(), if !progress.is_hidden() => {
                    shown_waiting = redraw(&progress, &shared, total, shown_waiting);
                }
            }
        }
        progress.finish_and_clear();
        let gave_up = shared.timeouts_in_a_row.load(Ordering::Relaxed) >= GIVE_UP_AFTER_TIMEOUTS;
        let note = gave_up.then(|| {
            format!("the name servers stopped answering ({GIVE_UP_AFTER_TIMEOUTS} timeouts in a row): the remaining domains are dns-unknown")
        });
        Ok((answers, note, shared.host_lookups.load(Ordering::Relaxed)))
    })
}

/// The progress line: the count, or when only silent domains are left, which and how long
/// at most. Whether it shows the silent ones now.
fn redraw(progress: &ProgressBar, shared: &Shared, total: usize, shown_waiting: bool) -> bool {
    let left = shared.waiting.only_silent_left(
        total,
        shared.resolvers.silent_after(),
        std::time::Instant::now(),
    );
    match left {
        Some((names, at_most)) => {
            progress::show_waiting(progress, "domains", &waiting::line(&names, at_most));
            true
        }
        None => {
            if shown_waiting {
                progress::show_count(progress, "domains");
            }
            false
        }
    }
}

/// Ask for the root zone's name servers: any answer, even REFUSED, shows a name server is
/// there; none means no network, said once instead of one timeout per domain. A server that
/// calls the root zone nonexistent cannot be trusted with any answer.
async fn probe(resolvers: &Resolvers) -> Option<String> {
    match resolvers.ask(&Name::root(), RecordType::NS).await {
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

/// A domain waits at most one window for its MX records, then at most one more for its hosts'
/// addresses (or, without MX, its own).
async fn resolve_domain(shared: &Arc<Shared>, domain: &str) -> DomainCheck {
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
    let window = shared.resolvers.window;
    shared
        .waiting
        .step(domain, std::time::Instant::now(), window);
    let answer = lookup(shared, shared.resolvers.ask(&name, RecordType::MX).await);
    if !matches!(answer, Err(Failure::Transient { .. })) {
        shared
            .waiting
            .step(domain, std::time::Instant::now(), window);
    }
    match answer {
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

/// A and AAAA are asked together: a silent name costs one window, not one per family.
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
    let (a, aaaa) = tokio::join!(
        shared.resolvers.ask(name, RecordType::A),
        shared.resolvers.ask(name, RecordType::AAAA)
    );
    for result in [a, aaaa] {
        match lookup(shared, result) {
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

/// MX records: usable when any host resolves to a globally routable address. The hosts are
/// raced in order of preference within one window: the next is asked when the one before is
/// unusable, or has not answered in its share of the window; the first usable one decides.
async fn mx_hosts(
    shared: &Arc<Shared>,
    mut mx: Vec<(u16, Name)>,
    ttl: Option<u32>,
    definitive: impl Fn(DomainVerdict, Option<u32>) -> DomainCheck,
) -> DomainCheck {
    mx.sort_by_key(|(preference, _)| *preference);
    let window = shared.resolvers.window;
    let raced = hedge::race(
        mx.len(),
        window / mx.len().max(1) as u32,
        Instant::now() + window,
        |k| {
            // Spawned, so that a domain that stops waiting (another host answered, or its
            // window ended) never cancels a lookup that other domains share: they would have
            // to wait for it again.
            // A host already resolved (the usual case: many domains share few hosts) is read
            // at once, without a task.
            let known = shared
                .known_host(&mx[k].1)
                .ok_or_else(|| tokio::spawn(host_outcome(shared.clone(), mx[k].1.clone())));
            async move {
                match known {
                    Ok(outcome) => outcome,
                    Err(lookup) => lookup.await.unwrap_or_else(|error| HostOutcome::Unknown {
                        detail: error.to_string(),
                    }),
                }
            }
        },
        |outcome| matches!(outcome, HostOutcome::Usable { .. }),
    )
    .await;
    let min = |a: Option<u32>, b: Option<u32>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let outcomes = match raced {
        Raced::Won(HostOutcome::Usable { ttl: host_ttl }) => {
            let hosts = mx
                .iter()
                .map(|(_, host)| host.to_ascii().trim_end_matches('.').to_owned())
                .collect();
            return definitive(DomainVerdict::Mx { hosts }, min(ttl, Some(host_ttl)));
        }
        Raced::Won(other) => vec![Some(other)],
        Raced::Lost(outcomes) => outcomes,
    };
    let mut problems = Vec::new();
    let mut unknown = None;
    let mut min_ttl = ttl;
    for ((_, exchange), outcome) in mx.iter().zip(outcomes) {
        match outcome {
            Some(HostOutcome::Unusable { detail, ttl }) => {
                min_ttl = min(min_ttl, ttl);
                problems.push(detail);
            }
            Some(HostOutcome::Unknown { detail }) => unknown = Some(detail),
            Some(HostOutcome::Usable { .. }) => {}
            None => {
                let host = exchange.to_ascii();
                unknown = Some(format!(
                    "{}: no answer before the timeout",
                    host.trim_end_matches('.')
                ));
            }
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

/// Each MX host is resolved once per run, however many domains name it: a domain that needs a
/// host another one is already asking for waits for that answer, never for a second window.
async fn host_outcome(shared: Arc<Shared>, exchange: Name) -> HostOutcome {
    let cell = {
        let mut hosts = shared
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts.entry(exchange.clone()).or_default().clone()
    };
    cell.get_or_init(|| resolve_host(&shared, &exchange))
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
