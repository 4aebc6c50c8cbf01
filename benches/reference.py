#!/usr/bin/env python3
"""The reference validator on the offline bench's list: python-email-validator, offline.

Validates the address cell of every row of a list CSV (the column named `email`, else the
first) with `validate_email(..., check_deliverability=False)`, as bouncegate's syntax stage
does offline, and prints the wall time. `cargo bench --bench offline` runs it on the data it
generated when `email_validator` can be imported; by hand:

    pip install email-validator
    BOUNCEGATE_BENCH_DATA=/tmp/bgdata cargo bench --bench offline
    python3 benches/reference.py /tmp/bgdata/list.csv

The cell is trimmed first, as bouncegate trims it (and reports the padding apart).
"""

import csv
import sys
import time


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: reference.py LIST.csv", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        from email_validator import EmailNotValidError, validate_email
    except ImportError:
        print("reference: email_validator is not installed (pip install email-validator)")
        return 3
    with open(sys.argv[1], newline="", encoding="utf-8") as file:
        rows = csv.reader(file)
        header = next(rows)
        lowered = [name.strip().lower() for name in header]
        column = lowered.index("email") if "email" in lowered else 0
        cells = [row[column].strip() for row in rows if len(row) > column]
    read = time.perf_counter()
    valid = 0
    for cell in cells:
        try:
            validate_email(cell, check_deliverability=False)
            valid += 1
        except EmailNotValidError:
            pass
    done = time.perf_counter()
    print(
        f"reference (python-email-validator, check_deliverability=False): {len(cells)} addresses, "
        f"{valid} valid, {len(cells) - valid} invalid; wall {done - started:.2f} s "
        f"(reading the CSV {read - started:.2f} s, validating {done - read:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
