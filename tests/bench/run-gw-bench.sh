#!/usr/bin/env bash
# run-gw-bench.sh - riskgwd against a plain TLS relay, side by side, in one
# run: the same router-sim and venue-sim, TLS 1.3 on every leg, through
#
#   direct    router-sim -> venue-sim
#   haproxy   router-sim -> haproxy (mode tcp, ssl on both sides, mutual
#             TLS, one thread) -> venue-sim
#   gw-async  router-sim -> riskgwd (every check on, sync-commit = no) -> venue-sim
#   gw-sync   the same with sync-commit = yes (fsync per loop turn)
#   gw-base   as gw-async, but the riskgwd binary GWBENCH_BASE_GWD (another
#             build, e.g. main's): before and after, interleaved in one run;
#             gw-alt1 .. gw-alt9 likewise with GWBENCH_ALT1 .. GWBENCH_ALT9
#
# For each: max throughput (closed loop, --window 64, --count orders) and
# open-loop latency at each --rates value for --duration seconds (p50, p99,
# p99.9 from router-sim --json, counted from the scheduled send), and the
# CPU time per order of the process in the middle (utime + stime from
# /proc/PID/stat, before and after the router-sim run, / acks). Every
# measurement starts fresh processes (venue-sim, haproxy or riskgwd with a new
# journal) so that no run inherits another's tables. The whole comparison
# is repeated --reps times, measurement by measurement (all setups back to
# back), and the table shows medians; the load average (1 min) is recorded
# with every run. Builds nothing: see docs/bench.md.
#
# usage: tests/bench/run-gw-bench.sh [--build DIR] [--reps N] [--count N]
#        [--duration S] [--rates "R1 R2 ..."] [--setups "direct haproxy gw-async gw-sync"]
#        [--no-pin] [--busy-poll] [--keep] [--raw FILE] [--table FILE]
# --raw FILE keeps the per-run lines (TSV); --table FILE prints the table of
# such a file again, running nothing.
#
# Pinning (default on, 2 vCPUs): router-sim and venue-sim on CPU 0, the
# process in the middle (haproxy or riskgwd) alone on CPU 1; in the direct
# case CPU 1 stays idle. --no-pin lets the scheduler place everything.
# GWBENCH_PERF=DIR: perf record -e cpu-clock -g the process in the middle
# during each router-sim run, into DIR/perf-SETUP-TEST-REP.data.
# GWBENCH_GW_WRAP="valgrind --tool=callgrind ...": a command riskgwd runs under.
# GWBENCH_PREALLOC=MiB: journal-prealloc of the sync-commit = no setups
# (default 512: a 200,000-order run journals ~230 MB; docs/bench.md); empty:
# no such line (for riskgwd builds older than the key).
# Journal and rules.mdb live in $TMPDIR (default /tmp: must be the real disk
# for gw-sync to mean anything; a tmpfs makes every fsync free).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
b=$src/build/bench
reps=3
count=200000
dur=5
rates="10000 25000 50000"
setups="direct haproxy gw-async gw-sync"
pin=1
busy=
keep=
raw=
table=
while [ $# -gt 0 ]; do
	case $1 in
	--build) b=$2; shift ;;
	--reps) reps=$2; shift ;;
	--count) count=$2; shift ;;
	--duration) dur=$2; shift ;;
	--rates) rates=$2; shift ;;
	--setups) setups=$2; shift ;;
	--no-pin) pin= ;;
	--busy-poll) busy=--busy-poll ;;
	--keep) keep=1 ;;
	--raw) raw=$2; shift ;;
	--table) table=$2; shift ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "run-gw-bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

GWD=$b/riskgwd CTL=$b/riskgwctl VENUE=$b/tests/sim/venue-sim ROUTER=$b/tests/sim/router-sim
for x in "$GWD" "$CTL" "$VENUE" "$ROUTER"; do
	[ -x "$x" ] || { echo "run-gw-bench.sh: $x is not built (make in $b)" >&2; exit 1; }
done
case " $setups " in *" haproxy "*)
	command -v haproxy >/dev/null || { echo "run-gw-bench.sh: haproxy not installed (scripts/deps.sh)" >&2; exit 1; } ;;
esac
command -v python3 >/dev/null || { echo "run-gw-bench.sh: needs python3" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/riskgw-gwbench-XXXXXX")
PIDS=
stop() { # stop PID: TERM, then KILL after 2 s
	local p=$1 i=0
	kill "$p" 2>/dev/null || return 0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	if [ -n "$keep" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

cpu_router= cpu_mid=
if [ -n "$pin" ]; then
	[ "$(nproc)" -ge 2 ] || { echo "run-gw-bench.sh: --no-pin on one CPU" >&2; exit 1; }
	cpu_router="taskset -c 0" cpu_mid="taskset -c 1"
fi

wait_file() { # wait_file FILE PATTERN SECONDS
	local n=$(( $3 * 20 ))
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || { echo "run-gw-bench.sh: no '$2' in $1" >&2; cat "$1" >&2 || true; exit 1; }
		sleep 0.05
	done
}
cputicks() { # utime + stime of PID, in clock ticks
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
freeport() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
HZ=$(getconf CLK_TCK)

# ---- the PKI, the parents and rules.mdb (all checks on) ------------------
PKI=$T/pki
sh "$src/certs/mkcerts.sh" "$PKI" 1 >"$T/mkcerts.log" 2>&1 || { cat "$T/mkcerts.log"; exit 1; }
cat "$PKI/riskgwd.crt" "$PKI/riskgwd.key" >"$T/relay.pem"   # haproxy: cert + key in one file
chmod 600 "$T/relay.pem"
NPAR=200
# 200 parents over 4 accounts and 12 symbols, each far larger than a run so
# that a correct router never runs out: 10^8 shares, 100-share children
"$ROUTER" --gen-parents $NPAR --seed 1 --write-parents "$T/gen.csv" >/dev/null 2>&1
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next }
    { $5 = 100000000; $7 = "20000000000"; $8 = 50000; $9 = "qty|notional|rate"; print }' \
    "$T/gen.csv" >"$T/parents.csv"
R=$T/rules.mdb
ctl() { "$CTL" -f "$R" "$@" --who bench --reason gwbench >/dev/null; }
"$CTL" -f "$R" init >/dev/null
ctl parents import-csv "$T/parents.csv"
ctl limit set global "" order_qty 10000
ctl limit set global "" order_notional 1000000
ctl limit set global "" collar_bps 500
ctl limit set global "" account_notional 100000000000
ctl limit set global "" parent_notional 20000000000
ctl limit set global "" parent_rate 50000
for s in $(awk -F, 'NR > 1 { print $3 }' "$T/parents.csv" | sort -u); do
	ctl refpx set "$s" 100
done

write_conf() { # write_conf SYNC VPORT
	cat >"$T/gw.conf" <<CONF
[gateway]
listen = 127.0.0.1:0
cert = $PKI/riskgwd.crt
key = $PKI/riskgwd.key
client-ca = $PKI/ca.crt
journal = $T/journal.mdb
rules = $R
control = $T/control.sock
sync-commit = $1
$([ "$1" = no ] && [ -n "${GWBENCH_PREALLOC-512}" ] && echo "journal-prealloc = ${GWBENCH_PREALLOC-512}")
max-orders = 2000000
logon-timeout = 10

[route r1]
fix-version = FIX.4.4
router-comp-id = ROUTER1
gateway-comp-id = RISKGW
router-identity = router1
venue = 127.0.0.1:$2
venue-name = localhost
venue-ca = $PKI/ca.crt
venue-cert = $PKI/riskgwd.crt
venue-key = $PKI/riskgwd.key
venue-sender-comp-id = RGW1
venue-target-comp-id = VENUE
parent-tag = 583
allow-msg-types = D F G
heartbeat = 30
CONF
}

write_haproxy() { # write_haproxy PORT VPORT
	cat >"$T/haproxy.cfg" <<CONF
global
	nbthread 1
	maxconn 64
	ssl-default-bind-options ssl-min-ver TLSv1.3
	ssl-default-server-options ssl-min-ver TLSv1.3
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
frontend routers
	bind 127.0.0.1:$1 ssl crt $T/relay.pem ca-file $PKI/ca.crt verify required
	default_backend venue
backend venue
	server venue 127.0.0.1:$2 ssl verify required ca-file $PKI/ca.crt crt $T/relay.pem sni str(localhost)
CONF
}

# ---- one measurement -----------------------------------------------------
# run1 REP SETUP TEST ARGS...: fresh venue-sim and middle process, one
# router-sim run; appends a line to $T/raw.tsv.
printf 'rep\tsetup\ttest\tload1\torders_per_s\tp50_us\tp99_us\tp999_us\tmid_cpu_us_per_order\tsent\tacks\trejects\tno_answer\treject_reasons\n' >"$T/raw.tsv"
run1() {
	local rep=$1 setup=$2 test=$3
	shift 3
	local vpid mpid= port target=VENUE c0 c1 load
	rm -f "$T/v.port" "$T/gw.port" "$T"/journal.mdb* "$T/gw.log"
	$cpu_router "$VENUE" --cert "$PKI/venue.crt" --key "$PKI/venue.key" --ca "$PKI/ca.crt" \
	    --listen 127.0.0.1:0 --port-file "$T/v.port" --quiet --fill full \
	    >"$T/venue.out" 2>"$T/venue.err" &
	vpid=$!
	PIDS="$PIDS $vpid"
	wait_file "$T/v.port" . 10
	local vport
	vport=$(cat "$T/v.port")
	case $setup in
	direct)
		port=$vport ;;
	haproxy)
		port=$(freeport)
		write_haproxy "$port" "$vport"
		$cpu_mid haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
		mpid=$!
		PIDS="$PIDS $mpid"
		local n=100
		while ! ss -ltnH "sport = :$port" | grep -q .; do
			n=$((n - 1)); [ $n -gt 0 ] || { cat "$T/haproxy.log" >&2; exit 1; }
			sleep 0.05
		done ;;
	gw-async|gw-sync|gw-base|gw-alt[1-9])
		[ "$setup" = gw-sync ] && write_conf yes "$vport" || write_conf no "$vport"
		local gwd=$GWD
		[ "$setup" = gw-base ] && gwd=${GWBENCH_BASE_GWD:?gw-base needs GWBENCH_BASE_GWD}
		case $setup in gw-alt*)
			eval "gwd=\${GWBENCH_ALT${setup#gw-alt}:?$setup needs GWBENCH_ALT${setup#gw-alt}}" ;;
		esac
		$cpu_mid ${GWBENCH_GW_WRAP:-} "$gwd" -d -P "$T/gw.port" -c "$T/gw.conf" 2>"$T/gw.log" &
		mpid=$!
		PIDS="$PIDS $mpid"
		wait_file "$T/gw.port" . 60
		wait_file "$T/gw.log" "logged on to" 60
		port=$(cat "$T/gw.port")
		target=RISKGW ;;
	esac
	load=$(cut -d' ' -f1 /proc/loadavg)
	[ -n "${GWBENCH_PIDFILE:-}" ] && echo "${mpid:-}" >"$GWBENCH_PIDFILE"
	[ -n "$mpid" ] && c0=$(cputicks "$mpid")
	local perfpid=
	if [ -n "${GWBENCH_PERF:-}" ] && [ -n "$mpid" ]; then # profile the middle process
		perf record -q -e cpu-clock -g -p "$mpid" -o "$GWBENCH_PERF/perf-$setup-$test-$rep.data" \
		    >/dev/null 2>&1 &
		perfpid=$!
		PIDS="$PIDS $perfpid"
		sleep 0.3
	fi
	$cpu_router "$ROUTER" --connect "127.0.0.1:$port" --server-name localhost \
	    --ca "$PKI/ca.crt" --cert "$PKI/router1.crt" --key "$PKI/router1.key" \
	    --sender ROUTER1 --target "$target" --fix 4.4 --parents "$T/parents.csv" \
	    --child-qty 100 --max-orders 1048576 --quiet --json "$@" \
	    >"$T/router.json" 2>"$T/router.txt" || {
		# An overloaded run (a peer closed as too slow, the session
		# lost) is a result, not a reason to lose the others: it goes
		# into the table as a row without figures, marked (!).
		echo "run-gw-bench.sh: router-sim failed ($setup $test)" >&2
		cat "$T/router.txt" >&2
		[ -f "$T/gw.log" ] && tail -20 "$T/gw.log" >&2
		[ -n "$perfpid" ] && { kill -INT "$perfpid"; wait "$perfpid" || true; }
		[ -n "$mpid" ] && stop "$mpid"
		stop "$vpid"
		[ -f "$T/gw.log" ] && cp "$T/gw.log" "$T/gw-$setup-$test-$rep.log"
		local sent acks rej noans
		sent=$(sed -n 's/^router-sim: sent \([0-9]*\) orders.*/\1/p' "$T/router.txt")
		acks=$(sed -n 's/^router-sim: acks \([0-9]*\),.*/\1/p' "$T/router.txt")
		rej=$(sed -n 's/.* rejects \([0-9]*\),.*/\1/p' "$T/router.txt" | head -1)
		noans=$(sed -n 's/.*no answer \([0-9]*\).*/\1/p' "$T/router.txt" | head -1)
		printf '%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\t%s\t%s\t%s\t%s\t{"router-sim failed":1}\n' \
		    "$rep" "$setup" "$test" "$load" "${sent:-0}" "${acks:-0}" "${rej:-0}" \
		    "${noans:-0}" >>"$T/raw.tsv"
		tail -n 1 "$T/raw.tsv" >&2
		return 0
	}
	[ -n "$mpid" ] && c1=$(cputicks "$mpid")
	if [ -n "$perfpid" ]; then kill -INT "$perfpid"; wait "$perfpid" || true; fi
	[ -n "$mpid" ] && stop "$mpid"
	stop "$vpid"
	[ -f "$T/gw.log" ] && cp "$T/gw.log" "$T/gw-$setup-$test-$rep.log"
	python3 - "$T/router.json" "$rep" "$setup" "$test" "$load" "${c0:-}" "${c1:-}" "$HZ" \
	    >>"$T/raw.tsv" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
rep, setup, test, load, c0, c1, hz = sys.argv[2:9]
lat = j["latency_us"]
acks = j["acks"]
cpu = "-"
if c0 and c1 and acks:
    cpu = "%.2f" % ((int(c1) - int(c0)) * 1e6 / int(hz) / acks)
print("\t".join(str(x) for x in [rep, setup, test, load, "%.0f" % j["orders_per_s"],
      lat["p50"], lat["p99"], lat["p99.9"], cpu, j["sent"], acks, j["rejects"],
      j["no_answer"], json.dumps(j.get("reject_reasons", {}), separators=(",", ":"))]))
PY
	tail -n 1 "$T/raw.tsv" >&2
}

echo "run-gw-bench.sh: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
     "pin=${pin:-no}, reps=$reps, count=$count, rates=[$rates] x ${dur}s, $(haproxy -v 2>/dev/null | head -1 | cut -d' ' -f1-3)" >&2
echo "run-gw-bench.sh: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
[ -z "$table" ] && for rep in $(seq 1 "$reps"); do
	for s in $setups; do
		run1 "$rep" "$s" tput --window 64 --count "$count" --drain-ms 3000
	done
	for r in $rates; do
		for s in $setups; do
			run1 "$rep" "$s" "r$r" --rate "$r" --duration "$dur" --drain-ms 3000 $busy
		done
	done
done
[ -n "$raw" ] && cp "$T/raw.tsv" "$raw"

# ---- the table: medians over the repetitions ----------------------------
summary() {
python3 - "$1" "$setups" "$rates" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
setups = sys.argv[2].split()
rates = sys.argv[3].split()
def med(setup, test, key):
    v = [float(r[key]) for r in rows if r["setup"] == setup and r["test"] == test and r[key] not in ("-", "")]
    return statistics.median(v) if v else None
def rng(setup, test, key):
    v = [float(r[key]) for r in rows if r["setup"] == setup and r["test"] == test and r[key] not in ("-", "")]
    return (min(v), max(v)) if v else None
def f(x, nd=0):
    if x is None:
        return "-"
    return "{:,.{}f}".format(x, nd)
reps = len({r["rep"] for r in rows})
loads = [float(r["load1"]) for r in rows]
print()
print("medians of %d repetitions; load average (1 min) during the runs: %.1f to %.1f (median %.1f)"
      % (reps, min(loads), max(loads), statistics.median(loads)))
print()
hdr = ["setup", "max orders/s (window 64)", "middle CPU us/order"]
for r in rates:
    hdr.append("%sk/s p50 / p99 / p99.9 us" % (int(r) // 1000))
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for s in setups:
    line = [s, f(med(s, "tput", "orders_per_s")), f(med(s, "tput", "mid_cpu_us_per_order"), 2)]
    for r in rates:
        t = "r" + r
        sat = any(x["setup"] == s and x["test"] == t and
                  (x["rejects"] != "0" or x["no_answer"] != "0" or x["acks"] != x["sent"]) for x in rows)
        line.append("%s / %s / %s%s" % (f(med(s, t, "p50_us")), f(med(s, t, "p99_us")),
                                         f(med(s, t, "p999_us")), " (!)" if sat else ""))
    print("| " + " | ".join(line) + " |")
print()
if any(r["rejects"] != "0" or r["no_answer"] != "0" or r["acks"] != r["sent"] for r in rows):
    print("(!): in at least one repetition not every order was acknowledged (rejects or no answer: see the warnings)")
print()
hdr = ["middle CPU us/order (utime+stime)", "window 64"] + ["%sk/s" % (int(r) // 1000) for r in rates]
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for s in setups:
    if s == "direct":
        continue
    print("| " + " | ".join([s, f(med(s, "tput", "mid_cpu_us_per_order"), 1)] +
                            [f(med(s, "r" + r, "mid_cpu_us_per_order"), 1) for r in rates]) + " |")
print()
# the issue's targets, per repetition (same run) and on the medians
if "haproxy" in setups:
    for g in [s for s in setups if s.startswith("gw-")]:
        for rep in sorted({r["rep"] for r in rows}, key=int):
            def one(s, t, k):
                v = [float(r[k]) for r in rows if r["rep"] == rep and r["setup"] == s and r["test"] == t
                     and r[k] not in ("-", "")]
                return v[0] if v else None
            gt, ht = one(g, "tput", "orders_per_s"), one("haproxy", "tput", "orders_per_s")
            g99, h99 = one(g, "r25000", "p99_us"), one("haproxy", "r25000", "p99_us")
            parts = []
            if gt and ht:
                parts.append("throughput %.2fx haproxy (target >= 0.8)" % (gt / ht))
            if g99 and h99:
                parts.append("p99 at 25k/s %.2fx haproxy (target <= 1.5)" % (g99 / h99))
            print("rep %s %s: %s" % (rep, g, ", ".join(parts)))
        gt, ht = med(g, "tput", "orders_per_s"), med("haproxy", "tput", "orders_per_s")
        g99, h99 = med(g, "r25000", "p99_us"), med("haproxy", "r25000", "p99_us")
        if gt and ht and g99 and h99:
            ok = gt >= 0.8 * ht and g99 <= 1.5 * h99
            print("medians %s: throughput %.2fx, p99 at 25k/s %.2fx haproxy: targets %s"
                  % (g, gt / ht, g99 / h99, "MET" if ok else "NOT MET"))
bad = [r for r in rows if r["rejects"] != "0" or r["no_answer"] != "0"]
for r in bad:
    print("warning: rep %s %s %s: %s acks of %s sent, %s rejects %s, %s with no answer"
          % (r["rep"], r["setup"], r["test"], r["acks"], r["sent"], r["rejects"],
             r.get("reject_reasons", ""), r["no_answer"]))
PY
}
summary "${table:-$T/raw.tsv}"
