#!/bin/sh
# riskgwd_journal_full.sh - a journal that fills up: with journal-map-size
# = 1 (MiB), riskgwd alerts at 80% and 90% (alert-command, log), and when a
# turn can no longer be committed it stops without sending that turn
# (fail closed); the orders the venue acknowledged are all in the journal.
# Restarted with a bigger map, riskgwd replays the whole day, resumes the
# sessions and takes orders again; status shows the journal's new map.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"

rules_setup 20
start_venue venue
cat >"$T/alert.sh" <<EOF
#!/bin/sh
{ cat; echo; } >>"$T/alerts.jsonl"
EOF
chmod 755 "$T/alert.sh"
GW_EXTRA="journal-map-size = 1
warn-pct = 0
alert-command = $T/alert.sh"
write_conf
start_gw

# orders until the journal cannot take a turn: riskgwd stops
router 1 --window 8 --count 20000 --child-qty 1 --drain-ms 500 || true
n=0
while kill -0 "$GPID" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "riskgwd still runs with a full journal"
	sleep 0.1
done
expect_grep "JOURNAL 8[0-9]% FULL" "$T/gw.log"
expect_grep "JOURNAL 9[0-9]% FULL" "$T/gw.log"
expect_grep "journal commit failed: journal full" "$T/gw.log"
expect_grep '"event": *"journal_filling"' "$T/alerts.jsonl"
[ "$(grep -c journal_filling "$T/alerts.jsonl")" -eq 2 ] ||
	fail "want 2 journal_filling alerts: $(cat "$T/alerts.jsonl")"
acked=$(jnum "$T/router.json" acks)
[ -n "$acked" ] && [ "$acked" -gt 100 ] && [ "$acked" -lt 20000 ] ||
	fail "acks before the journal filled: '$acked'"

# a bigger map: the day is replayed, sessions resume, orders flow again
sed -i 's/^journal-map-size = 1$/journal-map-size = 64/' "$T/gw.conf"
grep -q "^journal-map-size = 64$" "$T/gw.conf" || hard_error "config edit failed"
start_gw
replayed=$(sed -n 's/.*journal: \([0-9]*\) events replayed.*/\1/p' "$T/gw.log" | tail -n 1)
[ -n "$replayed" ] && [ "$replayed" -ge "$acked" ] ||
	fail "replayed '$replayed' events, fewer than the $acked acknowledged orders"
router 1 --window 8 --count 200 --child-qty 1 --id-prefix B1- || fail "router after the restart: $(cat "$T/router.txt")"
expect_grep "acks 200" "$T/router.txt"
expect_rc 0 ctl status
expect_grep '^journal: .* of 64 MiB in use' "$T/out"
exit 0
