#!/usr/bin/env python3
"""mkseeds_ctl.py - writes the seed corpus tests/fuzz/corpus/ctl/ for
fuzz_ctl.c (run from anywhere: python3 tests/fuzz/mkseeds_ctl.py). The seeds
are committed; this script documents how each was made and regenerates
them. The header layout is docs/control.md's."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "ctl")
MAGIC, VERSION, REPLY, ERROR = 0x52474354, 1, 0x8000, 0xFFFF
STATUS, SESSIONS, PARENTS, COUNTERS, KILL = 1, 2, 3, 4, 5


def msg(mtype, rid, payload=b"", length=None, magic=MAGIC, version=VERSION):
    n = len(payload) if length is None else length
    return struct.pack(">IHHII", magic, version, mtype, n, rid) + payload


kill = b'{"who":"ops","reason":"drill"}'
seeds = {
    "01-status": msg(STATUS, 1),
    "02-sessions-empty-object": msg(SESSIONS, 2, b"{}"),
    "03-parents": msg(PARENTS, 3),
    "04-counters": msg(COUNTERS, 4),
    "05-kill": msg(KILL, 5, kill),
    "06-pipelined": msg(STATUS, 6) + msg(KILL, 7, kill) + msg(COUNTERS, 8),
    "07-status-reply": msg(STATUS | REPLY, 1,
                           b'{"version":"0.1","kill":{"state":"armed"},"routes":2}'),
    "08-parents-chunk": msg(PARENTS | REPLY, 3,
                            b'{"parents":[{"parent":"P1","open_qty":100,'
                            b'"open_notional":"1012.5"}],"more":true}'),
    "09-error": msg(ERROR, 9, b'{"error":"bad_request","message":"unknown member"}'),
    "10-bad-magic": msg(STATUS, 1, magic=0x47455420),  # "GET "
    "11-bad-version": msg(STATUS, 1, version=2),
    "12-unknown-type": msg(42, 1),
    "13-too-big": msg(KILL, 1, kill, length=1 << 20),
    "14-truncated": msg(KILL, 1, kill)[:-3],
    "15-trailing-in-payload": msg(KILL, 1, kill + b" "),
    "16-kill-unknown-member": msg(KILL, 1, b'{"who":"ops","reason":"x","now":true}'),
    "17-kill-bad-who": msg(KILL, 1, b'{"who":"two words","reason":"x"}'),
    "18-duplicate-key": msg(KILL, 1, b'{"who":"a","who":"b","reason":"x"}'),
    "19-not-object": msg(STATUS, 1, b"[1,2]"),
    "20-nested": msg(COUNTERS | REPLY, 1, b'{"a":' * 50 + b"1" + b"}" * 50),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
