#!/bin/sh
# riskgwd_reload.sh - SIGHUP applies route changes all or nothing: a new
# route is set up and carries orders; a changed check (allow-msg-types)
# takes effect for the next message; a removed route with its router
# connected is refused, removed once idle (its venue session logs out, its
# router is refused); a changed session identity (CompIDs, the venue's reset
# on logon) is refused with the reason;
# a refused reload changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"

rules_setup 20
cp "$T/parents1.csv" "$T/parents3.csv"
start_venue venue
write_conf
start_gw
hup() { # hup PATTERN: SIGHUP, then wait for PATTERN in the log
	kill -HUP "$GPID"
	wait_for "$T/gw.log" "$1" 5
}

# ---- a new route: router 3 on r43
cat >>"$T/gw.conf" <<CONF

[route r43]
fix-version = FIX.4.4
router-comp-id = ROUTER3
gateway-comp-id = RISKGW
router-identity = router3
venue = 127.0.0.1:$VPORT
venue-name = localhost
venue-ca = $PKI/ca.crt
venue-cert = $PKI/riskgwd.crt
venue-key = $PKI/riskgwd.key
venue-sender-comp-id = RGW43
venue-target-comp-id = VENUE
parent-tag = 583
CONF
router 3 --count 2 --window 1 --id-prefix X3- && fail "router 3 got in before its route existed"
grep -q "no route for SenderCompID ROUTER3" "$T/gw.log" || fail "router 3 was not refused for want of a route"
hup "reload: route r43 added"
wait_for "$T/gw.log" "r43/venue: logged on" 10
wait_for "$T/gw.log" "routes: 1 added, 0 changed, 0 removed" 1
router 3 --count 5 --window 1 --id-prefix A3- || fail "router 3 on the new route: $(cat "$T/router.txt")"
expect_grep "acks 5" "$T/router.txt"
"$CTL" -s "$T/control.sock" sessions >"$T/out" || fail "sessions"
expect_grep "^r43 " "$T/out"

# ---- a changed check: r44 no longer allows replaces
sed '/^\[route r44\]/,/^\[route r42\]/s/^heartbeat = 5/heartbeat = 5\nallow-msg-types = D F/' \
    "$T/gw.conf" >"$T/gw.conf.new" && cp "$T/gw.conf.new" "$T/gw.conf"
grep -q "^allow-msg-types = D F" "$T/gw.conf" || hard_error "config edit failed"
hup "reload: route r44: checks and settings updated"
router 1 --count 6 --window 1 --replace-pct 100 --drain-ms 500 --id-prefix G1-
[ "$(jnum "$T/router.json" business_rejects)" -gt 0 ] ||
	fail "replaces on r44 were not refused after the reload: $(cat "$T/router.txt")"

# ---- removing r42 while its router is connected: refused; once idle: removed
sed '/^\[route r42\]/,/^\[route r43\]/{/^\[route r43\]/!d}' "$T/gw.conf" >"$T/gw.conf.new"
grep -q "^\[route r42\]" "$T/gw.conf.new" && hard_error "config edit failed"
cp "$T/gw.conf" "$T/gw.conf.with42"
cp "$T/gw.conf.new" "$T/gw.conf"
router_bg 2 --rate 20 --duration 3 --drain-ms 300 --id-prefix L2-
wait_for "$T/router.txt" "logged on" 10
hup "reload refused, running configuration kept: route r42 is removed but its router is connected"
wait "$RPID"
sleep 0.3
hup "reload: route r42 removed"
wait_for "$T/gw.log" "r42/venue: session down (logout)" 5
router 2 --count 1 --window 1 --id-prefix Z2- && fail "router 2 got in on a removed route"
wait_for "$T/gw.log" "no route for SenderCompID ROUTER2" 5

# ---- a changed session identity: refused, nothing applied
sed 's/^venue-sender-comp-id = RGW44/venue-sender-comp-id = RGW99/' "$T/gw.conf" >"$T/gw.conf.new"
cp "$T/gw.conf.new" "$T/gw.conf"
hup "reload refused, running configuration kept: route r44: venue-sender-comp-id or venue-target-comp-id changed"
router 1 --count 3 --window 1 --id-prefix H1-
expect_grep "acks 3" "$T/router.txt"
# the venue's reset on logon is the session's too
sed -e 's/^venue-sender-comp-id = RGW99/venue-sender-comp-id = RGW44/' \
    -e '/^\[route r44\]/a venue-reset-on-logon = yes' "$T/gw.conf" >"$T/gw.conf.new"
cp "$T/gw.conf.new" "$T/gw.conf"
hup "reload refused, running configuration kept: route r44: venue-reset-on-logon changed"
kill -0 "$GPID" || fail "riskgwd died"
exit 0
