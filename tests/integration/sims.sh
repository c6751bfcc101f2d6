#!/bin/sh
# sims.sh - router-sim against venue-sim, no gateway between them, over TLS
# with the dev PKI, FIX 4.4 and 4.2: orders are acknowledged and filled and
# both sides count the same; cancels, replaces and rejects work; a runaway
# router (Power Peg) overfills its parents at the venue, a correct one never
# does; a venue that drops the connection is reported by the router, which
# can also reconnect and resume its sequence numbers; bad options exit 2.
. "$(dirname "$0")/lib.sh"

VENUE="$top_builddir/tests/sim/venue-sim"
ROUTER="$top_builddir/tests/sim/router-sim"
[ -x "$VENUE" ] || hard_error "$VENUE not built"
[ -x "$ROUTER" ] || hard_error "$ROUTER not built"
command -v openssl >/dev/null || exit 77

# Every process started here is killed by its PID on the way out.
PIDS=
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

sh "$top_srcdir/certs/mkcerts.sh" "$T/pki" 2 >"$T/mkcerts.log" 2>&1 ||
	{ cat "$T/mkcerts.log"; hard_error "mkcerts.sh failed"; }
PKI="$T/pki"
VTLS="--cert $PKI/venue.crt --key $PKI/venue.key --ca $PKI/ca.crt"
RTLS="--ca $PKI/ca.crt --cert $PKI/router1.crt --key $PKI/router1.key"

# jnum FILE KEY: the first number of "KEY":N in FILE.
jnum() {
	sed -n "s/.*\"$2\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# expect_gt WHAT GOT MIN: GOT > MIN
expect_gt() {
	[ -n "$2" ] && [ "$2" -gt "$3" ] || fail "$1: got '$2', expected more than $3"
}

# start_venue NAME ARGS...: venue-sim on an ephemeral port; sets VPID, VPORT
# and VSTATS ($T/NAME.json).
start_venue() {
	name=$1
	shift
	VSTATS="$T/$name.json"
	rm -f "$T/$name.port"
	"$VENUE" $VTLS --listen 127.0.0.1:0 --port-file "$T/$name.port" --stats-file "$VSTATS" \
	    "$@" >"$T/$name.out" 2>"$T/$name.err" &
	VPID=$!
	PIDS="$PIDS $VPID"
	i=0
	while [ ! -s "$T/$name.port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$VPID" 2>/dev/null; then
			cat "$T/$name.err" >&2
			hard_error "venue-sim $name did not start"
		fi
		sleep 0.05
	done
	VPORT=$(cat "$T/$name.port")
	expect_grep "venue-sim: listening on 127.0.0.1:$VPORT" "$T/$name.out"
}

# stop_venue: SIGTERM, exit 0, stats written.
stop_venue() {
	kill -TERM "$VPID"
	wait "$VPID"
	rc=$?
	[ "$rc" -eq 0 ] || fail "venue-sim exited $rc"
	[ -s "$VSTATS" ] || fail "venue-sim wrote no $VSTATS"
}

router() {
	"$ROUTER" --connect "127.0.0.1:$VPORT" $RTLS --quiet "$@"
}

# sum of the qty column of a parents CSV
sum_qty() {
	awk -F, 'NR > 1 { s += $5 } END { print s }' "$1"
}

# parent_filled STATS ID: the venue's filled quantity for a parent
parent_filled() {
	sed -n "s/^ *\"$2\":{.*\"filled_qty\":\([0-9]*\)}.*/\1/p" "$1" | head -n 1
}

# ---- bad options: exit 2 with the usage ---------------------------------------
expect_rc 2 "$VENUE"
expect_grep '^usage: venue-sim' "$T/err"
expect_rc 2 "$VENUE" $VTLS --fill sometimes
expect_grep "bad value for --fill: 'sometimes'" "$T/err"
expect_rc 2 "$VENUE" $VTLS --reject-rate 1.5
expect_rc 2 "$VENUE" $VTLS --listen 127.0.0.1
expect_rc 2 "$ROUTER" --connect 127.0.0.1:1 --ca "$PKI/ca.crt" --rate fast
expect_grep "bad value for --rate: 'fast'" "$T/err"
expect_grep '^usage: router-sim' "$T/err"
expect_rc 2 "$ROUTER" --connect 127.0.0.1:1
expect_rc 2 "$ROUTER" --connect 127.0.0.1:1 --ca "$PKI/ca.crt" --cancel-pct 70 --replace-pct 40
expect_rc 2 "$ROUTER" --connect 127.0.0.1:1 --ca "$PKI/ca.crt" --bogus
echo "id,account,symbol,side,qty" >"$T/bad.csv"
echo "P1,ACC1,IBM,sideways,100" >>"$T/bad.csv"
expect_rc 2 "$ROUTER" --connect 127.0.0.1:1 --ca "$PKI/ca.crt" --parents "$T/bad.csv"
expect_grep "bad.csv:2: side 'sideways'" "$T/err"

# ---- parents: generated and written as riskgwctl's CSV ------------------------
expect_rc 0 "$ROUTER" --gen-parents 5 --seed 3 --write-parents "$T/parents.csv"
expect_grep '^id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip$' "$T/parents.csv"
[ "$(wc -l <"$T/parents.csv")" -eq 6 ] || fail "expected 5 parents in parents.csv"
TOTAL=$(sum_qty "$T/parents.csv")

# ---- FIX 4.4: every order acknowledged and filled, the same counts ------------
start_venue v44
expect_rc 0 router --fix 4.4 --parents "$T/parents.csv" --window 8 --id-prefix A- --json
cp "$T/out" "$T/r44.json"
stop_venue
sent=$(jnum "$T/r44.json" sent)
expect_gt "4.4 orders sent" "$sent" 0
expect_eq "4.4 orders at the venue" "$(jnum "$VSTATS" orders_received)" "$sent"
expect_eq "4.4 acks" "$(jnum "$T/r44.json" acks)" "$sent"
expect_eq "4.4 fills" "$(jnum "$T/r44.json" fills)" "$(jnum "$VSTATS" fills)"
expect_eq "4.4 router filled" "$(jnum "$T/r44.json" filled_qty)" "$TOTAL"
expect_eq "4.4 venue filled" "$(jnum "$VSTATS" filled_qty)" "$TOTAL"
expect_eq "4.4 rejects" "$(jnum "$T/r44.json" rejects)" 0
expect_eq "4.4 unanswered" "$(jnum "$T/r44.json" no_answer)" 0
expect_eq "4.4 overfilled parents" "$(jnum "$T/r44.json" parents_overfilled)" 0
expect_grep '"fix":"FIX.4.4"' "$VSTATS"
expect_eq "4.4 venue inbound gaps" "$(jnum "$VSTATS" gaps)" 0
expect_eq "4.4 venue logons" "$(jnum "$VSTATS" logons)" 1
expect_grep '"clordid":"A-1","msg":"D"' "$VSTATS"
expect_grep '"parent":"P00001"' "$VSTATS"
awk -F, 'NR > 1 { print $1, $5 }' "$T/parents.csv" | while read -r id qty; do
	got=$(parent_filled "$VSTATS" "$id")
	[ "$got" = "$qty" ] || fail "4.4: parent $id filled $got at the venue, its quantity is $qty"
done || exit 1

# ---- FIX 4.2: partial fills, seeded rejects, cancels and replaces -------------
start_venue v42 --fix 4.2 --fill partial --slices 3 --fill-delay-ms 5 --reject-rate 0.2 --seed 7
expect_rc 0 router --fix 4.2 --parents "$T/parents.csv" --window 8 --cancel-pct 25 \
    --replace-pct 25 --seed 11 --id-prefix B- --json
cp "$T/out" "$T/r42.json"
cp "$T/err" "$T/r42.err"
stop_venue
expect_grep '"fix":"FIX.4.2"' "$VSTATS"
expect_eq "4.2 orders at the venue" "$(jnum "$VSTATS" orders_received)" "$(jnum "$T/r42.json" sent)"
expect_gt "4.2 rejects" "$(jnum "$T/r42.json" rejects)" 0
expect_eq "4.2 rejects at the venue" "$(jnum "$VSTATS" orders_rejected)" "$(jnum "$T/r42.json" rejects)"
expect_grep '"venue-sim: random reject (103=0)":' "$T/r42.json"
expect_gt "4.2 cancels" "$(jnum "$T/r42.json" cancels_confirmed)" 0
expect_eq "4.2 cancels at the venue" "$(jnum "$VSTATS" cancels_confirmed)" "$(jnum "$T/r42.json" cancels_confirmed)"
expect_gt "4.2 replaces" "$(jnum "$T/r42.json" replaces_confirmed)" 0
expect_eq "4.2 replaces at the venue" "$(jnum "$VSTATS" replaces_confirmed)" "$(jnum "$T/r42.json" replaces_confirmed)"
expect_grep '"msg":"G","orig":"B-' "$VSTATS"
expect_gt "4.2 fills" "$(jnum "$T/r42.json" fills)" "$(jnum "$T/r42.json" acks)"
expect_eq "4.2 fills at the venue" "$(jnum "$VSTATS" fills)" "$(jnum "$T/r42.json" fills)"
# a correct router re-slices what was rejected or canceled: every parent ends filled
expect_eq "4.2 router filled" "$(jnum "$T/r42.json" filled_qty)" "$TOTAL"
expect_eq "4.2 venue filled" "$(jnum "$VSTATS" filled_qty)" "$TOTAL"
expect_eq "4.2 overfilled parents" "$(jnum "$T/r42.json" parents_overfilled)" 0
expect_eq "4.2 unanswered" "$(jnum "$T/r42.json" no_answer)" 0

# a venue that fills nothing: cancels of open orders all confirmed, none too late
start_venue vnone --fill none
expect_rc 0 router --parents "$T/parents.csv" --window 4 --cancel-pct 100 --count 40 --id-prefix C- --json
cp "$T/out" "$T/rnone.json"
stop_venue
expect_eq "cancels sent" "$(jnum "$T/rnone.json" cancels_sent)" 40
expect_eq "cancels confirmed" "$(jnum "$VSTATS" cancels_confirmed)" 40
expect_eq "no fills" "$(jnum "$VSTATS" fills)" 0

# ---- the runaway router overfills; the venue sees it ---------------------------
start_venue vrun
expect_rc 0 router --runaway --parents "$T/parents.csv" --window 8 --count 200 --id-prefix K- --json
cp "$T/out" "$T/rrun.json"
stop_venue
expect_eq "runaway orders at the venue" "$(jnum "$VSTATS" orders_received)" 200
expect_eq "runaway overfilled parents" "$(jnum "$T/rrun.json" parents_overfilled)" 5
awk -F, 'NR > 1 { print $1, $5 }' "$T/parents.csv" | while read -r id qty; do
	got=$(parent_filled "$VSTATS" "$id")
	[ -n "$got" ] && [ "$got" -gt "$qty" ] ||
		fail "runaway: parent $id filled $got at the venue, not beyond its $qty"
done || exit 1
expect_grep '"clordid":"K-200"' "$VSTATS"
grep -q '"clordid":"K-201"' "$VSTATS" && fail "ClOrdID K-201 reached the venue"

# ---- the venue drops the connection: the router says so and exits 1 -----------
start_venue vdrop --disconnect-after 20
expect_rc 1 router --gen-parents 20 --window 4 --id-prefix D-
expect_grep 'router-sim: the session ended' "$T/err"
stop_venue
expect_eq "drops" "$(jnum "$VSTATS" dropped_by_disconnect_after)" 1
expect_eq "orders before the drop" "$(jnum "$VSTATS" orders_received)" 20

# ... or reconnects, resumes its sequence numbers, and loses nothing
start_venue vreco --disconnect-after 20
expect_rc 0 router --gen-parents 20 --seed 3 --write-parents "$T/p20.csv" --window 4 \
    --reconnect --reconnect-ms 50 --id-prefix E- --json
cp "$T/out" "$T/rreco.json"
stop_venue
expect_eq "reconnect: logons at the venue" "$(jnum "$VSTATS" logons)" 2
expect_eq "reconnect: unanswered" "$(jnum "$T/rreco.json" no_answer)" 0
expect_eq "reconnect: duplicates" "$(jnum "$VSTATS" duplicate_clordid)" 0
expect_eq "reconnect: orders at the venue" "$(jnum "$VSTATS" orders_received)" "$(jnum "$T/rreco.json" sent)"
expect_eq "reconnect: filled" "$(jnum "$VSTATS" filled_qty)" "$(sum_qty "$T/p20.csv")"

# the same open loop: orders scheduled while the connection goes are not lost
# and their ClOrdIDs are not used twice
start_venue vreco2 --disconnect-after 100
expect_rc 0 router --rate 2000 --gen-parents 30 --reconnect --reconnect-ms 50 --id-prefix I- --json
cp "$T/out" "$T/rreco2.json"
stop_venue
expect_eq "reconnect (rate): unanswered" "$(jnum "$T/rreco2.json" no_answer)" 0
expect_eq "reconnect (rate): duplicates" "$(jnum "$VSTATS" duplicate_clordid)" 0
expect_eq "reconnect (rate): unknown answers" "$(jnum "$T/rreco2.json" unknown)" 0
expect_eq "reconnect (rate): orders at the venue" "$(jnum "$VSTATS" orders_received)" "$(jnum "$T/rreco2.json" sent)"

# SIGUSR1 drops every connection now
start_venue vusr1 --fill none
router --rate 200 --duration 20 --gen-parents 50 --id-prefix F- >"$T/rusr1.out" 2>"$T/rusr1.err" &
RPID=$!
PIDS="$PIDS $RPID"
i=0
while :; do
	kill -USR2 "$VPID"
	sleep 0.1
	n=$(jnum "$VSTATS" orders_received 2>/dev/null)
	[ -n "$n" ] && [ "$n" -ge 5 ] && break
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "no orders reached venue-sim within 10 s"
done
kill -USR1 "$VPID"
wait "$RPID"
rc=$?
[ "$rc" -eq 1 ] || { cat "$T/rusr1.err" >&2; fail "router-sim exited $rc after SIGUSR1, expected 1"; }
expect_grep 'router-sim: the session ended' "$T/rusr1.err"
stop_venue
expect_eq "SIGUSR1 drops" "$(jnum "$VSTATS" dropped_by_signal)" 1

# ---- Logons the venue refuses ---------------------------------------------------
start_venue vrefuse --session OTHER:VENUE --fix 4.4
expect_rc 1 router --count 1
expect_grep 'router-sim: could not log on' "$T/err"
expect_rc 1 router --fix 4.2 --sender OTHER --count 1
# a session the venue knows, joined without a sequence reset: Logout with the reason
expect_rc 0 router --sender OTHER --count 2 --id-prefix G-
expect_rc 1 router --sender OTHER --count 2 --id-prefix H- --no-reset
expect_grep 'the session ended: .*(Logout: MsgSeqNum too low, expecting' "$T/err"
stop_venue
expect_eq "refused logons" "$(jnum "$VSTATS" logons_refused)" 2
exit 0
