/*
 * test_simlib.c - the simulators' library (tests/sim/sim_*.c) and the parent
 * files of router-sim: histogram buckets and quantiles, the ring session
 * store (wrap, index collisions, reset), strict option parsing, the seeded
 * PRNG, and the parents CSV read/write round trip.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router_orders.h"
#include "sim_hist.h"
#include "sim_store.h"
#include "sim_util.h"
#include "testutil.h"

/* ---- histogram ------------------------------------------------------------------ */

static void test_hist_buckets(void **state)
{
	uint64_t v;
	unsigned i;

	(void)state;
	/* exact below 2^BITS, contiguous and monotonic above */
	for (v = 0; v < 256; v++)
		assert_int_equal(sim_hist_index(v), v);
	for (i = 0; i + 1 < SIM_HIST_N; i++) {
		assert_int_equal(sim_hist_highest(i) + 1, sim_hist_lowest(i + 1));
		assert_int_equal(sim_hist_index(sim_hist_lowest(i)), i);
		assert_int_equal(sim_hist_index(sim_hist_highest(i)), i);
	}
	/* relative width at most 1/128 */
	for (i = 256; i < SIM_HIST_N; i++)
		assert_true((sim_hist_highest(i) - sim_hist_lowest(i)) * 128 <= sim_hist_lowest(i));
	assert_int_equal(sim_hist_index(UINT64_MAX), SIM_HIST_N - 1);
}

static void test_hist_quantiles(void **state)
{
	struct sim_hist *h = malloc(sizeof(*h));
	uint64_t i, q;

	(void)state;
	sim_hist_init(h);
	assert_int_equal(sim_hist_quantile(h, 0.5), 0);
	for (i = 1; i <= 100000; i++)
		sim_hist_add(h, i * 1000); /* 1 us .. 100 ms */
	assert_int_equal(h->h_count, 100000);
	assert_int_equal(h->h_min, 1000);
	assert_int_equal(h->h_max, 100000000);
	q = sim_hist_quantile(h, 0.5);
	assert_true(q >= 50000000 && q <= 50000000 + 50000000 / 128);
	q = sim_hist_quantile(h, 0.999);
	assert_true(q >= 99900000 && q <= 100000000);
	assert_int_equal(sim_hist_quantile(h, 1.0), 100000000);
	assert_true(sim_hist_mean(h) > 50000000.0 && sim_hist_mean(h) < 50001000.0);
	/* one huge outlier is the max and p100, not p99 */
	sim_hist_add(h, UINT64_C(5000000000));
	assert_int_equal(sim_hist_quantile(h, 1.0), UINT64_C(5000000000));
	assert_true(sim_hist_quantile(h, 0.99) < 100000000);
	free(h);
}

/* ---- store ---------------------------------------------------------------------- */

struct seen {
	uint64_t seq[64];
	char first[64];
	int n;
};

static int collect(void *arg, uint64_t seq, const char *msg, size_t len)
{
	struct seen *s = arg;

	if (s->n < 64) {
		s->seq[s->n] = seq;
		s->first[s->n] = len > 0 ? msg[0] : 0;
	}
	s->n++;
	return 0;
}

static void test_store(void **state)
{
	struct sim_store *st;
	struct session_store ops;
	struct seen s;
	char msg[1000];
	uint64_t seq;

	(void)state;
	assert_int_equal(sim_store_new(&st, 100, 8), -EINVAL);
	assert_int_equal(sim_store_new(&st, 4096, 8), 0);
	ops = sim_store_ops(st);
	assert_int_equal(sim_store_next_in(st), 1);
	assert_int_equal(ops.ss_save_seq(ops.ss_arg, 7, 9), 0);
	assert_int_equal(sim_store_next_in(st), 7);
	assert_int_equal(sim_store_next_out(st), 9);
	/* 1000-byte messages: 4 fit in the ring, 8 in the index */
	for (seq = 1; seq <= 6; seq++) {
		memset(msg, (int)('a' + seq), sizeof(msg));
		assert_int_equal(ops.ss_save_out(ops.ss_arg, seq, msg, sizeof(msg)), 0);
	}
	assert_int_equal(sim_store_saved(st), 6);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ops.ss_each_out(ops.ss_arg, 1, 6, collect, &s), 0);
	/* the oldest were overwritten: only the last ones that fit are held */
	assert_true(s.n >= 3 && s.n <= 4);
	assert_int_equal(s.seq[s.n - 1], 6);
	assert_int_equal(s.first[s.n - 1], 'a' + 6);
	assert_false(sim_store_has(st, 1));
	assert_true(sim_store_has(st, 6));
	/* index collision: seq 14 takes seq 6's entry (8 entries) */
	assert_int_equal(ops.ss_save_out(ops.ss_arg, 14, "x", 1), 0);
	assert_false(sim_store_has(st, 6));
	assert_true(sim_store_has(st, 14));
	/* too big for the ring */
	assert_int_equal(ops.ss_save_out(ops.ss_arg, 15, msg, 5000), -ENOSPC);
	/* reset forgets everything */
	assert_int_equal(ops.ss_reset(ops.ss_arg), 0);
	assert_false(sim_store_has(st, 14));
	memset(&s, 0, sizeof(s));
	assert_int_equal(ops.ss_each_out(ops.ss_arg, 1, 100, collect, &s), 0);
	assert_int_equal(s.n, 0);
	sim_store_free(st);
}

/* ---- options and PRNG ------------------------------------------------------------ */

static void test_parse(void **state)
{
	int64_t i;
	double d;
	struct sockaddr_in a;
	int v;

	(void)state;
	assert_int_equal(sim_parse_i64("42", 0, 100, &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(sim_parse_i64("101", 0, 100, &i), -EINVAL);
	assert_int_equal(sim_parse_i64("4x", 0, 100, &i), -EINVAL);
	assert_int_equal(sim_parse_i64("", 0, 100, &i), -EINVAL);
	assert_int_equal(sim_parse_i64("+4", 0, 100, &i), -EINVAL);
	assert_int_equal(sim_parse_i64("99999999999999999999", 0, INT64_MAX, &i), -EINVAL);
	assert_int_equal(sim_parse_double("0.05", 0, 1, &d), 0);
	assert_true(d > 0.0499 && d < 0.0501);
	assert_int_equal(sim_parse_double("nan", 0, 1, &d), -EINVAL);
	assert_int_equal(sim_parse_double("1.5", 0, 1, &d), -EINVAL);
	assert_int_equal(sim_parse_addr("127.0.0.1:0", &a), 0);
	assert_int_equal(sim_parse_addr("localhost:443", &a), 0);
	assert_int_equal(sim_parse_addr("127.0.0.1", &a), -EINVAL);
	assert_int_equal(sim_parse_addr("127.0.0.1:65536", &a), -EINVAL);
	assert_int_equal(sim_parse_addr("example.com:1", &a), -EINVAL);
	assert_int_equal(sim_parse_fix_version("4.2", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(sim_parse_fix_version("FIX.4.4", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(sim_parse_fix_version("5.0", &v), -EINVAL);
}

static void test_rng(void **state)
{
	struct sim_rng a, b;
	int i, hits = 0;

	(void)state;
	sim_rng_seed(&a, 7);
	sim_rng_seed(&b, 7);
	for (i = 0; i < 1000; i++)
		assert_int_equal(sim_rng_next(&a), sim_rng_next(&b));
	sim_rng_seed(&b, 8);
	assert_true(sim_rng_next(&a) != sim_rng_next(&b));
	for (i = 0; i < 10000; i++) {
		double u = sim_rng_unit(&a);

		assert_true(u >= 0.0 && u < 1.0);
		hits += u < 0.25;
		assert_true(sim_rng_below(&a, 3) < 3);
	}
	assert_true(hits > 2300 && hits < 2700);
	assert_int_equal(sim_rng_below(&a, 0), 0);
}

static void test_utoa_and_json(void **state)
{
	char b[24], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	b[sim_utoa(0, b)] = '\0';
	assert_string_equal(b, "0");
	b[sim_utoa(UINT64_MAX, b)] = '\0';
	assert_string_equal(b, "18446744073709551615");
	assert_string_equal(sim_px_str(101500000, b), "101.5");
	f = open_memstream(&buf, &len);
	sim_json_str(f, "a\"b\\c\001", 6);
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u0001\"");
	free(buf);
}

/* ---- parents CSV ----------------------------------------------------------------- */

static void test_parents_csv(void **state)
{
	char *dir = tu_mkdtemp("simlib"), *p1 = tu_path(dir, "a.csv"), *p2 = tu_path(dir, "b.csv");
	struct ro_parent *ps, *again;
	char err[256];
	const char good[] = "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\n"
			    "P1,ACC1,IBM,buy,1000,150.25,,,\n"
			    "\"P,2\",ACC2,\"MS\"\"FT\",sell_short,200,,1000000,50,qty|rate\n";
	int n;

	(void)state;
	assert_int_equal(tu_write_file(p1, good, sizeof(good) - 1), 0);
	n = ro_parents_csv(p1, &ps, err, sizeof(err));
	assert_int_equal(n, 2);
	assert_string_equal(ps[0].p_id, "P1");
	assert_int_equal(ps[0].p_side, '1');
	assert_int_equal(ps[0].p_qty, 1000);
	assert_int_equal(ps[0].p_limit_px, 150250000);
	assert_string_equal(ps[1].p_id, "P,2");
	assert_string_equal(ps[1].p_symbol, "MS\"FT");
	assert_int_equal(ps[1].p_side, '5');
	assert_int_equal(ps[1].p_limit_px, 0);
	/* written and read back: the same parents */
	assert_int_equal(ro_parents_write(p2, ps, 2), 0);
	assert_int_equal(ro_parents_csv(p2, &again, err, sizeof(err)), 2);
	assert_memory_equal(&again[1], &ps[1], offsetof(struct ro_parent, p_child_qty));
	free(again);
	free(ps);
	/* errors name the line */
	assert_int_equal(tu_write_file(p1, "P1,ACC1,IBM,buy,0\n", 18), 0);
	assert_int_equal(ro_parents_csv(p1, &ps, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a.csv:1: qty '0'"));
	assert_int_equal(tu_write_file(p1, "id,x\nP1,ACC1\n", 13), 0);
	assert_int_equal(ro_parents_csv(p1, &ps, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a.csv:2: expected id,account"));
	assert_int_equal(tu_write_file(p1, "P1,ACC1,IBM,buy,10,abc\n", 23), 0);
	assert_int_equal(ro_parents_csv(p1, &ps, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "limit_px 'abc'"));
	assert_int_equal(tu_write_file(p1, "id,account,symbol,side,qty\n", 27), 0);
	assert_int_equal(ro_parents_csv(p1, &ps, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no parents"));
	/* generated parents are deterministic */
	assert_int_equal(ro_parents_gen(50, 9, 100000000, &ps), 50);
	assert_int_equal(ro_parents_gen(50, 9, 100000000, &again), 50);
	assert_memory_equal(ps, again, 50 * sizeof(*ps));
	assert_true(ps[0].p_qty >= 1000 && ps[0].p_qty <= 10000 && ps[0].p_qty % 100 == 0);
	free(ps);
	free(again);
	tu_rmtree(dir);
	free(dir);
	free(p1);
	free(p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_utoa_and_json),
		cmocka_unit_test(test_parents_csv),
	};

	return cmocka_run_group_tests_name("simlib", tests, NULL, NULL);
}
