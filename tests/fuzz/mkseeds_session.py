#!/usr/bin/env python3
"""mkseeds_session.py - writes the seed corpus tests/fuzz/corpus/session/ for
fuzz_session.c (run from the source tree's top: python3
tests/fuzz/mkseeds_session.py). Each seed is fuzz_session's 8-byte header
(role, version, flags, restored sequence numbers, stored messages, reads,
max_msg; see fuzz_session.c) and then what the peer sends. The seeds are
committed; this script documents how each was made and regenerates them."""
import os
import struct

SOH = "\x01"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "session")
TIME = "20240102-14:30:00.123"

# byte 0
INITIATOR, FIX42, RESET, ECHO, RELAY, LOGOUT, REFUSE, GARBLED1 = (
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
# byte 5
DAMAGED, HOLES = 0x40, 0x80
# byte 7
MAX_1024, MAX_256, MAX_16384, QUEUE_DOWN, REPAIR = 1, 2, 3, 0x04, 0x08


def head(flags=0, next_in=1, next_out=1, stored=0, reads=0, opt=0):
    return bytes([flags]) + struct.pack("<HH", next_in, next_out) + bytes([stored, reads, opt])


def msg(version, mt, seq, fields=(), sender="PEER", target="GW", possdup=False,
        checksum_delta=0):
    """A message from the peer: 8, 9 and 10 computed."""
    hdr = [("35", mt), ("49", sender), ("56", target), ("34", str(seq)), ("52", TIME)]
    if possdup:
        hdr += [("43", "Y"), ("122", "20240102-14:29:00.000")]
    body = "".join("%s=%s%s" % (t, v, SOH) for t, v in hdr + list(fields))
    s = ("8=%s%s9=%d%s" % (version, SOH, len(body), SOH) + body).encode("latin-1")
    return s + b"10=%03d\x01" % ((sum(s) + checksum_delta) % 256)


def stream(version, *msgs):
    """msgs: (type, seq, fields[, options]) tuples or raw bytes."""
    out = b""
    for m in msgs:
        if isinstance(m, bytes):
            out += m
        else:
            opts = m[3] if len(m) > 3 else {}
            out += msg(version, m[0], m[1], m[2], **opts)
    return out


V42, V44 = "FIX.4.2", "FIX.4.4"
LOGON = [("98", "0"), ("108", "30")]
LOGON_RESET = LOGON + [("141", "Y")]


def nos(n):
    return [("11", "ORD-%d" % n), ("55", "IBM"), ("54", "1"), ("60", TIME),
            ("38", "100"), ("40", "2"), ("44", "101.25")]


def er(n):
    return [("37", "V-%d" % n), ("17", "E-%d" % n), ("150", "0"), ("39", "0"),
            ("11", "ORD-%d" % n), ("55", "IBM"), ("54", "1")]


seeds = {
    # the acceptor: a whole session day
    "01-acc44-session": head(ECHO) + stream(
        V44, ("A", 1, LOGON), ("0", 2, []), ("D", 3, nos(1)), ("1", 4, [("112", "T1")]),
        ("D", 5, nos(2)), ("0", 6, [("112", "TEST1")]), ("5", 7, [])),
    "02-acc42-session-relay": head(FIX42 | ECHO | RELAY) + stream(
        V42, ("A", 1, LOGON), ("D", 2, nos(1)), ("G", 3, [("41", "ORD-1")] + nos(2)),
        ("F", 4, [("41", "ORD-2"), ("11", "ORD-3"), ("55", "IBM"), ("54", "1")]),
        ("5", 5, [("58", "bye")])),
    # the initiator: our Logon goes first, the peer answers
    "03-init44-session": head(INITIATOR, 1, 1) + stream(
        V44, ("A", 1, LOGON), ("8", 2, er(1)), ("0", 3, []), ("8", 4, er(2)), ("5", 5, [])),
    "04-init42-reset": head(INITIATOR | FIX42 | RESET, 40, 30) + stream(
        V42, ("A", 1, LOGON_RESET), ("8", 2, er(1)), ("1", 3, [("112", "X")])),
    "05-acc44-reset-logon": head(ECHO, 50, 40, 10) + stream(
        V44, ("A", 1, LOGON_RESET), ("D", 2, nos(1)), ("2", 3, [("7", "1"), ("16", "0")])),
    "06-init44-peer-resets": head(INITIATOR, 50, 40) + stream(
        V44, ("A", 1, LOGON_RESET), ("8", 2, er(1))),
    # gaps: a ResendRequest goes out, the peer resends with PossDup
    "07-acc44-gap-resent": head(ECHO) + stream(
        V44, ("A", 1, LOGON), ("D", 5, nos(5)), ("D", 6, nos(6)),
        ("D", 2, nos(2), {"possdup": True}), ("D", 3, nos(3), {"possdup": True}),
        ("4", 4, [("123", "Y"), ("36", "5")], {"possdup": True}),
        ("D", 5, nos(5), {"possdup": True}), ("D", 6, nos(6), {"possdup": True}),
        ("D", 7, nos(7))),
    "08-acc44-logon-gap": head(0, 3, 1) + stream(
        V44, ("A", 9, LOGON), ("D", 3, nos(3), {"possdup": True}),
        ("4", 4, [("123", "Y"), ("36", "10")], {"possdup": True}), ("D", 10, nos(10))),
    # resend requests served from the store, with holes gap-filled
    "09-acc44-resend-served": head(0, 1, 20, 15 | HOLES) + stream(
        V44, ("A", 1, LOGON), ("2", 2, [("7", "1"), ("16", "0")]),
        ("2", 3, [("7", "6"), ("16", "9")]), ("2", 4, [("7", "19"), ("16", "19")]),
        ("2", 5, [("7", "30"), ("16", "0")])),
    "10-acc42-resend-infinity": head(FIX42, 1, 12, 11) + stream(
        V42, ("A", 1, LOGON), ("2", 2, [("7", "3"), ("16", "999999")])),
    "11-init44-resend-damaged": head(INITIATOR, 1, 8, 6 | DAMAGED) + stream(
        V44, ("A", 1, LOGON), ("2", 2, [("7", "1"), ("16", "0")])),
    "12-acc44-resend-in-gap": head(0, 1, 6, 5) + stream(
        V44, ("A", 1, LOGON), ("2", 4, [("7", "2"), ("16", "0")])),
    # SequenceReset: gap fill and reset
    "13-acc44-gapfill": head(ECHO) + stream(
        V44, ("A", 1, LOGON), ("4", 2, [("123", "Y"), ("36", "10")]), ("D", 10, nos(10)),
        ("4", 11, [("123", "Y"), ("36", "11")]), ("0", 12, [])),
    "14-acc42-seqreset-reset": head(FIX42) + stream(
        V42, ("A", 1, LOGON), ("4", 7, [("36", "100")]), ("D", 100, nos(100)),
        ("4", 1, [("36", "50")]), ("4", 1, [("36", "x")]), ("0", 101, [])),
    # possdup below next_in is dropped; without it the session ends
    "15-acc44-possdup-low": head(ECHO) + stream(
        V44, ("A", 1, LOGON), ("D", 2, nos(2)), ("D", 2, nos(2), {"possdup": True}),
        ("D", 2, nos(2))),
    # garbled input
    "16-acc44-garbled": head(0) + stream(
        V44, ("A", 1, LOGON), b"\x01junk 8=FIX noise\x01",
        msg(V44, "0", 2, checksum_delta=3), ("0", 2, []), b"8=FIX.4.4\x019=5\x0135=0\x01",
        ("0", 3, [])),
    "17-acc44-garbled-one": head(GARBLED1) + stream(
        V44, ("A", 1, LOGON), b"8=FIX.4.4\x019=9999\x01", ("0", 2, [])),
    "18-acc44-malformed-active": head(0) + stream(
        V44, ("A", 1, LOGON), ("D", 2, nos(2) + [("38", "5")]), ("D", 3, [("11", "")]),
        ("0", 4, [])),
    # what ends a session before or at the Logon
    "19-acc44-malformed-first": head(0) + stream(V44, ("A", 1, LOGON + [("43", "X")])),
    "20-acc44-logout-first": head(0) + stream(V44, ("5", 1, [("58", "go away")])),
    "21-acc42-heartbeat-first": head(FIX42) + stream(V42, ("0", 1, [])),
    "22-acc44-compid": head(0) + stream(V44, ("A", 1, LOGON, {"sender": "OTHER"})),
    "23-acc44-compid-active": head(0) + stream(
        V44, ("A", 1, LOGON), ("0", 2, [], {"target": "NOTGW"})),
    "24-acc44-heartbtint": head(0) + stream(V44, ("A", 1, [("98", "0"), ("108", "0")])),
    "25-acc44-refused": head(REFUSE) + stream(V44, ("A", 1, LOGON)),
    "26-acc44-seq-too-low": head(0, 10, 1) + stream(V44, ("A", 3, LOGON)),
    "27-acc44-logon-again": head(0) + stream(V44, ("A", 1, LOGON), ("A", 2, LOGON)),
    # logout exchanges
    "28-acc44-our-logout": head(LOGOUT | ECHO) + stream(
        V44, ("A", 1, LOGON), ("D", 2, nos(2)), ("5", 3, [])),
    "29-init42-gap-logout": head(INITIATOR | FIX42) + stream(
        V42, ("A", 1, LOGON), ("5", 7, [("58", "end of day")])),
    # odd corners
    "30-acc44-testreq-no-id": head(0) + stream(
        V44, ("A", 1, LOGON), ("1", 2, []), ("3", 3, [("45", "1")]),
        ("4", 4, [("123", "Y"), ("36", "2")])),
    "31-acc44-queue-when-down": head(ECHO, 1, 5, 4, 0, QUEUE_DOWN) + stream(
        V44, ("A", 1, LOGON), ("2", 2, [("7", "1"), ("16", "0")]), ("D", 3, nos(3))),
    "32-acc44-max256": head(0, 1, 1, 0, 0, MAX_256) + stream(
        V44, ("A", 1, LOGON), ("D", 2, nos(2) + [("58", "x" * 300)]), ("0", 3, [])),
    "33-acc44-one-byte-reads": head(ECHO | RELAY, 1, 1, 0, 1, MAX_1024) + stream(
        V44, ("A", 1, LOGON), ("D", 2, nos(2)), ("1", 3, [("112", "T")])),
    "34-acc42-small-reads": head(FIX42 | ECHO, 1, 1, 0, 23, MAX_16384) + stream(
        V42, ("A", 1, LOGON), ("D", 2, nos(2)), ("D", 3, nos(3)), ("5", 4, [])),
    "35-acc44-app-before-logon-active": head(0) + stream(
        V44, ("A", 1, LOGON), ("j", 2, [("45", "1"), ("372", "D"), ("380", "3")]),
        ("U1", 3, [("58", "user")])),
}

# A known issue (tests/fuzz/README.md): a 4.2 session takes a FIX.4.4 Logon and
# order and relays the order as FIX.4.4.
seeds["37-acc42-beginstring-44"] = head(FIX42 | RELAY) + stream(
    V44, ("A", 1, LOGON), ("D", 2, nos(2)))

# Found by the fuzzer (session 8): a FIX.4.2 order with the next MsgSeqNum
# on a logged-on FIX 4.4 session ends the session and is not delivered; the
# target's expectation had left the version out.
seeds["38-acc44-order-of-42"] = head(ECHO) + stream(V44, ("A", 1, LOGON)) + stream(
    V42, ("D", 2, nos(2)))

# Seeds whose messages are all well framed also ask for the repair (which
# leaves them as they are), so that what the fuzzer makes of them stays framed;
# the framing ones keep their broken bytes.
BROKEN_FRAMING = ("16-", "17-", "32-")
for name in seeds:
    if not name.startswith(BROKEN_FRAMING):
        d = seeds[name]
        seeds[name] = d[:7] + bytes([d[7] | REPAIR]) + d[8:]
# ... and one broken on purpose that the repair mends
seeds["36-acc44-repaired"] = head(ECHO, opt=REPAIR) + stream(
    V44, ("A", 1, LOGON), msg(V44, "D", 2, nos(2), checksum_delta=5),
    b"8=FIX.4.4\x019=1\x0135=0\x0149=PEER\x0156=GW\x0134=3\x0152=" + TIME.encode() +
    b"\x0110=000\x01")

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), OUT))
