#!/bin/sh
# interop_quickfix.sh - riskgwd against an independent FIX engine: QuickFIX
# C++ (Debian's libquickfix-dev 1.15.1) plays both the order router and the
# venue, with QuickFIX's own TLS (its library is built with OpenSSL; no
# stunnel): the routers log on with client certificates (mutual TLS), the
# venue requires riskgwd's client certificate.
#
#   qf_venue   a QuickFIX acceptor: acks and half-fills every order, answers
#              cancels and replaces, records every message it accepted
#   riskgwd    the binary built in this tree, two routes: FIX 4.4 (parent in
#              ClOrdLinkID 583, stripped) and FIX 4.2 (parent in user-defined
#              tag 5001, passed to the venue)
#   qf_router  a QuickFIX initiator, run five times: FIX 4.4, FIX 4.2 (a
#              breach that only rejects), FIX 4.2 again with a sequence gap
#              each way; riskgwd is restarted (its FIX 4.2 venue session
#              has venue-reset-on-logon: it logs on with 141=Y and 34=1, the
#              FIX 4.4 one goes on with its numbers); FIX 4.2 once more,
#              then FIX 4.4 again on the same session day with a parent
#              whose breach trips the kill switch
#
# Both QuickFIX ends validate what riskgwd sends with a data dictionary
# (tests/interop/FIX4x-riskgw.xml: Debian ships no FIX spec files, so these
# are the messages and fields this flow uses, transcribed from the FIX 4.2
# and 4.4 specifications): required fields, field formats and enumerated
# values, header/body/trailer order, besides BodyLength, CheckSum, CompIDs,
# SendingTime and MsgSeqNum, which QuickFIX always checks.
#
# Skips (77) when configure did not find QuickFIX, so the tools were not
# built; scripts/deps.sh installs libquickfix-dev, so in CI it runs.
. "$(dirname "$0")/lib.sh"

QF_ROUTER="$top_builddir/tests/interop/qf_router"
QF_VENUE="$top_builddir/tests/interop/qf_venue"
GW="$top_builddir/riskgwd"
CTL="$top_builddir/riskgwctl"
MKCERTS="$top_srcdir/certs/mkcerts.sh"
DICT42="$top_srcdir/tests/interop/FIX42-riskgw.xml"
DICT44="$top_srcdir/tests/interop/FIX44-riskgw.xml"

if [ ! -x "$QF_ROUTER" ] || [ ! -x "$QF_VENUE" ]; then
	echo "SKIP: QuickFIX tools not built (configure did not find libquickfix-dev with TLS)"
	exit 77
fi
[ -x "$GW" ] || hard_error "$GW not built"
[ -x "$CTL" ] || hard_error "$CTL not built"
command -v openssl >/dev/null 2>&1 || hard_error "openssl not installed"

# ---- processes: only the ones started here, killed by PID ---------------------
VENUE_PID=
GW_PID=
ROUTER_PID=
cleanup() {
	for p in $ROUTER_PID $GW_PID $VENUE_PID; do
		kill "$p" 2>/dev/null
	done
	for p in $ROUTER_PID $GW_PID $VENUE_PID; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

# dump: the logs, for a failure
dump() {
	for f in "$T"/*.out "$T"/gw.log "$T"/venue.rec; do
		[ -f "$f" ] || continue
		echo "----- $f" >&2
		tail -n 60 "$f" >&2
	done
}
die() {
	dump
	fail "$*"
}

# wait_grep SECONDS PATTERN FILE
wait_grep() {
	i=0
	while [ "$i" -lt $(($1 * 10)) ]; do
		grep -q -- "$2" "$3" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ---- PKI: the dev PKI, plus RSA certificates for the QuickFIX ends ------------
# QuickFIX 1.15.1 loads only RSA and DSA certificates and keys (its
# typeofSSLAlgo() knows no EC), and mkcerts.sh makes EC P-256 keys; so the
# QuickFIX router and venue get RSA keys signed by the same dev CA, with the
# same extensions as mkcerts.sh gives them. riskgwd keeps its EC certificate.
P="$T/pki"
sh "$MKCERTS" "$P" 2 >"$T/mkcerts.out" 2>&1 || { cat "$T/mkcerts.out" >&2; hard_error "mkcerts.sh failed"; }
rsa_cert() { # NAME CN EXT
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$P/$1-rsa.key" 2>/dev/null &&
	    chmod 600 "$P/$1-rsa.key" &&
	    openssl req -new -key "$P/$1-rsa.key" -subj "/O=riskgw dev/CN=$2" -out "$P/$1-rsa.csr" &&
	    printf '%s\n' "$3" >"$P/$1-rsa.ext" &&
	    openssl x509 -req -in "$P/$1-rsa.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$P/$1-rsa.ext" \
		-out "$P/$1-rsa.crt" 2>/dev/null ||
	    hard_error "cannot make the RSA certificate $1"
}
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'
rsa_cert router1 router1 "$client_ext"
rsa_cert router2 router2 "$client_ext"
rsa_cert venue localhost "$server_ext"

# ---- rules.mdb: three parents --------------------------------------------------
W="--who interop --reason interop-test"
ctl() {
	"$CTL" -f "$T/rules.mdb" "$@" >>"$T/ctl.out" 2>&1 || { cat "$T/ctl.out" >&2; hard_error "riskgwctl $*"; }
}
ctl init
ctl parent set P44 ACC1 IBM buy 1000 trip=none $W   # FIX 4.4 run: breach rejects only
ctl parent set P42 ACC1 IBM buy 1000 trip=none $W   # FIX 4.2 run: breach rejects only
ctl parent set P44K ACC1 IBM buy 300 $W             # kill run: breach trips (the default)

# ---- ports, config -------------------------------------------------------------
ports=$("$QF_VENUE" --free-ports 2) || hard_error "no free ports"
GW_PORT=$(echo "$ports" | sed -n 1p)
VENUE_PORT=$(echo "$ports" | sed -n 2p)
[ -n "$GW_PORT" ] && [ -n "$VENUE_PORT" ] || hard_error "no free ports: $ports"

cat >"$T/riskgwd.conf" <<EOF
[gateway]
listen = 127.0.0.1:$GW_PORT
cert = $P/riskgwd.crt
key = $P/riskgwd.key
client-ca = $P/ca.crt
journal = $T/journal.mdb
rules = $T/rules.mdb
control = $T/control.sock
log-level = debug
sync-commit = no
max-orders = 10000
logon-timeout = 10

[route router1]
fix-version = FIX.4.4
router-comp-id = ROUTER1
gateway-comp-id = RISKGW
router-identity = router1
venue = 127.0.0.1:$VENUE_PORT
venue-name = localhost
venue-ca = $P/ca.crt
venue-cert = $P/riskgwd.crt
venue-key = $P/riskgwd.key
venue-sender-comp-id = RISKGW1
venue-target-comp-id = VENUE
parent-tag = 583
strip-tags = 583
allow-msg-types = D F G
heartbeat = 30

[route router2]
fix-version = FIX.4.2
router-comp-id = ROUTER2
gateway-comp-id = RISKGW
router-identity = router2
venue = 127.0.0.1:$VENUE_PORT
venue-name = localhost
venue-ca = $P/ca.crt
venue-cert = $P/riskgwd.crt
venue-key = $P/riskgwd.key
venue-sender-comp-id = RISKGW2
venue-target-comp-id = VENUE
parent-tag = 5001
allow-msg-types = D F G
heartbeat = 30
venue-reset-on-logon = yes
EOF
"$GW" -n -c "$T/riskgwd.conf" >"$T/check.out" 2>&1 || { cat "$T/check.out" >&2; hard_error "riskgwd -n"; }

# ---- start the venue, then riskgwd ----------------------------------------------
"$QF_VENUE" --port "$VENUE_PORT" --comp-id VENUE --sessions FIX.4.4:RISKGW1,FIX.4.2:RISKGW2 \
    --cert "$P/venue-rsa.crt" --key "$P/venue-rsa.key" --ca "$P/ca.crt" \
    --dict-4.4 "$DICT44" --dict-4.2 "$DICT42" \
    --record "$T/venue.rec" --log "$T/venue-fix.log" >"$T/venue.out" 2>&1 &
VENUE_PID=$!
wait_grep 10 'listening' "$T/venue.out" || die "qf_venue did not start"

"$GW" -d -c "$T/riskgwd.conf" >"$T/gw.log" 2>&1 &
GW_PID=$!
wait_grep 15 'FIX.4.4:VENUE->RISKGW1 logged on' "$T/venue.out" || die "riskgwd did not log on to the FIX 4.4 venue session"
wait_grep 15 'FIX.4.2:VENUE->RISKGW2 logged on' "$T/venue.out" || die "riskgwd did not log on to the FIX 4.2 venue session"

# ---- the routers -----------------------------------------------------------------
# run_router NAME ARGS...: qf_router with the common options; its output in
# $T/NAME.out (and shown in the test log)
run_router() {
	name=$1
	shift
	"$QF_ROUTER" --port "$GW_PORT" --target RISKGW --ca "$P/ca.crt" \
	    --dict-4.4 "$DICT44" --dict-4.2 "$DICT42" --log "$T/$name-fix.log" "$@" \
	    >"$T/$name.out" 2>&1 &
	ROUTER_PID=$!
	wait "$ROUTER_PID"
	rc=$?
	ROUTER_PID=
	echo "===== qf_router $name (exit $rc)"
	cat "$T/$name.out"
	[ "$rc" -eq 0 ] || die "qf_router $name exited $rc"
}

mkdir -p "$T/store"
run_router fix44 --fix 4.4 --sender ROUTER1 --cert "$P/router1-rsa.crt" \
    --key "$P/router1-rsa.key" --parent P44 --parent-tag 583 --prefix C44 \
    --orders 5 --qty 100 --breach-qty 600 --store "$T/store"
run_router fix42 --fix 4.2 --sender ROUTER2 --cert "$P/router2-rsa.crt" \
    --key "$P/router2-rsa.key" --parent P42 --parent-tag 5001 --prefix C42 \
    --orders 5 --qty 100 --breach-qty 600 --store "$T/store"
# The same FIX 4.2 session again, with a gap each way: QuickFIX skips three
# MsgSeqNums (riskgwd must ask for them and take QuickFIX's gap fill) and
# forgets the last three messages riskgwd sent (riskgwd must resend them,
# PossDupFlag=Y with OrigSendingTime, gap-filling the admin ones); then one
# child order goes through.
run_router resend42 --fix 4.2 --sender ROUTER2 --cert "$P/router2-rsa.crt" \
    --key "$P/router2-rsa.key" --parent P42 --parent-tag 5001 --prefix R42 \
    --orders 1 --qty 100 --gap-out 3 --gap-in 3 --store "$T/store"
# riskgwd restarted: it logs out of both venue sessions, comes back from its
# journal and logs on again, asking QuickFIX for a reset on the FIX 4.2 one
# only; two more FIX 4.2 children go through on the reset session.
kill -TERM "$GW_PID"
wait "$GW_PID"
rc=$?
GW_PID=
[ "$rc" -eq 0 ] || die "riskgwd exited $rc after SIGTERM (restart)"
logons() { grep -c "$1 logged on" "$T/venue.out"; }
[ "$(logons 'FIX.4.4:VENUE->RISKGW1')" -eq 1 ] && [ "$(logons 'FIX.4.2:VENUE->RISKGW2')" -eq 1 ] ||
    die "the venue saw more than one logon per session before the restart"
"$GW" -d -c "$T/riskgwd.conf" >>"$T/gw.log" 2>&1 &
GW_PID=$!
i=0
until [ "$(logons 'FIX.4.4:VENUE->RISKGW1')" -eq 2 ] && [ "$(logons 'FIX.4.2:VENUE->RISKGW2')" -eq 2 ]; do
	[ "$i" -lt 150 ] || die "riskgwd did not log on to both venue sessions again after its restart"
	sleep 0.1
	i=$((i + 1))
done
run_router reset42 --fix 4.2 --sender ROUTER2 --cert "$P/router2-rsa.crt" \
    --key "$P/router2-rsa.key" --parent P42 --parent-tag 5001 --prefix X42 \
    --orders 2 --qty 100 --store "$T/store"
# The same FIX 4.4 session again (sequence numbers go on from the first run),
# now with a parent whose breach trips the kill switch.
run_router kill44 --fix 4.4 --sender ROUTER1 --cert "$P/router1-rsa.crt" \
    --key "$P/router1-rsa.key" --parent P44K --parent-tag 583 --prefix K44 \
    --orders 2 --qty 100 --breach-qty 200 --kill --store "$T/store"

grep -q 'KILL SWITCH TRIPPED' "$T/gw.log" || die "riskgwd's log does not show the kill switch tripped"

# ---- stop riskgwd (it logs out of the venue), then the venue ------------------
kill -TERM "$GW_PID"
wait "$GW_PID"
rc=$?
GW_PID=
[ "$rc" -eq 0 ] || die "riskgwd exited $rc after SIGTERM"
kill -TERM "$VENUE_PID"
wait "$VENUE_PID"
rc=$?
VENUE_PID=
echo "===== qf_venue (exit $rc)"
cat "$T/venue.out"
[ "$rc" -eq 0 ] || die "qf_venue exited $rc: its session layer found a problem"

# ---- what reached the venue -----------------------------------------------------
# venue.rec: msg BEGIN SENDER SEQ TYPE CLORDID ORIG 583 5001 QTY
rec="$T/venue.rec"
has() { # TYPE CLORDID [SENDER]
	awk -v t="$1" -v c="$2" -v s="${3:-}" \
	    '$1 == "msg" && $5 == t && $6 == c && (s == "" || $3 == s) { f = 1 } END { exit !f }' "$rec"
}
for i in 1 2 3 4 5; do
	has D "C44-$i" RISKGW1 || die "child C44-$i did not reach the venue"
	has D "C42-$i" RISKGW2 || die "child C42-$i did not reach the venue"
done
has D R42-1 RISKGW2 || die "the order after the gap recovery did not reach the venue"
has D X42-1 RISKGW2 || die "the order after the venue session's reset did not reach the venue"
has D K44-1 RISKGW1 && has D K44-2 RISKGW1 || die "the kill run's children did not reach the venue"
# the breaching orders (and the order after the kill) never reached it
for c in C44-6 C42-6 K44-3 K44-4; do
	if awk -v c="$c" '$1 == "msg" && ($6 == c || $7 == c) { f = 1 } END { exit !f }' "$rec"; then
		die "$c reached the venue"
	fi
done
# cancels always pass, also after the kill; the replaces that passed did too
has F C44-7 RISKGW1 && has F C42-7 RISKGW2 && has F K44-5 RISKGW1 || die "a cancel did not reach the venue"
has G C44-8 RISKGW1 && has G C42-8 RISKGW2 || die "a replace did not reach the venue"
for c in C44-9 C42-9 K44-6 K44-7; do
	awk -v c="$c" '$1 == "msg" && $6 == c { f = 1 } END { exit !f }' "$rec" &&
	    die "$c (refused by riskgwd) reached the venue"
done
# route router1 strips 583; route router2 passes the user-defined 5001
awk '$1 == "msg" && $3 == "RISKGW1" && ($5 == "D" || $5 == "G") && $8 != "-" { f = 1 } END { exit !f }' "$rec" &&
    die "ClOrdID 583 reached the venue on the route that strips it"
awk '$1 == "msg" && $3 == "RISKGW2" && $5 == "D" && $9 != "P42" { f = 1 } END { exit !f }' "$rec" &&
    die "tag 5001 did not reach the venue unchanged on route router2"
# the MsgSeqNums the venue accepted from each riskgwd session: 1, 2, 3, ...,
# again from 1 at each Logon with ResetSeqNumFlag (141=Y); RISKGW2 (reset on
# logon) asked for one at both its logons, RISKGW1 at none
for s in RISKGW1:0 RISKGW2:2; do
	awk -v s="${s%:*}" -v want="${s#*:}" '$1 == "msg" && $3 == s {
		if ($5 == "A") { logons++; if ($11 == "Y") { n = 0; resets++ } }
		n++; if ($4 != n) { print "expected " n ", got " $4; bad = 1; exit } }
	    END { if (bad) exit 1
		if (logons != 2 || resets != want) { print logons + 0 " logons, " resets + 0 " with 141=Y, not 2 and " want; exit 1 } }' \
	    "$rec" >"$T/seq.out" || die "the venue's MsgSeqNums from ${s%:*}: $(cat "$T/seq.out")"
done
# nothing reached QuickFIX out of sequence, nor was rejected by it
grep -q ' PROBLEM ' "$T"/*-fix.log && die "QuickFIX logged a problem: $(grep -h ' PROBLEM ' "$T"/*-fix.log | head -3)"

echo "interop_quickfix: riskgwd and QuickFIX agree on FIX 4.4 and FIX 4.2"
exit 0
