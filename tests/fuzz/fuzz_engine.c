/*
 * fuzz_engine.c - the randomized model-based test of rules/engine.c
 * (tests/unit/rules/test_engine_model.c) with the fuzzer's input as its
 * random draws: coverage-guided streams of child orders, replaces, cancels,
 * limit changes and venue reports (fills after cancels and replaces,
 * resends of older reports, overfills), checked after every step against
 * the test's reference model: every verdict and reason as the model
 * predicts, parent and account exposures equal to the model's, no accept
 * past a parent's quantity or notional or an account's notional.
 *
 * The input: byte 0 bit 0 lets the venue overfill; then 8 bytes per draw,
 * first the limits world (parents, accounts, symbols, limits, reference
 * prices), then the stream; when the input runs out the draws go on from
 * splitmix64, so a short input is a whole stream too. A failure prints the
 * model's trace and aborts (cmocka's fail outside a test run).
 */
#define ENGINE_MODEL_FUZZ 1
#include "../unit/rules/test_engine_model.c"

#include "fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct fuzz_store fs;
	struct rules_engine *en;
	struct world w;
	struct model m;
	struct stats stats;
} F;

static void cleanup(void)
{
	if (F.en != NULL)
		rules_engine_free(F.en);
	F.en = NULL;
	fuzz_store_remove(&F.fs);
}

/* A fresh store and engine at the first input and every 1,024th. */
static void init(void)
{
	struct rules_engine_config cfg = {MAXCL, 16, 8, 8, 0};
	char err[RULES_ERRLEN];

	if (!fuzz_store_due(&F.fs))
		return;
	if (F.en != NULL)
		rules_engine_free(F.en);
	F.en = NULL;
	fuzz_store_renew(&F.fs, "engine", cleanup);
	if (rules_engine_new(&F.en, F.fs.st, &cfg, err) != 0) {
		fprintf(stderr, "fuzz_engine: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model *m = &F.m;
	struct rng r = {UINT64_C(0x66757a7a2d656e67), NULL, 0}; /* "fuzz-eng" */
	bool overfill;

	if (size < 1)
		return 0;
	init();
	overfill = (data[0] & 1) != 0;
	r.in = data + 1;
	r.in_len = size - 1;
	world_gen(&F.w, &r);
	world_write(F.fs.st, &F.w);
	memset(m, 0, sizeof(*m));
	m->r = r; /* the stream's draws go on where the world's ended */
	m->w = &F.w;
	m->en = F.en;
	m->st = F.fs.st;
	m->stats = &F.stats;
	m->overfill = overfill;
	run_stream(m);
	return 0;
}
