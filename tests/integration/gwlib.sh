# gwlib.sh - sourced by the riskgwd integration tests after lib.sh: a dev
# PKI, a rules.mdb with parents, venue-sim, riskgwd and router-sim on
# loopback with ephemeral ports, every process killed by its PID on exit.

GWD="$top_builddir/riskgwd"
CTL="$top_builddir/riskgwctl"
VENUE="$top_builddir/tests/sim/venue-sim"
ROUTER="$top_builddir/tests/sim/router-sim"
for b in "$GWD" "$CTL" "$VENUE" "$ROUTER"; do
	[ -x "$b" ] || hard_error "$b not built"
done
command -v openssl >/dev/null || exit 77

PIDS=
cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP_T:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

# On a failure, what riskgwd logged.
on_fail() {
	if [ -f "$T/gw.log" ]; then
		echo "--- riskgwd log (last 40 lines)"
		tail -n 40 "$T/gw.log"
	fi
}

PKI="$T/pki"
sh "$top_srcdir/certs/mkcerts.sh" "$PKI" 3 >"$T/mkcerts.log" 2>&1 ||
	{ cat "$T/mkcerts.log"; hard_error "mkcerts.sh failed"; }

# jnum FILE KEY: the first number of "KEY":N in FILE.
jnum() {
	sed -n "s/.*\"$2\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}

expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# ctl ARGS...: riskgwctl on riskgwd's control socket (write_conf's), its
# output in $T/out and $T/err.
CTL_SOCK="$T/control.sock"
ctl() {
	"$CTL" -s "$CTL_SOCK" "$@" >"$T/out" 2>"$T/err"
}

# pjson EXPR: evaluates a python expression over the JSON in $T/out (j).
pjson() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$T/out" "$1"
}

# venue_stat KEY WANT [SECONDS]: asks venue-sim ($VPID) for its stats until
# the counter KEY is WANT (fails after SECONDS, default 10).
venue_stat() {
	n=$(( ${3:-10} * 5 ))
	while :; do
		kill -USR2 "$VPID"
		sleep 0.2
		got=$(jnum "$VSTATS" "$1")
		[ "$got" = "$2" ] && return 0
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "venue $1: got '$got', expected '$2'"
	done
}

# wait_for FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN.
wait_for() {
	n=$(( ${3:-10} * 10 ))
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || { echo "--- $1" >&2; cat "$1" >&2; fail "no '$2' in $1"; }
		sleep 0.1
	done
}

# rules_setup PARENTS: a rules.mdb with PARENTS generated parents for each
# router (router 1's in $T/parents1.csv, ids P..., router 2's in
# $T/parents2.csv, ids Q...) and global limits.
rules_setup() {
	"$CTL" -f "$T/rules.mdb" init >/dev/null || hard_error "riskgwctl init"
	"$ROUTER" --gen-parents "$1" --seed 1 --sender ROUTER1 --write-parents "$T/parents1.csv" \
	    >/dev/null 2>&1 || hard_error "router-sim --write-parents"
	"$ROUTER" --gen-parents "$1" --seed 2 --sender ROUTER2 --write-parents "$T/p2.csv" \
	    >/dev/null 2>&1 || hard_error "router-sim --write-parents"
	sed 's/^P/Q/' "$T/p2.csv" >"$T/parents2.csv"
	for f in parents1 parents2; do
		"$CTL" -f "$T/rules.mdb" parents import-csv --who test --reason setup "$T/$f.csv" \
		    >/dev/null || hard_error "parents import $f"
	done
	"$CTL" -f "$T/rules.mdb" limit set global "" order_qty 100000 --who test --reason setup \
	    >/dev/null || hard_error "limit set"
}

# start_venue NAME ARGS...: venue-sim on an ephemeral port: VPID, VPORT, VSTATS.
start_venue() {
	vname=$1
	shift
	VSTATS="$T/$vname.json"
	rm -f "$T/$vname.port"
	"$VENUE" --cert "$PKI/venue.crt" --key "$PKI/venue.key" --ca "$PKI/ca.crt" \
	    --listen 127.0.0.1:0 --port-file "$T/$vname.port" --stats-file "$VSTATS" --quiet \
	    "$@" >"$T/$vname.out" 2>"$T/$vname.err" &
	VPID=$!
	PIDS="$PIDS $VPID"
	wait_for "$T/$vname.port" . 10
	VPORT=$(cat "$T/$vname.port")
}

# write_conf [ROUTE-EXTRA]: $T/gw.conf for venue port $VPORT (GW_EXTRA: lines
# for the [gateway] section), two routes:
# r44 (FIX 4.4, ROUTER1, router1's certificate, parent tag 583, passed on so
# that the venue counts per parent) and r42 (FIX 4.2, ROUTER2, router2's
# certificate, parent tag 5001, stripped). ROUTE-EXTRA lines go into both.
write_conf() {
	cat >"$T/gw.conf" <<CONF
[gateway]
listen = 127.0.0.1:0
cert = $PKI/riskgwd.crt
key = $PKI/riskgwd.key
client-ca = $PKI/ca.crt
journal = $T/journal.mdb
rules = $T/rules.mdb
control = $T/control.sock
sync-commit = no
max-orders = 100000
logon-timeout = 5
${GW_EXTRA:-}

[route r44]
fix-version = FIX.4.4
router-comp-id = ROUTER1
gateway-comp-id = RISKGW
router-identity = router1
venue = 127.0.0.1:$VPORT
venue-name = localhost
venue-ca = $PKI/ca.crt
venue-cert = $PKI/riskgwd.crt
venue-key = $PKI/riskgwd.key
venue-sender-comp-id = RGW44
venue-target-comp-id = VENUE
parent-tag = 583
heartbeat = 5
${1:-}

[route r42]
fix-version = FIX.4.2
router-comp-id = ROUTER2
gateway-comp-id = RISKGW
router-identity = router2
venue = 127.0.0.1:$VPORT
venue-name = localhost
venue-ca = $PKI/ca.crt
venue-cert = $PKI/riskgwd.crt
venue-key = $PKI/riskgwd.key
venue-sender-comp-id = RGW42
venue-target-comp-id = VENUE
parent-tag = 5001
strip-tags = 5001
heartbeat = 5
${1:-}
CONF
}

# start_gw: riskgwd in the foreground on an ephemeral port: GPID, GPORT,
# its log in $T/gw.log (appended across restarts). Waits until both venue
# sessions are logged on.
start_gw() {
	rm -f "$T/gw.port"
	# GWD_WRAP: a command riskgwd runs under (e.g. unshare for a clock)
	${GWD_WRAP:-} "$GWD" -d -P "$T/gw.port" -c "$T/gw.conf" 2>>"$T/gw.log" &
	GPID=$!
	PIDS="$PIDS $GPID"
	wait_for "$T/gw.port" . 15
	GPORT=$(cat "$T/gw.port")
	if [ "${1:-wait}" = wait ]; then
		n=0
		while [ "$(grep -c 'venue: logged on' "$T/gw.log")" -lt $((GW_LOGONS + 2)) ]; do
			n=$((n + 1))
			[ "$n" -lt 100 ] || { cat "$T/gw.log" >&2; fail "venue sessions did not log on"; }
			sleep 0.1
		done
		GW_LOGONS=$((GW_LOGONS + 2))
	fi
}
GW_LOGONS=0

# router N ARGS...: router-sim as router N (1: r44/FIX 4.4, 2: r42/FIX 4.2)
# against riskgwd; its text report in $T/router.txt, JSON in $T/router.json.
# router_bg N ARGS...: the same in the background, its PID in RPID.
router_args() {
	rn=$1
	fix=4.4
	[ "$rn" = 2 ] && fix=4.2
	RARGS="--connect 127.0.0.1:$GPORT --server-name localhost --ca $PKI/ca.crt \
	    --cert $PKI/router$rn.crt --key $PKI/router$rn.key --sender ROUTER$rn \
	    --target RISKGW --fix $fix --parents $T/parents$rn.csv --id-prefix R$rn- --json"
}
router() {
	router_args "$1"
	shift
	"$ROUTER" $RARGS "$@" >"$T/router.json" 2>"$T/router.txt"
}
router_bg() {
	router_args "$1"
	shift
	# emptied here, not only by the child's redirections: a wait_for on
	# router.txt right after this must not find the last run's lines
	: >"$T/router.json"
	: >"$T/router.txt"
	"$ROUTER" $RARGS "$@" >"$T/router.json" 2>"$T/router.txt" &
	RPID=$!
	PIDS="$PIDS $RPID"
}
