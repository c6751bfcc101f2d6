#!/bin/sh
# riskgwd_reboot.sh - riskgwd restarted after a reboot: its journal holds
# the day's orders with CLOCK_MONOTONIC times of the boot before, which are
# ahead of the new boot's clock. The rebuilt rate windows must not count
# those children as sent in the last second (they were sent at least a
# reboot ago): a parent at its rate limit before the reboot takes a child
# after it, and the kill switch stays untripped.
#
# The two boots are two time namespaces: riskgwd runs first with its
# monotonic clock 10^6 s ahead (unshare --time), then without.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"

command -v unshare >/dev/null || exit 77
unshare --fork --time --monotonic 1000000 true 2>/dev/null || exit 77 # no time namespaces

rules_setup 20
"$CTL" -f "$T/rules.mdb" limit set global "" parent_rate 3 --who test --reason setup \
    >/dev/null || hard_error "limit set parent_rate"
start_venue venue
write_conf
GWD_WRAP="unshare --fork --kill-child --time --monotonic 1000000" start_gw
sed -i "s/^listen = 127.0.0.1:0/listen = 127.0.0.1:$GPORT/" "$T/gw.conf"

# "the boot before": three children of each of the 20 parents in 0.6 s,
# each parent at its rate limit of 3 a second
router 1 --rate 100 --count 60 --drain-ms 1000
expect_grep '"acks":60,' "$T/router.json"
expect_grep '"rejects":0,' "$T/router.json"
grep -q "KILL SWITCH TRIPPED" "$T/gw.log" && fail "tripped before the reboot"

# riskgwd stops (SIGTERM to it, under unshare), and starts on the new boot
gpid=$(cat "/proc/$GPID/task/$GPID/children" 2>/dev/null | tr -d " ")
[ -n "$gpid" ] && [ "$(cat "/proc/$gpid/comm")" = riskgwd ] ||
    hard_error "riskgwd not found under unshare"
kill -TERM "$gpid"
wait "$GPID"
expect_grep "stopped" "$T/gw.log"
GWD_WRAP= start_gw
expect_grep "journal: [0-9]* events replayed" "$T/gw.log"
grep -q "journal replay: order" "$T/gw.log" && fail "an order could not be replayed"

# a router that knows nothing: one more child of each parent, at once
router 1 --rate 100 --count 20 --drain-ms 1000 --id-prefix F1-
expect_grep '"acks":20,' "$T/router.json"
expect_grep '"rejects":0,' "$T/router.json"
grep -q "KILL SWITCH TRIPPED" "$T/gw.log" && {
	grep -E "parent_rate|TRIPPED" "$T/gw.log" | head -5
	fail "the replayed children of the boot before counted in the rate windows"
}
exit 0
