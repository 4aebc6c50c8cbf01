#!/usr/bin/env bash
# Size and speed of the release binary under the profile settings that matter for shipping
# (strip, lto, codegen-units, panic). Each variant builds in its own target directory under
# $OUT (default /tmp/bouncegate-profiles), then runs the offline bench's data (1,000,000 rows,
# 100,000 history events) five times; prints size and median wall time. The figures go to
# BENCHMARKS.md. Usage: benches/release-profiles.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/bouncegate-profiles}
data=$out/data
mkdir -p "$out"
if [ ! -f "$data/list.csv" ]; then
  BOUNCEGATE_BENCH_DATA=$data cargo bench --quiet --bench offline >/dev/null
fi

# name | strip | lto | codegen-units | panic | debug
variants=(
  "line-tables|false|false|16|unwind|line-tables-only"
  "strip|true|false|16|unwind|false"
  "strip+thin|true|thin|16|unwind|false"
  "strip+fat+cgu1|true|fat|1|unwind|false"
  "strip+fat+cgu1+abort|true|fat|1|abort|false"
)
printf '%-24s %10s %12s %10s\n' variant bytes 'median s' 'build s'
for variant in "${variants[@]}"; do
  IFS='|' read -r name strip lto cgu panic debug <<< "$variant"
  target=$out/target-$name
  start=$(date +%s)
  CARGO_TARGET_DIR=$target CARGO_PROFILE_RELEASE_STRIP=$strip CARGO_PROFILE_RELEASE_LTO=$lto \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=$cgu CARGO_PROFILE_RELEASE_PANIC=$panic \
    CARGO_PROFILE_RELEASE_DEBUG=$debug cargo build --release --locked --quiet
  built=$(( $(date +%s) - start ))
  bin=$target/release/bouncegate
  times=()
  for _ in 1 2 3 4 5; do
    t0=$(date +%s.%N)
    (cd "$data" && "$bin" check list.csv --history history.csv --format json --offline >/dev/null) || true
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  printf '%-24s %10s %12s %10s\n' "$name" "$(stat -c %s "$bin")" "$median" "$built"
done
