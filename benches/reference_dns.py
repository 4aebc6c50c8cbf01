#!/usr/bin/env python3
"""The reference validator with DNS: python-email-validator checking deliverability.

Validates the address cell of every row of a list CSV (the column named `email`, else the
first; the cell trimmed, as bouncegate trims it) with

    validate_email(cell, check_deliverability=True, dns_resolver=resolver)

where `resolver` is a `dns.resolver.Resolver(configure=False)` asking only the name server
given, with its timeout and lifetime set to bouncegate's default `dns.timeout` (3 s), so a
silent name costs both the same wait per question. `cargo bench --bench dns -- reference`
runs it against the bench's in-process DNS server; by hand:

    pip install email-validator dnspython
    python3 benches/reference_dns.py LIST.csv 127.0.0.1:PORT [TIMEOUT]

The resolver is given a fair chance: one `dns.resolver.LRUCache` (100,000 entries) for the
whole run, so each domain is asked once however many addresses share it. dnspython caches
what the server answered, for its TTL: MX records, NODATA (no MX: then A and AAAA, and TXT for
an SPF "-all") and NXDOMAIN. It caches no failure: a timeout, SERVFAIL or REFUSED is asked
again for the next address of the same domain, so every address at a domain whose name
servers never answer waits the whole timeout. That is how the library behaves, and what the
bench measures. email-validator looks up MX records only, never the MX hosts' addresses, so a
domain whose MX names a dead host is accepted at once.

Prints one line: the counts, and the wall time from the start of the script (the import of
email_validator and dnspython included) in three parts.
"""

import csv
import sys
import time


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print("usage: reference_dns.py LIST.csv IP:PORT [TIMEOUT]", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        import dns.resolver
        from email_validator import (
            EmailSyntaxError,
            EmailUndeliverableError,
            validate_email,
        )
    except ImportError as error:
        print(
            f"reference: {error.name} is not installed (pip install email-validator dnspython)"
        )
        return 3
    imported = time.perf_counter()
    host, _, port = sys.argv[2].rpartition(":")
    timeout = float(sys.argv[3]) if len(sys.argv) == 4 else 3.0

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    # One try of one server may last the whole timeout, and the whole question no longer.
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = dns.resolver.LRUCache()

    with open(sys.argv[1], newline="", encoding="utf-8") as file:
        rows = csv.reader(file)
        header = next(rows)
        lowered = [name.strip().lower() for name in header]
        column = lowered.index("email") if "email" in lowered else 0
        cells = [row[column].strip() for row in rows if len(row) > column]
    read = time.perf_counter()

    deliverable = unknown = undeliverable = bad_syntax = 0
    for cell in cells:
        try:
            checked = validate_email(
                cell, check_deliverability=True, dns_resolver=resolver
            )
        except EmailUndeliverableError:
            undeliverable += 1
        except EmailSyntaxError:
            bad_syntax += 1
        else:
            # A timeout (or no name server answering) leaves the address valid, without MX.
            if getattr(checked, "mx", None):
                deliverable += 1
            else:
                unknown += 1
    done = time.perf_counter()
    statistics = resolver.cache.get_statistics_snapshot()
    print(
        f"reference (python-email-validator, check_deliverability=True, dnspython, timeout "
        f"{timeout:g} s): {len(cells)} addresses: {deliverable} deliverable, {undeliverable} "
        f"undeliverable, {unknown} unknown (timeout), {bad_syntax} bad syntax; cache "
        f"{statistics.hits} hits, {statistics.misses} misses; wall {done - started:.2f} s "
        f"(importing {imported - started:.2f} s, reading the CSV {read - imported:.2f} s, "
        f"validating {done - read:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
