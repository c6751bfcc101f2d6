#!/bin/sh
# riskgwd_disconnect.sh - a venue that drops the connection: new orders on
# its routes are refused with a clear reason until riskgwd has reconnected
# and logged on again, then they flow; a router that drops (no Logout):
# riskgwd cancels its open orders at the venue; a router that logs out
# cleanly keeps them (cancel-on-logout = no).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"

rules_setup 100

# ---- the venue drops every connection in the middle of the flow
start_venue venue
write_conf
start_gw
router_bg 1 --rate 100 --slices 20 --duration 5 --drain-ms 1500
wait_for "$T/router.txt" "logged on" 10
sleep 1
kill -USR1 "$VPID"
wait "$RPID" || { cat "$T/router.txt"; fail "router-sim failed"; }
wait_for "$T/gw.log" "r44/venue: session down" 1
expect_grep "venue session down" "$T/router.txt"
# logged on twice, and orders were acknowledged after the second logon
[ "$(grep -c 'r44/venue: logged on' "$T/gw.log")" -ge 2 ] || fail "riskgwd did not log on to the venue again"
acks=$(jnum "$T/router.json" acks)
rejects=$(jnum "$T/router.json" rejects)
sent=$(jnum "$T/router.json" sent)
[ "$acks" -gt 0 ] && [ "$rejects" -gt 0 ] || fail "expected acks and rejects, got $acks and $rejects"
expect_eq "every order answered" $((acks + rejects)) "$sent"
grep -q "MsgSeqNum too low" "$T/gw.log" "$T/venue.err" && fail "sequence numbers were lost"
kill "$VPID"
kill "$GPID"
wait "$GPID" 2>/dev/null

# ---- a router that drops: its open orders are cancelled at the venue
rm -f "$T"/journal.mdb*
: >"$T/gw.log"
GW_LOGONS=0
start_venue venue2 --fill none
write_conf
start_gw
router_bg 1 --window 8 --count 40 --slices 20 --drain-ms 60000
wait_for "$T/router.txt" "sending stopped" 10
sleep 0.5
kill -9 "$RPID"
wait_for "$T/gw.log" "sent 40 cancels for the router's open orders" 5
venue_stat cancels_confirmed 40

# ---- a router that logs out cleanly keeps its orders
router 2 --window 8 --count 30 --slices 20 --drain-ms 300
sleep 0.5
kill -USR2 "$VPID"
sleep 0.5
expect_eq "cancels after a clean logout" "$(jnum "$VSTATS" cancels_confirmed)" 40
grep -q "r42/router: sent .* cancels" "$T/gw.log" && fail "a clean logout cancelled orders"
exit 0
