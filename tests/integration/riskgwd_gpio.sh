#!/bin/sh
# riskgwd_gpio.sh - the kill button end to end. Build machines have no GPIO
# chip (and no gpio-sim module), so riskgwd reads struct gpio_v2_line_event
# records from a FIFO ([gpio] events-from) through the same reader as a
# line request fd. A press trips the kill switch (status: source gpio, who
# gpio) and later orders on every route are refused; after a restart on a
# fresh journal, a bounce storm of 500 edges in 2 ms trips it once and
# counts as one press, and a press 100 ms later is a second press. Each
# trip runs the alert command once with the event as JSON. Then the
# startup errors: a missing chip or /dev/null as the chip stop riskgwd with
# chip, line and cause; with optional = yes it runs without the button and
# says so in status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwlib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3 to write event records"; exit 77; }

FIFO="$T/gpio.fifo"
SOCK="$T/control.sock"

# press WHAT [LINE]: writes records to the FIFO. WHAT: press (one rising
# edge), storm (500 edges, rising and falling, 4 us apart), late (a rising
# edge 100 ms after the storm's first). Timestamps are CLOCK_MONOTONIC like
# the kernel's; riskgwd debounces by them.
press() {
	python3 - "$FIFO" "$1" "${2:-17}" "$T/gpio.t0" <<'PY' || fail "cannot write to $FIFO"
import os, struct, sys, time
path, what, line, t0file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
RISING, FALLING = 1, 2
def rec(ts, eid, seq):
    # struct gpio_v2_line_event: timestamp_ns, id, offset, seqno, line_seqno, padding[6]
    return struct.pack("=QIIII6I", ts, eid, line, seq, seq, 0, 0, 0, 0, 0, 0)
now = time.monotonic_ns()
if what == "press":
    data = rec(now, RISING, 1)
elif what == "storm":
    open(t0file, "w").write(str(now))
    data = b"".join(rec(now + i * 4000, RISING if i % 2 == 0 else FALLING, i + 1)
                    for i in range(500))
else:
    data = rec(int(open(t0file).read()) + 100000000, RISING, 501)
assert len(data) % 48 == 0
fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO if riskgwd does not hold it
while data:
    data = data[os.write(fd, data):]
os.close(fd)
PY
}

# status_get EXPR: a value from `riskgwctl status --json`, by a Python expression on s
status_get() {
	"$CTL" -s "$SOCK" status --json >"$T/status.json" || fail "riskgwctl status failed"
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$T/status.json" "$1"
}

stop_gw() {
	kill "$GPID"
	wait "$GPID"
	rc=$?
	[ "$rc" -eq 0 ] || fail "riskgwd exited $rc on SIGTERM"
}

# the alert command: appends each event it gets to $T/alerts.jsonl
cat >"$T/page.sh" <<SH
#!/bin/sh
printf '%s ' "\$1" >>"$T/alerts.args"
cat >>"$T/alerts.jsonl"
SH
chmod 755 "$T/page.sh"

# fifo_conf: $T/gw.conf for the venue on $VPORT with the button on $FIFO and
# the alert command; the same without [gpio] in $T/gw-base.conf
fifo_conf() {
	write_conf
	sed -i "s|^\[gateway\]\$|[gateway]\nalert-command = $T/page.sh\nalert-timeout = 10|" "$T/gw.conf"
	grep -q "^alert-command = $T/page.sh" "$T/gw.conf" || hard_error "config rewrite failed"
	cp "$T/gw.conf" "$T/gw-base.conf"
	cat >>"$T/gw.conf" <<CONF

[gpio]
events-from = $FIFO    # a FIFO instead of a chip: tests only
line = 17
edge = rising
debounce-ms = 50
CONF
}

rules_setup 5
start_venue venue
mkfifo "$FIFO" || hard_error "mkfifo"
fifo_conf
"$GWD" -n -c "$T/gw.conf" >"$T/check.out" 2>&1 || { cat "$T/check.out"; fail "riskgwd -n"; }
start_gw
wait_for "$T/gw.log" "kill button: reading events from $FIFO" 5
expect_eq "button state" "$(status_get 's["gpio"]["state"]')" up
expect_eq "kill state" "$(status_get 's["kill"]["state"]')" armed
expect_rc 0 "$CTL" -s "$SOCK" status
expect_grep "^kill button:  up ($FIFO line 17), 0 presses$" "$T/out"

# orders pass before the press
router 1 --count 10 --window 4 --drain-ms 300 || { cat "$T/router.txt"; fail "router 1 failed"; }
expect_grep "^router-sim: acks 10, .*), rejects 0, " "$T/router.txt"

# an edge of another line is not a press
press press 3
sleep 0.3
expect_eq "kill state after another line" "$(status_get 's["kill"]["state"]')" armed

# the press
press press
wait_for "$T/gw.log" "KILL SWITCH TRIPPED (global, by gpio gpio): kill button pressed ($FIFO line 17)" 5
expect_eq "kill state" "$(status_get 's["kill"]["state"]')" tripped
expect_eq "kill source" "$(status_get 's["kill"]["source"]')" gpio
expect_eq "kill who" "$(status_get 's["kill"]["who"]')" gpio
expect_eq "presses" "$(status_get 's["gpio"]["presses"]')" 1
# the alert command got the trip as JSON on stdin, its name as argv[1]
wait_for "$T/alerts.jsonl" kill_tripped 5
expect_eq "alert command argv" "$(cat "$T/alerts.args")" "kill_tripped "
python3 - "$T/alerts.jsonl" "$FIFO" <<'PY' || fail "the alert event is not as expected"
import json, socket, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
e = json.loads(lines[0])
want = {"event": "kill_tripped", "scope": "global", "source": "gpio", "who": "gpio",
        "reason": "kill button pressed (%s line 17)" % sys.argv[2], "host": socket.gethostname()}
for k, v in want.items():
    assert e.get(k) == v, (k, e.get(k), v)
assert len(e["time"]) == 24 and e["time"].endswith("Z"), e["time"]
PY

# every later order, on every route, is refused with the kill reason
router 2 --window 4 --count 20 --duration 2 --drain-ms 500
expect_grep "^router-sim: acks 0, .*), rejects 20, " "$T/router.txt"
expect_grep "reject 20 x kill switch: kill button pressed" "$T/router.txt"
router 1 --window 4 --count 20 --duration 2 --drain-ms 500
expect_grep "^router-sim: acks 0, .*), rejects 20, " "$T/router.txt"

# ---- a bounce storm on a fresh journal: one trip, one press ----------------------------
# (and a fresh venue, whose sequence numbers start afresh too)
stop_gw
kill "$VPID"
wait "$VPID"
rm -rf "$T/journal.mdb" "$T/alerts.jsonl"
start_venue venue2
fifo_conf
: >"$T/gw.log"
GW_LOGONS=0
start_gw
expect_eq "kill state on a fresh journal" "$(status_get 's["kill"]["state"]')" armed
press storm
wait_for "$T/gw.log" "KILL SWITCH TRIPPED (global, by gpio gpio): kill button pressed" 5
sleep 0.3
expect_eq "trips after the storm" "$(grep -c 'KILL SWITCH TRIPPED' "$T/gw.log")" 1
expect_eq "presses after the storm" "$(status_get 's["gpio"]["presses"]')" 1
wait_for "$T/alerts.jsonl" kill_tripped 5
expect_eq "alerts after the storm" "$(wc -l <"$T/alerts.jsonl")" 1
expect_eq "presses while tripped" "$(grep -c 'the kill switch is already tripped' "$T/gw.log")" 0
# a press after the debounce window is a second press (the switch stays tripped)
press late
wait_for "$T/gw.log" "kill button pressed ($FIFO line 17): the kill switch is already tripped" 5
expect_eq "presses after the late press" "$(status_get 's["gpio"]["presses"]')" 2
expect_eq "trips after the late press" "$(grep -c 'KILL SWITCH TRIPPED' "$T/gw.log")" 1
stop_gw

# ---- startup errors ------------------------------------------------------------------
# gpio_conf CHIP [OPTIONAL]: the base config with a [gpio] section for CHIP line 17
gpio_conf() {
	cp "$T/gw-base.conf" "$T/gw.conf"
	printf '\n[gpio]\nchip = %s\nline = 17\noptional = %s\n' "$1" "${2:-no}" >>"$T/gw.conf"
}
gpio_conf "$T/gpiochip9"
expect_rc 0 "$GWD" -n -c "$T/gw.conf" # the chip is opened at start, not by -n
expect_rc 1 "$GWD" -d -c "$T/gw.conf"
expect_grep "kill button: $T/gpiochip9 line 17: no such GPIO chip (No such file or directory)" \
    "$T/err"
expect_grep "optional = yes runs without it" "$T/err"
gpio_conf /dev/null
expect_rc 1 "$GWD" -d -c "$T/gw.conf"
expect_grep "kill button: /dev/null line 17: not a GPIO chip" "$T/err"

# optional = yes: riskgwd runs without the button and says so (its venue
# sessions log on: start_gw waits for them)
gpio_conf "$T/gpiochip9" yes
: >"$T/gw.log"
GW_LOGONS=0
start_gw
expect_grep "kill button ABSENT: $T/gpiochip9 line 17: no such GPIO chip" "$T/gw.log"
expect_eq "button state" "$(status_get 's["gpio"]["state"]')" absent
expect_eq "button error" "$(status_get 's["gpio"]["error"]')" \
    "$T/gpiochip9 line 17: no such GPIO chip (No such file or directory)"
expect_rc 0 "$CTL" -s "$SOCK" status
expect_grep "^kill button:  ABSENT: $T/gpiochip9 line 17: no such GPIO chip" "$T/out"
expect_eq "venues up" "$(status_get 's["venues_up"]')" 2
stop_gw

# no [gpio] section: no button
cp "$T/gw-base.conf" "$T/gw.conf"
GW_LOGONS=0
: >"$T/gw.log"
start_gw
expect_eq "button state without [gpio]" "$(status_get 's["gpio"]["state"]')" none
stop_gw
exit 0
