#!/usr/bin/env python3
"""mkseeds_overflow.py - writes the seed corpus tests/fuzz/corpus/overflow/
for fuzz_overflow.c (run from anywhere: python3 tests/fuzz/mkseeds_overflow.py).
The seeds are committed; this script documents how each was made. A seed is
8-byte draws, here from splitmix64 of a fixed seed; fuzz_overflow goes on
with its own draws when they run out, so every seed is a whole stream (the
world, then 120 steps)."""
import os
import struct

from mkseeds_draws import M, splitmix

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "overflow")


def draws(*vals):
    return b"".join(struct.pack("<Q", v & M) for v in vals)


INT64_MAX = (1 << 63) - 1
seeds = {"01-no-draws": b""}
for i, n in enumerate([20, 100, 400, 1000, 2000]):
    seeds["%02d-splitmix-%d" % (i + 2, n)] = splitmix(0x6F76657266 + i, n)
# The world of a stream, draw by draw (test_engine_overflow.c, world()): for
# each of P0..P2 its quantity big() and max notional (rnd 0..2, 0 = none,
# else big()); for each account its notional limit (rnd 0..2, 0 = none, else
# big()); the reference price (rnd 0..1, 0 = none, else big()). big() takes
# a case 0..11 first: 2 is INT64_MAX, 4 is INT64_MAX / 2 + rnd(-1..1).
# Then steps: rnd 0..9 (< 5 a new child), its parent rnd 0..2, market only
# with a reference price, its quantity big(), its price rnd 0..1 (0: rnd 1..4).
world = draws(2, 0,  2, 0,  2, 0,  0, 0,  0)
child = lambda p, q_case, q_arg: draws(0, p, q_case, q_arg, 0, 0)  # price 1
seeds["07-parent-qty-int64-max-passed"] = (
    world + child(0, 4, 1) + child(0, 4, 1) + child(0, 1, 0))  # halves, then 2 more
# 08-replace-step-past-int64-max was found by libFuzzer (not written here):
# the harness itself stepped a replace's quantity past INT64_MAX (signed
# overflow in the test, UBSan); kept as a seed of that path. So was
# 09-sums-past-int128: LeavesQty and prices near INT64_MAX made open
# notionals near 2^126, whose sum passed the harness's __int128 (notionals
# are now held at 2^100, where the engine has pinned the sums long before).
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), OUT))
