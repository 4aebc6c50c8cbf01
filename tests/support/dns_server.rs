//! A real DNS server inside the test process: hickory-server on 127.0.0.1, port 0, UDP and TCP,
//! serving zones given as text, optionally with faults for some names (never answered, answered
//! late, the first queries lost). Plus broken servers: one that answers SERVFAIL to everything,
//! one that says no name exists, one that answers no type but one, one that never answers.
//! Each runs on its own runtime and stops when dropped.

#![allow(dead_code)] // Each test binary uses a different part.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_server::Server;
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::proto::op::{Header, HeaderCounts};
use hickory_server::proto::rr::LowerName;
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use tokio::net::{TcpListener, UdpSocket};
use tokio::runtime::Runtime;

pub struct TestDns {
    pub addr: SocketAddr,
    /// The queries for names with a fault, as they arrived (empty for the other servers).
    pub faulted: QueryLog,
    // Dropped in this order: the server's tasks, then their runtime.
    _server: Option<Server<Faulty>>,
    _socket: Option<std::net::UdpSocket>,
    runtime: Option<Runtime>,
}

impl Drop for TestDns {
    fn drop(&mut self) {
        self._server.take();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test DNS runtime")
}

/// What the server does with the queries for a name and the names below it.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Never answers: the domain's own name servers are dead, and the resolver in front of them
    /// says nothing before the client gives up.
    Silent,
    /// Answers after the delay: a slow but live server.
    Slow(Duration),
    /// Loses the first N queries for each name and type, then answers: packet loss.
    LoseFirst(usize),
}

/// One query for a name with a fault: the name (lowercase, no final dot), its type, its
/// message ID, when.
#[derive(Clone, Debug)]
pub struct Logged {
    pub name: String,
    pub record_type: u16,
    pub id: u16,
    pub at: Instant,
}

#[derive(Clone, Debug, Default)]
pub struct QueryLog(Arc<Mutex<Vec<Logged>>>);

impl QueryLog {
    pub fn entries(&self) -> Vec<Logged> {
        self.0.lock().unwrap().clone()
    }

    /// The queries logged for `name` of `record_type`.
    pub fn count(&self, name: &str, record_type: u16) -> usize {
        self.entries()
            .iter()
            .filter(|q| q.name == name && q.record_type == record_type)
            .count()
    }

    /// The distinct questions for `name` of `record_type`: a client's resends of one question
    /// keep its message ID (hickory resends a UDP query after a third of a second of silence),
    /// a new question has a new one.
    pub fn questions(&self, name: &str, record_type: u16) -> usize {
        let mut ids: Vec<u16> = self
            .entries()
            .iter()
            .filter(|q| q.name == name && q.record_type == record_type)
            .map(|q| q.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

/// The catalog, behind the faults given for some names.
pub struct Faulty {
    catalog: Catalog,
    faults: Vec<(String, Fault)>,
    log: QueryLog,
    lost: Mutex<HashMap<(String, u16), usize>>,
}

impl Faulty {
    fn fault(&self, name: &str) -> Option<Fault> {
        self.faults.iter().find_map(|(zone, fault)| {
            let below = name
                .strip_suffix(zone.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
            below.then_some(*fault)
        })
    }
}

#[async_trait::async_trait]
impl RequestHandler for Faulty {
    async fn handle_request<R: ResponseHandler, T: hickory_server::net::runtime::Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        if let Some(query) = request.queries.queries().first() {
            let name = query
                .name()
                .to_string()
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if let Some(fault) = self.fault(&name) {
                let record_type = u16::from(query.query_type());
                self.log.0.lock().unwrap().push(Logged {
                    name: name.clone(),
                    record_type,
                    id: request.metadata.id,
                    at: Instant::now(),
                });
                // Nothing is sent: the returned header is only for the server's own log.
                let unanswered = ResponseInfo::from(Header {
                    metadata: request.metadata,
                    counts: HeaderCounts::default(),
                });
                match fault {
                    Fault::Silent => return unanswered,
                    Fault::Slow(delay) => tokio::time::sleep(delay).await,
                    Fault::LoseFirst(lost) => {
                        let mut seen = self.lost.lock().unwrap();
                        let count = seen.entry((name, record_type)).or_default();
                        *count += 1;
                        if *count <= lost {
                            return unanswered;
                        }
                    }
                }
            }
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// Serve the given zones (master-file text, each with its $ORIGIN and an SOA).
pub fn serve(zones: &[&str]) -> TestDns {
    serve_with_faults(zones, &[])
}

/// Serve the zones, with a fault for each name given (lowercase, no final dot) and the names
/// below it.
pub fn serve_with_faults(zones: &[&str], faults: &[(&str, Fault)]) -> TestDns {
    let log = QueryLog::default();
    let runtime = runtime();
    let (addr, server) = runtime.block_on(async {
        let mut catalog = Catalog::new();
        for zone in zones {
            let (origin, records) = Parser::new(*zone, None, None)
                .parse()
                .expect("the test zone parses");
            let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
                origin.clone(),
                records,
                ZoneType::Primary,
                AxfrPolicy::Deny,
            )
            .expect("the test zone loads");
            catalog.upsert(LowerName::from(origin), vec![Arc::new(handler)]);
        }
        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
        let addr = udp.local_addr().expect("UDP address");
        let tcp = TcpListener::bind(addr)
            .await
            .expect("bind TCP on the same port");
        let mut server = Server::new(Faulty {
            catalog,
            faults: faults
                .iter()
                .map(|(name, fault)| ((*name).to_owned(), *fault))
                .collect(),
            log: log.clone(),
            lost: Mutex::default(),
        });
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 64 * 1024);
        (addr, server)
    });
    TestDns {
        addr,
        faulted: log,
        _server: Some(server),
        _socket: None,
        runtime: Some(runtime),
    }
}

/// A UDP responder that echoes every query back with QR set and RCODE 2 (SERVFAIL).
pub fn servfail() -> TestDns {
    answer_everything_with(2)
}

/// A lying resolver: NXDOMAIN (RCODE 3) for every name, the root zone included, as some
/// captive portals and broken forwarders answer.
pub fn nxdomain_everywhere() -> TestDns {
    answer_everything_with(3)
}

/// Echo every query back with QR set and the given RCODE.
fn answer_everything_with(rcode: u8) -> TestDns {
    let runtime = runtime();
    let addr = runtime.block_on(async {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
        let addr = socket.local_addr().expect("UDP address");
        tokio::spawn(async move {
            let mut buffer = [0u8; 4096];
            while let Ok((len, from)) = socket.recv_from(&mut buffer).await {
                if len >= 12 {
                    let reply = &mut buffer[..len];
                    reply[2] |= 0x80; // QR: a response
                    reply[3] = (reply[3] & 0xF0) | rcode;
                    let _ = socket.send_to(reply, from).await;
                }
            }
        });
        addr
    });
    TestDns {
        addr,
        faulted: QueryLog::default(),
        _server: None,
        _socket: None,
        runtime: Some(runtime),
    }
}

/// A UDP responder that answers NOERROR with no records (NODATA, and no SOA) to every query,
/// except queries of `failing_type` (28 for AAAA), which get SERVFAIL.
pub fn nodata_except(failing_type: u16) -> TestDns {
    let runtime = runtime();
    let addr = runtime.block_on(async {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
        let addr = socket.local_addr().expect("UDP address");
        tokio::spawn(async move {
            let mut buffer = [0u8; 4096];
            while let Ok((len, from)) = socket.recv_from(&mut buffer).await {
                let Some(qtype) = query_type(&buffer[..len]) else {
                    continue;
                };
                let reply = &mut buffer[..len];
                reply[2] = (reply[2] | 0x80) & !0x02; // QR, not truncated
                reply[3] = (reply[3] & 0xF0) | if qtype == failing_type { 2 } else { 0 };
                reply[3] |= 0x80; // RA
                // No answer, authority or additional records: only the question stays.
                for count in &mut reply[6..12] {
                    *count = 0;
                }
                let question_end = question_end(reply).unwrap_or(len);
                let _ = socket.send_to(&reply[..question_end], from).await;
            }
        });
        addr
    });
    TestDns {
        addr,
        faulted: QueryLog::default(),
        _server: None,
        _socket: None,
        runtime: Some(runtime),
    }
}

/// The end of the question section of a DNS message.
pub fn question_end(message: &[u8]) -> Option<usize> {
    let mut i = 12;
    loop {
        let len = *message.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        i += len;
    }
    Some(i + 4).filter(|&end| end <= message.len())
}

fn query_type(message: &[u8]) -> Option<u16> {
    let end = question_end(message)?;
    Some(u16::from_be_bytes([message[end - 4], message[end - 3]]))
}

/// A bound UDP socket that is never read: every query times out.
pub fn silent() -> TestDns {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
    TestDns {
        addr: socket.local_addr().expect("UDP address"),
        faulted: QueryLog::default(),
        _server: None,
        _socket: Some(socket),
        runtime: None,
    }
}

/// The zone the DNS tests check against: one name per row of the verdict table.
pub fn fixture_zone() -> String {
    let mut zone = String::from(
        "$ORIGIN fixture.net.
$TTL 3600
@            IN SOA ns.fixture.net. admin.fixture.net. 1 7200 3600 1209600 300
@            IN NS  ns
ns           IN A   198.41.0.4
ok           IN MX  10 mx1.ok
ok           IN MX  20 mx2.ok
mx1.ok       IN A   93.184.216.34
mx2.ok       IN A   93.184.216.35
shared1      IN MX  10 mx.provider
shared2      IN MX  10 mx.provider
mx.provider  IN A   93.184.216.36
nullmx       IN MX  0 .
aonly        IN A   93.184.216.37
aaaaonly     IN AAAA 2a00:1450:4001::1b
privateonly  IN A   10.0.0.5
nodata       IN TXT \"no mail here\"
alias        IN CNAME ok
hostless     IN MX  10 nowhere.hostless
localmx      IN MX  10 localhost.
privmx       IN MX  10 mx.privmx
mx.privmx    IN A   10.0.0.5
zeromx       IN MX  10 mx.zeromx
mx.zeromx    IN A   0.0.0.0
ipmx         IN MX  10 192.0.2.1.
xn--bcher-kva IN MX 10 mx1.ok
",
    );
    // Enough MX records that the answer does not fit a 1232-byte UDP reply: the server
    // truncates, and the resolver must retry over TCP.
    for n in 0..60 {
        zone.push_str(&format!(
            "big IN MX {n} mail-exchanger-with-a-rather-long-name-{n:02}.big\n"
        ));
    }
    zone.push_str("mail-exchanger-with-a-rather-long-name-00.big IN A 93.184.216.38\n");
    zone
}
