#!/bin/sh
# riskgwd_refuse.sh - what riskgwd refuses, and that it keeps running: a
# router certificate from another CA, an expired one, one for another
# route, unknown CompIDs; garbage before a Logon; after a Logon, a message
# with a bad checksum, an oversized one and one with a duplicate tag (a
# 35=3 Reject), orders whose parent id or ClOrdID holds a NUL byte (refused
# as malformed, not read as the id before the NUL); a SIGHUP reload with a bad key or a changed route (the
# running set stays); a bad configuration and a key readable by others (-n).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"

rules_setup 5
start_venue venue
write_conf
start_gw

# try CERT SENDER: a router-sim that must fail to log on
try() {
	"$ROUTER" --connect "127.0.0.1:$GPORT" --server-name localhost --ca "$PKI/ca.crt" \
	    --cert "$PKI/$1.crt" --key "$PKI/$1.key" --sender "$2" --target RISKGW \
	    --parents "$T/parents1.csv" --count 1 >"$T/try.out" 2>&1
	[ $? -eq 1 ] || { cat "$T/try.out"; fail "router with $1 as $2 was not refused"; }
}
try rogue ROUTER1
wait_for "$T/gw.log" "unable to get local issuer certificate" 5
try expired ROUTER1
wait_for "$T/gw.log" "certificate has expired" 5
try router2 ROUTER1
wait_for "$T/gw.log" "certificate router2 is not allowed on route r44" 5
try router1 NOBODY
wait_for "$T/gw.log" "no route for SenderCompID NOBODY" 5

# raw FIX over TLS as router 1
fixmsg() { # fixmsg SEQ TYPE BODY...: one FIX 4.4 message with a correct checksum
	python3 - "$@" <<'PY'
import sys
seq, typ, *body = sys.argv[1:]
fields = ["35=" + typ, "49=ROUTER1", "56=RISKGW", "34=" + seq,
          "52=20261128-12:00:00.000"] + body
b = "\x01".join(fields) + "\x01"
m = "8=FIX.4.4\x019=%d\x01%s" % (len(b), b)
sys.stdout.write(m + "10=%03d\x01" % (sum(m.encode()) % 256))
PY
}
fixsum() { # the message on stdin with its CheckSum made right again
	python3 -c '
import sys
m = sys.stdin.buffer.read()
m = m[:m.rindex(b"\x0110=") + 1]
sys.stdout.buffer.write(m + b"10=%03d\x01" % (sum(m) % 256))'
}
raw() { # raw FILE: send FILE to riskgwd as router1, answers in $T/raw.out
	(cat "$1"; sleep 2) | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$GPORT" \
	    -CAfile "$PKI/ca.crt" -cert "$PKI/router1.crt" -key "$PKI/router1.key" \
	    >"$T/raw.out" 2>"$T/raw.err"
	tr '\001\000' '|@' <"$T/raw.out" >"$T/raw.txt" # SOH as |, NUL as @
}

# garbage before any Logon: the connection is closed, riskgwd lives on
head -c 3000 /dev/urandom >"$T/garbage"
raw "$T/garbage"
wait_for "$T/gw.log" "router 127.0.0.1:[0-9]*: garbled first message" 5

# after a Logon: bad checksum (dropped), oversized (dropped), duplicate tag (Reject)
{
	fixmsg 1 A 98=0 108=30
	fixmsg 2 D 11=X1 55=IBM 54=1 38=10 40=2 44=10 583=P00001 | sed 's/10=[0-9]*.$/10=000\x01/'
	printf '8=FIX.4.4\0019=99999\00135=D\001'
	head -c 200 /dev/zero | tr '\0' 'x'
	printf '\001'
	fixmsg 2 D 11=X2 11=X3 55=IBM 54=1 38=10 40=2 44=10 583=P00001
	fixmsg 3 0
} >"$T/session"
raw "$T/session"
expect_grep "35=A|" "$T/raw.txt"
expect_grep "35=3|.*45=2|.*371=11|.*373=13" "$T/raw.txt"
kill -0 "$GPID" || fail "riskgwd died"

# a NUL byte inside an id: refused as malformed, not cut short (parent
# P00001<NUL>X is not P00001, ClOrdID N2<NUL>Y not N2)
fixmsg 1 A 98=0 108=30 141=Y >"$T/nul"
fixmsg 2 D 11=N1 55=IBM 54=1 38=10 40=2 44=10 583=P00001@X | sed 's/@/\x00/' | fixsum >>"$T/nul"
fixmsg 3 D 11=N2@Y 55=IBM 54=1 38=10 40=2 44=10 583=P00001 | sed 's/@/\x00/' | fixsum >>"$T/nul"
fixmsg 4 0 >>"$T/nul"
raw "$T/nul"
expect_grep "35=8|.*11=N1|.*39=8|.*58=invalid parent id" "$T/raw.txt"
expect_grep "35=8|.*11=N2@Y|.*39=8|.*58=invalid or missing ClOrdID" "$T/raw.txt"
kill -0 "$GPID" || fail "riskgwd died"

# riskgwd still serves a correct router
router 1 --count 5 --window 1 || { cat "$T/router.txt"; fail "a correct router failed after the garbage"; }
expect_grep "acks 5" "$T/router.txt"

# SIGHUP reloads the certificates, all or nothing: a key readable by others
# or a changed route keeps the running set; a new certificate is served to
# the next connection.
subject() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$GPORT" -CAfile "$PKI/ca.crt" \
	    -cert "$PKI/router1.crt" -key "$PKI/router1.key" 2>/dev/null |
	    openssl x509 -noout -subject 2>/dev/null
}
subject | grep -q "CN = riskgwd" || fail "riskgwd does not serve its certificate"
kill -HUP "$GPID"
wait_for "$T/gw.log" "reloaded: certificates and keys" 5
chmod 644 "$PKI/riskgwd.key"
kill -HUP "$GPID"
wait_for "$T/gw.log" "reload refused, running configuration kept: .*chmod 600" 5
chmod 600 "$PKI/riskgwd.key"
sed 's/^heartbeat = 5/heartbeat = 7/' "$T/gw.conf" >"$T/gw.conf.new"
cp "$T/gw.conf" "$T/gw.conf.orig"
cp "$T/gw.conf.new" "$T/gw.conf"
kill -HUP "$GPID"
wait_for "$T/gw.log" "reload refused, running configuration kept: route r44: heartbeat changed: give the route a new name or restart riskgwd" 5
cp "$T/gw.conf.orig" "$T/gw.conf"
cp "$PKI/venue.crt" "$PKI/riskgwd.crt"
cp "$PKI/venue.key" "$PKI/riskgwd.key"
kill -HUP "$GPID"
n=0
while [ "$(grep -c "reloaded: certificates" "$T/gw.log")" -le 1 ]; do
	n=$((n + 1))
	[ "$n" -lt 50 ] || fail "the second reload was not logged"
	sleep 0.1
done
subject | grep -q "CN = venue" || fail "the reloaded certificate is not served"
kill -0 "$GPID" || fail "riskgwd died"

# -n: a bad configuration names file and line; an open key is refused
sed 's/^heartbeat = 5/heartbeat = 0/' "$T/gw.conf" >"$T/bad.conf"
expect_rc 1 "$GWD" -n -c "$T/bad.conf"
expect_grep "bad.conf:[0-9]*: heartbeat: 0 is out of range" "$T/err"
chmod 644 "$PKI/riskgwd.key"
expect_rc 1 "$GWD" -n -c "$T/gw.conf"
expect_grep "chmod 600" "$T/err"
chmod 600 "$PKI/riskgwd.key"
expect_rc 0 "$GWD" -n -c "$T/gw.conf"
exit 0
