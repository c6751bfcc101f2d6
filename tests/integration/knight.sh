#!/bin/sh
# knight.sh - the Knight Capital replay (tests/sim/knight.sh): 8 routers,
# 212 parents, router 8 runs Power Peg; the replay checks overfill 0, the
# trip on the first breach, no order after it, every open child cancelled,
# one alert, and the state after kill -9 and a restart, and exits 0 only if
# all hold.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || exit 77
sh "$top_srcdir/tests/sim/knight.sh" "$top_builddir" --seconds 6 >"$T/knight.out" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$T/knight.out" >"$T/knight.txt"
cat "$T/knight.txt"
[ "$rc" -eq 0 ] || fail "the Knight replay exited $rc"
expect_grep "PASS  overfill 0 shares" "$T/knight.txt"
expect_grep "PASS  the kill switch tripped once, on a breach by router 8" "$T/knight.txt"
expect_grep "PASS  no order reached the venue after the trip" "$T/knight.txt"
expect_grep "PASS  every open child order cancelled" "$T/knight.txt"
expect_grep "PASS  alerted once" "$T/knight.txt"
expect_grep "PASS  after kill -9 and a restart: still tripped" "$T/knight.txt"
grep -q "FAIL" "$T/knight.txt" && fail "a check failed"
exit 0
