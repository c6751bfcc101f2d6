#!/bin/sh
# demo.sh - the README's demo, for 10 seconds: orders flow through riskgwd,
# the runaway router trips the kill switch, and no parent is filled beyond
# its quantity (the demo exits 0 only then).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || exit 77
sh "$top_srcdir/tests/sim/demo.sh" "$top_builddir" --duration 10 >"$T/demo.out" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$T/demo.out" >"$T/demo.txt"
[ "$rc" -eq 0 ] || { cat "$T/demo.txt"; fail "the demo exited $rc"; }
expect_grep "kill switch: KILL SWITCH TRIPPED (global, by breach): route router3" "$T/demo.txt"
expect_grep "overfill: 0 shares" "$T/demo.txt"
expect_grep "router 1 (FIX 4.4, correct): sent [0-9]*, acked [1-9]" "$T/demo.txt"
expect_grep "router 2 (FIX 4.2, correct): sent [0-9]*, acked [1-9]" "$T/demo.txt"
exit 0
