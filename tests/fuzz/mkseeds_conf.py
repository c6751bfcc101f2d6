#!/usr/bin/env python3
"""mkseeds_conf.py - writes the seed corpus tests/fuzz/corpus/conf/ for
fuzz_conf.c (run from anywhere: python3 tests/fuzz/mkseeds_conf.py). The
seeds are committed; this script documents how each was made and regenerates
them. They start from docs/examples/riskgwd.conf, which documents every key."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "conf")
with open(os.path.join(HERE, "..", "..", "docs", "examples", "riskgwd.conf"), "rb") as f:
    example = f.read()

# every commented-out key uncommented, but events-from (chip or events-from)
uncommented = re.sub(rb"(?m)^#(\[|[a-z])", rb"\1", example)
uncommented = re.sub(rb"(?m)^events-from.*\n", b"", uncommented)

minimal = (b"[gateway]\nlisten = 127.0.0.1:9878\ncert = c.crt\nkey = k.key\n"
           b"client-ca = ca.crt\njournal = j.mdb\nrules = r.mdb\n"
           b"[route r1]\nfix-version = FIX.4.4\nrouter-comp-id = R1\ngateway-comp-id = GW\n"
           b"router-identity = router1\nvenue = [::1]:9880\nvenue-ca = ca.crt\n"
           b"venue-sender-comp-id = GW1\nvenue-target-comp-id = V\nparent-tag = 583\n")

seeds = {
    "01-example": example,
    "02-example-every-key": uncommented,
    "03-minimal-ipv6-venue": minimal,
    "04-crlf": minimal.replace(b"\n", b"\r\n"),
    "05-no-last-newline": minimal.rstrip(b"\n"),
    "06-two-routes": minimal + minimal[minimal.index(b"[route"):].replace(b"r1]", b"r2]")
                      .replace(b"R1", b"R2"),
    "07-gpio-fifo": minimal + b"[gpio]\nline = 17\nevents-from = /tmp/f\nedge = both\n"
                              b"debounce-ms = 0\nactive-low = yes\noptional = yes\n",
    "08-comments-spaces": b"  # lead\n\n" + minimal.replace(b" = ", b"\t=  ") + b"# end\n",
    "20-empty": b"",
    "21-unknown-key": minimal + b"bogus = 1\n",
    "22-duplicate-route": minimal + minimal[minimal.index(b"[route"):],
    "23-same-compids": minimal + minimal[minimal.index(b"[route"):].replace(b"r1]", b"r2]"),
    "24-bad-port": minimal.replace(b"9878", b"70000"),
    "25-ipv6-unbracketed": minimal.replace(b"[::1]:9880", b"::1:9880"),
    "26-ctl-char": minimal.replace(b"c.crt", b"c\x1b[31m.crt"),
    "27-nul": minimal.replace(b"k.key", b"k\x00.key"),
    "28-long-line": minimal + b"# " + b"x" * 5000 + b"\n",
    "29-parent-tag-583-fix42": minimal.replace(b"FIX.4.4", b"FIX.4.2"),
    "30-strip-twice": minimal + b"strip-tags = 583 583\n",
    "31-int-overflow": minimal + b"heartbeat = 99999999999999999999\n",
    "32-section-unclosed": b"[gateway\n" + minimal,
    "33-no-route": minimal[: minimal.index(b"[route")],
    "34-prealloc-needs-nosync": minimal.replace(b"rules = r.mdb\n",
                                                b"rules = r.mdb\njournal-prealloc = 64\n"),
    "35-cert-without-key": minimal + b"venue-cert = x.crt\n",
    # found by the fuzzer: NULs at the end loaded (fgets() stopped at them),
    # and with a line end after them were "line longer than 1024 characters"
    "37-nul-at-end": minimal.replace(b"FIX.4.4", b"FIX.4.2").replace(b"583", b"291")
                     + b"\x00" * 10,
    "36-names": minimal.replace(b"rules = r.mdb\n",
                                b"rules = r.mdb\nreset-operators = alice bob\n"
                                b"control-delegates = riskgw-admin\n"),
}

os.makedirs(OUT, exist_ok=True)
for name, body in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(body)
print("wrote %d seeds to %s" % (len(seeds), OUT))
