/*
 * test_journal.c - gateway/journal.c: round trips of every record, turns and
 * group commit, crashes (a child that _exit()s with and without commit, a
 * child SIGKILLed in the middle of a stream of turns), dead readers, replay
 * into a real rules engine, a full map, damaged and newer files, resend
 * ranges, the new trading day.
 *
 * LMDB commit faults are injected with -Wl,--wrap=mdb_txn_commit.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "crc32c.h"
#include "engine.h"
#include "fixed.h"
#include "journal.h"
#include "journal_rec.h"
#include "record.h"
#include "store.h"
#include "testutil.h"

/* ---- commit fault injection ----------------------------------------------------- */

int __real_mdb_txn_commit(MDB_txn *);
int __wrap_mdb_txn_commit(MDB_txn *);
static int fail_commit; /* non-zero: the next commit fails with it */

int __wrap_mdb_txn_commit(MDB_txn *txn)
{
	int rc = fail_commit;

	if (rc != 0) {
		fail_commit = 0;
		mdb_txn_abort(txn); /* a failed commit frees the transaction */
		return rc;
	}
	return __real_mdb_txn_commit(txn);
}

/* ---- fixture ---------------------------------------------------------------------- */

struct fx {
	char *dir, *path;
};

static const struct journal_config cfg_sync = {0, true, true, 0, 0};
static const struct journal_config cfg_nosync = {0, false, true, JOURNAL_RESERVE_DEFAULT, 0};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_mkdtemp("journal");
	f->path = tu_path(f->dir, "journal.mdb");
	fail_commit = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static struct journal *jopen(const char *path, const struct journal_config *cfg)
{
	struct journal *j = NULL;
	char err[RULES_ERRLEN];
	int rc = journal_open(&j, path, cfg, err);

	if (rc != 0)
		fail_msg("journal_open: %s (%s)", err, rules_strerror(rc));
	return j;
}

static void commit_ok(struct journal *j)
{
	char err[RULES_ERRLEN];
	int rc = journal_commit(j, err);

	if (rc != 0)
		fail_msg("journal_commit: %s", err);
}

static void open_fails(const char *path, const struct journal_config *cfg, int want,
    const char *text)
{
	struct journal *j = NULL;
	char err[RULES_ERRLEN] = "";
	int rc = journal_open(&j, path, cfg, err);

	if (rc != want)
		fail_msg("journal_open: %d (%s), want %d; err: %s", rc, rules_strerror(rc), want,
		    err);
	assert_null(j);
	if (strstr(err, text) == NULL)
		fail_msg("err \"%s\" lacks \"%s\"", err, text);
}

/* Deterministic pseudo-random numbers (fixed seeds, never the time). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* An accepted-order event whose fields are a function of n. */
static struct journal_event order_ev(uint64_t n)
{
	char clid[32];
	struct rules_order o = {
		.ro_kind = RULES_NEW,
		.ro_parent = "P1",
		.ro_account = "ACC1",
		.ro_symbol = "SYM1",
		.ro_side = '1',
		.ro_ordtype = '2',
		.ro_qty = (int64_t)n,
		.ro_px = (int64_t)n * 100,
		.ro_now_ns = (int64_t)n * 1000,
	};
	struct journal_event ev;

	snprintf(clid, sizeof(clid), "C%" PRIu64, n);
	o.ro_clordid = clid;
	assert_int_equal(journal_ev_order(&ev, "r1", &o), 0);
	return ev;
}

static bool ev_equal(const struct journal_event *a, const struct journal_event *b)
{
	if (a->ev_seq != b->ev_seq || a->ev_type != b->ev_type ||
	    strcmp(a->ev_route, b->ev_route) != 0)
		return false;
	switch (a->ev_type) {
	case JOURNAL_EV_ORDER: {
		const struct journal_order *x = &a->ev_u.order, *y = &b->ev_u.order;

		return x->jo_kind == y->jo_kind && strcmp(x->jo_clordid, y->jo_clordid) == 0 &&
		    strcmp(x->jo_origclordid, y->jo_origclordid) == 0 &&
		    strcmp(x->jo_parent, y->jo_parent) == 0 &&
		    strcmp(x->jo_account, y->jo_account) == 0 &&
		    strcmp(x->jo_symbol, y->jo_symbol) == 0 && x->jo_side == y->jo_side &&
		    x->jo_ordtype == y->jo_ordtype && x->jo_qty == y->jo_qty &&
		    x->jo_px == y->jo_px && x->jo_declared_qty == y->jo_declared_qty &&
		    x->jo_allow_declare == y->jo_allow_declare && x->jo_now_ns == y->jo_now_ns;
	}
	case JOURNAL_EV_EXEC: {
		const struct journal_exec *x = &a->ev_u.exec, *y = &b->ev_u.exec;

		return strcmp(x->jx_clordid, y->jx_clordid) == 0 &&
		    strcmp(x->jx_origclordid, y->jx_origclordid) == 0 &&
		    x->jx_exec_type == y->jx_exec_type && x->jx_ord_status == y->jx_ord_status &&
		    x->jx_last_qty == y->jx_last_qty && x->jx_last_px == y->jx_last_px &&
		    x->jx_cum_qty == y->jx_cum_qty && x->jx_leaves_qty == y->jx_leaves_qty &&
		    x->jx_order_qty == y->jx_order_qty && x->jx_px == y->jx_px;
	}
	case JOURNAL_EV_CANCEL_SENT:
	case JOURNAL_EV_CANCEL_REJECT:
		return strcmp(a->ev_u.cancel.jc_clordid, b->ev_u.cancel.jc_clordid) == 0 &&
		    strcmp(a->ev_u.cancel.jc_origclordid, b->ev_u.cancel.jc_origclordid) == 0 &&
		    a->ev_u.cancel.jc_response_to == b->ev_u.cancel.jc_response_to;
	case JOURNAL_EV_PARENT_BLOCK:
	case JOURNAL_EV_PARENT_RELEASE:
		return strcmp(a->ev_u.parent.jp_parent, b->ev_u.parent.jp_parent) == 0;
	}
	return false;
}

/* Collects replayed events. */
#define MAXEV 64
struct evs {
	struct journal_event ev[MAXEV];
	size_t n;
};

static int collect(void *arg, const struct journal_event *ev)
{
	struct evs *e = arg;

	if (e->n < MAXEV)
		e->ev[e->n] = *ev;
	e->n++;
	return 0;
}

/* Counts events and checks each is order_ev(its number). */
struct counted {
	uint64_t n;
	bool bad;
};

static int count_orders(void *arg, const struct journal_event *ev)
{
	struct counted *c = arg;
	struct journal_event want = order_ev(ev->ev_seq);

	c->n++;
	want.ev_seq = ev->ev_seq;
	if (ev->ev_seq != c->n || !ev_equal(ev, &want))
		c->bad = true;
	return 0;
}

static int stop_at_2(void *arg, const struct journal_event *ev)
{
	int *n = arg;

	(void)ev;
	return ++*n == 2 ? 7 : 0;
}

/* ---- round trips ------------------------------------------------------------------ */

static void test_session_round_trip(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_sync);
	struct journal_session s = {17, 42, 20240315}, got;
	char err[RULES_ERRLEN], long_name[JOURNAL_NAME_MAX + 2];

	assert_int_equal(journal_session_get(j, "router1/router", &got), RULES_ENOTFOUND);
	assert_int_equal(journal_session_put(j, "router1/router", &s, err), 0);
	s.js_next_in = UINT64_C(1) << 40;
	assert_int_equal(journal_session_put(j, "router1/venue", &s, err), 0);
	commit_ok(j);
	/* refused values write nothing */
	s.js_next_out = 0;
	assert_int_equal(journal_session_put(j, "x", &s, err), RULES_EINVAL);
	s.js_next_out = 1;
	s.js_day = 20241301;
	assert_int_equal(journal_session_put(j, "x", &s, err), RULES_EINVAL);
	assert_non_null(strstr(err, "YYYYMMDD"));
	s.js_day = 20240315;
	assert_int_equal(journal_session_put(j, "has space", &s, err), RULES_EINVAL);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(journal_session_put(j, long_name, &s, err), RULES_EINVAL);
	assert_int_equal(journal_session_get(j, long_name, &got), RULES_ENOTFOUND);
	long_name[JOURNAL_NAME_MAX] = '\0'; /* the longest name is fine */
	assert_int_equal(journal_session_put(j, long_name, &s, err), 0);
	commit_ok(j);
	journal_close(j);

	j = jopen(fx->path, &cfg_sync);
	assert_int_equal(journal_session_get(j, "router1/router", &got), 0);
	assert_true(got.js_next_in == 17 && got.js_next_out == 42 && got.js_day == 20240315);
	assert_int_equal(journal_session_get(j, "router1/venue", &got), 0);
	assert_true(got.js_next_in == UINT64_C(1) << 40 && got.js_next_out == 42);
	assert_int_equal(journal_session_get(j, long_name, &got), 0);
	assert_int_equal(journal_session_get(j, "x", &got), RULES_ENOTFOUND);
	journal_close(j);
}

static void test_kill_round_trip(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_sync);
	struct journal_kill k, got;
	char err[RULES_ERRLEN];

	assert_int_equal(journal_kill_get(j, &got), RULES_ENOTFOUND);
	memset(&k, 0, sizeof(k));
	k.jk_state = JOURNAL_KILL_TRIPPED;
	k.jk_source = JOURNAL_KSRC_BREACH;
	snprintf(k.jk_reason, sizeof(k.jk_reason), "parent P1: open + filled 1100 > 1000 \xc3\xa9");
	k.jk_time_ns = INT64_C(1710500000123456789);
	assert_int_equal(journal_kill_put(j, &k, err), 0);
	commit_ok(j);
	assert_int_equal(journal_flush(j), 0);
	journal_close(j);

	j = jopen(fx->path, &cfg_sync);
	assert_int_equal(journal_kill_get(j, &got), 0);
	assert_int_equal(got.jk_state, JOURNAL_KILL_TRIPPED);
	assert_int_equal(got.jk_source, JOURNAL_KSRC_BREACH);
	assert_string_equal(got.jk_reason, k.jk_reason);
	assert_string_equal(got.jk_who, "");
	assert_true(got.jk_time_ns == k.jk_time_ns);

	/* re-armed by a person, from the CLI */
	k.jk_state = JOURNAL_KILL_ARMED;
	k.jk_source = JOURNAL_KSRC_CLI;
	strcpy(k.jk_who, "alice");
	strcpy(k.jk_reason, "reset approved by bob");
	assert_int_equal(journal_kill_put(j, &k, err), 0);
	commit_ok(j);
	assert_int_equal(journal_kill_get(j, &got), 0);
	assert_int_equal(got.jk_state, JOURNAL_KILL_ARMED);
	assert_int_equal(got.jk_source, JOURNAL_KSRC_CLI);
	assert_string_equal(got.jk_who, "alice");

	/* refused: a trip without a reason or a source, bad who, bad enums */
	k.jk_state = JOURNAL_KILL_TRIPPED;
	k.jk_reason[0] = '\0';
	assert_int_equal(journal_kill_put(j, &k, err), RULES_EINVAL);
	strcpy(k.jk_reason, "x");
	k.jk_source = JOURNAL_KSRC_NONE;
	assert_int_equal(journal_kill_put(j, &k, err), RULES_EINVAL);
	k.jk_source = (enum journal_kill_source)9;
	assert_int_equal(journal_kill_put(j, &k, err), RULES_EINVAL);
	k.jk_source = JOURNAL_KSRC_GPIO;
	strcpy(k.jk_who, "two words");
	assert_int_equal(journal_kill_put(j, &k, err), RULES_EINVAL);
	k.jk_who[0] = '\0';
	strcpy(k.jk_reason, "bell\a");
	assert_int_equal(journal_kill_put(j, &k, err), RULES_EINVAL);
	strcpy(k.jk_reason, "x");
	k.jk_time_ns = -1;
	assert_int_equal(journal_kill_put(j, &k, err), RULES_EINVAL);
	assert_false(journal_in_turn(j)); /* a refusal opens no turn */
	assert_int_equal(journal_kill_get(j, &got), 0);
	assert_int_equal(got.jk_state, JOURNAL_KILL_ARMED);
	journal_close(j);
}

static void test_event_round_trip(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_sync);
	struct journal_event in[8], tmp;
	struct rules_order rep = {
		.ro_kind = RULES_REPLACE,
		.ro_clordid = "C2",
		.ro_origclordid = "C1",
		.ro_parent = "P-DECL",
		.ro_account = NULL,
		.ro_symbol = "SYM1",
		.ro_side = '5',
		.ro_ordtype = '1',
		.ro_qty = 300,
		.ro_px = 0,
		.ro_declared_qty = 5000,
		.ro_allow_declare = true,
		.ro_now_ns = INT64_MAX,
	};
	struct rules_exec x = {"C2", "C1", 'F', '1', 10, 1234567, 60, 240, 300, -1};
	char err[RULES_ERRLEN], big[RULES_ID_MAX + 2];
	struct evs out;
	int stopped = 0;

	in[0] = order_ev(7);
	assert_int_equal(journal_ev_order(&in[1], "route-2", &rep), 0);
	assert_int_equal(journal_ev_exec(&in[2], "route-2", &x), 0);
	x.re_origclordid = NULL;
	x.re_exec_type = '4';
	assert_int_equal(journal_ev_exec(&in[3], "route-2", &x), 0);
	assert_int_equal(journal_ev_cancel_sent(&in[4], "r1", "C3", "C2"), 0);
	assert_int_equal(journal_ev_cancel_reject(&in[5], "r1", "C3", NULL, '1'), 0);
	assert_int_equal(journal_ev_parent(&in[6], JOURNAL_EV_PARENT_BLOCK, "r1", "P-DECL"), 0);
	assert_int_equal(journal_ev_parent(&in[7], JOURNAL_EV_PARENT_RELEASE, "control", "P-DECL"),
	    0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(journal_append(j, &in[i], err), 0);
		assert_true(in[i].ev_seq == (uint64_t)i + 1);
	}
	assert_true(journal_last_event(j) == 8);
	commit_ok(j);
	journal_close(j);

	j = jopen(fx->path, &cfg_sync);
	assert_true(journal_last_event(j) == 8);
	memset(&out, 0, sizeof(out));
	assert_int_equal(journal_replay(j, collect, &out), 0);
	assert_int_equal(out.n, 8);
	for (int i = 0; i < 8; i++)
		assert_true(ev_equal(&out.ev[i], &in[i]));
	assert_string_equal(out.ev[1].ev_u.order.jo_account, "");
	assert_true(out.ev[1].ev_u.order.jo_allow_declare);

	/* the builders and append refuse what the decoder would */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(journal_ev_cancel_sent(&tmp, "r1", big, "C1"), RULES_EINVAL);
	assert_int_equal(journal_ev_cancel_sent(&tmp, big, "C1", "C2"), RULES_EINVAL);
	assert_int_equal(journal_ev_cancel_sent(&tmp, "r1", "C1", ""), RULES_EINVAL);
	assert_int_equal(journal_ev_parent(&tmp, JOURNAL_EV_PARENT_BLOCK, "r1", ""), RULES_EINVAL);
	assert_int_equal(journal_ev_parent(&tmp, JOURNAL_EV_EXEC, "r1", "P1"), RULES_EINVAL);
	rep.ro_origclordid = NULL;
	assert_int_equal(journal_ev_order(&tmp, "r1", &rep), RULES_EINVAL);
	tmp = in[0];
	tmp.ev_u.order.jo_qty = 0;
	assert_int_equal(journal_append(j, &tmp, err), RULES_EINVAL);
	assert_non_null(strstr(err, "quantity"));
	tmp = in[0];
	tmp.ev_type = (enum journal_ev_type)9;
	assert_int_equal(journal_append(j, &tmp, err), RULES_EINVAL);
	tmp = in[5];
	tmp.ev_u.cancel.jc_response_to = '\0';
	assert_int_equal(journal_append(j, &tmp, err), RULES_EINVAL);
	assert_true(journal_last_event(j) == 8);
	assert_false(journal_in_turn(j));

	/* a callback's non-zero stops the replay and is returned */
	assert_int_equal(journal_replay(j, stop_at_2, &stopped), 7);
	assert_int_equal(stopped, 2);
	journal_close(j);
}

/* ---- outbound messages --------------------------------------------------------------- */

struct got_msgs {
	uint64_t seq[64];
	char body[64][64];
	size_t n;
	size_t stop_after; /* 0: never */
};

static int collect_msg(void *arg, uint64_t seq, const void *msg, size_t len)
{
	struct got_msgs *g = arg;

	if (g->n < 64) {
		g->seq[g->n] = seq;
		snprintf(g->body[g->n], sizeof(g->body[0]), "%.*s", (int)len, (const char *)msg);
	}
	g->n++;
	return g->stop_after != 0 && g->n == g->stop_after ? 99 : 0;
}

static void put_msg(struct journal *j, const char *session, uint64_t seq)
{
	char body[64], err[RULES_ERRLEN];
	int n = snprintf(body, sizeof(body), "8=FIX.4.4|35=D|34=%" PRIu64 "|s=%s|", seq, session);

	assert_int_equal(journal_msg_put(j, session, seq, body, (size_t)n, err), 0);
}

static void test_msg_range(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_sync);
	/* same length, a prefix of each other, one sorting between */
	const char *sess[] = {"r1/venue", "r1/venuf", "r1/venue2", "r1/v"};
	struct got_msgs g;
	char buf[128], err[RULES_ERRLEN];
	size_t len;

	/* seqs 1..20 but for the gaps 5, 6, 13 (session-level messages), and
	 * 256/257 to cross a byte boundary of the big-endian key */
	for (uint64_t s = 1; s <= 20; s++)
		for (int i = 0; i < 4; i++)
			if (s != 5 && s != 6 && s != 13)
				put_msg(j, sess[i], s);
	put_msg(j, sess[0], 256);
	put_msg(j, sess[0], 257);
	commit_ok(j);

	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, sess[0], 4, 14, collect_msg, &g), 0);
	assert_int_equal(g.n, 8);
	{
		const uint64_t want[] = {4, 7, 8, 9, 10, 11, 12, 14};

		for (size_t i = 0; i < 8; i++) {
			char body[64];

			assert_true(g.seq[i] == want[i]);
			snprintf(body, sizeof(body), "8=FIX.4.4|35=D|34=%" PRIu64 "|s=%s|", want[i],
			    sess[0]);
			assert_string_equal(g.body[i], body);
		}
	}
	/* to = 0: to the end, and no other session's messages */
	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, sess[0], 18, 0, collect_msg, &g), 0);
	assert_int_equal(g.n, 5);
	assert_true(g.seq[2] == 20 && g.seq[3] == 256 && g.seq[4] == 257);
	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, sess[3], 1, 0, collect_msg, &g), 0);
	assert_int_equal(g.n, 17);
	for (size_t i = 0; i < g.n; i++)
		assert_non_null(strstr(g.body[i], "s=r1/v|"));
	/* a range with nothing in it; one message; the callback stops it */
	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, sess[1], 5, 6, collect_msg, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(journal_msg_range(j, sess[1], 21, 0, collect_msg, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(journal_msg_range(j, "r1/none", 1, 0, collect_msg, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(journal_msg_range(j, sess[2], 7, 7, collect_msg, &g), 0);
	assert_int_equal(g.n, 1);
	memset(&g, 0, sizeof(g));
	g.stop_after = 3;
	assert_int_equal(journal_msg_range(j, sess[2], 1, 0, collect_msg, &g), 99);
	assert_int_equal(g.n, 3);
	assert_int_equal(journal_msg_range(j, sess[2], 0, 5, collect_msg, &g), RULES_EINVAL);
	assert_int_equal(journal_msg_range(j, sess[2], 6, 5, collect_msg, &g), RULES_EINVAL);
	assert_int_equal(journal_msg_range(j, NULL, 1, 0, collect_msg, &g), RULES_EINVAL);

	/* get one: copied, exact, too small a buffer says how much */
	assert_int_equal(journal_msg_get(j, sess[1], 9, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, strlen("8=FIX.4.4|35=D|34=9|s=r1/venuf|"));
	assert_memory_equal(buf, "8=FIX.4.4|35=D|34=9|s=r1/venuf|", len);
	assert_int_equal(journal_msg_get(j, sess[1], 9, buf, 5, &len), RULES_ERANGE);
	assert_int_equal(len, strlen("8=FIX.4.4|35=D|34=9|s=r1/venuf|"));
	assert_int_equal(journal_msg_get(j, sess[1], 5, buf, sizeof(buf), &len), RULES_ENOTFOUND);
	assert_int_equal(journal_msg_put(j, sess[1], 0, "x", 1, err), RULES_EINVAL);
	assert_int_equal(journal_msg_put(j, sess[1], 1, "x", 0, err), RULES_EINVAL);

	/* a sequence reset of one session leaves the others */
	assert_int_equal(journal_msg_drop(j, sess[0], err), 0);
	commit_ok(j);
	journal_close(j);
	j = jopen(fx->path, &cfg_sync);
	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, sess[0], 1, 0, collect_msg, &g), 0);
	assert_int_equal(g.n, 0);
	for (int i = 1; i < 4; i++) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(journal_msg_range(j, sess[i], 1, 0, collect_msg, &g), 0);
		assert_int_equal(g.n, 17);
	}
	/* a big message: overflow pages, byte for byte */
	{
		size_t n = 200000;
		char *m = malloc(n), *back = malloc(n);

		for (size_t i = 0; i < n; i++)
			m[i] = (char)('A' + i % 26);
		assert_int_equal(journal_msg_put(j, sess[0], 1, m, n, err), 0);
		commit_ok(j);
		assert_int_equal(journal_msg_get(j, sess[0], 1, back, n, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(m, back, n);
		free(m);
		free(back);
	}
	journal_close(j);
}

/* ---- turns ---------------------------------------------------------------------------- */

static void test_turn_reads_and_abort(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_sync);
	struct journal_session s = {3, 4, 20240102}, got;
	struct journal_event ev = order_ev(1);
	struct got_msgs g;
	struct evs out;
	char buf[64], err[RULES_ERRLEN];
	size_t len;

	assert_int_equal(journal_commit(j, err), 0); /* nothing to commit */
	assert_false(journal_in_turn(j));
	assert_int_equal(journal_session_put(j, "a", &s, err), 0);
	assert_true(journal_in_turn(j));
	put_msg(j, "a", 1);
	assert_int_equal(journal_append(j, &ev, err), 0);
	/* reads inside the turn see its writes */
	assert_int_equal(journal_session_get(j, "a", &got), 0);
	assert_true(got.js_next_out == 4);
	assert_int_equal(journal_msg_get(j, "a", 1, buf, sizeof(buf), &len), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, "a", 1, 0, collect_msg, &g), 0);
	assert_int_equal(g.n, 1);
	memset(&out, 0, sizeof(out));
	assert_int_equal(journal_replay(j, collect, &out), 0);
	assert_int_equal(out.n, 1);
	/* a refused write does not end the turn */
	ev.ev_u.order.jo_symbol[0] = '\0';
	assert_int_equal(journal_append(j, &ev, err), RULES_EINVAL);
	assert_true(journal_in_turn(j));
	/* abort: all gone, numbering back */
	journal_abort(j);
	assert_false(journal_in_turn(j));
	assert_int_equal(journal_session_get(j, "a", &got), RULES_ENOTFOUND);
	assert_int_equal(journal_msg_get(j, "a", 1, buf, sizeof(buf), &len), RULES_ENOTFOUND);
	assert_true(journal_last_event(j) == 0);
	ev = order_ev(1);
	assert_int_equal(journal_append(j, &ev, err), 0);
	assert_true(ev.ev_seq == 1);
	commit_ok(j);
	/* closing with a turn open loses the turn */
	ev = order_ev(2);
	assert_int_equal(journal_append(j, &ev, err), 0);
	assert_int_equal(journal_session_put(j, "a", &s, err), 0);
	journal_close(j);
	j = jopen(fx->path, &cfg_sync);
	assert_true(journal_last_event(j) == 1);
	assert_int_equal(journal_session_get(j, "a", &got), RULES_ENOTFOUND);
	journal_close(j);
}

static void test_commit_failure(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_nosync);
	struct journal_event ev = order_ev(1);
	struct journal_session s = {1, 1, 20240102}, got;
	char err[RULES_ERRLEN];

	assert_int_equal(journal_append(j, &ev, err), 0);
	commit_ok(j);
	ev = order_ev(2);
	assert_int_equal(journal_append(j, &ev, err), 0);
	assert_int_equal(journal_session_put(j, "a", &s, err), 0);
	fail_commit = MDB_MAP_FULL;
	assert_int_equal(journal_commit(j, err), RULES_EFULL);
	assert_non_null(strstr(err, "nothing committed"));
	assert_false(journal_in_turn(j));
	assert_true(journal_last_event(j) == 1);
	assert_int_equal(journal_session_get(j, "a", &got), RULES_ENOTFOUND);
	/* usable: the next turn numbers from the last committed event */
	ev = order_ev(2);
	assert_int_equal(journal_append(j, &ev, err), 0);
	assert_true(ev.ev_seq == 2);
	fail_commit = ENOSPC;
	assert_int_equal(journal_commit(j, err), RULES_EFULL);
	assert_non_null(strstr(err, "disk full"));
	fail_commit = EIO;
	assert_int_equal(journal_append(j, &ev, err), 0);
	assert_int_equal(journal_commit(j, err), -EIO);
	ev = order_ev(2);
	assert_int_equal(journal_append(j, &ev, err), 0);
	commit_ok(j);
	journal_close(j);
	j = jopen(fx->path, &cfg_nosync);
	assert_true(journal_last_event(j) == 2);
	journal_close(j);
}

/* ---- crashes -------------------------------------------------------------------------- */

/* In a child: writes one turn and _exit()s, with or without its commit. */
static void child_turn(const char *path, bool commit, uint64_t n)
{
	struct journal *j = NULL;
	struct journal_event ev = order_ev(n);
	struct journal_session s = {n, n, 20240102};
	char err[RULES_ERRLEN];

	if (journal_open(&j, path, &cfg_nosync, err) != 0 ||
	    journal_append(j, &ev, err) != 0 || journal_session_put(j, "a", &s, err) != 0)
		_exit(2);
	if (commit && journal_commit(j, err) != 0)
		_exit(3);
	_exit(0); /* no close, no atexit: as a crash */
}

static void run_child(const char *path, bool commit, uint64_t n)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		child_turn(path, commit, n);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_crash_with_and_without_commit(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_nosync);
	struct journal_session got;
	struct counted c = {0, false};

	journal_close(j); /* created; the children open it */
	run_child(fx->path, false, 1);
	j = jopen(fx->path, &cfg_nosync);
	assert_true(journal_last_event(j) == 0);
	assert_int_equal(journal_session_get(j, "a", &got), RULES_ENOTFOUND);
	journal_close(j);

	run_child(fx->path, true, 1);
	j = jopen(fx->path, &cfg_nosync);
	assert_true(journal_last_event(j) == 1);
	assert_int_equal(journal_session_get(j, "a", &got), 0);
	assert_true(got.js_next_out == 1);
	journal_close(j);

	run_child(fx->path, false, 2);
	run_child(fx->path, true, 2);
	run_child(fx->path, false, 3);
	j = jopen(fx->path, &cfg_nosync);
	assert_true(journal_last_event(j) == 2);
	assert_int_equal(journal_replay(j, count_orders, &c), 0);
	assert_true(c.n == 2 && !c.bad);
	assert_int_equal(journal_session_get(j, "a", &got), 0);
	assert_true(got.js_next_out == 2);
	journal_close(j);
}

/* A process that keeps the environment open (mdb_stat, a diagnostic tool):
 * then LMDB does not reset its lock table at the next open, and whatever a
 * dead process left in it is still there. Returns its pid once it is open. */
static pid_t start_observer(const char *path)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		MDB_env *env;

		close(p[0]);
		if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 8) != 0 ||
		    mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY, 0600) != 0)
			_exit(2);
		if (write(p[1], "o", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* In a child: turns of 1..7 events, each with a session update and an
 * outbound message, committed, then the last event number reported on fd. */
static void child_stream(const char *path, int fd, uint64_t seed)
{
	struct journal *j = NULL;
	char err[RULES_ERRLEN];

	if (journal_open(&j, path, &cfg_nosync, err) != 0)
		_exit(2);
	for (;;) {
		uint64_t n = 1 + rnd(&seed) % 7, last;
		struct journal_session s;

		for (uint64_t i = 0; i < n; i++) {
			struct journal_event ev = order_ev(journal_last_event(j) + 1);
			char msg[32];
			int len;

			if (journal_append(j, &ev, err) != 0)
				_exit(3);
			len = snprintf(msg, sizeof(msg), "msg %" PRIu64, ev.ev_seq);
			if (journal_msg_put(j, "s", ev.ev_seq, msg, (size_t)len, err) != 0)
				_exit(4);
		}
		last = journal_last_event(j);
		s.js_next_in = 1;
		s.js_next_out = last + 1;
		s.js_day = 20240102;
		if (journal_session_put(j, "s", &s, err) != 0 || journal_commit(j, err) != 0)
			_exit(5);
		if (write(fd, &last, sizeof(last)) != (ssize_t)sizeof(last))
			_exit(6);
	}
}

static void test_kill9_stream(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_nosync);
	uint64_t seed = 0x9e3779b97f4a7c15u;

	journal_close(j);
	for (int round = 0; round < 10; round++) {
		uint64_t reported = 0, v, want_reports = 20 + rnd(&seed) % 200, nrep = 0;
		pid_t child, observer = 0;
		struct counted c = {0, false};
		struct journal_session sess;
		struct journal_event ev;
		char err[RULES_ERRLEN];
		int p[2];

		/* from round 2: a dead writer's lock, its reader slot and the
		 * txnid it may not have published stay in the lock table
		 * (robust mutex recovery, mdb_reader_check, journal_open's
		 * write lock before it verifies) */
		if (round >= 2)
			observer = start_observer(fx->path);
		assert_int_equal(pipe(p), 0);
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			close(p[0]);
			child_stream(fx->path, p[1], seed + (uint64_t)round);
		}
		close(p[1]);
		while (nrep < want_reports && read(p[0], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
			assert_true(v > reported);
			reported = v;
			nrep++;
		}
		assert_true(nrep == want_reports);
		usleep((useconds_t)(rnd(&seed) % 2000)); /* somewhere inside a turn, or not */
		stop(child);
		while (read(p[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
			reported = v; /* reports written before it died */
		close(p[0]);

		j = jopen(fx->path, &cfg_nosync);
		/* every event reported committed is there, the log is 1..N with
		 * each event intact, and at most one unreported turn more */
		assert_int_equal(journal_replay(j, count_orders, &c), 0);
		assert_false(c.bad);
		assert_true(c.n == journal_last_event(j));
		assert_true(c.n >= reported);
		assert_true(c.n <= reported + 7);
		/* the turn's other writes committed with its events */
		assert_int_equal(journal_session_get(j, "s", &sess), 0);
		assert_true(sess.js_next_out == c.n + 1);
		{
			char buf[32];
			size_t len;

			assert_int_equal(journal_msg_get(j, "s", c.n, buf, sizeof(buf), &len), 0);
			assert_int_equal(journal_msg_get(j, "s", c.n + 1, buf, sizeof(buf), &len),
			    RULES_ENOTFOUND);
		}
		/* and it takes writes again */
		ev = order_ev(c.n + 1);
		assert_int_equal(journal_append(j, &ev, err), 0);
		assert_int_equal(journal_msg_put(j, "s", ev.ev_seq, "x", 1, err), 0);
		sess.js_next_out = ev.ev_seq + 1;
		assert_int_equal(journal_session_put(j, "s", &sess, err), 0);
		commit_ok(j);
		journal_close(j);
		if (observer != 0)
			stop(observer);
	}
}

static int block_in_replay(void *arg, const struct journal_event *ev)
{
	int fd = *(int *)arg;

	(void)ev;
	if (write(fd, "r", 1) != 1)
		_exit(4);
	for (;;)
		pause();
	return 0;
}

static void test_dead_reader_cleared(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_nosync);
	struct journal_event ev = order_ev(1);
	char err[RULES_ERRLEN], c;
	pid_t observer, child;
	int p[2];

	assert_int_equal(journal_append(j, &ev, err), 0);
	commit_ok(j);
	journal_close(j);

	observer = start_observer(fx->path);
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[0]);
		if (journal_open(&j, fx->path, &cfg_nosync, err) != 0)
			_exit(2);
		(void)journal_replay(j, block_in_replay, &p[1]); /* does not return */
		_exit(3);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	/* a second writer is refused while the first lives */
	open_fails(fx->path, &cfg_nosync, -EBUSY, "in use by another process");
	stop(child);

	j = jopen(fx->path, &cfg_nosync);
	assert_int_equal(journal_readers_cleared(j), 1);
	ev = order_ev(2);
	assert_int_equal(journal_append(j, &ev, err), 0);
	commit_ok(j);
	journal_close(j);
	stop(observer);
}

/* A command riskgwd runs (an alert hook) outlives it: it must not hold the
 * journal's lock, or riskgwd could not restart until it ends. */
static void test_lock_not_inherited_by_exec(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_nosync);
	pid_t child, grandchild = 0;
	char err[RULES_ERRLEN];
	int p[2], status, rc;

	journal_close(j);
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pid_t g;

		close(p[0]);
		if (journal_open(&j, fx->path, &cfg_nosync, err) != 0)
			_exit(2);
		g = fork();
		if (g == 0) {
			execlp("sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		if (g < 0 || write(p[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
			_exit(3);
		_exit(0); /* riskgwd dies; the command lives on */
	}
	close(p[1]);
	assert_int_equal(read(p[0], &grandchild, sizeof(grandchild)), (ssize_t)sizeof(grandchild));
	close(p[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	usleep(100000); /* let the grandchild reach its exec */
	rc = journal_open(&j, fx->path, &cfg_nosync, err);
	kill(grandchild, SIGKILL); /* first: it is reparented, init reaps it */
	if (rc != 0)
		fail_msg("journal_open: %s", err);
	journal_close(j);
}

/* ---- replay into a rules engine ---------------------------------------------------- */

#define PX(units) ((int64_t)(units) * RULES_PX_SCALE)
#define SEC INT64_C(1000000000)
#define MS INT64_C(1000000)

static const struct rules_actor actor = {"tester", "unit test"};

static struct rules_store *rules_with_parent(const char *dir)
{
	char *path = tu_path(dir, "rules.mdb");
	struct rules_store *st;
	struct rules_parent p;
	struct rules_wr *w;
	char err[RULES_ERRLEN];

	if (rules_store_open(&st, path, RULES_STORE_CREATE, 0, err) != 0)
		fail_msg("rules store: %s", err);
	memset(&p, 0, sizeof(p));
	strcpy(p.rp_id, "P1");
	strcpy(p.rp_account, "ACC1");
	strcpy(p.rp_symbol, "SYM1");
	p.rp_side = '1';
	p.rp_qty = 10000;
	p.rp_max_rate = 3; /* the rate window must replay as it ran */
	p.rp_trip = RULES_TRIP_DEFAULT;
	assert_int_equal(rules_store_wr_begin(st, &w, err), 0);
	if (rules_wr_put_parent(w, &actor, &p, err) != 0)
		fail_msg("put_parent: %s", err);
	assert_int_equal(rules_wr_commit(w, err), 0);
	free(path);
	return st;
}

static struct rules_engine *engine(struct rules_store *st)
{
	struct rules_engine_config cfg = {1024, 64, 16, 64, 0};
	struct rules_engine *en;
	char err[RULES_ERRLEN];

	assert_int_equal(rules_engine_new(&en, st, &cfg, err), 0);
	return en;
}

/* The live side: the engine, the journal, and what each call returned. */
struct live {
	struct rules_engine *en;
	struct journal *j;
	int rc[MAXEV + 1]; /* by event number */
	int since_commit;
};

static void journal_it(struct live *l, struct journal_event *ev, int rc)
{
	char err[RULES_ERRLEN];

	if (journal_append(l->j, ev, err) != 0)
		fail_msg("append: %s", err);
	assert_true(ev->ev_seq <= MAXEV);
	l->rc[ev->ev_seq] = rc;
	if (++l->since_commit == 3) { /* a few events per turn */
		commit_ok(l->j);
		l->since_commit = 0;
	}
}

static void order(struct live *l, enum rules_order_kind kind, const char *clid,
    const char *orig, int64_t qty, int64_t px, int64_t now, enum rules_verdict want)
{
	struct rules_order o = {
		.ro_kind = kind,
		.ro_clordid = clid,
		.ro_origclordid = orig,
		.ro_parent = "P1",
		.ro_account = "ACC1",
		.ro_symbol = "SYM1",
		.ro_side = '1',
		.ro_ordtype = '2',
		.ro_qty = qty,
		.ro_px = px,
		.ro_now_ns = now,
	};
	struct rules_decision d;
	struct journal_event ev;

	assert_int_equal(rules_check(l->en, &o, &d), want);
	if (want != RULES_ACCEPT)
		return; /* a rejected order is not journaled: it never reaches the venue */
	assert_int_equal(journal_ev_order(&ev, "r1", &o), 0);
	journal_it(l, &ev, 0);
}

static void exec(struct live *l, const char *clid, const char *orig, char et, char st,
    int64_t last, int64_t lastpx, int64_t cum, int64_t leaves, int64_t oqty, int64_t px)
{
	struct rules_exec x = {clid, orig, et, st, last, lastpx, cum, leaves, oqty, px};
	struct journal_event ev;
	int rc = rules_on_exec(l->en, &x);

	assert_int_equal(journal_ev_exec(&ev, "r1", &x), 0);
	journal_it(l, &ev, rc);
}

static void cancel_sent(struct live *l, const char *clid, const char *orig)
{
	struct journal_event ev;
	int rc = rules_on_cancel_sent(l->en, clid, orig);

	assert_int_equal(journal_ev_cancel_sent(&ev, "r1", clid, orig), 0);
	journal_it(l, &ev, rc);
}

static void cancel_reject(struct live *l, const char *clid, const char *orig, char to)
{
	struct journal_event ev;
	int rc = rules_on_cancel_reject(l->en, clid, orig, to);

	assert_int_equal(journal_ev_cancel_reject(&ev, "r1", clid, orig, to), 0);
	journal_it(l, &ev, rc);
}

struct replay {
	struct rules_engine *en;
	const int *want_rc;
	int mismatches;
};

static int replay_one(void *arg, const struct journal_event *ev)
{
	struct replay *r = arg;

	if (journal_ev_apply(r->en, ev, NULL) != r->want_rc[ev->ev_seq])
		r->mismatches++;
	return 0;
}

static void assert_expo_equal(const struct rules_exposure *a, const struct rules_exposure *b)
{
	assert_true(a->ex_open_qty == b->ex_open_qty);
	assert_true(a->ex_filled_qty == b->ex_filled_qty);
	assert_true(a->ex_open_notional == b->ex_open_notional);
	assert_true(a->ex_filled_notional == b->ex_filled_notional);
	assert_true(a->ex_orders == b->ex_orders);
	assert_true(a->ex_live == b->ex_live);
}

static void test_replay_rebuilds_exposure(void **state)
{
	struct fx *fx = *state;
	struct rules_store *st = rules_with_parent(fx->dir);
	struct live l = {engine(st), jopen(fx->path, &cfg_sync), {0}, 0};
	struct rules_exposure live_p, live_a, re_p, re_a;
	struct replay r;
	int64_t t = 1000 * SEC;
	uint64_t zz;

	order(&l, RULES_NEW, "C1", NULL, 100, PX(10), t, RULES_ACCEPT);
	exec(&l, "C1", NULL, '0', '0', -1, -1, 0, 100, 100, PX(10));
	order(&l, RULES_NEW, "C2", NULL, 200, PX(11), t + 100 * MS, RULES_ACCEPT);
	order(&l, RULES_NEW, "C3", NULL, 50, PX(10), t + 200 * MS, RULES_ACCEPT);
	order(&l, RULES_NEW, "C4", NULL, 10, PX(10), t + 300 * MS, RULES_TRIP); /* rate 3/s: trips */
	exec(&l, "C1", NULL, 'F', '1', 40, PX(10), 40, 60, 100, PX(10));
	cancel_sent(&l, "C5", "C2");
	exec(&l, "C2", NULL, 'F', '1', 50, PX(11), 50, 150, 200, PX(11)); /* fill after cancel */
	exec(&l, "C5", "C2", '4', '4', -1, -1, 50, 0, 200, PX(11));
	order(&l, RULES_REPLACE, "C6", "C1", 150, PX(10), t + 1500 * MS, RULES_ACCEPT);
	exec(&l, "C6", "C1", '5', '1', -1, -1, 40, 110, 150, PX(10));
	order(&l, RULES_REPLACE, "C7", "C6", 300, PX(10), t + 1600 * MS, RULES_ACCEPT);
	cancel_reject(&l, "C7", "C6", '2');
	exec(&l, "C3", NULL, 'F', '2', 50, PX(10), 50, 0, 50, PX(10));
	exec(&l, "ZZ", NULL, 'F', '2', 5, PX(10), 5, 0, 5, PX(10)); /* unknown: ENOTFOUND */
	zz = journal_last_event(l.j);
	order(&l, RULES_NEW, "C8", NULL, 20, PX(9), t + 1700 * MS, RULES_ACCEPT);
	exec(&l, "C8", NULL, '8', '8', -1, -1, 0, 0, 20, PX(9));
	cancel_sent(&l, "C9", "C6");
	cancel_reject(&l, "C9", "C6", '1');
	exec(&l, "C6", "C1", 'F', '1', 30, PX(10), 70, 80, 150, PX(10));
	order(&l, RULES_NEW, "C10", NULL, 500, PX(12), t + 2600 * MS, RULES_ACCEPT);
	commit_ok(l.j);
	assert_int_equal(l.rc[zz], RULES_ENOTFOUND);

	assert_int_equal(rules_parent_exposure(l.en, "P1", &live_p), 0);
	assert_int_equal(rules_account_exposure(l.en, "ACC1", &live_a), 0);
	assert_true(live_p.ex_filled_qty == 40 + 50 + 50 + 30);
	assert_true(live_p.ex_open_qty > 0 && live_p.ex_live > 0);
	journal_close(l.j);

	/* a restart: reopen, replay into a fresh engine on the same limits */
	l.j = jopen(fx->path, &cfg_sync);
	r.en = engine(st);
	r.want_rc = l.rc;
	r.mismatches = 0;
	assert_int_equal(journal_replay(l.j, replay_one, &r), 0);
	assert_int_equal(r.mismatches, 0);
	assert_int_equal(rules_parent_exposure(r.en, "P1", &re_p), 0);
	assert_int_equal(rules_account_exposure(r.en, "ACC1", &re_a), 0);
	assert_expo_equal(&live_p, &re_p);
	assert_expo_equal(&live_a, &re_a);
	/* and the rebuilt engine goes on as the live one would */
	{
		struct rules_order o = {
			.ro_kind = RULES_NEW,
			.ro_clordid = "C11",
			.ro_parent = "P1",
			.ro_account = "ACC1",
			.ro_symbol = "SYM1",
			.ro_side = '1',
			.ro_ordtype = '2',
			.ro_qty = 10000,
			.ro_px = PX(10),
			.ro_now_ns = t + 5 * SEC,
		};
		struct rules_decision d1, d2;

		assert_int_equal(rules_check(l.en, &o, &d1), RULES_TRIP);
		assert_int_equal(rules_check(r.en, &o, &d2), RULES_TRIP);
		assert_int_equal(d1.rd_reason, RULES_R_PARENT_QTY);
		assert_int_equal(d2.rd_reason, RULES_R_PARENT_QTY);
	}
	rules_engine_free(r.en);
	rules_engine_free(l.en);
	journal_close(l.j);
	rules_store_close(st);
}

/* ---- a full map ------------------------------------------------------------------------ */

static void test_map_full(void **state)
{
	struct fx *fx = *state;
	const struct journal_config tiny = {256 * 1024, false, true, JOURNAL_RESERVE_DEFAULT, 0};
	struct journal *j = jopen(fx->path, &tiny);
	uint64_t committed_msgs = 0, seq = 0;
	char err[RULES_ERRLEN] = "", body[2000], buf[2000];
	struct counted c = {0, false};
	struct journal_session s = {1, 1, 20240102}, got;
	struct journal_event ev;
	size_t len;
	int rc = 0, turn;

	memset(body, 'm', sizeof(body));
	/* turns of 4 messages + 1 event until one fails, at a put or at commit */
	for (turn = 0; rc == 0 && turn < 10000; turn++) {
		for (int i = 0; rc == 0 && i < 4; i++)
			rc = journal_msg_put(j, "s", ++seq, body, sizeof(body), err);
		if (rc == 0) {
			ev = order_ev(journal_last_event(j) + 1);
			rc = journal_append(j, &ev, err);
		}
		if (rc == 0) {
			s.js_next_out = seq + 1;
			rc = journal_session_put(j, "s", &s, err);
		}
		if (rc != 0) {
			/* the turn is dead: later writes say so, commit commits nothing */
			assert_true(journal_in_turn(j));
			assert_int_equal(journal_msg_put(j, "s", 999999, "x", 1, err), rc);
			assert_non_null(strstr(err, "failed earlier"));
			assert_int_equal(journal_commit(j, err), rc);
			assert_non_null(strstr(err, "nothing committed"));
			break;
		}
		rc = journal_commit(j, err);
		if (rc == 0)
			committed_msgs = seq;
	}
	assert_int_equal(rc, RULES_EFULL);
	assert_non_null(strstr(err, "full"));
	assert_true(committed_msgs >= 8);
	assert_false(journal_in_turn(j));

	/* the committed state is intact, the failed turn is not there */
	assert_true(journal_last_event(j) == committed_msgs / 4);
	assert_int_equal(journal_replay(j, count_orders, &c), 0);
	assert_true(c.n == committed_msgs / 4 && !c.bad);
	assert_int_equal(journal_msg_get(j, "s", committed_msgs, buf, sizeof(buf), &len), 0);
	assert_int_equal(journal_msg_get(j, "s", committed_msgs + 1, buf, sizeof(buf), &len),
	    RULES_ENOTFOUND);
	assert_int_equal(journal_session_get(j, "s", &got), 0);
	assert_true(got.js_next_out == committed_msgs + 1);
	journal_close(j);

	/* reopened (verified), it takes small writes again after a new day */
	j = jopen(fx->path, &tiny);
	assert_true(journal_last_event(j) == committed_msgs / 4);
	assert_int_equal(journal_new_day(j, 20240103, err), 0);
	commit_ok(j);
	ev = order_ev(1);
	assert_int_equal(journal_append(j, &ev, err), 0);
	commit_ok(j);
	journal_close(j);
	j = jopen(fx->path, &tiny);
	assert_true(journal_last_event(j) == 1);
	journal_close(j);
}

/* ---- damaged and newer files -------------------------------------------------------- */

/* A journal big enough to span many pages. */
static void populate(const char *path)
{
	struct journal *j = jopen(path, &cfg_sync);
	char err[RULES_ERRLEN];

	for (uint64_t i = 1; i <= 300; i++) {
		struct journal_event ev = order_ev(i);

		assert_int_equal(journal_append(j, &ev, err), 0);
		put_msg(j, "s", i);
	}
	commit_ok(j);
	journal_close(j);
}

static void unlink_lock(const char *path)
{
	char lock[512];

	snprintf(lock, sizeof(lock), "%s-lock", path);
	(void)unlink(lock);
}

static void test_truncated_and_garbage(void **state)
{
	struct fx *fx = *state;
	const struct journal_config nocreate = {0, true, false, 0, 0};
	static uint8_t junk[64 * 1024];
	uint32_t x = 12345;
	size_t len;
	char *orig;

	open_fails(fx->path, &nocreate, -ENOENT, "No such file");
	populate(fx->path);
	orig = tu_read_file(fx->path, &len);
	assert_non_null(orig);
	assert_true(len > 8 * 4096);
	assert_int_equal(tu_write_file(fx->path, orig, len - 4096), 0);
	unlink_lock(fx->path);
	open_fails(fx->path, &nocreate, RULES_ECORRUPT, "truncated");
	assert_int_equal(tu_write_file(fx->path, orig, len / 2), 0);
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "truncated");
	assert_int_equal(tu_write_file(fx->path, orig, 0), 0);
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "empty file");
	assert_int_equal(tu_write_file(fx->path, orig, len), 0);
	journal_close(jopen(fx->path, &nocreate));

	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u; /* fixed seed */
		junk[i] = (uint8_t)(x >> 16);
	}
	assert_int_equal(tu_write_file(fx->path, junk, sizeof(junk)), 0);
	unlink_lock(fx->path);
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "not a usable LMDB file");
	assert_int_equal(tu_write_file(fx->path, "hello", 5), 0);
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "corrupt");

	/* a byte flipped inside a message: its CRC */
	assert_int_equal(tu_write_file(fx->path, orig, len), 0);
	{
		const char *mark = "34=17|s=s|";
		size_t flips = 0;

		for (size_t i = 0; i + strlen(mark) <= len; i++)
			if (memcmp(orig + i, mark, strlen(mark)) == 0) {
				orig[i + 1] ^= 0x01;
				flips++;
			}
		assert_int_equal(flips, 1);
		assert_int_equal(tu_write_file(fx->path, orig, len), 0);
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "CRC mismatch");
	}
	free(orig);
}

/* Writes (val != NULL) or deletes key in database db, through LMDB. */
static void raw_put(const char *path, const char *db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
	if (val != NULL)
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	else
		assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(__real_mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* A header with a correct CRC over payload: passes the CRC check and must
 * then be refused for what is in it. */
static size_t forge(uint8_t *buf, uint16_t type, const void *payload, size_t plen)
{
	memcpy(buf + RULES_REC_HDR_LEN, payload, plen);
	rules_rec_seal(buf, RULES_REC_HDR_LEN + plen, type);
	return RULES_REC_HDR_LEN + plen;
}

static void test_schema_and_forged_records(void **state)
{
	struct fx *fx = *state;
	uint8_t rec[RULES_REC_BUFLEN], key[8], good[JOURNAL_REC_BUFLEN];
	struct journal_event ev = order_ev(2);
	struct journal_session s = {1, 1, 20240102};
	size_t glen;

	populate(fx->path);
	/* a newer schema is refused by name */
	raw_put(fx->path, "meta", "schema_version", 14, rec, rules_rec_enc_u32(rec, 3));
	open_fails(fx->path, &cfg_sync, RULES_ESCHEMA, "newer than this binary's 2");
	raw_put(fx->path, "meta", "schema_version", 14, rec, rules_rec_enc_u32(rec, 0));
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "schema_version 0");
	raw_put(fx->path, "meta", "schema_version", 14, rec, rules_rec_enc_u32(rec, 1));
	journal_close(jopen(fx->path, &cfg_sync));

	/* a gap in the event log */
	rules_rec_seq_key(key, 2);
	ev.ev_seq = 2;
	glen = journal_rec_enc_event(good, &ev);
	raw_put(fx->path, "events", key, 8, NULL, 0);
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "gap in the event log");
	/* an event under another number's key */
	ev.ev_seq = 3;
	raw_put(fx->path, "events", key, 8, rec, journal_rec_enc_event(rec, &ev));
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "another number's key");
	/* an event with a good CRC but a bad field (type 9) */
	{
		uint8_t p[JOURNAL_REC_BUFLEN];

		memcpy(p, good + RULES_REC_HDR_LEN, glen - RULES_REC_HDR_LEN);
		p[8] = 9;
		raw_put(fx->path, "events", key, 8, rec,
		    forge(rec, JOURNAL_REC_EVENT, p, glen - RULES_REC_HDR_LEN));
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "unknown event type");
		/* trailing bytes */
		memcpy(p, good + RULES_REC_HDR_LEN, glen - RULES_REC_HDR_LEN);
		p[glen - RULES_REC_HDR_LEN] = 0;
		raw_put(fx->path, "events", key, 8, rec,
		    forge(rec, JOURNAL_REC_EVENT, p, glen - RULES_REC_HDR_LEN + 1));
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "trailing bytes");
		/* a rules.mdb record type where an event belongs */
		raw_put(fx->path, "events", key, 8, rec,
		    forge(rec, RULES_REC_AUDIT, p, glen - RULES_REC_HDR_LEN));
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "wrong record type");
	}
	raw_put(fx->path, "events", key, 8, good, glen);
	journal_close(jopen(fx->path, &cfg_sync));

	/* a session record with next_in 0 */
	{
		uint8_t p[20] = {0};

		p[8] = 1;
		p[16] = (uint8_t)(20240102 & 0xff);
		p[17] = (uint8_t)(20240102 >> 8 & 0xff);
		p[18] = (uint8_t)(20240102 >> 16 & 0xff);
		p[19] = (uint8_t)(20240102 >> 24);
		raw_put(fx->path, "sessions", "a", 1, rec, forge(rec, JOURNAL_REC_SESSION, p, 20));
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "session record fails validation");
		raw_put(fx->path, "sessions", "a", 1, rec, journal_rec_enc_session(rec, &s));
		raw_put(fx->path, "sessions", "a b", 3, rec, journal_rec_enc_session(rec, &s));
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "bad session name key");
		raw_put(fx->path, "sessions", "a b", 3, NULL, 0);
	}
	/* a message under another seq's key */
	{
		uint8_t mk[JOURNAL_MSGKEY_LEN], mv[64];

		memcpy(mv + JOURNAL_MSG_HDR, "hello", 5);
		journal_rec_seal_msg(mv, 8, 5);
		raw_put(fx->path, "msgs", mk, journal_rec_msg_key(mk, "s", 7), mv,
		    JOURNAL_MSG_HDR + 5);
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "another seq's key");
		/* a record inside the range of another of the same session */
		journal_rec_seal_msg(mv, 7, 5);
		raw_put(fx->path, "msgs", mk, journal_rec_msg_key(mk, "s", 7), mv,
		    JOURNAL_MSG_HDR + 5);
		open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "message batches overlap");
		raw_put(fx->path, "msgs", mk, journal_rec_msg_key(mk, "s", 7), NULL, 0);
		/* a schema 1 record (one message) of another session is fine */
		raw_put(fx->path, "msgs", mk, journal_rec_msg_key(mk, "t", 7), mv,
		    JOURNAL_MSG_HDR + 5);
		journal_close(jopen(fx->path, &cfg_sync));
	}
	/* an unknown kill key, an unknown database */
	raw_put(fx->path, "kill", "other", 5, rec, rules_rec_enc_u32(rec, 1));
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "unknown kill key");
	raw_put(fx->path, "kill", "other", 5, NULL, 0);
	journal_close(jopen(fx->path, &cfg_sync));
	raw_put(fx->path, "extra", "k", 1, "v", 1);
	open_fails(fx->path, &cfg_sync, RULES_ECORRUPT, "unknown database 'extra'");
}

/* The seqs journal_msg_range gives for session name from..to, and checks
 * each body is the one put_msg (or put_msg_v, version v) wrote. */
static size_t range_seqs(struct journal *j, const char *name, uint64_t from, uint64_t to,
    uint64_t *out, size_t cap)
{
	struct got_msgs g;

	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, name, from, to, collect_msg, &g), 0);
	assert_true(g.n <= cap && g.n <= 64);
	for (size_t i = 0; i < g.n; i++) {
		char body[64];

		out[i] = g.seq[i];
		if (i > 0)
			assert_true(out[i] > out[i - 1]);
		snprintf(body, sizeof(body), "34=%" PRIu64 "|s=%s|", g.seq[i], name);
		assert_non_null(strstr(g.body[i], body));
	}
	return g.n;
}

static void put_msg_v(struct journal *j, const char *session, uint64_t seq, int v)
{
	char body[64], err[RULES_ERRLEN];
	int n = snprintf(body, sizeof(body), "8=FIX.4.4|35=D|v=%d|34=%" PRIu64 "|s=%s|", v, seq,
	    session);

	assert_int_equal(journal_msg_put(j, session, seq, body, (size_t)n, err), 0);
}

/* Schema 2 gathers a session's messages of a turn into one record: ranges
 * that start and end inside records, several records per turn (a read in
 * the turn writes what was gathered so far), sessions interleaved, a seq
 * stored again (inside a committed record, inside the turn's, in a gap),
 * and all of it verified again at open. */
static void test_msg_batches(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_nosync);
	uint64_t got[64];
	char buf[128];
	size_t n, len;

	/* turn 1: a 1..10 (no 4), b 1..5; turn 2: a 11..20 with a read of a in
	 * the middle (two records in one turn), b 6..7 */
	for (uint64_t s = 1; s <= 10; s++) {
		if (s != 4)
			put_msg(j, "a", s);
		if (s <= 5)
			put_msg(j, "b", s);
	}
	commit_ok(j);
	for (uint64_t s = 11; s <= 20; s++) {
		put_msg(j, "a", s);
		if (s == 15) {
			n = range_seqs(j, "a", 14, 15, got, 64);
			assert_true(n == 2 && got[0] == 14 && got[1] == 15);
		}
	}
	put_msg(j, "b", 6);
	put_msg(j, "b", 7);
	/* the turn's own records are read before the commit */
	n = range_seqs(j, "a", 9, 17, got, 64);
	assert_int_equal(n, 9);
	assert_true(got[0] == 9 && got[8] == 17);
	commit_ok(j);
	n = range_seqs(j, "a", 3, 0, got, 64);
	assert_int_equal(n, 17); /* 3, 5..20 */
	assert_true(got[0] == 3 && got[1] == 5 && got[16] == 20);
	n = range_seqs(j, "b", 5, 6, got, 64);
	assert_true(n == 2 && got[0] == 5 && got[1] == 6);
	assert_int_equal(range_seqs(j, "a", 21, 0, got, 64), 0);
	assert_int_equal(range_seqs(j, "a", 4, 4, got, 64), 0);
	assert_int_equal(journal_msg_get(j, "a", 4, buf, sizeof(buf), &len), RULES_ENOTFOUND);
	assert_int_equal(journal_msg_get(j, "a", 21, buf, sizeof(buf), &len), RULES_ENOTFOUND);
	assert_int_equal(journal_msg_get(j, "a", 10, buf, sizeof(buf), &len), 0);
	assert_int_equal(journal_msg_get(j, "a", 11, buf, sizeof(buf), &len), 0);
	assert_int_equal(journal_msg_get(j, "b", 1, buf, sizeof(buf), &len), 0);

	/* stored again: 5 (inside committed 1..10), 4 (a gap there), 21 then 21
	 * again in the same turn, 12 (inside a record of turn 2) */
	put_msg_v(j, "a", 5, 2);
	put_msg_v(j, "a", 4, 2);
	put_msg(j, "a", 21);
	put_msg_v(j, "a", 21, 2);
	put_msg_v(j, "a", 12, 2);
	commit_ok(j);
	journal_close(j);
	j = jopen(fx->path, &cfg_sync); /* verified: no overlap */
	n = range_seqs(j, "a", 1, 0, got, 64);
	assert_int_equal(n, 21);
	for (uint64_t s = 1; s <= 21; s++)
		assert_true(got[s - 1] == s);
	for (uint64_t s = 1; s <= 21; s++) {
		char want[64];
		int v = s == 4 || s == 5 || s == 12 || s == 21 ? 2 : 0;

		assert_int_equal(journal_msg_get(j, "a", s, buf, sizeof(buf), &len), 0);
		if (v != 0)
			snprintf(want, sizeof(want), "8=FIX.4.4|35=D|v=%d|34=%" PRIu64 "|s=a|", v, s);
		else
			snprintf(want, sizeof(want), "8=FIX.4.4|35=D|34=%" PRIu64 "|s=a|", s);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(buf, want, len);
	}
	n = range_seqs(j, "b", 1, 0, got, 64);
	assert_int_equal(n, 7);

	/* more than a gathering buffer in one turn, and one message bigger
	 * than it: every byte back */
	{
		size_t big = 300 * 1024, each = 20000;
		char *m = malloc(big), *back = malloc(big), err[RULES_ERRLEN];

		for (size_t i = 0; i < big; i++)
			m[i] = (char)('a' + i % 23);
		for (uint64_t s = 100; s < 130; s++) {
			m[0] = (char)('A' + s % 26);
			assert_int_equal(journal_msg_put(j, "c", s, m, each, err), 0);
		}
		assert_int_equal(journal_msg_put(j, "c", 130, m, big, err), 0);
		put_msg(j, "c", 131);
		commit_ok(j);
		journal_close(j);
		j = jopen(fx->path, &cfg_nosync);
		for (uint64_t s = 100; s < 130; s++) {
			m[0] = (char)('A' + s % 26);
			assert_int_equal(journal_msg_get(j, "c", s, back, big, &len), 0);
			assert_int_equal(len, each);
			assert_memory_equal(back, m, each);
		}
		m[0] = (char)('A' + 129 % 26);
		assert_int_equal(journal_msg_get(j, "c", 130, back, big, &len), 0);
		assert_int_equal(len, big);
		assert_memory_equal(back, m, big);
		assert_int_equal(journal_msg_get(j, "c", 131, back, big, &len), 0);
		free(m);
		free(back);
	}
	journal_close(j);
}

/* A schema 1 file (one MSG record per message) opens, reads, takes new
 * messages after its own, and says schema 2 from then on: an older binary
 * refuses it by name. */
static void test_msgs_schema1(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_sync);
	uint8_t rec[RULES_REC_BUFLEN], mk[JOURNAL_MSGKEY_LEN], mv[128];
	uint64_t got[64];
	size_t n;

	commit_ok(j);
	journal_close(j);
	raw_put(fx->path, "meta", "schema_version", 14, rec, rules_rec_enc_u32(rec, 1));
	for (uint64_t s = 1; s <= 3; s++) {
		int l = snprintf((char *)mv + JOURNAL_MSG_HDR, sizeof(mv) - JOURNAL_MSG_HDR,
		    "8=FIX.4.4|35=D|34=%" PRIu64 "|s=a|", s);

		journal_rec_seal_msg(mv, s, (size_t)l);
		raw_put(fx->path, "msgs", mk, journal_rec_msg_key(mk, "a", s), mv,
		    JOURNAL_MSG_HDR + (size_t)l);
	}
	j = jopen(fx->path, &cfg_sync);
	n = range_seqs(j, "a", 2, 0, got, 64);
	assert_true(n == 2 && got[0] == 2 && got[1] == 3);
	put_msg(j, "a", 4);
	put_msg(j, "a", 5);
	put_msg_v(j, "a", 2, 2); /* replaces a schema 1 record */
	commit_ok(j);
	journal_close(j);
	j = jopen(fx->path, &cfg_sync);
	n = range_seqs(j, "a", 1, 0, got, 64);
	assert_int_equal(n, 5);
	for (uint64_t s = 1; s <= 5; s++)
		assert_true(got[s - 1] == s);
	journal_close(j);
	/* the file now says 2 */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = {14, (void *)"schema_version"}, v;
		const char *why;
		uint32_t version = 0;

		assert_int_equal(mdb_env_create(&env), 0);
		assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
		assert_int_equal(mdb_env_open(env, fx->path, MDB_NOSUBDIR | MDB_RDONLY, 0600), 0);
		assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
		assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
		assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
		assert_int_equal(rules_rec_dec_u32(v.mv_data, v.mv_size, &version, &why), 0);
		assert_int_equal(version, 2);
		mdb_txn_abort(txn);
		mdb_env_close(env);
	}
}

static void test_lmdb_without_journal(void **state)
{
	struct fx *fx = *state;
	const struct journal_config nocreate = {0, true, false, 0, 0};
	MDB_env *env;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, fx->path, MDB_NOSUBDIR, 0600), 0);
	mdb_env_close(env);
	open_fails(fx->path, &nocreate, RULES_ECORRUPT, "without a journal");
	/* with jc_create an empty LMDB file is taken as a new journal */
	journal_close(jopen(fx->path, &cfg_sync));
	journal_close(jopen(fx->path, &nocreate));
}

/* ---- new trading day ------------------------------------------------------------------ */

/* sync-commit off maps the file writable (MDB_WRITEMAP): a journal written
 * that way, also with a turn left open at close, reopens with syncs on and
 * back, every committed record there and nothing of the open turn. */
static void test_writemap_either_way(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_nosync);
	struct journal_session s = {7, 8, 20240102}, got;
	struct journal_event ev;
	struct got_msgs g;
	struct evs out;
	char err[RULES_ERRLEN];

	for (uint64_t i = 1; i <= 50; i++) {
		ev = order_ev(i);
		assert_int_equal(journal_append(j, &ev, err), 0);
		put_msg(j, "r1/venue", i);
		if (i % 10 == 0)
			commit_ok(j);
	}
	assert_int_equal(journal_session_put(j, "r1/venue", &s, err), 0);
	commit_ok(j);
	ev = order_ev(51);
	assert_int_equal(journal_append(j, &ev, err), 0); /* open, never committed */
	put_msg(j, "r1/venue", 51);
	journal_close(j);
	for (int round = 0; round < 2; round++) {
		j = jopen(fx->path, round == 0 ? &cfg_sync : &cfg_nosync);
		assert_true(journal_last_event(j) == 50);
		memset(&out, 0, sizeof(out));
		assert_int_equal(journal_replay(j, collect, &out), 0);
		assert_int_equal(out.n, 50);
		memset(&g, 0, sizeof(g));
		assert_int_equal(journal_msg_range(j, "r1/venue", 1, 0, collect_msg, &g), 0);
		assert_int_equal(g.n, 50);
		assert_true(g.seq[49] == 50);
		assert_int_equal(journal_session_get(j, "r1/venue", &got), 0);
		assert_true(got.js_next_in == 7 && got.js_next_out == 8);
		ev = order_ev(51);
		assert_int_equal(journal_append(j, &ev, err), 0);
		journal_abort(j);
		journal_close(j);
	}
}

/* ---- the reserve ahead of LMDB's last page (jc_reserve) ------------------------------ */

/* Turns of 200 messages of 1,000 bytes (~50 new pages each). */
static void turns(struct journal *j, int n)
{
	char body[1000], err[RULES_ERRLEN];
	uint64_t seq = 1;

	memset(body, 'q', sizeof(body));
	for (int t = 0; t < n; t++) {
		for (int i = 0; i < 200; i++, seq++)
			assert_int_equal(journal_msg_put(j, "r1/venue", seq, body, sizeof(body), err),
			    0);
		commit_ok(j);
		assert_int_equal(journal_prepare(j, err), 0);
	}
}

/* With a reserve, the file holds written (allocated) blocks ahead of
 * LMDB's last page, and keeps them ahead as it grows; without one, the
 * file beyond LMDB's pages stays a hole. (Which pages are in memory tells
 * nothing: the kernel's readahead of the holes brings megabytes in at the
 * first write fault either way.) */
static void test_reserve_ahead(void **state)
{
	struct fx *fx = *state;
	const struct journal_config with = {64u << 20, false, true, 2u << 20, 0};
	const struct journal_config without = {64u << 20, false, true, 0, 0};
	struct journal *j;
	struct stat st;
	char other[512];
	uint64_t opened;

	j = jopen(fx->path, &with);
	assert_int_equal(stat(fx->path, &st), 0);
	if ((uint64_t)st.st_blocks * 512 < (2u << 20))
		fail_msg("%lld bytes allocated after open, want >= 2 MiB",
		    (long long)st.st_blocks * 512);
	opened = (uint64_t)st.st_blocks * 512;
	turns(j, 10); /* ~2 MB of messages */
	assert_int_equal(stat(fx->path, &st), 0);
	if ((uint64_t)st.st_blocks * 512 < opened + (1u << 20))
		fail_msg("%lld bytes allocated after 2 MB of messages, %llu after open",
		    (long long)st.st_blocks * 512, (unsigned long long)opened);
	journal_close(j);

	snprintf(other, sizeof(other), "%s/other.mdb", fx->dir);
	j = jopen(other, &without);
	turns(j, 1);
	assert_int_equal(stat(other, &st), 0);
	if ((uint64_t)st.st_blocks * 512 >= (1u << 20))
		fail_msg("%lld bytes allocated without a reserve", (long long)st.st_blocks * 512);
	journal_close(j);
}

static long minor_faults(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/* 5 turns of 200 messages of 1000 bytes, each followed by a top-up: the
 * minor page faults taken in the turns (the writes and the commits), not in
 * the top-ups. */
static long turn_faults(struct journal *j)
{
	char body[1000], err[RULES_ERRLEN];
	uint64_t seq = 1;
	long faults = 0;

	memset(body, 'm', sizeof(body));
	for (int t = 0; t < 5; t++) {
		long f0 = minor_faults();

		for (int i = 0; i < 200; i++, seq++)
			assert_int_equal(journal_msg_put(j, "r1/venue", seq, body, sizeof(body), err),
			    0);
		commit_ok(j);
		faults += minor_faults() - f0;
		assert_int_equal(journal_prepare(j, err), 0);
	}
	return faults;
}

/* The reserve is mapped and touched in LMDB's own map: turns that write
 * 1 MB of messages into it take (almost) no page faults, where the same
 * turns without a reserve take one per new page (~250). journal_prepare()
 * adds at most JOURNAL_PREPARE_STEP per call and keeps the reserve whole. */
static void test_reserve_mapped(void **state)
{
	struct fx *fx = *state;
	const struct journal_config with = {64u << 20, false, true, 512u << 10, 0};
	const struct journal_config without = {64u << 20, false, true, 0, 0};
	char other[512], err[RULES_ERRLEN] = "";
	struct journal *j;
	struct stat st0, st;
	long fwith, fwithout;

	j = jopen(fx->path, &with);
	fwith = turn_faults(j); /* 1 MB through a reserve of 512 KiB: the top-ups keep up */
	assert_int_equal(stat(fx->path, &st0), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(journal_prepare(j, err), 0);
	assert_int_equal(stat(fx->path, &st), 0);
	if (st.st_blocks != st0.st_blocks)
		fail_msg("blocks went from %lld to %lld: the top-ups had not kept up",
		    (long long)st0.st_blocks, (long long)st.st_blocks);
	journal_close(j);

	snprintf(other, sizeof(other), "%s/other.mdb", fx->dir);
	j = jopen(other, &without);
	fwithout = turn_faults(j);
	journal_close(j);
	if (fwithout < 200 || fwith > fwithout / 4)
		fail_msg("page faults for 1 MB of messages: %ld with a reserve, %ld without", fwith,
		    fwithout);
}

/* journal_usage(): what is used (a high-water mark), what holds data,
 * what is prepared ahead, the map. A new day empties the databases; the
 * file's pages stay, to be reused. */
static void test_usage(void **state)
{
	struct fx *fx = *state;
	const struct journal_config cfg = {64u << 20, false, true, 1u << 20, 0};
	struct journal *j = jopen(fx->path, &cfg);
	struct journal_usage u0, u1, u2;
	char err[RULES_ERRLEN];

	assert_int_equal(journal_usage(j, &u0, true), 0);
	assert_int_equal(u0.ju_map, 64u << 20);
	assert_true(u0.ju_used > 0 && u0.ju_live > 0 && u0.ju_live <= u0.ju_used);
	assert_int_equal(u0.ju_prepared, 1u << 20);
	turns(j, 5); /* 1 MB of messages */
	assert_int_equal(journal_usage(j, &u1, true), 0);
	if (u1.ju_live < u0.ju_live + 1000000 || u1.ju_used < u0.ju_used + 1000000)
		fail_msg("after 1 MB: live %llu used %llu (was %llu %llu)",
		    (unsigned long long)u1.ju_live, (unsigned long long)u1.ju_used,
		    (unsigned long long)u0.ju_live, (unsigned long long)u0.ju_used);
	assert_true(u1.ju_live <= u1.ju_used);
	assert_true(u1.ju_prepared >= (1u << 20) - JOURNAL_PREPARE_STEP);
	assert_int_equal(journal_new_day(j, 20240103, err), 0);
	commit_ok(j);
	assert_int_equal(journal_usage(j, &u2, true), 0);
	assert_true(u2.ju_used >= u1.ju_used);
	if (u2.ju_live > u0.ju_live + 64 * 1024)
		fail_msg("after a new day: live %llu, at open %llu", (unsigned long long)u2.ju_live,
		    (unsigned long long)u0.ju_live);
	journal_close(j);
	/* with syncs nothing is prepared */
	j = jopen(fx->path, &cfg_sync);
	assert_int_equal(journal_usage(j, &u0, true), 0);
	assert_int_equal(u0.ju_prepared, 0);
	journal_close(j);
}

/* jc_prealloc: the file is prepared that far ahead at open, and the
 * top-ups after it keep the reserve only. */
static void test_prealloc(void **state)
{
	struct fx *fx = *state;
	const struct journal_config pre = {64u << 20, false, true, 1u << 20, 16u << 20};
	char err[RULES_ERRLEN] = "";
	struct journal *j = jopen(fx->path, &pre);
	struct stat st;

	assert_int_equal(stat(fx->path, &st), 0);
	if ((uint64_t)st.st_blocks * 512 < (16u << 20))
		fail_msg("%lld bytes allocated after open with 16 MiB prealloc",
		    (long long)st.st_blocks * 512);
	assert_int_equal(journal_prepare(j, err), 0);
	assert_int_equal(stat(fx->path, &st), 0);
	if ((uint64_t)st.st_blocks * 512 >= (18u << 20))
		fail_msg("%lld bytes allocated: a top-up went past the preallocation",
		    (long long)st.st_blocks * 512);
	journal_close(j);
}

/* A file that cannot grow (here RLIMIT_FSIZE; ENOSPC the same way) fails
 * the top-up (journal_prepare()) that cannot keep the reserve, with a clear error, before
 * LMDB would write to a page the disk has no room for; what was committed
 * stays, and a reopen refuses as clearly while it cannot reserve. */
static void test_reserve_cannot_grow(void **state)
{
	struct fx *fx = *state;
	const struct journal_config cfg = {64u << 20, false, true, 1u << 20, 0};
	const struct journal_config none = {64u << 20, false, true, 0, 0};
	struct rlimit old, lim;
	struct journal *j = jopen(fx->path, &cfg);
	char body[1000], err[RULES_ERRLEN] = "";
	uint64_t seq = 0, committed;
	void (*oldsig)(int);
	int rc = 0;

	memset(body, 'g', sizeof(body));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 3u << 20;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	while (rc == 0 && seq < 10000) {
		for (int i = 0; i < 50; i++)
			assert_int_equal(journal_msg_put(j, "s", ++seq, body, sizeof(body), err), 0);
		if ((rc = journal_commit(j, err)) == 0)
			rc = journal_prepare(j, err);
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(rc, RULES_EFULL);
	if (strstr(err, "cannot extend") == NULL || strstr(err, "File too large") == NULL)
		fail_msg("err: %s", err);
	/* the commit before the failing top-up committed; the file holds less
	 * than 3 MiB of pages */
	assert_true(seq > 1000 && seq < 3000);
	committed = seq;
	journal_close(j);
	j = jopen(fx->path, &none);
	{
		char buf[2000];
		size_t len;

		assert_int_equal(journal_msg_get(j, "s", committed, buf, sizeof(buf), &len), 0);
		assert_int_equal(len, sizeof(body));
	}
	journal_close(j);
	/* still no room: open says so */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	open_fails(fx->path, &cfg, RULES_EFULL, "cannot extend");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
}

static void test_new_day(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx->path, &cfg_sync);
	struct journal_session s = {55, 66, 20240102}, got;
	struct journal_kill k, kgot;
	struct journal_event ev;
	struct got_msgs g;
	struct evs out;
	char err[RULES_ERRLEN];
	uint32_t day;

	assert_int_equal(journal_day(j, &day), RULES_ENOTFOUND);
	assert_int_equal(journal_new_day(j, 20240102, err), 0);
	commit_ok(j);
	assert_int_equal(journal_day(j, &day), 0);
	assert_int_equal(day, 20240102);
	for (uint64_t i = 1; i <= 10; i++) {
		ev = order_ev(i);
		assert_int_equal(journal_append(j, &ev, err), 0);
		put_msg(j, "r1/router", i);
		put_msg(j, "r1/venue", i);
	}
	assert_int_equal(journal_session_put(j, "r1/router", &s, err), 0);
	assert_int_equal(journal_session_put(j, "r1/venue", &s, err), 0);
	memset(&k, 0, sizeof(k));
	k.jk_state = JOURNAL_KILL_TRIPPED;
	k.jk_source = JOURNAL_KSRC_SIGNAL;
	strcpy(k.jk_reason, "SIGUSR1");
	assert_int_equal(journal_kill_put(j, &k, err), 0);
	commit_ok(j);

	assert_int_equal(journal_new_day(j, 20240231, err), 0); /* day 31: format only */
	assert_int_equal(journal_new_day(j, 2024010, err), RULES_EINVAL);
	/* in the turn until committed */
	commit_ok(j);
	journal_close(j);

	j = jopen(fx->path, &cfg_sync);
	assert_true(journal_last_event(j) == 0);
	memset(&out, 0, sizeof(out));
	assert_int_equal(journal_replay(j, collect, &out), 0);
	assert_int_equal(out.n, 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(journal_msg_range(j, "r1/router", 1, 0, collect_msg, &g), 0);
	assert_int_equal(journal_msg_range(j, "r1/venue", 1, 0, collect_msg, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(journal_session_get(j, "r1/venue", &got), 0);
	assert_true(got.js_next_in == 1 && got.js_next_out == 1 && got.js_day == 20240231);
	assert_int_equal(journal_session_get(j, "r1/router", &got), 0);
	assert_true(got.js_next_in == 1 && got.js_next_out == 1 && got.js_day == 20240231);
	assert_int_equal(journal_day(j, &day), 0);
	assert_int_equal(day, 20240231);
	assert_int_equal(journal_kill_get(j, &kgot), 0); /* the kill state stays */
	assert_int_equal(kgot.jk_state, JOURNAL_KILL_TRIPPED);
	/* numbering restarts */
	ev = order_ev(1);
	assert_int_equal(journal_append(j, &ev, err), 0);
	assert_true(ev.ev_seq == 1);
	/* an aborted new day changes nothing */
	commit_ok(j);
	assert_int_equal(journal_new_day(j, 20240301, err), 0);
	assert_true(journal_last_event(j) == 0);
	journal_abort(j);
	assert_true(journal_last_event(j) == 1);
	assert_int_equal(journal_day(j, &day), 0);
	assert_int_equal(day, 20240231);
	journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msg_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turn_reads_and_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_with_and_without_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_reader_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_not_inherited_by_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_rebuilds_exposure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_and_forged_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lmdb_without_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writemap_either_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prealloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_cannot_grow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msg_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgs_schema1, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
