#!/usr/bin/env python3
"""mkseeds_import.py - writes the seed corpus tests/fuzz/corpus/import/ for
fuzz_import.c (run from anywhere: python3 tests/fuzz/mkseeds_import.py). The
seeds are committed; this script documents how each was made and regenerates
them. A seed is one settings byte (bit 0 CSV, bit 1 replace, bit 2 dry run)
and the file; the formats are docs/limits-format.md's."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "import")
EXAMPLE = os.path.join(HERE, "..", "..", "docs", "examples", "limits.json")

JSON, CSV, REPLACE, DRYRUN = 0, 1, 2, 4


def doc(limits="[]", parents="[]", refpx="[]", restricted="[]", fmt='"riskgw-limits"',
        version="1"):
    return ('{"format": %s, "version": %s, "limits": %s, "parents": %s, '
            '"ref_prices": %s, "restricted": %s}\n'
            % (fmt, version, limits, parents, refpx, restricted)).encode()


P1 = ('{"id": "P1", "account": "ACC1", "symbol": "IBM", "side": "buy", "qty": 1000, '
      '"limit_px": "150.25", "max_notional": "150250", "max_rate": 10, '
      '"trip": ["qty", "notional", "rate"]}')
P9 = '{"id": "P9", "account": "ACC9", "symbol": "AAPL", "side": "sell", "qty": 5}'
GLOBAL = ('{"scope": "global", "key": "", "limits": {"order_qty": {"value": 10000, '
          '"action": "reject"}, "order_notional": {"value": "1000000.5", "action": "trip"}}}')
ACCOUNT = ('{"scope": "account", "key": "ACC1", "limits": {"account_notional": '
           '{"value": "25000000"}}}')
PARENT_LIM = ('{"scope": "parent", "key": "P1", "limits": {"parent_qty": {"value": 900}, '
              '"parent_rate": {"value": 100000}, "collar_abs": {"value": "0.000001"}}}')
HDR = b"id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\n"

with open(EXAMPLE, "rb") as f:
    example = f.read()

seeds = {
    # JSON that imports
    "01-json-example": (JSON, example),
    "02-json-example-replace": (REPLACE, example),
    "03-json-example-dryrun": (DRYRUN, example),
    "04-json-empty-sections": (JSON, doc()),
    "05-json-empty-sections-replace": (REPLACE, doc()),
    "06-json-every-kind": (JSON, doc("[%s, %s, %s]" % (GLOBAL, ACCOUNT, PARENT_LIM),
                                     "[%s, %s]" % (P1, P9),
                                     '[{"symbol": "IBM", "px": "150.25"}]',
                                     '[{"symbol": "XYZ", "reason": "caf\u00e9 \\u00e9"}]')),
    "07-json-side-names": (JSON, doc(parents="[%s]" % ", ".join(
        '{"id": "S%d", "account": "A", "symbol": "B", "side": "%s", "qty": 1}' % (i, s)
        for i, s in enumerate(["buy", "sell", "sell_short", "sell_short_exempt"])))),
    "08-json-trip-none": (JSON, doc(parents='[{"id": "P1", "account": "A", "symbol": "B", '
                                            '"side": "buy", "qty": 1, "trip": []}]')),
    # JSON that must be refused, each a different way
    "20-json-truncated": (JSON, example[: len(example) // 2]),
    "21-json-unknown-key": (JSON, doc(parents='[{"id": "P1", "account": "A", "symbol": "B", '
                                              '"side": "buy", "qty": 1, "qtyy": 2}]')),
    "22-json-missing-section": (REPLACE, b'{"format": "riskgw-limits", "version": 1, '
                                         b'"limits": [], "parents": [], "ref_prices": []}'),
    "23-json-duplicate-key": (JSON, b'{"format": "riskgw-limits", "format": "x", "version": 1, '
                                    b'"limits": [], "parents": [], "ref_prices": [], '
                                    b'"restricted": []}'),
    "24-json-float-qty": (JSON, doc(parents='[{"id": "P1", "account": "A", "symbol": "B", '
                                            '"side": "buy", "qty": 1.5}]')),
    "25-json-number-price": (JSON, doc(refpx='[{"symbol": "IBM", "px": 150.25}]')),
    "26-json-seven-decimals": (JSON, doc(refpx='[{"symbol": "IBM", "px": "1.0000001"}]')),
    "27-json-negative": (JSON, doc(limits='[{"scope": "global", "key": "", "limits": '
                                          '{"order_qty": {"value": -1}}}]')),
    "28-json-overflow": (JSON, doc(refpx='[{"symbol": "IBM", "px": "99999999999999999999"}]')),
    "29-json-nan": (JSON, doc(refpx='[{"symbol": "IBM", "px": "nan"}]')),
    "30-json-version-2": (JSON, doc(version="2")),
    "31-json-wrong-format": (JSON, doc(fmt='"other"')),
    "32-json-duplicate-parent": (JSON, doc(parents="[%s, %s]" % (P1, P1))),
    "33-json-bad-id": (JSON, doc(parents='[{"id": "P 1", "account": "A", "symbol": "B", '
                                         '"side": "buy", "qty": 1}]')),
    "34-json-control-in-reason": (JSON, doc(restricted='[{"symbol": "X", "reason": '
                                                       '"a\\u0007b"}]')),
    "35-json-rate-too-high": (JSON, doc(parents='[{"id": "P1", "account": "A", "symbol": "B", '
                                                '"side": "buy", "qty": 1, "max_rate": 100001}]')),
    "36-json-deep": (JSON, b"[" * 5000 + b"]" * 5000),
    "37-json-not-object": (JSON, b'"riskgw-limits"'),
    "38-json-trailing": (JSON, doc() + b"{}"),
    "39-json-nul-byte": (JSON, doc()[:20] + b"\x00" + doc()[20:]),
    "40-json-bad-utf8": (JSON, doc(restricted='[{"symbol": "X", "reason": "@@"}]')
                         .replace(b"@@", b"\xff\xfe")),
    # found by the fuzzer: jansson's error quoted the raw byte (an escape
    # sequence could reach the operator's terminal); now \x1b
    "41-json-escape-in-error": (JSON, b'{"format": "riskgw-limits", \x1b[2J"version": 1}'),
    # CSV that imports
    "50-csv-doc": (CSV, HDR + b"P1,ACC1,IBM,buy,1000,150.25,150250,10,qty|notional|rate\n"
                          b"P2,ACC1,MSFT,sell,500,,,,\n"
                          b"\"P,3\",ACC2,IBM,sell_short,100,,,,none\n"),
    "51-csv-replace": (CSV | REPLACE, HDR + b"P7,ACC7,IBM,buy,10,,,,rate|qty\n"),
    "52-csv-crlf-no-last-eol": (CSV, HDR.replace(b"\n", b"\r\n") + b"P1,A,B,buy,100.00,,,,"),
    "53-csv-quotes": (CSV, HDR + b"\"P\"\"4\",A,B,sell_short_exempt,1,,,0,none\n"),
    "54-csv-dryrun": (CSV | DRYRUN, HDR + b"P1,A,B,buy,1,,,,\n"),
    "55-csv-header-only": (CSV | REPLACE, HDR),
    # CSV that must be refused
    "60-csv-bom": (CSV, b"\xef\xbb\xbf" + HDR + b"P1,A,B,buy,1,,,,\n"),
    "61-csv-empty-line": (CSV, HDR + b"P1,A,B,buy,1,,,,\n\n"),
    "62-csv-eight-fields": (CSV, HDR + b"P1,A,B,buy,1,,,\n"),
    "63-csv-quote-inside": (CSV, HDR + b"P\"1,A,B,buy,1,,,,\n"),
    "64-csv-unclosed-quote": (CSV, HDR + b"\"P1,A,B,buy,1,,,,\n"),
    "65-csv-duplicate": (CSV, HDR + b"P1,A,B,buy,1,,,,\nP1,A,B,buy,2,,,,\n"),
    "66-csv-bad-qty": (CSV, HDR + b"P1,A,B,buy,abc,,,,\n"),
    "67-csv-trip-twice": (CSV, HDR + b"P1,A,B,buy,1,,,,qty|qty\n"),
    "68-csv-tab": (CSV, HDR + b"P1,A,B,buy,1,,,,\tnone\n"),
    "69-csv-wrong-header": (CSV, b"id,account,symbol,side,qty\nP1,A,B,buy,1\n"),
    "70-csv-empty": (CSV, b""),
}

os.makedirs(OUT, exist_ok=True)
for name, (flags, body) in seeds.items():
    if isinstance(body, str):
        body = body.encode("latin-1")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([flags]) + body)
print("wrote %d seeds to %s" % (len(seeds), OUT))
