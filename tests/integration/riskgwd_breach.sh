#!/bin/sh
# riskgwd_breach.sh - after a breach: the warning before it (once per
# parent), the trip, the breaching parent blocked (a kill log line), its
# open orders cancelled by the kill; after the two-person reset the other
# parents trade again but the breaching one stays refused, also after
# kill -9 and a restart; released by an operator it trades again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"
command -v python3 >/dev/null || exit 77


rules_setup 10
# the first parent of router 1, now of 1,000 shares, alone in one.csv
head -n 2 "$T/parents1.csv" | sed 's/^\(P[0-9]*\),\([^,]*\),\([^,]*\),\([^,]*\),[0-9]*,/\1,\2,\3,\4,1000,/' >"$T/one.csv"
IFS=, read -r P ACC SYM SIDE _ <<EOF
$(sed -n 2p "$T/one.csv")
EOF
"$CTL" -f "$T/rules.mdb" parent set "$P" "$ACC" "$SYM" "$SIDE" 1000 limit_px=100 --who test \
    --reason "1,000 shares" >/dev/null || hard_error "parent set"
start_venue venue --fill none
# the alert command appends each event (one JSON object) to alerts.jsonl
cat >"$T/alert.sh" <<EOF
#!/bin/sh
{ cat; echo; } >>"$T/alerts.jsonl"
EOF
chmod 755 "$T/alert.sh"
GW_EXTRA="control-delegates = root
reset-operators = alice bob
warn-pct = 80
alert-command = $T/alert.sh"
write_conf
start_gw

# ---- the runaway: 250-share children of a 1,000-share parent, never counting
router 1 --parents "$T/one.csv" --runaway --window 1 --child-qty 250 --count 8 --drain-ms 300 \
    --id-prefix RUN-
wait_for "$T/gw.log" "KILL SWITCH TRIPPED (global, by breach): route r44, order RUN-5: parent_qty: parent $P" 5
# the warning came once, at the 4th child (1,000 of 1,000 >= 80%)
expect_eq "warnings" "$(grep -c "warning: parent $P " "$T/gw.log")" 1
expect_grep "warning: parent $P (route r44, order RUN-4) reached 80% of its quantity" "$T/gw.log"
wait_for "$T/gw.log" "parent $P blocked" 1
venue_stat cancels_confirmed 4
venue_stat open_orders 0
expect_rc 0 ctl parents --json
expect_eq "blocked" "$(pjson '[p["blocked"] for p in j["parents"] if p["parent"] == "'"$P"'"][0]')" True
expect_eq "warned" "$(pjson '[p["warned_qty"] for p in j["parents"] if p["parent"] == "'"$P"'"][0]')" True
expect_rc 0 ctl metrics
expect_grep '^riskgw_parent_warnings_total 1$' "$T/out"
expect_grep '^riskgw_kill_trips_total{source="breach"} 1$' "$T/out"
expect_rc 0 ctl kill-log --json
expect_eq "kill log" "$(pjson '" ".join(l["action"] + ":" + l["scope"] for l in j["log"])')" \
    "trip:global parent_block:$P"

# ---- the reset: other parents trade, the breaching one stays blocked
expect_rc 0 ctl reset-request --who alice --reason "runaway stopped"
expect_rc 0 ctl reset-approve --who bob
router 2 --window 4 --count 4 --slices 20 --drain-ms 300 --id-prefix OK-
expect_eq "other parents after the reset" "$(jnum "$T/router.json" acks)" 4
router 1 --parents "$T/one.csv" --window 1 --child-qty 100 --count 1 --drain-ms 300 --id-prefix B1-
expect_eq "the blocked parent after the reset" "$(jnum "$T/router.json" rejects)" 1
expect_grep "reject 1 x parent P (103=0)" "$T/router.txt" # parent_blocked, not parent_qty (103=3)
expect_rc 0 ctl status
expect_grep '^global *armed$' "$T/out"

# the alert command got each event once, in order
n=0
while [ "$(grep -c '"event"' "$T/alerts.jsonl" 2>/dev/null)" != 4 ]; do
	n=$((n + 1)); [ $n -lt 50 ] || { cat "$T/alerts.jsonl"; fail "expected 4 alert events"; }; sleep 0.1
done
expect_eq "alert events" "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(" ".join(sorted(e["event"] for e in ev)))
ev = {e["event"]: e for e in ev}
w = ev["parent_warning"]
assert w["parent"] == sys.argv[2] and w["route"] == "r44" and w["limit"] == "quantity" and w["pct"] == 80, w
k = ev["kill_tripped"]
assert k["source"] == "breach" and sys.argv[2] in k["reason"], k
r = ev["kill_reset"]
assert r["requested_by"] == "alice" and r["approved_by"] == "bob", r
' "$T/alerts.jsonl" "$P")" "kill_orders_closed kill_reset kill_tripped parent_warning"

# ---- still blocked after kill -9 and a restart (the journal has the block)
kill -9 "$GPID"
wait "$GPID" 2>/dev/null
start_gw
router 1 --parents "$T/one.csv" --window 1 --child-qty 100 --count 1 --drain-ms 300 --id-prefix B2-
expect_eq "the blocked parent after a restart" "$(jnum "$T/router.json" rejects)" 1

# ---- released by an operator: its children are checked again
expect_rc 1 ctl release "$P" --who mallory --reason "let me"
expect_grep 'not one of the reset operators' "$T/err"
expect_rc 1 ctl release NOSUCH --who alice --reason x
expect_grep 'not blocked' "$T/err"
expect_rc 0 ctl release "$P" --who alice --reason "limits reviewed"
expect_grep "parent $P released by alice" "$T/out"
router 1 --parents "$T/one.csv" --window 1 --child-qty 100 --count 1 --drain-ms 300 --id-prefix B3-
expect_eq "the released parent" "$(jnum "$T/router.json" acks)" 1
expect_rc 0 ctl kill-log
expect_grep "parent_release .*$P *alice *limits reviewed$" "$T/out"
exit 0
