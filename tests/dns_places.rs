//! The concurrency bound with silent domains (src/domains/places.rs), against the in-process
//! DNS server: a domain that does not answer gives its place to the next one and waits out its
//! timeout aside, and the room aside is bounded.

mod support {
    pub mod dns_server;
}

use std::time::{Duration, Instant};

use bouncegate::domains::{DnsOptions, check_domains};
use support::dns_server::{self, Fault};

/// One place and one aside (concurrency 1), three silent domains and one that answers: the
/// second silent domain is asked while the first still waits (the first gave its place up),
/// the third only once the first's window is over (the room aside was taken). The domains may
/// start in any order; the silent ones are told apart by when the server first saw them.
#[test]
fn a_silent_domain_gives_its_place_up_and_the_room_aside_is_bounded() {
    let server = dns_server::serve_with_faults(
        &[&dns_server::fixture_zone()],
        &[("dead.fixture.net", Fault::Silent)],
    );
    let timeout = Duration::from_millis(1500);
    let options = DnsOptions {
        nameservers: vec![server.addr],
        timeout,
        attempts: 0,
        concurrency: 1,
        ..DnsOptions::default()
    };
    let silent = [
        "one.dead.fixture.net",
        "two.dead.fixture.net",
        "three.dead.fixture.net",
    ];
    let mut names: Vec<String> = silent.iter().map(|name| (*name).to_owned()).collect();
    names.insert(1, "ok.fixture.net".to_owned());
    let report = check_domains(names, &options);
    assert_eq!(report.get("ok.fixture.net").unwrap().code(), "mx");
    for name in silent {
        assert_eq!(report.get(name).unwrap().code(), "dns-unknown", "{name}");
    }

    // When the server first saw each silent domain (hickory's resends of a question come
    // later), in order.
    let entries = server.faulted.entries();
    let mut first_seen: Vec<Instant> = silent
        .iter()
        .map(|name| {
            entries
                .iter()
                .find(|query| query.name == *name)
                .unwrap_or_else(|| panic!("{name} never asked"))
                .at
        })
        .collect();
    first_seen.sort();
    // Before or after the first's window ended, with a slack for the first query's way to
    // the server: which of the two, not how fast.
    let window_end = timeout - Duration::from_millis(100);
    let second = first_seen[1].duration_since(first_seen[0]);
    assert!(
        second < window_end,
        "the second was asked while the first waited aside: {second:?}"
    );
    let third = first_seen[2].duration_since(first_seen[0]);
    assert!(
        third >= window_end,
        "the third waited for room aside: {third:?}"
    );
}
