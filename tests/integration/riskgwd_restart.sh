#!/bin/sh
# riskgwd_restart.sh - riskgwd killed with SIGKILL under load and restarted:
# both FIX sessions resume their sequence numbers (the router reconnects
# and carries on; no "MsgSeqNum too low" anywhere), and every parent's
# exposure is what it was: a fresh router that sends each parent's whole
# quantity again is refused (and trips the kill switch) instead of doubling
# the parents at the venue.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"

rules_setup 200
start_venue venue --fill-delay-ms 300 --slices 2 --fill partial
write_conf
start_gw
# the restarted riskgwd must listen where the router reconnects
sed -i "s/^listen = 127.0.0.1:0/listen = 127.0.0.1:$GPORT/" "$T/gw.conf"

# load at 500 orders/s, orders open (fills come 300 ms later), kill -9
router_bg 1 --rate 500 --window 64 --slices 20 --duration 4 --reconnect --reconnect-ms 200 \
    --drain-ms 3000
wait_for "$T/router.txt" "logged on" 10
sleep 1
kill -0 "$RPID" 2>/dev/null || fail "router-sim finished before riskgwd was killed"
kill -9 "$GPID"
sleep 0.3
start_gw
wait "$RPID"
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/router.txt"; fail "router-sim exited $rc across the restart"; }
grep -q "logons 2" "$T/router.txt" || fail "the router did not log on again after the restart"
expect_grep "overfilled 0" "$T/router.txt"
grep -q "MsgSeqNum too low" "$T/gw.log" "$T/router.txt" "$T/venue.err" &&
    fail "a session did not resume its sequence numbers"
# riskgwd replayed its journal and both legs resumed
expect_grep "events replayed" "$T/gw.log"
n=$(sed -n 's/.*journal: \([0-9]*\) events replayed.*/\1/p' "$T/gw.log" | tail -n 1)
[ "$n" -gt 0 ] || fail "the restarted riskgwd replayed no events"
grep "r44/venue: logged on" "$T/gw.log" | tail -n 1 | grep -q "next in 1 out" &&
    fail "the venue session restarted from 1 instead of resuming"

# a fresh router (it knows nothing) sends every parent's quantity again
router 1 --window 16 --slices 1 --count 200 --duration 5 --drain-ms 1000 --id-prefix F1-
wait_for "$T/gw.log" "KILL SWITCH TRIPPED" 5
expect_grep "parent_qty" "$T/gw.log"
kill -USR2 "$VPID"
sleep 0.5
python3 - "$VSTATS" "$T/parents1.csv" <<'PY' || fail "a parent was doubled at the venue"
import csv, json, sys
stats = json.load(open(sys.argv[1]))
qty = {r["id"]: int(r["qty"]) for r in csv.DictReader(open(sys.argv[2]))}
bad = [(p, v["ordered_qty"], qty[p]) for p, v in stats["parents"].items()
       if p in qty and v["ordered_qty"] > qty[p]]
for b in bad:
    print("parent %s: %d ordered at the venue, quantity %d" % b)
sys.exit(1 if bad else 0)
PY
exit 0
