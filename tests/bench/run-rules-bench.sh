#!/bin/sh
# run-rules-bench.sh [BUILDDIR] [BENCH ARGS...] - runs the rules_check
# benchmark, then its floor (1,000 parents, every table in cache), then the
# same checks under callgrind, and prints a small table. Builds nothing: make
# the bench first, without sanitizers, e.g.
#   mkdir -p build/bench && cd build/bench && ../../configure CFLAGS='-O2 -g' && make bench
# BUILDDIR defaults to build/bench (relative to the source tree).
# CALLGRIND_CHECKS (default 100000) checks are counted under callgrind.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
b=${1:-$src/build/bench}
[ $# -gt 0 ] && shift
bin=$b/tests/bench/bench_rules
n=${CALLGRIND_CHECKS:-100000}
if [ ! -x "$bin" ]; then
	echo "run-rules-bench.sh: $bin is not built (make bench in $b)" >&2
	exit 1
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/riskgw-bench-XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "== $bin $*"
"$bin" "$@" | tee "$out/bench.txt"
# the floor, right after: the same stream over 1,000 parents, every table
# a check reads in the cache (bench_rules.c, --parents)
echo "== $bin --parents 1000 --checks 100000"
"$bin" --parents 1000 --checks 100000 | tee "$out/floor.txt"

ir=""
if command -v valgrind >/dev/null 2>&1; then
	echo "== valgrind --tool=callgrind --toggle-collect=bench_timed_region $bin --callgrind $n"
	valgrind --tool=callgrind --toggle-collect=bench_timed_region \
	    --callgrind-out-file="$out/callgrind.out" "$bin" --callgrind "$n" \
	    >"$out/callgrind.txt" 2>&1 || { cat "$out/callgrind.txt" >&2; exit 1; }
	grep '^callgrind checks' "$out/callgrind.txt" || true
	ir=$(awk '/^(summary|totals):/ { v = $2 } END { print v }' "$out/callgrind.out")
else
	echo "(valgrind not installed: no instruction count)"
fi

med=$(awk '/^ns per check:/ { print $5 }' "$out/bench.txt")
p99=$(awk '/^ns per check:/ { print $7 }' "$out/bench.txt")
p999=$(awk '/^ns per check:/ { print $9 }' "$out/bench.txt")
allocs=$(awk -F': ' '/^heap allocations during timed checks/ { print $2 }' "$out/bench.txt")
never=$(sed -n 's/^cache refresh, median ns per check: never \([0-9]*\), .*/\1/p' "$out/bench.txt")
every=$(sed -n 's/^cache refresh, .* checks \([0-9]*\) .*/\1/p' "$out/bench.txt")
floor=$(awk '/^ns per check:/ { print $5 }' "$out/floor.txt")
mach=$(sed -n 's/^machine: .* over 4 MiB \([0-9]*\) ns, over 64 MiB \([0-9]*\) ns before .*; \([0-9]*\) \/ \([0-9]*\) ns after$/\1 \/ \2; \3 \/ \4/p' "$out/bench.txt")
echo
echo "| rules_check, 10,000 parents, 1,000,000 checks | |"
echo "|---|---|"
echo "| median ns per check | $med |"
echo "| p99 / p99.9 ns per check | $p99 / $p999 |"
echo "| median ns per check, 1,000 parents and 100,000 checks (every table in cache), right after | $floor |"
if [ -n "$ir" ]; then
	echo "| instructions per check (callgrind, $n checks) | $((ir / n)) |"
fi
echo "| heap allocations during timed checks | $allocs |"
echo "| median ns, limits commit every 1,000 checks vs never | $every vs $never |"
echo "| this machine, same run: ns per random load over 4 / 64 MiB, before; after | $mach |"
