#!/usr/bin/env python3
"""mkseeds_record.py - writes the seed corpus tests/fuzz/corpus/record/ for
fuzz_record.c (run from anywhere: python3 tests/fuzz/mkseeds_record.py). The
seeds are committed; this script documents how each was made and regenerates
them. A seed is a selector byte (fuzz_record.c's enum dec; 0x80: decode the
bytes as they are) and a payload in the layouts of rules/record.h and
gateway/journal_rec.h, which fuzz_record seals (CRC, type, version) itself."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "record")
(U32, LIMITS, PARENT, REFPX, RESTRICTED, AUDIT, SESSION, EVENT, KILL, KILL_LOG,
 LIMITS_KEY, ID_KEY, SEQ_KEY, MSGS, MSG) = range(15)
RAW = 0x80
ID_MAX = 64
PX = 10 ** 6  # RULES_PX_SCALE


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def i64(v): return struct.pack("<q", v)
def text(s): return u16(len(s)) + s
def jid(s): return u8(len(s)) + s                      # journal id: u8 length + bytes
def pid(s): return u8(len(s)) + s.ljust(ID_MAX, b"\0")  # parent record id: padded


def limits(vals, trip=0):
    """vals: {limit index: value}; unset limits are 0."""
    setbits = sum(1 << k for k in vals)
    return u32(setbits) + u32(trip) + b"".join(i64(vals.get(k, 0)) for k in range(8))


def parent(id_, acct, sym, side, qty, lpx=0, mnot=0, rate=0, trip=0xE0):
    return (pid(id_) + pid(acct) + pid(sym) + u8(ord(side)) + i64(qty) + i64(lpx)
            + i64(mnot) + i64(rate) + u32(trip))


def order(seq, kind=0, clid=b"C1", orig=b"", par=b"P1", acct=b"ACC1", sym=b"IBM", side=b"1",
          typ=b"2", qty=100, px=150 * PX, decl=0, allow=0, now=123456789):
    return (u64(seq) + u8(1) + jid(b"r44") + u8(kind) + jid(clid) + jid(orig) + jid(par)
            + jid(acct) + jid(sym) + side + typ + i64(qty) + i64(px) + i64(decl) + u8(allow)
            + i64(now))


seeds = {
    "01-u32-schema": (U32, u32(1)),
    "02-limits-global": (LIMITS, limits({0: 10000, 1: 1000000 * PX, 2: 500}, trip=0)),
    "03-limits-parent-trip": (LIMITS, limits({5: 900, 6: 25000000 * PX, 7: 20}, trip=0xE0)),
    "04-parent": (PARENT, parent(b"P1", b"ACC1", b"IBM", "1", 1000, 150 * PX, 150250 * PX, 10)),
    "05-parent-plain": (PARENT, parent(b"P2", b"ACC2", b"MSFT", "5", 7, trip=0)),
    "06-refpx": (REFPX, i64(150250000)),
    "07-restricted": (RESTRICTED, text(b"under investigation")),
    "08-audit": (AUDIT, u64(1) + i64(1764000000000) + text(b"alice") + text(b"parent:P1")
                 + text(b"null") + text(b"{\"qty\": 1000}") + text(b"quarterly review")),
    "09-session": (SESSION, u64(12) + u64(34) + u32(20261129)),
    "10-event-order": (EVENT, order(1)),
    "11-event-replace": (EVENT, order(2, kind=1, clid=b"C2", orig=b"C1", qty=150)),
    "12-event-exec": (EVENT, u64(3) + u8(2) + jid(b"r44") + jid(b"C1") + jid(b"") + b"F2"
                      + i64(100) + i64(150 * PX) + i64(100) + i64(0) + i64(100) + i64(150 * PX)),
    "13-event-cancel-sent": (EVENT, u64(4) + u8(3) + jid(b"r44") + jid(b"X1") + jid(b"C1")),
    "14-event-cancel-reject": (EVENT, u64(5) + u8(4) + jid(b"r44") + jid(b"X1") + jid(b"C1")
                               + b"1"),
    "15-event-parent-block": (EVENT, u64(6) + u8(5) + jid(b"r44") + jid(b"P1")),
    "16-kill-armed": (KILL, u8(0) + u8(0) + i64(0) + jid(b"") + text(b"")),
    "17-kill-tripped-reset-asked": (KILL, u8(1) + u8(2) + i64(1764000000000000000) + jid(b"ops")
                                    + text(b"drill") + jid(b"bob") + i64(1764000001000000000)
                                    + text(b"drill over")),
    "18-kill-log": (KILL_LOG, u64(1) + i64(1764000000000000000) + u8(1) + u8(3) + u8(6)
                    + b"global" + jid(b"gpio") + text(b"button pressed")),
    "19-limits-key-account": (LIMITS_KEY, u8(1) + b"ACC1"),
    "20-limits-key-global": (LIMITS_KEY, u8(0)),
    "21-id-key": (ID_KEY, b"P1"),
    "22-seq-key": (SEQ_KEY, struct.pack(">Q", 42)),
    "23-msgs-three": (MSGS, u32(3) + b"".join(u64(q) + u32(len(m)) + m for q, m in
                                              [(5, b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"),
                                               (6, b"x"), (9, b"yz")])),
    "24-msg-schema1": (MSG, u64(7) + b"8=FIX.4.2\x0135=D\x01"),
    "25-msgs-seq-down": (MSGS, u32(2) + u64(6) + u32(1) + b"a" + u64(5) + u32(1) + b"b"),
    "26-msgs-count-high": (MSGS, u32(3) + u64(6) + u32(1) + b"a"),
    "27-msgs-len-past-end": (MSGS, u32(1) + u64(6) + u32(100) + b"a"),
    # bytes as they are: header checks
    "30-raw-short": (RAW | LIMITS, b"\x01\x02\x03"),
    "31-raw-wrong-crc": (RAW | REFPX, u32(0xdeadbeef) + u16(4) + u16(1) + i64(150)),
    "32-raw-empty": (RAW | SESSION, b""),
    # refused payloads
    "40-limits-unset-nonzero": (LIMITS, u32(1) + u32(0) + i64(5) + i64(7) + b"\0" * 48),
    "41-parent-padding-dirty": (PARENT, parent(b"P1", b"A", b"B", "1", 1)[:10] + b"x"
                                + parent(b"P1", b"A", b"B", "1", 1)[11:]),
    "42-parent-qty-zero": (PARENT, parent(b"P1", b"A", b"B", "1", 0)),
    "43-refpx-negative": (REFPX, i64(-1)),
    "44-restricted-trailing": (RESTRICTED, text(b"x") + b"\0"),
    "45-event-unknown-type": (EVENT, u64(7) + u8(9) + jid(b"r44")),
    "46-session-short": (SESSION, u64(1)),
    # found by the fuzzer: a key with a NUL inside decoded as the id before it
    # (b"%" here), so that two keys could read as one
    "47-id-key-nul": (37, b"%\0\0\x01\0\0\x01\0\0"),
    # and a parent record's id with a NUL inside its length: "P" of length 2
    "48-parent-id-nul": (PARENT, b"\x02" + parent(b"P", b"A", b"B", "1", 1)[1:]),
}

os.makedirs(OUT, exist_ok=True)
for name, (sel, body) in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([sel]) + body)
print("wrote %d seeds to %s" % (len(seeds), OUT))
