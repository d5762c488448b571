#!/usr/bin/env bash
# Measures the TLS log analysis against grep on the same generated logs (issue 3's yardstick):
#   1. the Go benchmarks of the reader and the full analysis (one core, hot cache, MB/s);
#   2. `hybridkit tls analyze` end to end (all cores) vs `grep -c SP_PROT_`, with peak memory.
# Usage: scripts/bench-tls.sh [copies]   (copies of the 165 MB benchmark log; default 4)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
copies=${1:-4}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$root"

echo "== Go benchmarks (one core)"
(cd services/tlsanalysis && go test -run '^$' -bench 'BenchmarkReader$|BenchmarkAnalyze$' -benchmem -cpu 1 -count 3 ./exlog ./analysis)

echo "== end to end on $copies files"
(cd services/tlsanalysis && go test -count=1 -run WriteBenchLog ./exlog -args -benchfile "$dir/RECV2026112500-1.LOG" >/dev/null)
for i in $(seq 2 "$copies"); do cp "$dir/RECV2026112500-1.LOG" "$dir/RECV20261125$(printf %02d "$i")-1.LOG"; done
go build -o "$dir/hybridkit" ./cmd/hybridkit
bytes=$(cat "$dir"/*.LOG | wc -c)
cat "$dir"/*.LOG >/dev/null # warm the page cache
# (output to a file: GNU grep stops at the first match when its output is /dev/null)
t0=$(date +%s.%N); grep -c SP_PROT_ "$dir"/*.LOG >"$dir/grep.out"; t1=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$dir/rss" "$dir/hybridkit" tls analyze -progress never -o json "$dir" >/dev/null
t2=$(date +%s.%N)
"$dir/hybridkit" tls analyze -progress never -o json "$dir" >/dev/null; t3=$(date +%s.%N)
awk -v b="$bytes" -v g="$(echo "$t1 - $t0" | bc)" -v h="$(echo "$t3 - $t2" | bc)" -v rss="$(cat "$dir/rss")" 'BEGIN {
  printf "bytes %d\ngrep -c SP_PROT_: %.3fs (%.0f MB/s)\nhybridkit tls analyze: %.3fs (%.0f MB/s), ratio %.2fx, peak RSS %.1f MiB\n",
    b, g, b/g/1e6, h, b/h/1e6, h/g, rss/1024 }'
