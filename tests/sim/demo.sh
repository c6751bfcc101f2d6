#!/bin/sh
# demo.sh BUILDDIR [--duration SECONDS] [--keep] - the riskgw demo on
# loopback: venue-sim, riskgwd and three router-sims over mutual TLS 1.3.
#
#   router 1  FIX 4.4, a correct router (parent named by ClOrdLinkID 583)
#   router 2  FIX 4.2, a correct router (parent in user tag 5001, stripped)
#   router 3  FIX 4.4, starts 4 s in and runs Knight's Power Peg: it keeps
#             sending child orders for its parents without counting them
#
# Orders flow and are filled; routers 1 and 2 see a few rejects of their
# own (a collar); router 3's first child beyond a parent's quantity trips
# the kill switch, and from then on every order on every route is refused
# with the kill reason. Runs until Ctrl-C, or SECONDS with --duration, then
# prints a summary. Exit 0 if no parent was filled beyond its quantity.
set -u

B=${1:?usage: demo.sh BUILDDIR [--duration SECONDS] [--keep]}
shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=0
KEEP=
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $DURATION in *[!0-9]*) echo "demo.sh: --duration takes whole seconds" >&2; exit 2 ;; esac

. "$SRC/tests/sim/simlib.sh"

say "making a dev PKI, rules.mdb and parents in $T"
mk_pki 3
$CTL init >/dev/null || die "riskgwctl init"
i=1
for seed in 11 12 13; do
	"$B/tests/sim/router-sim" --gen-parents 40 --seed $seed --sender ROUTER$i \
	    --write-parents "$T/g$i.csv" >/dev/null 2>&1 || die "router-sim --write-parents"
	sed "s/^P/R${i}P/" "$T/g$i.csv" >"$T/parents$i.csv"
	$CTL parents import-csv --who demo --reason "demo parents" "$T/parents$i.csv" >/dev/null ||
	    die "parents import"
	i=$((i + 1))
done
$CTL limit set global "" order_qty 5000 --who demo --reason "demo limits" >/dev/null
$CTL limit set global "" collar_bps 300 --who demo --reason "demo limits" >/dev/null
for s in AAPL MSFT GOOG AMZN NVDA META TSLA KO PG JPM XOM IBM; do
	$CTL refpx set $s 100 --who demo --reason "demo reference" >/dev/null 2>&1
done
say "limits: $($CTL limits export | grep -c '"id"') parents, order_qty 5000, collar 3% around 100"

start_venue --fill partial --slices 2 --fill-delay-ms 50
{
	gw_head
	route router1 FIX.4.4 1 583
	route router2 FIX.4.2 2 5001 5001
	route router3 FIX.4.4 3 583
} >"$T/riskgwd.conf"
start_gw 3
say "venue-sim on port $VPORT, riskgwd on port $GPORT (log: riskgwd lines below)"
tail -n +1 -f "$T/riskgwd.log" | grep --line-buffered -v "venue: TLS" | sed -u 's/^/  /' &
PIDS="$PIDS $!"

LONG=$DURATION
[ "$LONG" -gt 0 ] || LONG=86400
say "routers 1 (FIX 4.4) and 2 (FIX 4.2) start: 100 orders/s each"
router 1 4.4 --px-ticks 400 --rate 100 --slices 40 --duration "$LONG" --drain-ms 1000
router 2 4.2 --px-ticks 400 --rate 100 --slices 40 --duration "$LONG" --drain-ms 1000
t=0
while [ -z "$STOP" ] && [ $t -lt 40 ]; do sleep 0.1; t=$((t + 1)); done
if [ -z "$STOP" ]; then
	say "router 3 starts running Power Peg (children without counting)"
	router 3 4.4 --px-ticks 400 --runaway --window 16 --slices 4 --duration "$LONG" --drain-ms 1000
fi
if [ "$DURATION" -gt 0 ]; then
	end=$((DURATION * 10))
	while [ -z "$STOP" ] && [ $t -lt $end ]; do sleep 0.1; t=$((t + 1)); done
else
	say "running; press Ctrl-C for the summary"
	while [ -z "$STOP" ]; do sleep 0.2; done
fi
# stop the routers (they log out and print their reports), then the rest
stop_routers 1 2 3
kill -USR2 "$VPID"
sleep 0.5

echo
say "summary"
python3 - "$T" <<'PY'
import csv, json, os, sys
t = sys.argv[1]
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return None
total_over = 0
for n, what in ((1, "FIX 4.4, correct"), (2, "FIX 4.2, correct"), (3, "FIX 4.4, Power Peg")):
    r = load(os.path.join(t, "router%d.json" % n))
    if r is None:
        print("  router %d (%s): did not run" % (n, what)); continue
    reasons = ", ".join("%s %d" % (k, v) for k, v in r.get("reject_reasons", {}).items())
    print("  router %d (%s): sent %d, acked %d, filled %d shares, rejected %d%s"
          % (n, what, r["sent"], r["acks"], r["filled_qty"], r["rejects"],
             " (" + reasons + ")" if reasons else ""))
    total_over += r.get("overfill_qty", 0)
v = load(os.path.join(t, "venue.json"))
if v:
    print("  venue: %d orders received, %d fills, %d shares filled"
          % (v["orders_received"], v["fills"], v["filled_qty"]))
    qty = {}
    for n in (1, 3):
        for row in csv.DictReader(open(os.path.join(t, "parents%d.csv" % n))):
            qty[row["id"]] = int(row["qty"])
    over = [(p, s["filled_qty"], qty[p]) for p, s in v["parents"].items()
            if p in qty and s["filled_qty"] > qty[p]]
    print("  parents filled beyond their quantity at the venue: %d" % len(over))
    total_over += sum(f - q for _, f, q in over)
log = open(os.path.join(t, "riskgwd.log")).read().splitlines()
trip = [l for l in log if "KILL SWITCH TRIPPED" in l]
print("  kill switch: %s" % (trip[0].split("riskgwd: ", 1)[1] if trip else "armed (not tripped)"))
print("  overfill: %d shares (Knight, 1 Aug 2012: 397 million shares traded in 45 minutes)"
      % total_over)
sys.exit(1 if total_over else 0)
PY
