# simlib.sh - sourced by the demos (demo.sh, knight.sh): a temp dir, a dev
# PKI, a riskgwd config with one route per router, riskgwd, venue-sim and
# router-sim on loopback, every process ended by its PID at exit.
# Needs B (the build directory) and SRC (the source tree) set.

T=$(mktemp -d "${TMPDIR:-/tmp}/riskgw-demo-XXXXXX") || exit 1
PIDS=
KEEP=${KEEP:-}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	if [ -n "$KEEP" ]; then echo "demo files kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
STOP=
trap 'STOP=1' INT TERM

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

CTL="$B/riskgwctl -f $T/rules.mdb"

# mk_pki ROUTERS: the dev CA, riskgwd, venue and ROUTERS router certificates
mk_pki() {
	sh "$SRC/certs/mkcerts.sh" "$T/pki" "$1" >/dev/null 2>&1 || die "mkcerts.sh failed"
}

# start_venue ARGS...: venue-sim on an ephemeral port: VPID, VPORT,
# its stats in $T/venue.json
start_venue() {
	"$B/tests/sim/venue-sim" --cert "$T/pki/venue.crt" --key "$T/pki/venue.key" \
	    --ca "$T/pki/ca.crt" --listen 127.0.0.1:0 --port-file "$T/venue.port" \
	    --stats-file "$T/venue.json" --quiet "$@" >"$T/venue.out" 2>&1 &
	VPID=$!
	PIDS="$PIDS $VPID"
	n=0
	while [ ! -s "$T/venue.port" ]; do
		n=$((n + 1)); [ $n -lt 100 ] || die "venue-sim did not start"; sleep 0.1
	done
	VPORT=$(cat "$T/venue.port")
}

# gw_head [EXTRA]: the [gateway] section (EXTRA: more lines)
gw_head() {
	cat <<EOF
[gateway]
listen = 127.0.0.1:0
cert = $T/pki/riskgwd.crt
key = $T/pki/riskgwd.key
client-ca = $T/pki/ca.crt
journal = $T/journal.mdb
rules = $T/rules.mdb
control = $T/control.sock
sync-commit = yes
max-orders = 1000000
${1:-}
EOF
}

# route NAME FIX ROUTER-N PARENT-TAG [STRIP]: one [route] section
route() {
	cat <<EOF

[route $1]
fix-version = $2
router-comp-id = ROUTER$3
gateway-comp-id = RISKGW
router-identity = router$3
venue = 127.0.0.1:$VPORT
venue-name = localhost
venue-ca = $T/pki/ca.crt
venue-cert = $T/pki/riskgwd.crt
venue-key = $T/pki/riskgwd.key
venue-sender-comp-id = RGW$3
venue-target-comp-id = VENUE
parent-tag = $4
${5:+strip-tags = $5}
EOF
}

# start_gw ROUTES: riskgwd with $T/riskgwd.conf, until its ROUTES venue
# sessions are logged on: GPID, GPORT; its log in $T/riskgwd.log (appended)
start_gw() {
	"$B/riskgwd" -n -c "$T/riskgwd.conf" >/dev/null || die "configuration"
	rm -f "$T/gw.port"
	before=$(grep -c 'venue: logged on' "$T/riskgwd.log" 2>/dev/null) || before=0
	"$B/riskgwd" -d -P "$T/gw.port" -c "$T/riskgwd.conf" 2>>"$T/riskgwd.log" &
	GPID=$!
	PIDS="$PIDS $GPID"
	n=0
	# The log may not exist yet (the shell opens it in the background job):
	# grep then prints nothing, which counts as 0.
	while on=$(grep -c 'venue: logged on' "$T/riskgwd.log" 2>/dev/null); [ "${on:-0}" -lt $((before + $1)) ]; do
		n=$((n + 1)); [ $n -lt 150 ] || { cat "$T/riskgwd.log"; die "riskgwd did not log on to the venue"; }
		sleep 0.1
	done
	GPORT=$(cat "$T/gw.port")
}

# router N FIX ARGS...: router-sim N in the background (RPIDn), parents from
# $T/parentsN.csv, its JSON report in $T/routerN.json
router() {
	rn=$1 fix=$2
	shift 2
	"$B/tests/sim/router-sim" --connect "127.0.0.1:$GPORT" --server-name localhost \
	    --ca "$T/pki/ca.crt" --cert "$T/pki/router$rn.crt" --key "$T/pki/router$rn.key" \
	    --sender "ROUTER$rn" --target RISKGW --fix "$fix" --parents "$T/parents$rn.csv" \
	    --id-prefix "C$rn-" --json --quiet "$@" \
	    >"$T/router$rn.json" 2>"$T/router$rn.txt" &
	PIDS="$PIDS $!"
	eval "RPID$rn=$!"
}

# stop_routers N...: SIGINT to the given routers (they log out and report), then wait
stop_routers() {
	for n in "$@"; do
		eval p=\${RPID$n:-}
		[ -n "$p" ] && kill -INT "$p" 2>/dev/null
	done
	for n in "$@"; do
		eval p=\${RPID$n:-}
		[ -n "$p" ] && wait "$p" 2>/dev/null
	done
}

# ctl ARGS...: riskgwctl against riskgwd's control socket
ctl() {
	"$B/riskgwctl" -s "$T/control.sock" "$@"
}
