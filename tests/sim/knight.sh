#!/bin/sh
# knight.sh BUILDDIR [--keep] [--seconds S] - the Knight Capital incident of
# 1 Aug 2012 replayed through riskgwd, on loopback over mutual TLS 1.3.
#
# Eight router sessions (Knight's eight SMARS servers) send child orders
# for 212 parent orders (100 to 1,000 shares each, 60 NYSE symbols) through
# riskgwd to a venue-sim that fills them in slices. Routers 1-7 behave:
# they never send more than a parent's quantity. Router 8 runs Power Peg
# from 2 s in: it keeps sending children for its parents without counting
# what was sent or filled. riskgwd must stop it at its first child beyond a
# parent's quantity, block every router in the same loop turn, cancel every
# open child at the venue, and come back tripped after a restart.
#
# Checks, each printed PASS or FAIL, exit 0 only if all pass:
#   1. overfill 0: at the venue, no parent ever received more shares (every
#      child ever sent, filled or not) than its quantity
#   2. the kill switch tripped on a breach by route router8 (the first
#      breaching child), and no other order was refused for a parent limit
#   3. no order reached the venue after the trip, on any route: the venue
#      received exactly the orders riskgwd had forwarded when it tripped
#   4. every open child order was cancelled: none open at the venue
#   5. the trip was alerted once (LOG_ALERT "KILL SWITCH TRIPPED" and, when
#      riskgwd has an alert-command, one kill_tripped event naming the
#      route and the parent)
#   6. kill -9 and a restart of riskgwd: still tripped, orders refused
set -u

B=${1:?usage: knight.sh BUILDDIR [--keep] [--seconds S]}
shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
KEEP=
SECONDS_RUN=6
while [ $# -gt 0 ]; do
	case $1 in
	--keep) KEEP=1; shift ;;
	--seconds) SECONDS_RUN=${2:?--seconds needs a number}; shift 2 ;;
	*) echo "knight.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $SECONDS_RUN in '' | *[!0-9]*) echo "knight.sh: --seconds takes whole seconds" >&2; exit 2 ;; esac
[ "$SECONDS_RUN" -ge 4 ] || { echo "knight.sh: --seconds must be at least 4" >&2; exit 2; }

. "$SRC/tests/sim/simlib.sh"

say "Knight Capital, 1 Aug 2012, replayed: 8 routers, 212 parents, router 8 runs Power Peg"
mk_pki 8
$CTL init >/dev/null || die "riskgwctl init"
# 212 parents over the 8 routers (27 for routers 1-4, 26 for 5-8), retail
# sizes 100..1,000 shares, 60 symbols, each priced at 100
for i in 1 2 3 4 5 6 7 8; do
	n=26
	[ $i -le 4 ] && n=27
	"$B/tests/sim/router-sim" --gen-parents $n --seed $((40 + i)) --sender ROUTER$i \
	    --write-parents "$T/g$i.csv" >/dev/null 2>&1 || die "router-sim --write-parents"
done
python3 - "$T" <<'PY' || die "making the parents"
import csv, os, random, sys
t = sys.argv[1]
syms = ("AA AXP BA BAC CAT CSCO CVX DD DIS GE HD HPQ IBM INTC JNJ JPM KFT KO MCD MMM MRK MSFT "
        "PFE PG T TRV UTX VZ WMT XOM C F GM GS MS WFC USB BK STT SCHW AIG MET PRU ALL HIG "
        "LNC PNC COF DFS AMP BEN TROW IVZ NTRS FITB KEY RF HBAN MTB ZION").split()
rnd = random.Random(2012)
for i in range(1, 9):
    rows = list(csv.DictReader(open(os.path.join(t, "g%d.csv" % i))))
    with open(os.path.join(t, "parents%d.csv" % i), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        for r in rows:
            r["id"] = "K%d%s" % (i, r["id"])
            r["qty"] = str(rnd.randrange(1, 11) * 100)
            r["symbol"] = rnd.choice(syms)
            r["limit_px"] = "100"
            w.writerow(r)
PY
for i in 1 2 3 4 5 6 7 8; do
	$CTL parents import-csv --who demo --reason "Knight replay parents" "$T/parents$i.csv" \
	    >/dev/null || die "parents import"
done
NPARENTS=$($CTL parents export-csv | tail -n +2 | wc -l)
[ "$NPARENTS" = 212 ] || die "expected 212 parents, got $NPARENTS"

start_venue --fill partial --slices 3 --fill-delay-ms 20
# the alert command: each event riskgwd sends it, one JSON line per event
cat >"$T/alert.sh" <<EOF
#!/bin/sh
cat >>"$T/alerts.jsonl"
echo >>"$T/alerts.jsonl"
EOF
chmod 755 "$T/alert.sh"
write_conf() {
	{
		gw_head "$1"
		for i in 1 2 3 4 5 6 7 8; do route router$i FIX.4.4 $i 583; done
	} >"$T/riskgwd.conf"
}
# with the alert command when this riskgwd has the key
write_conf "alert-command = $T/alert.sh"
"$B/riskgwd" -n -c "$T/riskgwd.conf" >/dev/null 2>&1 || write_conf ""
start_gw 8
say "venue-sim on port $VPORT, riskgwd on port $GPORT; routers 1-7 start, 40 orders/s each"
for i in 1 2 3 4 5 6 7; do
	router $i 4.4 --rate 40 --slices 5 --duration "$SECONDS_RUN" --drain-ms 1500
done
sleep 2
say "router 8 starts Power Peg: children for its 26 parents, counting neither sent nor filled"
router 8 4.4 --runaway --window 16 --slices 3 --duration $((SECONDS_RUN - 2)) --drain-ms 1500
sleep $((SECONDS_RUN - 2))
stop_routers 1 2 3 4 5 6 7 8
sleep 0.5
ctl status --json >"$T/status.json" || die "riskgwd status"
ctl counters --json >"$T/counters.json" || die "riskgwd counters"
ctl kill-log --json >"$T/killlog.json" || die "riskgwd kill-log"
kill -USR2 "$VPID"
sleep 0.5

# ---- restart after kill -9: still tripped, orders refused ------------------------------
kill -9 "$GPID"
wait "$GPID" 2>/dev/null
start_gw 8
ctl status --json >"$T/status2.json" || die "riskgwd status after the restart"
router 1 4.4 --count 5 --window 5 --slices 5 --drain-ms 500 --id-prefix AFTER-
wait "$RPID1" 2>/dev/null
cp "$T/router1.json" "$T/after.json" 2>/dev/null

echo
say "summary"
python3 - "$T" <<'PY'
import csv, json, os, sys
t = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(t, name)) as f:
            return json.load(f)
    except Exception:
        return None
ok = True
def check(cond, text):
    global ok
    ok = ok and bool(cond)
    print("  %s  %s" % ("PASS" if cond else "FAIL", text))

qty = {}
for i in range(1, 9):
    for r in csv.DictReader(open(os.path.join(t, "parents%d.csv" % i))):
        qty[r["id"]] = int(r["qty"])
st, st2 = load("status.json"), load("status2.json")
cnt, log, v, after = load("counters.json"), load("killlog.json"), load("venue.json"), load("after.json")
k = st["kill"] if st else {}
routes = {c["route"]: c for c in cnt["routes"]} if cnt else {}
orders = sum(c["orders"] for c in routes.values())
fwd = sum(c["forwarded"] for c in routes.values())
rej = sum(c["rejected"] for c in routes.values())
print("  orders from the 8 routers: %d (router 8: %d); forwarded %d; refused %d"
      % (orders, routes.get("router8", {}).get("orders", 0), fwd, rej))
if v:
    filled = v["filled_qty"]
    print("  venue: %d orders received, %d fills, %d shares filled of %d shares in 212 parents"
          % (v["orders_received"], v["fills"], filled, sum(qty.values())))
if k:
    print("  kill switch: %s by %s: %s" % (k.get("state"), k.get("source"), k.get("reason")))
    print("  breach to block: %.1f us (same loop turn); %d cancels queued in %.2f ms; "
          "all closed %s ms after the trip"
          % (k.get("block_us") or 0, k.get("sweep_cancels", 0), k.get("sweep_ms") or 0,
             "%.1f" % k["all_closed_ms"] if k.get("all_closed_ms") is not None else "(not yet)"))

# 1. overfill
over = []
if v:
    for p, s in v["parents"].items():
        if p in qty and s["ordered_qty"] > qty[p]:
            over.append((p, s["ordered_qty"], qty[p]))
check(v is not None and not over,
      "overfill 0 shares: no parent received more than its quantity at the venue%s"
      % ("" if not over else " (%d parents over: %s)" % (len(over), over[:3])))
print("        (Knight, 1 Aug 2012: 4 million orders, 397 million shares, $460 million)")
# 2. tripped by router 8's first breach
trips = [l for l in (log or {}).get("log", []) if l["action"] == "trip"]
check(k.get("state") == "tripped" and k.get("source") == "breach" and
      k.get("reason", "").startswith("route router8, order ") and len(trips) == 1,
      "the kill switch tripped once, on a breach by router 8: %s" % k.get("reason", "-"))
# 3. nothing reached the venue after the trip
check(v is not None and k.get("forwarded_at_trip") == fwd == v["orders_received"],
      "no order reached the venue after the trip: forwarded at the trip %s, at the end %d, "
      "received by the venue %s" % (k.get("forwarded_at_trip"), fwd, v and v["orders_received"]))
# 4. every open child cancelled
check(v is not None and v["open_orders"] == 0 and k.get("open_orders") == 0,
      "every open child order cancelled: %s cancels confirmed, open at the venue %s, "
      "riskgwd counts %s open" % (v and v["cancels_confirmed"], v and v["open_orders"],
                                 k.get("open_orders")))
# 5. alerted once
with open(os.path.join(t, "riskgwd.log")) as f:
    alerts = [l for l in f if "KILL SWITCH TRIPPED" in l]
events = []
if os.path.exists(os.path.join(t, "alerts.jsonl")):
    for line in open(os.path.join(t, "alerts.jsonl")):
        line = line.strip()
        if line:
            events.append(json.loads(line))
trip_events = [e for e in events if e.get("event") == "kill_tripped"]
have_cmd = os.path.exists(os.path.join(t, "alerts.jsonl")) or any(
    l.startswith("alert-command") for l in open(os.path.join(t, "riskgwd.conf")))
check(len(alerts) == 1 and (not have_cmd or (len(trip_events) == 1 and
      "router8" in json.dumps(trip_events[0]) and "parent" in json.dumps(trip_events[0]))),
      "alerted once: %d LOG_ALERT line(s)%s" % (len(alerts),
      ", %d kill_tripped event(s) to the alert command" % len(trip_events) if have_cmd else
      " (no alert-command in this build)"))
# 6. restart
k2 = st2["kill"] if st2 else {}
check(k2.get("state") == "tripped" and k2.get("reason") == k.get("reason") and after and
      after["acks"] == 0 and after["rejects"] == after["sent"] > 0,
      "after kill -9 and a restart: still tripped, %s of %s new orders refused"
      % (after and after["rejects"], after and after["sent"]))
sys.exit(0 if ok else 1)
PY
