#!/usr/bin/env python3
"""mkseeds.py - writes the seed corpus tests/fuzz/corpus/fix/ (run from the
source tree's top: python3 tests/fuzz/mkseeds.py). The seeds are committed;
this script documents how each was made and regenerates them."""
import os

SOH = "\x01"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fix")


def msg(version, fields, body_len_delta=0, checksum_delta=0, raw_len=None):
    """A message: 8, 9 (computed), the fields in order, 10 (computed)."""
    body = "".join("%s=%s%s" % (t, v, SOH) for t, v in fields)
    blen = raw_len if raw_len is not None else str(len(body) + body_len_delta)
    head = "8=%s%s9=%s%s" % (version, SOH, blen, SOH)
    s = (head + body).encode("latin-1")
    return s + b"10=%03d\x01" % ((sum(s) + checksum_delta) % 256)


def hdr(mt, seq, sender="ROUTER1", target="RISKGW"):
    return [("35", mt), ("49", sender), ("56", target), ("34", str(seq)),
            ("52", "20240102-14:30:00.123")]


logon42 = msg("FIX.4.2", hdr("A", 1) + [("98", "0"), ("108", "30")])
logon44 = msg("FIX.4.4", hdr("A", 1) + [("98", "0"), ("108", "30"), ("141", "Y")])
nos42 = msg("FIX.4.2", hdr("D", 2) + [
    ("11", "ORD-0001"), ("1", "ACC1"), ("21", "1"), ("55", "IBM"), ("54", "1"),
    ("60", "20240102-14:30:00"), ("38", "100"), ("40", "2"), ("44", "101.25"),
    ("59", "0"), ("5001", "PARENT-7")])
nos44 = msg("FIX.4.4", hdr("D", 3) + [
    ("11", "ORD-0002"), ("583", "PARENT-7"), ("1", "ACC1"), ("453", "2"),
    ("448", "DESK1"), ("447", "D"), ("452", "1"), ("448", "TRADER9"), ("447", "D"),
    ("452", "11"), ("55", "MSFT"), ("54", "2"), ("60", "20240102-14:30:00.500"),
    ("38", "250"), ("40", "2"), ("44", "402.5"), ("59", "0")])
er42 = msg("FIX.4.2", hdr("8", 7, "VENUEA", "RISKGW") + [
    ("37", "V-1"), ("17", "E-1"), ("20", "0"), ("150", "1"), ("39", "1"),
    ("11", "ORD-0001"), ("55", "IBM"), ("54", "1"), ("38", "100"), ("32", "40"),
    ("31", "101.2"), ("151", "60"), ("14", "40"), ("6", "101.2")])
er44 = msg("FIX.4.4", hdr("8", 8, "VENUEA", "RISKGW") + [
    ("37", "V-2"), ("17", "E-2"), ("150", "F"), ("39", "2"), ("11", "ORD-0002"),
    ("55", "MSFT"), ("54", "2"), ("38", "250"), ("32", "250"), ("31", "402.5"),
    ("151", "0"), ("14", "250"), ("6", "402.5"), ("60", "20240102-14:30:01.000")])
cancel44 = msg("FIX.4.4", hdr("F", 4) + [
    ("41", "ORD-0002"), ("11", "ORD-0003"), ("55", "MSFT"), ("54", "2"),
    ("60", "20240102-14:31:00"), ("38", "250")])
replace42 = msg("FIX.4.2", hdr("G", 5) + [
    ("41", "ORD-0001"), ("11", "ORD-0004"), ("21", "1"), ("55", "IBM"), ("54", "1"),
    ("60", "20240102-14:31:00"), ("38", "80"), ("40", "2"), ("44", "101.3")])
hb44 = msg("FIX.4.4", hdr("0", 9))
tr42 = msg("FIX.4.2", hdr("1", 10) + [("112", "TEST-1")])
resend44 = msg("FIX.4.4", hdr("4", 11) + [("43", "Y"), ("122", "20240102-14:29:00.000"),
                                         ("123", "Y"), ("36", "20")])
raw44 = msg("FIX.4.4", hdr("D", 12) + [("11", "ORD-R"), ("95", "7"), ("96", "ab\x01=cd\x01"),
                                       ("55", "X"), ("54", "1"), ("38", "1"), ("40", "1")])

seeds = {
    "01-logon-42": logon42,
    "02-logon-44": logon44,
    "03-nos-42": nos42,
    "04-nos-44-groups": nos44,
    "05-exec-42": er42,
    "06-exec-44": er44,
    "07-cancel-44": cancel44,
    "08-replace-42": replace42,
    "09-heartbeat-44": hb44,
    "10-testreq-42": tr42,
    "11-seqreset-possdup-44": resend44,
    "12-rawdata-44": raw44,
    "13-two-msgs": nos42 + er42,
    "14-two-and-half": logon44 + nos44 + er44[:len(er44) // 2],
    "15-garbage-then-msg": b"\x01\x01junk 8=FIX.4.2 noise\x01" + nos42,
    "16-bad-checksum": msg("FIX.4.2", hdr("0", 3), checksum_delta=1) + hb44,
    "17-bodylen-short": msg("FIX.4.4", hdr("0", 3), body_len_delta=-4) + hb44,
    "18-bodylen-long": msg("FIX.4.4", hdr("0", 3), body_len_delta=9) + hb44,
    "19-no-msgtype": msg("FIX.4.4", [("49", "A"), ("35", "0"), ("56", "B"), ("34", "1"),
                                     ("52", "20240102-14:30:00")]) + hb44,
    "20-oversized": msg("FIX.4.4", hdr("D", 3), raw_len="99999999") + hb44,
    "21-bodylen-leading-zero": msg("FIX.4.4", hdr("0", 3), raw_len="0" + str(
        len("".join("%s=%s\x01" % f for f in hdr("0", 3))))) + hb44,
    "22-dup-header": msg("FIX.4.4", hdr("0", 3) + [("49", "AGAIN")]),
    "23-header-after-body": msg("FIX.4.2", hdr("D", 3)[:3] + [("11", "X")] + hdr("D", 3)[3:]),
    "24-begin-43": msg("FIX.4.3", hdr("0", 3)) + hb44,
    "25-bad-tag": msg("FIX.4.4", hdr("0", 3) + [("0x1", "1")]),
    "26-dup-interpreted": msg("FIX.4.4", hdr("D", 3) + [("38", "10"), ("38", "1000000")]),
    "27-xmldata-header-44": msg("FIX.4.4", hdr("8", 13)[:4] + [
        ("212", "10"), ("213", "<x a=\"1\"/>"), ("90", "2"), ("91", "\x01\x01")] +
        hdr("8", 13)[4:] + [("37", "V-3"), ("11", "ORD-9"), ("44", "0.000001")]),
    "28-signature-trailer-42": msg("FIX.4.2", hdr("D", 14) + [
        ("11", "ORD-S"), ("55", "IBM"), ("38", "100.00"), ("44", "99.999999"),
        ("93", "4"), ("89", "s\x01g=")]),
    "29-hops-44": msg("FIX.4.4", hdr("0", 15) + [
        ("627", "2"), ("628", "HUB1"), ("629", "20240102-14:30:00.001"), ("628", "HUB2"),
        ("629", "20240102-14:30:00.002"), ("630", "7")]),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), OUT))
