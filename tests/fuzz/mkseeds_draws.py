"""mkseeds_draws.py - what mkseeds_engine.py and mkseeds_overflow.py share:
their seeds are 8-byte little-endian draws, here from splitmix64 as the
fuzz targets' own test drivers draw them (not a script: imported)."""
import struct

M = (1 << 64) - 1


def splitmix(seed, n):
    """n draws of splitmix64 from seed, as bytes."""
    out = []
    for _ in range(n):
        seed = (seed + 0x9E3779B97F4A7C15) & M
        z = seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        out.append(z ^ (z >> 31))
    return b"".join(struct.pack("<Q", v) for v in out)
