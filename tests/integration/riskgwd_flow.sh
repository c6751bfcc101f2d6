#!/bin/sh
# riskgwd_flow.sh - orders flow from router-sim through riskgwd to
# venue-sim over mutual TLS, FIX 4.4 and FIX 4.2: acknowledged and filled,
# counts agree at both ends, the parent tag is stripped before the venue;
# then a runaway router (Power Peg) trips the kill switch on its first
# breaching child: no parent is filled beyond its quantity, the venue never
# sees a refused order and its sequence numbers have no gap, and every
# later order, on every route, is refused with the kill reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"

rules_setup 20
start_venue venue
write_conf
start_gw

# a correct router on each route
router 1 --window 16 || { cat "$T/router.txt"; fail "router 1 failed"; }
expect_grep "overfilled 0" "$T/router.txt"
expect_grep "rejects 0" "$T/router.txt"
sent1=$(jnum "$T/router.json" sent)
[ -n "$sent1" ] && [ "$sent1" -gt 0 ] || fail "router 1 sent nothing"
router 2 --window 16 || { cat "$T/router.txt"; fail "router 2 failed"; }
expect_grep "rejects 0" "$T/router.txt"
sent2=$(jnum "$T/router.json" sent)
kill -USR2 "$VPID"
sleep 0.5
expect_eq "orders at the venue" "$(jnum "$VSTATS" orders_received)" $((sent1 + sent2))

# the runaway router: the first child beyond a parent trips the kill switch
router 1 --runaway --window 8 --duration 3 --count 5000 --slices 3
wait_for "$T/gw.log" "KILL SWITCH TRIPPED" 5
expect_grep "parent_qty" "$T/gw.log"
expect_grep "kill switch" "$T/router.txt"
kill -USR2 "$VPID"
sleep 0.5
# at the venue: no parent beyond its quantity (route r44 passes the parent
# tag on), no order of route r42 with a parent tag (it strips it), and no
# session that had to ask for a resend (no sequence gap)
python3 - "$VSTATS" "$T/parents1.csv" <<'PY' || fail "the venue's view breaks a limit"
import csv, json, sys
stats = json.load(open(sys.argv[1]))
qty = {r["id"]: int(r["qty"]) for r in csv.DictReader(open(sys.argv[2]))}
bad = 0
for pid, p in stats["parents"].items():
    if pid in qty and p["ordered_qty"] > qty[pid]:
        print("parent %s: %d ordered at the venue, quantity %d" % (pid, p["ordered_qty"], qty[pid]))
        bad += 1
seen = sum(1 for pid in stats["parents"] if pid in qty)
if seen == 0:
    print("the venue saw no parent tag from route r44"); bad += 1
for o in stats["orders"]:
    if o["session"].startswith("RGW42") and o.get("parent", "(none)") != "(none)":
        print("route r42 did not strip the parent tag:", o); bad += 1
for sess in stats["sessions"]:
    if sess["gaps"] != 0:
        print("the venue asked for a resend:", sess); bad += 1
sys.exit(1 if bad else 0)
PY
# after the trip, a correct router on the other route is refused too
router 2 --window 4 --count 20 --duration 2 --drain-ms 500
expect_grep "kill switch" "$T/router.txt"
expect_grep "acks 0" "$T/router.txt"
exit 0
