#!/usr/bin/env python3
"""mkseeds_engine.py - writes the seed corpus tests/fuzz/corpus/engine/ for
fuzz_engine.c (run from anywhere: python3 tests/fuzz/mkseeds_engine.py). The
seeds are committed; this script documents how each was made. A seed is a
settings byte (bit 0: the venue may overfill) and 8-byte draws, here from
splitmix64 of a fixed seed; fuzz_engine goes on with its own draws when they
run out, so every seed is a whole stream of 200 steps."""
import os

from mkseeds_draws import splitmix

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "engine")


seeds = {
    "01-empty-draws": b"\x00",
    "02-empty-draws-overfill": b"\x01",
}
for i, (draws, overfill) in enumerate([(50, 0), (400, 0), (1500, 0), (400, 1), (1500, 1),
                                        (3000, 0)]):
    seeds["%02d-draws-%d%s" % (i + 3, draws, "-overfill" if overfill else "")] = (
        bytes([overfill]) + splitmix(0x72697367 + i, draws))

os.makedirs(OUT, exist_ok=True)
for name, body in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(body)
print("wrote %d seeds to %s" % (len(seeds), OUT))
