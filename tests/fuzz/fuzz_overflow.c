/*
 * fuzz_overflow.c - the randomized test of the checks at the top of the
 * int64 range (tests/unit/rules/test_engine_overflow.c) with the fuzzer's
 * input as its random draws: coverage-guided worlds of limits near
 * INT64_MAX and streams of children, fills and cancels whose products and
 * sums pass it, fills (partial, beyond the order, at other prices), cancels
 * and replaces, checked after every step against exact (128-bit) sums:
 * every verdict as the sums say, every parent's pinned flag, every unpinned
 * sum equal.
 *
 * The input: 8 bytes per draw, first the world (limits, reference price),
 * then the stream; when the input runs out the draws go on from
 * splitmix64, so a short input is a whole stream too. A failure prints the
 * stream and step and aborts (cmocka's fail outside a test run).
 */
#define OVERFLOW_FUZZ 1
#include "../unit/rules/test_engine_overflow.c"

#include "fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct fuzz_store fs;
	struct stream s;
} F;

static void cleanup(void)
{
	fuzz_store_remove(&F.fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rng r = {UINT64_C(0x66757a7a2d6f7666), data, size}; /* "fuzz-ovf" */

	if (fuzz_store_due(&F.fs))
		fuzz_store_renew(&F.fs, "overflow", cleanup);
	run_stream(&F.s, F.fs.st, (int)F.fs.inputs, r.s, &r);
	return 0;
}
