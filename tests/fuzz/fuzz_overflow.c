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

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	char dir[256], path[300], lock[310];
	struct rules_store *st;
	struct stream s;
	int inputs;
} F;

static void cleanup_store(void)
{
	if (F.st != NULL)
		rules_store_close(F.st);
	F.st = NULL;
	(void)unlink(F.path);
	(void)unlink(F.lock);
}

static void cleanup(void)
{
	cleanup_store();
	(void)rmdir(F.dir);
}

/* A fresh store at the first input and every 1,024th: each input writes
 * its world, and the audit log would fill the map. */
static void init(void)
{
	char err[RULES_ERRLEN];

	if (F.st != NULL && ++F.inputs % 1024 != 0)
		return;
	if (F.dir[0] == '\0') {
		fuzz_tmpdir(F.dir, sizeof(F.dir), "overflow");
		snprintf(F.path, sizeof(F.path), "%s/rules.mdb", F.dir);
		snprintf(F.lock, sizeof(F.lock), "%s-lock", F.path);
		atexit(cleanup);
	}
	cleanup_store();
	if (rules_store_open(&F.st, F.path, RULES_STORE_CREATE, 0, err) != 0) {
		fprintf(stderr, "fuzz_overflow: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rng r = {UINT64_C(0x66757a7a2d6f7666), data, size}; /* "fuzz-ovf" */

	init();
	run_stream(&F.s, F.st, F.inputs, r.s, &r);
	return 0;
}
