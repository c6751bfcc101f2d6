/*
 * test_engine.c - the checks (every reason code) and the order accounting
 * (every lifecycle transition) of rules/engine.c, on a real rules.mdb.
 *
 * Store faults are injected with -Wl,--wrap=rules_store_rd_begin.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "engine_impl.h"
#include "fixed.h"
#include "htab.h"
#include "store.h"
#include "testutil.h"

/* ---- store fault injection ---------------------------------------------------- */

int __real_rules_store_rd_begin(struct rules_store *, uint64_t *);
int __wrap_rules_store_rd_begin(struct rules_store *, uint64_t *);
static int fail_rd_begin;

int __wrap_rules_store_rd_begin(struct rules_store *s, uint64_t *txnid)
{
	if (fail_rd_begin)
		return RULES_ESTORE;
	return __real_rules_store_rd_begin(s, txnid);
}

/* ---- fixture -------------------------------------------------------------------- */

#define PX(units) ((int64_t)(units) * RULES_PX_SCALE)
#define SEC INT64_C(1000000000)

struct fx {
	char *dir, *path;
	struct rules_store *st;
	struct rules_engine *en;
	int64_t now;
	struct rules_decision d;
};

static const struct rules_actor actor = {"tester", "unit test"};

static struct rules_engine *new_engine_warn(struct rules_store *st, size_t orders,
    unsigned warn_pct)
{
	struct rules_engine_config cfg = {orders, 64, 16, 64, warn_pct};
	struct rules_engine *en;
	char err[RULES_ERRLEN];

	assert_int_equal(rules_engine_new(&en, st, &cfg, err), 0);
	return en;
}

static struct rules_engine *new_engine(struct rules_store *st, size_t orders)
{
	return new_engine_warn(st, orders, 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[RULES_ERRLEN];

	f->dir = tu_mkdtemp("engine");
	f->path = tu_path(f->dir, "rules.mdb");
	if (rules_store_open(&f->st, f->path, RULES_STORE_CREATE, 0, err) != 0) {
		fprintf(stderr, "store: %s\n", err);
		return -1;
	}
	f->en = new_engine(f->st, 1024);
	f->now = 1000 * SEC;
	fail_rd_begin = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rules_engine_free(f->en);
	rules_store_close(f->st);
	tu_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static void wr_commit(struct rules_wr *w)
{
	char err[RULES_ERRLEN];

	if (rules_wr_commit(w, err) != 0)
		fail_msg("commit: %s", err);
}

static struct rules_wr *wr(struct fx *f)
{
	struct rules_wr *w;
	char err[RULES_ERRLEN];

	if (rules_store_wr_begin(f->st, &w, err) != 0)
		fail_msg("wr_begin: %s", err);
	return w;
}

static void put_parent_full(struct fx *f, const char *id, const char *acct, const char *sym,
    char side, int64_t qty, int64_t limit_px, int64_t max_notional, int64_t rate, uint32_t trip)
{
	struct rules_parent p;
	struct rules_wr *w = wr(f);
	char err[RULES_ERRLEN];

	memset(&p, 0, sizeof(p));
	strcpy(p.rp_id, id);
	strcpy(p.rp_account, acct);
	strcpy(p.rp_symbol, sym);
	p.rp_side = side;
	p.rp_qty = qty;
	p.rp_limit_px = limit_px;
	p.rp_max_notional = max_notional;
	p.rp_max_rate = rate;
	p.rp_trip = trip;
	if (rules_wr_put_parent(w, &actor, &p, err) != 0)
		fail_msg("put_parent: %s", err);
	wr_commit(w);
}

static void put_parent(struct fx *f, const char *id, const char *sym, int64_t qty)
{
	put_parent_full(f, id, "ACC1", sym, '1', qty, 0, 0, 0, RULES_TRIP_DEFAULT);
}

/* Sets one limit at a scope, keeping the others of that record. */
static void put_limit(struct fx *f, enum rules_scope sc, const char *key, enum rules_limit l,
    int64_t v, bool trip)
{
	struct rules_limits lim;
	struct rules_wr *w;
	char err[RULES_ERRLEN];

	if (rules_store_get_limits(f->st, sc, key, &lim) != 0)
		memset(&lim, 0, sizeof(lim));
	lim.rl_set |= RULES_BIT(l);
	lim.rl_val[l] = v;
	if (trip)
		lim.rl_trip |= RULES_BIT(l);
	else
		lim.rl_trip &= ~RULES_BIT(l);
	w = wr(f);
	if (rules_wr_put_limits(w, &actor, sc, key, &lim, err) != 0)
		fail_msg("put_limits: %s", err);
	wr_commit(w);
}

static void put_refpx(struct fx *f, const char *sym, int64_t px)
{
	struct rules_wr *w = wr(f);
	char err[RULES_ERRLEN];

	if (rules_wr_put_refpx(w, &actor, sym, px, err) != 0)
		fail_msg("put_refpx: %s", err);
	wr_commit(w);
}

static struct rules_order order(const char *clid, const char *parent, const char *sym,
    int64_t qty, int64_t px)
{
	struct rules_order o;

	memset(&o, 0, sizeof(o));
	o.ro_kind = RULES_NEW;
	o.ro_clordid = clid;
	o.ro_parent = parent;
	o.ro_account = "";
	o.ro_symbol = sym;
	o.ro_side = '1';
	o.ro_ordtype = px > 0 ? RULES_ORDTYPE_LIMIT : RULES_ORDTYPE_MARKET;
	o.ro_qty = qty;
	o.ro_px = px;
	return o;
}

static enum rules_verdict check(struct fx *f, struct rules_order *o)
{
	if (o->ro_now_ns == 0)
		o->ro_now_ns = f->now;
	return rules_check(f->en, o, &f->d);
}

/* A limit buy child of parent at 10.00. */
static enum rules_verdict buy(struct fx *f, const char *clid, const char *parent, int64_t qty)
{
	struct rules_order o = order(clid, parent, "IBM", qty, PX(10));

	return check(f, &o);
}

static enum rules_verdict replace(struct fx *f, const char *clid, const char *orig,
    int64_t qty, int64_t px)
{
	struct rules_order o = order(clid, "", "IBM", qty, px);

	o.ro_kind = RULES_REPLACE;
	o.ro_origclordid = orig;
	return check(f, &o);
}

#define ACCEPTS(f, expr)                                                                   \
	do {                                                                               \
		enum rules_verdict v_ = (expr);                                            \
		if (v_ != RULES_ACCEPT)                                                    \
			fail_msg("%s: expected accept, got %d %s: %s", #expr, v_,          \
			    rules_reason_name((int)(f)->d.rd_reason), (f)->d.rd_text);     \
	} while (0)

#define DECIDES(f, expr, verdict, reason)                                                  \
	do {                                                                               \
		enum rules_verdict v_ = (expr);                                            \
		if (v_ != (verdict) || (f)->d.rd_reason != (reason) ||                     \
		    (f)->d.rd_verdict != v_)                                               \
			fail_msg("%s: expected %d %s, got %d %s: %s", #expr, (verdict),    \
			    rules_reason_name(reason), v_,                                 \
			    rules_reason_name((int)(f)->d.rd_reason), (f)->d.rd_text);     \
		assert_true((f)->d.rd_text[0] != '\0');                                    \
	} while (0)

static int exec(struct fx *f, const char *clid, const char *orig, char et, char st,
    int64_t last_qty, int64_t last_px, int64_t cum, int64_t leaves)
{
	struct rules_exec x = {clid, orig, et, st, last_qty, last_px, cum, leaves, -1, -1};

	return rules_on_exec(f->en, &x);
}

static struct rules_exposure pexpo(struct fx *f, const char *parent)
{
	struct rules_exposure x;

	assert_int_equal(rules_parent_exposure(f->en, parent, &x), 0);
	return x;
}

/* ---- reason codes: the order itself ---------------------------------------------- */

static void test_accept_books_open_exposure(void **state)
{
	struct fx *f = *state;
	struct rules_exposure x;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	assert_int_equal(f->d.rd_reason, RULES_R_OK);
	x = pexpo(f, "P1");
	assert_int_equal(x.ex_open_qty, 100);
	assert_int_equal(x.ex_filled_qty, 0);
	assert_int_equal(x.ex_open_notional, PX(1000));
	assert_int_equal(x.ex_orders, 1);
	assert_int_equal(x.ex_live, 1);
	assert_int_equal(rules_account_exposure(f->en, "ACC1", &x), 0);
	assert_int_equal(x.ex_open_notional, PX(1000));
}

static void test_bad_orders(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	put_parent(f, "P1", "IBM", 1000);
	o = order("C1", "P1", "IBM", 0, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C1", "P1", "IBM", -5, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("", "P1", "IBM", 10, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C 1", "P1", "IBM", 10, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C1", "P1", NULL, 10, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C1", "P1", "IBM", 10, PX(10));
	o.ro_side = '9';
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C1", "P1", "IBM", 10, PX(10));
	o.ro_ordtype = '3'; /* stop */
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C1", "P1", "IBM", 10, 0);
	o.ro_ordtype = RULES_ORDTYPE_LIMIT;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C1", "P1", "IBM", 10, PX(10));
	o.ro_account = "bad account";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	o = order("C1", "bad parent", "IBM", 10, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	{
		/* ids are 1..64 characters */
		char id65[66];

		memset(id65, 'X', 65);
		id65[65] = '\0';
		o = order(id65, "P1", "IBM", 10, PX(10));
		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
		o = order("C1", id65, "IBM", 10, PX(10));
		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
		id65[64] = '\0';
		o = order(id65, "P1", "IBM", 10, PX(10));
		ACCEPTS(f, check(f, &o));
		o = order("C1", "P1", "IBM", 10, PX(10));
		o.ro_account = "AC\x7f";
		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	}
	/* none of these took the ClOrdID or any exposure */
	ACCEPTS(f, buy(f, "C1", "P1", 10));
	assert_int_equal(pexpo(f, "P1").ex_open_qty, 20);
}

static void test_no_and_unknown_parent(void **state)
{
	struct fx *f = *state;
	struct rules_order o = order("C1", "", "IBM", 10, PX(10));
	struct rules_exposure x;

	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_NO_PARENT);
	o.ro_parent = NULL;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_NO_PARENT);
	DECIDES(f, buy(f, "C1", "NOPE", 10), RULES_REJECT, RULES_R_UNKNOWN_PARENT);
	/* a rejected unknown parent leaves nothing behind */
	assert_int_equal(rules_parent_exposure(f->en, "NOPE", &x), RULES_ENOTFOUND);
	/* a declared quantity on a route that does not allow it changes nothing */
	o = order("C1", "NOPE", "IBM", 10, PX(10));
	o.ro_declared_qty = 100;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_UNKNOWN_PARENT);
}

static void test_parent_mismatch(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	put_parent(f, "P1", "IBM", 1000);
	o = order("C1", "P1", "MSFT", 10, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	o = order("C1", "P1", "IBM", 10, PX(10));
	o.ro_side = '2';
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	o.ro_side = '5'; /* sell short is a sell too */
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	o = order("C1", "P1", "IBM", 10, PX(10));
	o.ro_account = "ACC2";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	o.ro_account = "ACC1";
	ACCEPTS(f, check(f, &o));
}

/* A parent registered again under another account: its next children are
 * the new account's (its account notional limit and exposure), while the
 * children booked before stay the old account's. */
static void test_parent_account_changed(void **state)
{
	struct fx *f = *state;
	struct rules_exposure x;
	struct rules_order o;

	put_limit(f, RULES_SCOPE_ACCOUNT, "ACC2", RULES_LIM_ACCOUNT_NOTIONAL, PX(250), false);
	put_parent(f, "P1", "IBM", 1000);
	o = order("C1", "P1", "IBM", 10, PX(10));
	o.ro_account = "ACC1";
	ACCEPTS(f, check(f, &o));
	o.ro_clordid = "C2";
	ACCEPTS(f, check(f, &o));
	o.ro_clordid = "C3";
	ACCEPTS(f, check(f, &o));
	put_parent_full(f, "P1", "ACC2", "IBM", '1', 1000, 0, 0, 0, RULES_TRIP_DEFAULT);
	o = order("C4", "P1", "IBM", 10, PX(10));
	o.ro_account = "ACC1";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	o.ro_account = "ACC2";
	ACCEPTS(f, check(f, &o));
	o.ro_clordid = "C5";
	ACCEPTS(f, check(f, &o));
	assert_int_equal(rules_account_exposure(f->en, "ACC2", &x), 0);
	assert_int_equal(x.ex_open_notional, PX(200));
	assert_int_equal(x.ex_orders, 2);
	assert_int_equal(rules_account_exposure(f->en, "ACC1", &x), 0);
	assert_int_equal(x.ex_open_notional, PX(300));
	/* ACC2's limit: 200 + 100 > 250 */
	o.ro_clordid = "C6";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_ACCOUNT_NOTIONAL);
	assert_int_equal(pexpo(f, "P1").ex_open_notional, PX(500));
}

static void test_dup_clordid(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	put_parent(f, "P2", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 10));
	DECIDES(f, buy(f, "C1", "P1", 10), RULES_REJECT, RULES_R_DUP_CLORDID);
	DECIDES(f, buy(f, "C1", "P2", 10), RULES_REJECT, RULES_R_DUP_CLORDID);
	/* a cancel's ClOrdID is taken too */
	assert_int_equal(rules_on_cancel_sent(f->en, "X1", "C1"), 0);
	DECIDES(f, buy(f, "X1", "P1", 10), RULES_REJECT, RULES_R_DUP_CLORDID);
	assert_int_equal(rules_on_cancel_sent(f->en, "X1", "C1"), RULES_EEXIST);
	assert_int_equal(rules_on_cancel_sent(f->en, "X2", "ZZ"), RULES_ENOTFOUND);
	/* and a replace's */
	ACCEPTS(f, replace(f, "R1", "C1", 20, PX(10)));
	DECIDES(f, buy(f, "R1", "P1", 10), RULES_REJECT, RULES_R_DUP_CLORDID);
	DECIDES(f, replace(f, "C1", "R1", 30, PX(10)), RULES_REJECT, RULES_R_DUP_CLORDID);
}

/* The reject texts, byte for byte: numbers (PRId64, negative too), %c,
 * strings, and the truncation to rd_text. */
static void test_reject_texts(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	char id[RULES_ID_MAX + 1], acct[RULES_ID_MAX + 1], child[RULES_ID_MAX + 1];
	char want[sizeof(f->d.rd_text)];
	int n;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 600));
	ACCEPTS(f, buy(f, "C2", "P1", 400));
	DECIDES(f, buy(f, "C3", "P1", 7), RULES_TRIP, RULES_R_PARENT_QTY);
	assert_string_equal(f->d.rd_text,
	    "parent P1 quantity 1007 > 1000 (open 1000, filled 0, order 7)");
	DECIDES(f, buy(f, "C1", "P1", 1), RULES_REJECT, RULES_R_DUP_CLORDID);
	assert_string_equal(f->d.rd_text, "duplicate ClOrdID C1");
	o = order("C4", "P1", "IBM", 10, PX(10));
	o.ro_side = '9';
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	assert_string_equal(f->d.rd_text, "unsupported Side '9'");
	o = order("C4", "P1", "IBM", 10, PX(10));
	o.ro_side = 2;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	assert_string_equal(f->d.rd_text, "unsupported Side '?'");
	o = order("C4", "P1", "IBM", 10, PX(10));
	o.ro_declared_qty = -3;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	assert_string_equal(f->d.rd_text, "declared parent quantity must be > 0");
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 5, false);
	put_parent(f, "P2", "IBM", 1000);
	DECIDES(f, buy(f, "C5", "P2", 9), RULES_REJECT, RULES_R_ORDER_QTY);
	assert_string_equal(f->d.rd_text, "order quantity 9 > max 5");
	/* long ids: the text as snprintf() makes it, cut to rd_text */
	memset(id, 'Q', RULES_ID_MAX);
	id[RULES_ID_MAX] = '\0';
	memset(acct, 'A', RULES_ID_MAX);
	acct[RULES_ID_MAX] = '\0';
	memset(child, 'B', RULES_ID_MAX);
	child[RULES_ID_MAX] = '\0';
	put_parent_full(f, id, acct, "IBM", '1', 1000, 0, 0, 0, RULES_TRIP_DEFAULT);
	o = order("C6", id, "IBM", 1, PX(10));
	o.ro_account = child;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	n = snprintf(want, sizeof(want), "account %s differs from parent %s's %s", child, id, acct);
	assert_true(n > (int)sizeof(want) - 1); /* it was cut */
	assert_string_equal(f->d.rd_text, want);
}

/* ---- reason codes: parent limits ------------------------------------------------------ */

static void test_parent_qty_trips(void **state)
{
	struct fx *f = *state;
	struct rules_exposure x;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 600));
	ACCEPTS(f, buy(f, "C2", "P1", 400)); /* exactly the parent quantity */
	DECIDES(f, buy(f, "C3", "P1", 1), RULES_TRIP, RULES_R_PARENT_QTY);
	assert_non_null(strstr(f->d.rd_text, "P1"));
	/* filled counts as well as open */
	assert_int_equal(exec(f, "C1", NULL, 'F', '2', 600, PX(10), 600, 0), 0);
	x = pexpo(f, "P1");
	assert_int_equal(x.ex_open_qty, 400);
	assert_int_equal(x.ex_filled_qty, 600);
	DECIDES(f, buy(f, "C3", "P1", 1), RULES_TRIP, RULES_R_PARENT_QTY);
	/* a rejected order books nothing */
	x = pexpo(f, "P1");
	assert_int_equal(x.ex_open_qty + x.ex_filled_qty, 1000);
	assert_int_equal(x.ex_orders, 2);
}

static void test_parent_qty_action_reject(void **state)
{
	struct fx *f = *state;

	put_parent_full(f, "P1", "ACC1", "IBM", '1', 100, 0, 0, 0, 0);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	DECIDES(f, buy(f, "C2", "P1", 1), RULES_REJECT, RULES_R_PARENT_QTY);
}

static void test_parent_notional(void **state)
{
	struct fx *f = *state;

	/* from the registration */
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000, 0, PX(2000), 0, RULES_TRIP_DEFAULT);
	ACCEPTS(f, buy(f, "C1", "P1", 150));                /* 1500 */
	DECIDES(f, buy(f, "C2", "P1", 51), RULES_TRIP, RULES_R_PARENT_NOTIONAL);
	ACCEPTS(f, buy(f, "C3", "P1", 50));                 /* 2000 exactly */
	/* fills are valued at LastPx */
	assert_int_equal(exec(f, "C1", NULL, 'F', '2', 150, PX(9), 150, 0), 0);
	assert_int_equal(pexpo(f, "P1").ex_filled_notional, PX(1350));
	ACCEPTS(f, buy(f, "C4", "P1", 15));                 /* 1350+500+150 = 2000 */
	/* from the scopes when the registration has none: symbol over global */
	put_parent(f, "P2", "IBM", 1000);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_NOTIONAL, PX(100), true);
	put_limit(f, RULES_SCOPE_SYMBOL, "IBM", RULES_LIM_PARENT_NOTIONAL, PX(300), false);
	ACCEPTS(f, buy(f, "D1", "P2", 30));
	DECIDES(f, buy(f, "D2", "P2", 1), RULES_REJECT, RULES_R_PARENT_NOTIONAL);
}

static void test_parent_rate_sliding_window(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	int64_t t0 = f->now;
	char id[16];
	int i;

	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000000, 0, 0, 2, RULES_TRIP_DEFAULT);
	/* two at the end of one second */
	o = order("C1", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 900 * 1000000;
	ACCEPTS(f, check(f, &o));
	o = order("C2", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 950 * 1000000;
	ACCEPTS(f, check(f, &o));
	/* a per-second bucket would let these two through at the boundary */
	o = order("C3", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 1000 * 1000000;
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_RATE);
	o = order("C4", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 1899 * 1000000;
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_RATE);
	/* one second after the first, one place is free; rejects did not count */
	o = order("C5", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 1900 * 1000000 + 1;
	ACCEPTS(f, check(f, &o));
	o = order("C6", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 1920 * 1000000;
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_RATE);

	/* a rate from the scopes, raised while running: the window grows */
	put_parent(f, "P2", "IBM", 1000000);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_RATE, 3, false);
	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "R%d", i);
		o = order(id, "P2", "IBM", 1, PX(10));
		o.ro_now_ns = t0 + 10 * SEC + i;
		ACCEPTS(f, check(f, &o));
	}
	o = order("R3", "P2", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 10 * SEC + 3;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_RATE);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_RATE, 5, false);
	for (i = 3; i < 5; i++) {
		snprintf(id, sizeof(id), "R%d", i);
		o = order(id, "P2", "IBM", 1, PX(10));
		o.ro_now_ns = t0 + 10 * SEC + i;
		ACCEPTS(f, check(f, &o));
	}
	o = order("R5", "P2", "IBM", 1, PX(10));
	o.ro_now_ns = t0 + 10 * SEC + 5;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_RATE);
}


/* splitmix64: the random tests' numbers, the same on every run. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/*
 * eng_key_of(), the checks' one pass over an id (validity, length, hash,
 * tail word), against rules_id_valid(), strlen(), htab_hash_n() and
 * htab_tail(): every length from 0 to RULES_ID_MAX + 2, at the start of a
 * page and ending at its last byte (the next page unmapped), with a bad
 * byte at each place of some.
 */
static void test_key_of(void **state)
{
	static const unsigned char bad[] = {0x20, 0x7f, 0x80, 0xff, 0x01};
	const long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t seed = 42;
	size_t len, at, b, shift;

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
	for (len = 0; len <= RULES_ID_MAX + 2; len++) {
		for (shift = 0; shift < 2 * 16 + 2; shift++) {
			/* 0..16 bytes from the page's start, or ending 0..16
			 * bytes before its end */
			char *s = shift <= 16 ? m + shift : m + pg - (len + 1) - (shift - 17);
			struct htab_key k;

			for (at = 0; at < len; at++)
				s[at] = (char)(0x21 + next_rand(&seed) % 94);
			s[len] = '\0';
			memset(&k, 0xa5, sizeof(k));
			if (eng_key_of(&k, s) != rules_id_valid(s))
				fail_msg("len %zu at %td: eng_key_of() %d", len, s - m, !rules_id_valid(s));
			if (!rules_id_valid(s))
				continue;
			assert_ptr_equal(k.k_s, s);
			assert_int_equal(k.k_len, len);
			assert_int_equal(k.k_h, htab_hash_n(s, len));
			assert_int_equal(k.k_tail, len % 8 != 0 ? htab_tail(s, len) : 0);
			for (b = 0; b < sizeof(bad) && len % 5 == 1; b++) {
				for (at = 0; at < len; at++) {
					char keep = s[at];

					s[at] = (char)bad[b];
					assert_false(eng_key_of(&k, s));
					s[at] = keep;
				}
			}
		}
	}
	assert_false(eng_key_of(&(struct htab_key){0}, NULL));
	munmap(m, 2 * (size_t)pg);
}

/*
 * The rate window against its definition, on random times: bursts of a few
 * ms, steps of up to 400 ms across the engine's count buckets (268 ms),
 * gaps of over a second and a clock that goes back. A child is refused iff
 * the rate-th most recent accepted child of its parent (in the order they
 * came) is less than a second old.
 */
static void test_parent_rate_random(void **state)
{
	static const int64_t rates[] = {1, 2, 3, 8, 9, 50};
	enum { NP = sizeof(rates) / sizeof(rates[0]), STEPS = 30000 };
	struct fx *f = *state;
	struct rules_order o;
	int64_t *times[NP], now = 1000 * SEC, step;
	size_t n[NP] = {0}, k, accepts = 0, refusals = 0, backs = 0;
	uint64_t seed = 0x5eed, r;
	char pid[NP][8], clid[16];
	bool burst = true, full;

	rules_engine_free(f->en);
	f->en = new_engine(f->st, STEPS + 16);
	for (k = 0; k < NP; k++) {
		snprintf(pid[k], sizeof(pid[k]), "R%zu", k);
		put_parent_full(f, pid[k], "ACC1", "IBM", '1', INT64_C(1) << 40, 0, 0, rates[k], 0);
		times[k] = calloc(STEPS, sizeof(*times[k]));
		assert_non_null(times[k]);
	}
	for (k = 0; k < STEPS; k++) {
		size_t i;

		r = next_rand(&seed);
		i = (size_t)(r % NP);
		if (k % 500 == 0)
			burst = !burst;
		step = (int64_t)((r >> 16) % 1000000); /* 0 .. 1 ms */
		switch ((r >> 8) % 32) {
		case 0: /* the clock goes back, up to 2 s */
			step = -(int64_t)((r >> 16) % (2 * SEC));
			backs++;
			break;
		case 1: /* a gap */
			step = SEC + (int64_t)((r >> 16) % SEC);
			break;
		case 2: case 3: case 4: case 5:
			step = (int64_t)((r >> 16) % (400 * SEC / 1000));
			break;
		default:
			if (!burst)
				step *= 40;
		}
		now += step;
		full = n[i] >= (size_t)rates[i] && times[i][n[i] - (size_t)rates[i]] > now - SEC;
		snprintf(clid, sizeof(clid), "C%zu", k);
		o = order(clid, pid[i], "IBM", 1, PX(10));
		o.ro_now_ns = now;
		if (full) {
			DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_RATE);
			refusals++;
		} else {
			ACCEPTS(f, check(f, &o));
			times[i][n[i]++] = now;
			accepts++;
		}
	}
	/* both verdicts, many times each, and the clock went back */
	assert_true(accepts > STEPS / 4 && refusals > STEPS / 4 && backs > 100);
	for (k = 0; k < NP; k++)
		free(times[k]);
}

/* A rate raised while the ring holds a line of times and the queue more: the
 * ring grows keeping them, in order, and the window stays exact. */
static void test_parent_rate_raised(void **state)
{
	struct fx *f = *state;
	const int64_t t = f->now, STEP = 150 * (SEC / 1000);
	struct rules_order o;
	char clid[16];
	int i, k = 0;

#define RATE_CHILD(at, verdict)                                                          \
	do {                                                                               \
		snprintf(clid, sizeof(clid), "C%d", k++);                                  \
		o = order(clid, "P1", "IBM", 1, PX(10));                                   \
		o.ro_now_ns = (at);                                                        \
		if ((verdict) == RULES_ACCEPT)                                             \
			ACCEPTS(f, check(f, &o));                                          \
		else                                                                       \
			DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_RATE);       \
	} while (0)

	/* 25 children 150 ms apart: the ring (16) holds 24 times, wrapped, the
	 * queue one */
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000000, 0, 0, 10, 0);
	for (i = 0; i < 25; i++)
		RATE_CHILD(t + i * STEP, RULES_ACCEPT);
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000000, 0, 0, 20, 0);
	/* children 18 .. 24 are in the second before now: 13 places */
	for (i = 0; i < 13; i++)
		RATE_CHILD(t + 24 * STEP + 1, RULES_ACCEPT);
	RATE_CHILD(t + 24 * STEP + 1, RULES_REJECT);
	/* children 18 .. 20 leave it */
	for (i = 0; i < 3; i++)
		RATE_CHILD(t + 20 * STEP + SEC, RULES_ACCEPT);
	RATE_CHILD(t + 20 * STEP + SEC, RULES_REJECT);
	/* and 21 .. 24 and the 13 of one time: only the last 3 stay */
	for (i = 0; i < 17; i++)
		RATE_CHILD(t + 24 * STEP + 1 + SEC, RULES_ACCEPT);
	RATE_CHILD(t + 24 * STEP + 1 + SEC, RULES_REJECT);
#undef RATE_CHILD
}

/* A rate of UINT16_MAX or more: the counts (16 bits a bucket) cannot bound
 * it, the ring decides alone. */
static void test_parent_rate_large(void **state)
{
	enum { RATE = 65540 };
	struct fx *f = *state;
	struct rules_order o;
	char clid[16];
	int i;

	rules_engine_free(f->en);
	f->en = new_engine(f->st, RATE + 16);
	put_parent_full(f, "P1", "ACC1", "IBM", '1', INT64_C(1) << 40, 0, 0, RATE, 0);
	for (i = 0; i < RATE; i++) {
		snprintf(clid, sizeof(clid), "C%d", i);
		o = order(clid, "P1", "IBM", 1, PX(10));
		o.ro_now_ns = f->now + i;
		if (check(f, &o) != RULES_ACCEPT)
			fail_msg("child %d: %s", i, f->d.rd_text);
	}
	o = order("X1", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = f->now + SEC - 1;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_RATE);
	/* a second after the first, one place is free */
	o = order("X2", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = f->now + SEC;
	ACCEPTS(f, check(f, &o));
	o = order("X3", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = f->now + SEC;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_RATE);
}

static void test_parent_price(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	put_parent_full(f, "PB", "ACC1", "IBM", '1', 1000, PX(10), 0, 0, RULES_TRIP_DEFAULT);
	put_parent_full(f, "PS", "ACC1", "IBM", '2', 1000, PX(10), 0, 0, RULES_TRIP_DEFAULT);
	put_refpx(f, "IBM", PX(10));
	o = order("C1", "PB", "IBM", 10, PX(10) + 1);
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_PRICE);
	o = order("C1", "PB", "IBM", 10, PX(10));
	ACCEPTS(f, check(f, &o));
	o = order("C2", "PS", "IBM", 10, PX(10) - 1);
	o.ro_side = '2';
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_PRICE);
	o = order("C2", "PS", "IBM", 10, PX(11));
	o.ro_side = '2';
	ACCEPTS(f, check(f, &o));
	o = order("C3", "PB", "IBM", 10, 0); /* market child of a limit parent */
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_PRICE);
}

/* ---- reason codes: per-order, symbol and account limits --------------------------------- */

static void test_order_qty_scope_precedence(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 100000);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 1000, false);
	DECIDES(f, buy(f, "C1", "P1", 1001), RULES_REJECT, RULES_R_ORDER_QTY);
	ACCEPTS(f, buy(f, "C2", "P1", 1000));
	put_limit(f, RULES_SCOPE_ACCOUNT, "ACC1", RULES_LIM_ORDER_QTY, 500, false);
	DECIDES(f, buy(f, "C3", "P1", 501), RULES_REJECT, RULES_R_ORDER_QTY);
	put_limit(f, RULES_SCOPE_SYMBOL, "IBM", RULES_LIM_ORDER_QTY, 2000, false);
	ACCEPTS(f, buy(f, "C4", "P1", 2000));
	put_limit(f, RULES_SCOPE_PARENT, "P1", RULES_LIM_ORDER_QTY, 10, true);
	DECIDES(f, buy(f, "C5", "P1", 11), RULES_TRIP, RULES_R_ORDER_QTY);
	ACCEPTS(f, buy(f, "C6", "P1", 10));
}

static void test_order_notional(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 100000);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_NOTIONAL, PX(5000), false);
	ACCEPTS(f, buy(f, "C1", "P1", 500));
	DECIDES(f, buy(f, "C2", "P1", 501), RULES_REJECT, RULES_R_ORDER_NOTIONAL);
}

static void test_collars_and_reference_price(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	put_parent(f, "P1", "IBM", 100000);
	/* a market order needs a reference price */
	o = order("M1", "P1", "IBM", 10, 0);
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_NO_REF_PRICE);
	/* a limit order needs none while no collar is set */
	ACCEPTS(f, buy(f, "C1", "P1", 10));
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_COLLAR_BPS, 500, false); /* 5% */
	DECIDES(f, buy(f, "C2", "P1", 10), RULES_REJECT, RULES_R_NO_REF_PRICE);
	put_refpx(f, "IBM", PX(10));
	o = order("C3", "P1", "IBM", 10, PX(10) + PX(1) / 2); /* 10.50 = 5% */
	ACCEPTS(f, check(f, &o));
	o = order("C4", "P1", "IBM", 10, PX(10) + PX(1) / 2 + 1);
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_COLLAR_BPS);
	o = order("C4", "P1", "IBM", 10, PX(10) - PX(1) / 2 - 1);
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_COLLAR_BPS);
	put_limit(f, RULES_SCOPE_SYMBOL, "IBM", RULES_LIM_COLLAR_ABS, PX(1) / 4, false);
	o = order("C5", "P1", "IBM", 10, PX(10) + PX(1) / 4);
	ACCEPTS(f, check(f, &o));
	o = order("C6", "P1", "IBM", 10, PX(10) + PX(1) / 4 + 1);
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_COLLAR_ABS);
	/* a market order is valued at the reference price */
	o = order("M2", "P1", "IBM", 10, 0);
	ACCEPTS(f, check(f, &o));
	/* 10@10 + 10@10.50 + 10@10.25 + 10@10 (market, at the reference) */
	assert_int_equal(pexpo(f, "P1").ex_open_notional, PX(100) + PX(105) + PX(205) / 2 + PX(100));
}

/* The collars at their edges, for references and percentages whose product
 * is not a multiple of 10,000 (the accept path turns them into a price band):
 * dev = |px - ref| passes iff dev * 10000 <= ref * bps and dev <= abs. */
static void test_collar_edges(void **state)
{
	struct fx *f = *state;
	static const int64_t refs[] = {3, 999999, PX(10) + 7, PX(123) + 1};
	static const int64_t bpss[] = {1, 7, 333, 500};
	struct rules_order o;
	char clid[32];
	int n = 0;
	size_t i, j;
	int64_t k, px, dev, d, abs;

	put_parent(f, "P1", "IBM", INT64_C(1) << 40);
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		for (j = 0; j < sizeof(bpss) / sizeof(bpss[0]); j++) {
			put_refpx(f, "IBM", refs[i]);
			put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_COLLAR_BPS, bpss[j], false);
			d = refs[i] * bpss[j] / 10000;
			/* collar_abs at d, then just below: it decides at the edge */
			for (abs = d + 1; abs >= d - 1 && abs > 0; abs--) {
				put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_COLLAR_ABS, abs, false);
				for (k = -2; k <= 2; k++) {
					int sgn;

					for (sgn = -1; sgn <= 1; sgn += 2) {
						dev = d + k;
						px = refs[i] + sgn * dev;
						if (dev < 0 || px <= 0)
							continue;
						snprintf(clid, sizeof(clid), "E%d", n++);
						o = order(clid, "P1", "IBM", 1, px);
						if (dev > abs)
							DECIDES(f, check(f, &o), RULES_REJECT,
							    RULES_R_COLLAR_ABS);
						else if (dev * 10000 > refs[i] * bpss[j])
							DECIDES(f, check(f, &o), RULES_REJECT,
							    RULES_R_COLLAR_BPS);
						else
							ACCEPTS(f, check(f, &o));
					}
				}
			}
		}
	}
}

static void test_restricted(void **state)
{
	struct fx *f = *state;
	struct rules_wr *w;
	char err[RULES_ERRLEN];

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 10));
	w = wr(f);
	assert_int_equal(rules_wr_put_restricted(w, &actor, "IBM", "merger news", err), 0);
	wr_commit(w);
	DECIDES(f, buy(f, "C2", "P1", 10), RULES_REJECT, RULES_R_RESTRICTED);
	w = wr(f);
	assert_int_equal(rules_wr_del_restricted(w, &actor, "IBM", err), 0);
	wr_commit(w);
	ACCEPTS(f, buy(f, "C2", "P1", 10));
}

static void test_account_notional(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	put_parent(f, "P2", "IBM", 1000);
	put_parent_full(f, "P3", "ACC2", "IBM", '1', 1000, 0, 0, 0, RULES_TRIP_DEFAULT);
	put_limit(f, RULES_SCOPE_ACCOUNT, "ACC1", RULES_LIM_ACCOUNT_NOTIONAL, PX(3000), true);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	ACCEPTS(f, buy(f, "C2", "P2", 100));
	assert_int_equal(exec(f, "C2", NULL, 'F', '2', 100, PX(10), 100, 0), 0);
	DECIDES(f, buy(f, "C3", "P2", 101), RULES_TRIP, RULES_R_ACCOUNT_NOTIONAL);
	ACCEPTS(f, buy(f, "C3", "P2", 100));
	/* another account is not affected */
	ACCEPTS(f, buy(f, "C4", "P3", 500));
}

static void test_overflow(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	put_parent(f, "P1", "IBM", INT64_MAX);
	o = order("C1", "P1", "IBM", INT64_MAX / 2, PX(1000));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_OVERFLOW);
	assert_int_equal(rules_parent_exposure(f->en, "P1", &(struct rules_exposure){0}),
	    RULES_ENOTFOUND);
}

static struct rules_parent_info pinfo(struct fx *f, const char *id);

/* o decided as verdict/reason by the accept path's engine and again with
 * every check sent the general way (e_fast_off). */
static void decides_both_ways(struct fx *f, struct rules_order *o, enum rules_verdict verdict,
    enum rules_reason reason)
{
	DECIDES(f, check(f, o), verdict, reason);
	f->en->e_fast_off = true;
	DECIDES(f, check(f, o), verdict, reason);
	f->en->e_fast_off = false;
}

/*
 * Sums at the top of the range: a parent, its notional and its account may
 * all be limited at INT64_MAX. A sum that would pass INT64_MAX is pinned
 * there (and so is one that reaches it); a pinned sum breaches every limit,
 * INT64_MAX's too: overflow is a reject, never an accept.
 */
static void test_overflow_sums(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	/* quantity: open + filled + this order past INT64_MAX */
	put_parent(f, "P1", "IBM", INT64_MAX);
	o = order("Q1", "P1", "IBM", INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	o = order("Q2", "P1", "IBM", INT64_MAX / 2, 1); /* the fast path: a second child */
	ACCEPTS(f, check(f, &o));
	assert_int_equal(pexpo(f, "P1").ex_open_qty, INT64_MAX - 1);
	o = order("Q3", "P1", "IBM", 2, 1);
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_QTY);
	assert_non_null(strstr(f->d.rd_text, "quantity overflows"));
	/* exactly INT64_MAX: where a sum is pinned, refused too */
	o = order("Q4", "P1", "IBM", 1, 1);
	decides_both_ways(f, &o, RULES_TRIP, RULES_R_PARENT_QTY);

	/* fills past INT64_MAX pin the filled sums (an account of its own:
	 * ACC1's sums hold P1's) */
	put_parent_full(f, "P2", "ACC2", "IBM", '1', INT64_MAX, 0, 0, 0, RULES_TRIP_DEFAULT);
	o = order("F1", "P2", "IBM", INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	assert_int_equal(exec(f, "F1", NULL, 'F', '2', INT64_MAX / 2, 1, INT64_MAX / 2, 0), 0);
	o = order("F2", "P2", "IBM", INT64_MAX / 2 + 2, 1);
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_QTY);
	o = order("F3", "P2", "IBM", 1, 1);
	ACCEPTS(f, check(f, &o));
	assert_false(pinfo(f, "P2").rpi_pinned);
	/* the venue overfills F3 past the range: pinned, every child refused */
	assert_int_equal(exec(f, "F3", NULL, 'F', '2', INT64_MAX / 2 + 1, 1, INT64_MAX / 2 + 1, 0),
	    RULES_ERANGE);
	assert_true(pinfo(f, "P2").rpi_pinned);
	o = order("F4", "P2", "IBM", 1, 1);
	decides_both_ways(f, &o, RULES_TRIP, RULES_R_PARENT_QTY);

	/* notional: a parent's max notional of INT64_MAX */
	put_parent_full(f, "P3", "ACC3", "IBM", '1', INT64_MAX, 0, INT64_MAX, 0,
	    RULES_TRIP_DEFAULT);
	o = order("N1", "P3", "IBM", INT64_MAX / 4, 2);
	ACCEPTS(f, check(f, &o));
	o = order("N2", "P3", "IBM", INT64_MAX / 4, 2);
	ACCEPTS(f, check(f, &o));
	o = order("N3", "P3", "IBM", 2, 2);
	decides_both_ways(f, &o, RULES_TRIP, RULES_R_PARENT_NOTIONAL);
	assert_non_null(strstr(f->d.rd_text, "notional overflows"));

	/* a replace that takes the parent's sum past INT64_MAX */
	put_parent_full(f, "P6", "ACC6", "IBM", '1', INT64_MAX, 0, 0, 0, RULES_TRIP_DEFAULT);
	o = order("R1", "P6", "IBM", INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	o = order("R2", "P6", "IBM", INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	o = order("R3", "P6", "IBM", INT64_MAX / 2 + 2, 1);
	o.ro_kind = RULES_REPLACE;
	o.ro_origclordid = "R1";
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_QTY);
	o.ro_qty = INT64_MAX / 2 + 1; /* to INT64_MAX exactly: refused too */
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_QTY);
	o.ro_qty = INT64_MAX / 2 - 5;
	ACCEPTS(f, check(f, &o));
	/* a replace whose own notional overflows */
	o = order("R4", "P6", "IBM", 10, INT64_MAX / 5);
	o.ro_kind = RULES_REPLACE;
	o.ro_origclordid = "R2";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_OVERFLOW);

	/* an account's notional of INT64_MAX, its sums from two parents */
	put_limit(f, RULES_SCOPE_ACCOUNT, "ACC4", RULES_LIM_ACCOUNT_NOTIONAL, INT64_MAX, false);
	put_parent_full(f, "P4", "ACC4", "IBM", '1', INT64_MAX, 0, 0, 0, RULES_TRIP_DEFAULT);
	put_parent_full(f, "P5", "ACC4", "IBM", '1', INT64_MAX, 0, 0, 0, RULES_TRIP_DEFAULT);
	o = order("A1", "P4", "IBM", INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	o = order("A2", "P5", "IBM", INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	o = order("A3", "P5", "IBM", 2, 1);
	decides_both_ways(f, &o, RULES_REJECT, RULES_R_ACCOUNT_NOTIONAL);
}

static void test_capacity(void **state)
{
	struct fx *f = *state;

	rules_engine_free(f->en);
	f->en = new_engine(f->st, 2);
	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 1));
	ACCEPTS(f, buy(f, "C2", "P1", 1));
	DECIDES(f, buy(f, "C3", "P1", 1), RULES_REJECT, RULES_R_CAPACITY);
	DECIDES(f, replace(f, "C4", "C1", 2, PX(10)), RULES_REJECT, RULES_R_CAPACITY);
	assert_int_equal(rules_on_cancel_sent(f->en, "X1", "C1"), RULES_ECAPACITY);
}

static void test_limits_unavailable(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	fail_rd_begin = 1;
	DECIDES(f, buy(f, "C1", "P1", 10), RULES_REJECT, RULES_R_LIMITS_UNAVAILABLE);
	fail_rd_begin = 0;
	ACCEPTS(f, buy(f, "C1", "P1", 10));
	/* cached records still need a fresh snapshot after a commit */
	put_parent(f, "P2", "IBM", 1000);
	fail_rd_begin = 1;
	DECIDES(f, buy(f, "C2", "P1", 10), RULES_REJECT, RULES_R_LIMITS_UNAVAILABLE);
	fail_rd_begin = 0;
}

/* The ids are read 8 bytes at a time: an id that ends just before an
 * unmapped page is still read only up to its NUL, and checked in full. */
static void test_ids_at_page_end(void **state)
{
	struct fx *f = *state;
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	char *end, *clid, *par, *sym, *bad;
	char name[16];
	size_t n;

	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
	end = m + pg;
	put_parent(f, "P1", "IBM", 1000000);
	par = end - 3;
	memcpy(par, "P1", 3);
	sym = par - 4;
	memcpy(sym, "IBM", 4);
	for (n = 1; n <= RULES_ID_MAX + 1; n++) {
		struct rules_order o;

		/* a ClOrdID of n bytes ending at the unmapped page */
		clid = sym - 8 - n - 1;
		memset(clid, 'A' + (char)(n % 26), n);
		snprintf(name, sizeof(name), "%zu", n);
		memcpy(clid, name, strlen(name));
		clid[n] = '\0';
		o = order(clid, par, sym, 1, PX(10));
		if (n <= RULES_ID_MAX)
			ACCEPTS(f, check(f, &o));
		else
			DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
		/* the same id again, at the very end of the page */
		memmove(end - n - 1 - 8, clid, n + 1);
		o.ro_clordid = end - n - 1 - 8;
		o.ro_parent = "P1";
		o.ro_symbol = "IBM";
		if (n <= RULES_ID_MAX)
			DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_DUP_CLORDID);
		else
			DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
		memmove(end - n - 1, end - n - 1 - 8, n + 1);
		o.ro_clordid = end - n - 1;
		if (n <= RULES_ID_MAX)
			DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_DUP_CLORDID);
		else
			DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
		memcpy(par, "P1", 3);
		memcpy(sym, "IBM", 4);
	}
	/* a bad byte in the last word, just before the page end */
	bad = end - 10;
	memcpy(bad, "CLORD\x7f" "ID", 9);
	{
		struct rules_order o = order(bad, "P1", "IBM", 1, PX(10));

		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
		bad[5] = ' ';
		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
		bad[5] = '_';
		ACCEPTS(f, check(f, &o));
	}
	munmap(m, (size_t)pg * 2);
}

static void test_trip_wins_over_reject(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 100);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 50, false);
	/* breaches order_qty (reject) first and parent_qty (trip) after */
	DECIDES(f, buy(f, "C1", "P1", 101), RULES_TRIP, RULES_R_PARENT_QTY);
	DECIDES(f, buy(f, "C1", "P1", 51), RULES_REJECT, RULES_R_ORDER_QTY);
}

/* ---- declared parents ----------------------------------------------------------------- */

static void test_declared_parent(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	o = order("C1", "DP1", "IBM", 10, PX(10));
	o.ro_allow_declare = true;
	o.ro_declared_qty = 500;
	o.ro_account = "ACC9";
	/* no parent_qty default: nothing to cap with, fail closed */
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_DECLARED_QTY_CAP);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_QTY, 1000, true);
	put_limit(f, RULES_SCOPE_ACCOUNT, "ACC9", RULES_LIM_PARENT_QTY, 400, true);
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_DECLARED_QTY_CAP);
	o.ro_declared_qty = 400;
	ACCEPTS(f, check(f, &o));
	/* later children must not change it; leaving it out is fine */
	o.ro_clordid = "C2";
	o.ro_declared_qty = 1000;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_DECLARED_QTY_CHANGED);
	o.ro_declared_qty = 0;
	o.ro_qty = 390;
	ACCEPTS(f, check(f, &o));
	o.ro_clordid = "C3";
	o.ro_qty = 1;
	o.ro_declared_qty = 400;
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_QTY);
	/* the declared parent keeps its symbol and account */
	o = order("C4", "DP1", "MSFT", 1, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	/* a declaring child needs an account */
	o = order("C5", "DP2", "IBM", 1, PX(10));
	o.ro_allow_declare = true;
	o.ro_declared_qty = 10;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_BAD_ORDER);
	/* a registration wins over the declaration */
	put_parent(f, "DP1", "IBM", 10000);
	o = order("C6", "DP1", "IBM", 1000, PX(10));
	o.ro_account = "ACC1";
	ACCEPTS(f, check(f, &o));
}

/* ---- replaces ------------------------------------------------------------------------ */

static void test_replace_checks(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	DECIDES(f, replace(f, "R1", "NOPE", 10, PX(10)), RULES_REJECT, RULES_R_UNKNOWN_ORIG);
	ACCEPTS(f, buy(f, "C1", "P1", 500));
	ACCEPTS(f, buy(f, "C2", "P1", 300));
	/* up by 200 fits exactly; up by 201 does not */
	DECIDES(f, replace(f, "R1", "C1", 701, PX(10)), RULES_TRIP, RULES_R_PARENT_QTY);
	ACCEPTS(f, replace(f, "R1", "C1", 700, PX(10)));
	DECIDES(f, replace(f, "R2", "C1", 600, PX(10)), RULES_REJECT, RULES_R_REPLACE_PENDING);
	/* a replace cannot move the order to another symbol */
	{
		struct rules_order o = order("R3", "", "MSFT", 100, PX(10));

		o.ro_kind = RULES_REPLACE;
		o.ro_origclordid = "C2";
		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	}
	/* not below what was filled */
	assert_int_equal(exec(f, "C2", NULL, 'F', '1', 100, PX(10), 100, 200), 0);
	DECIDES(f, replace(f, "R3", "C2", 100, PX(10)), RULES_REJECT, RULES_R_BAD_ORDER);
	/* a finished order cannot be replaced */
	assert_int_equal(exec(f, "C2", NULL, '4', '4', 0, 0, 100, 0), 0);
	DECIDES(f, replace(f, "R3", "C2", 150, PX(10)), RULES_REJECT, RULES_R_UNKNOWN_ORIG);
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void expect(struct fx *f, const char *parent, int64_t open, int64_t filled, int64_t live)
{
	struct rules_exposure x = pexpo(f, parent);

	if (x.ex_open_qty != open || x.ex_filled_qty != filled || x.ex_live != live)
		fail_msg("%s: open %jd filled %jd live %jd, expected %jd %jd %jd", parent,
		    (intmax_t)x.ex_open_qty, (intmax_t)x.ex_filled_qty, (intmax_t)x.ex_live,
		    (intmax_t)open, (intmax_t)filled, (intmax_t)live);
}

static void test_lifecycle_fills(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	assert_int_equal(exec(f, "C1", NULL, 'A', 'A', 0, 0, 0, 100), 0); /* pending new */
	assert_int_equal(exec(f, "C1", NULL, '0', '0', 0, 0, 0, 100), 0); /* new */
	expect(f, "P1", 100, 0, 1);
	assert_int_equal(exec(f, "C1", NULL, 'F', '1', 30, PX(10), 30, 70), 0);
	expect(f, "P1", 70, 30, 1);
	/* the same report again (a resend) counts once */
	assert_int_equal(exec(f, "C1", NULL, 'F', '1', 30, PX(10), 30, 70), 0);
	expect(f, "P1", 70, 30, 1);
	/* FIX 4.2 partial fill / fill exec types */
	assert_int_equal(exec(f, "C1", NULL, '1', '1', 20, PX(10), 50, 50), 0);
	expect(f, "P1", 50, 50, 1);
	assert_int_equal(exec(f, "C1", NULL, '2', '2', 50, PX(10), 100, 0), 0);
	expect(f, "P1", 0, 100, 0);
	assert_int_equal(pexpo(f, "P1").ex_filled_notional, PX(1000));
	/* without CumQty, LastQty counts */
	ACCEPTS(f, buy(f, "C2", "P1", 10));
	assert_int_equal(exec(f, "C2", NULL, 'F', '1', 4, PX(10), -1, -1), 0);
	expect(f, "P1", 6, 104, 1);
}

static void test_lifecycle_terminal_states(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	ACCEPTS(f, buy(f, "C2", "P1", 100));
	ACCEPTS(f, buy(f, "C3", "P1", 100));
	ACCEPTS(f, buy(f, "C4", "P1", 100));
	expect(f, "P1", 400, 0, 4);
	assert_int_equal(exec(f, "C1", NULL, '8', '8', 0, 0, 0, 0), 0); /* rejected */
	expect(f, "P1", 300, 0, 3);
	assert_int_equal(exec(f, "C2", NULL, 'C', 'C', 0, 0, 0, 0), 0); /* expired */
	expect(f, "P1", 200, 0, 2);
	assert_int_equal(exec(f, "C3", NULL, '3', '3', 0, 0, 0, 0), 0); /* done for day */
	expect(f, "P1", 100, 0, 1);
	/* cancel: request, pending cancel, then cancelled under the cancel's id */
	assert_int_equal(rules_on_cancel_sent(f->en, "X4", "C4"), 0);
	assert_int_equal(exec(f, "X4", "C4", '6', '6', 0, 0, 0, 100), 0);
	expect(f, "P1", 100, 0, 1);
	assert_int_equal(exec(f, "X4", "C4", '4', '4', 0, 0, 0, 0), 0);
	expect(f, "P1", 0, 0, 0);
	assert_int_equal(exec(f, "ZZZ", NULL, '0', '0', 0, 0, 0, 0), RULES_ENOTFOUND);
	assert_int_equal(exec(f, "C4", NULL, '0', '0', -7, 0, 0, 0), RULES_EINVAL);
}

/* rules_order_find() by any ClOrdID, and the cancel-pending flag a refused
 * cancel clears (what riskgwd's kill sweep re-sends on). */
static void test_order_find_and_cancel_pending(void **state)
{
	struct fx *f = *state;
	struct rules_live l;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	assert_int_equal(rules_order_find(f->en, "C1", &l), 0);
	assert_string_equal(l.rl_clordid, "C1");
	assert_string_equal(l.rl_parent, "P1");
	assert_false(l.rl_cancel_pending);
	assert_int_equal(rules_order_find(f->en, "NOPE", &l), RULES_ENOTFOUND);
	assert_int_equal(rules_on_cancel_sent(f->en, "X1", "C1"), 0);
	assert_int_equal(rules_order_find(f->en, "X1", &l), 0); /* the cancel's id names it */
	assert_string_equal(l.rl_clordid, "C1");
	assert_true(l.rl_cancel_pending);
	/* a refused cancel: the order is live and no cancel is pending */
	assert_int_equal(rules_on_cancel_reject(f->en, "X1", "C1", '1'), 0);
	assert_int_equal(rules_order_find(f->en, "C1", &l), 0);
	assert_false(l.rl_cancel_pending);
	/* a second cancel, confirmed: finished, not found */
	assert_int_equal(rules_on_cancel_sent(f->en, "X2", "C1"), 0);
	assert_int_equal(exec(f, "X2", "C1", '4', '4', 0, 0, 0, 0), 0);
	assert_int_equal(rules_order_find(f->en, "C1", &l), RULES_ENOTFOUND);
	assert_int_equal(rules_order_find(f->en, "X2", &l), RULES_ENOTFOUND);
}

static void test_lifecycle_fill_races_cancel(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	assert_int_equal(rules_on_cancel_sent(f->en, "X1", "C1"), 0);
	/* a fill after the cancel request still counts and still leaves the rest open */
	assert_int_equal(exec(f, "C1", NULL, 'F', '1', 40, PX(10), 40, 60), 0);
	expect(f, "P1", 60, 40, 1);
	/* the cancel is rejected: too late, and the rest fills */
	assert_int_equal(rules_on_cancel_reject(f->en, "X1", "C1", '1'), 0);
	expect(f, "P1", 60, 40, 1);
	assert_int_equal(exec(f, "C1", NULL, 'F', '2', 60, PX(10), 100, 0), 0);
	expect(f, "P1", 0, 100, 0);
	/* a fill reported after the order was cancelled still counts */
	ACCEPTS(f, buy(f, "C2", "P1", 100));
	assert_int_equal(rules_on_cancel_sent(f->en, "X2", "C2"), 0);
	assert_int_equal(exec(f, "X2", "C2", '4', '4', 0, 0, 0, 0), 0);
	expect(f, "P1", 0, 100, 0);
	assert_int_equal(exec(f, "C2", NULL, 'F', '2', 25, PX(10), 25, 0), 0);
	expect(f, "P1", 0, 125, 0);
}

static void test_lifecycle_replace(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	/* up: counts the larger while pending, the new once confirmed */
	ACCEPTS(f, replace(f, "R1", "C1", 300, PX(10)));
	expect(f, "P1", 300, 0, 1);
	assert_int_equal(exec(f, "R1", "C1", 'E', 'E', 0, 0, 0, 100), 0);
	expect(f, "P1", 300, 0, 1);
	assert_int_equal(exec(f, "R1", "C1", '5', '0', 0, 0, 0, 300), 0);
	expect(f, "P1", 300, 0, 1);
	/* down: the old quantity counts until the venue confirms */
	ACCEPTS(f, replace(f, "R2", "R1", 50, PX(10)));
	expect(f, "P1", 300, 0, 1);
	/* a fill on the old id while the replace is pending */
	assert_int_equal(exec(f, "R1", NULL, 'F', '1', 20, PX(10), 20, 280), 0);
	expect(f, "P1", 280, 20, 1);
	assert_int_equal(exec(f, "R2", "R1", '5', '1', 0, 0, 20, 30), 0);
	expect(f, "P1", 30, 20, 1);
	/* a fill on the first id of the chain still finds the order */
	assert_int_equal(exec(f, "C1", NULL, 'F', '1', 10, PX(10), 30, 20), 0);
	expect(f, "P1", 20, 30, 1);
	/* a replace rejected with OrderCancelReject falls back */
	ACCEPTS(f, replace(f, "R3", "R2", 400, PX(10)));
	expect(f, "P1", 370, 30, 1);
	assert_int_equal(rules_on_cancel_reject(f->en, "R3", "R2", '2'), 0);
	expect(f, "P1", 20, 30, 1);
	/* ... and with an execution report 150=8 on the replace's id */
	ACCEPTS(f, replace(f, "R4", "R2", 400, PX(10)));
	expect(f, "P1", 370, 30, 1);
	assert_int_equal(exec(f, "R4", "R2", '8', '1', 0, 0, 30, 20), 0);
	expect(f, "P1", 20, 30, 1);
	/* the order is still live after both rejects, and can be replaced */
	ACCEPTS(f, replace(f, "R5", "R2", 60, PX(10)));
	assert_int_equal(exec(f, "R5", "R2", '5', '1', 0, 0, 30, 30), 0);
	expect(f, "P1", 30, 30, 1);
	/* a price change moves the open notional */
	assert_int_equal(pexpo(f, "P1").ex_open_notional, PX(300));
	ACCEPTS(f, replace(f, "R6", "R5", 60, PX(12)));
	assert_int_equal(exec(f, "R6", "R5", '5', '1', 0, 0, 30, 30), 0);
	assert_int_equal(pexpo(f, "P1").ex_open_notional, PX(360));
}

/* A replace reject seen twice (a resend), or late after the next replace was
 * sent, must not touch the order: it is still live at the venue as it was. */
static void test_resent_replace_reject(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	assert_int_equal(exec(f, "C1", NULL, '0', '0', 0, 0, 0, 100), 0);
	/* rejected with an execution report 150=8 (39 = the order's status) */
	ACCEPTS(f, replace(f, "R1", "C1", 200, PX(10)));
	assert_int_equal(exec(f, "R1", "C1", '8', '0', 0, 0, 0, 100), 0);
	expect(f, "P1", 100, 0, 1);
	/* the same report again: the order stays live with its 100 open */
	assert_int_equal(exec(f, "R1", "C1", '8', '0', 0, 0, 0, 100), 0);
	expect(f, "P1", 100, 0, 1);
	/* rejected with OrderCancelReject; the next replace (up) is then
	 * pending when the first reject is resent: it keeps counting */
	ACCEPTS(f, replace(f, "R2", "C1", 300, PX(10)));
	assert_int_equal(rules_on_cancel_reject(f->en, "R2", "C1", '2'), 0);
	expect(f, "P1", 100, 0, 1);
	ACCEPTS(f, replace(f, "R3", "C1", 400, PX(10)));
	expect(f, "P1", 400, 0, 1);
	assert_int_equal(rules_on_cancel_reject(f->en, "R2", "C1", '2'), 0);
	expect(f, "P1", 400, 0, 1);
	assert_int_equal(exec(f, "R1", "C1", '8', '0', 0, 0, 0, 100), 0);
	expect(f, "P1", 400, 0, 1);
	/* and the pending replace is still the one the venue confirms */
	assert_int_equal(exec(f, "R3", "C1", '5', '0', 0, 0, 0, 400), 0);
	expect(f, "P1", 400, 0, 1);
	/* a rejected new order (150=8, 39=8 on its own ClOrdID) is finished */
	ACCEPTS(f, buy(f, "C2", "P1", 100));
	assert_int_equal(exec(f, "C2", NULL, '8', '8', 0, 0, 0, 0), 0);
	expect(f, "P1", 400, 0, 1);
}

/* A replace confirmation resent while the next replace is pending must not
 * take that pending replace for confirmed, nor drop it. */
static void test_resent_replace_confirm(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	ACCEPTS(f, replace(f, "R1", "C1", 150, PX(10)));
	assert_int_equal(exec(f, "R1", "C1", '5', '0', 0, 0, 0, 150), 0);
	expect(f, "P1", 150, 0, 1);
	/* R2 (up to 400) is pending when R1's confirmation comes again */
	ACCEPTS(f, replace(f, "R2", "R1", 400, PX(10)));
	expect(f, "P1", 400, 0, 1);
	{
		struct rules_exec x = {"R1", "C1", '5', '0', 0, 0, 0, 150, 150, PX(10)};

		assert_int_equal(rules_on_exec(f->en, &x), 0);
	}
	expect(f, "P1", 400, 0, 1);
	/* R2 is still the pending one: its reject falls back to 150 */
	assert_int_equal(rules_on_cancel_reject(f->en, "R2", "R1", '2'), 0);
	expect(f, "P1", 150, 0, 1);
	/* R3 up to 400 is confirmed; R1's confirmation (150 at 10) replayed
	 * after it does not lower the order: the venue works 400 */
	ACCEPTS(f, replace(f, "R3", "R1", 400, PX(11)));
	assert_int_equal(exec(f, "R3", "R1", '5', '0', 0, 0, 0, 400), 0);
	expect(f, "P1", 400, 0, 1);
	assert_int_equal(pexpo(f, "P1").ex_open_notional, PX(4400));
	{
		struct rules_exec x = {"R1", "C1", '5', '0', 0, 0, 0, 150, 150, PX(10)};

		assert_int_equal(rules_on_exec(f->en, &x), 0);
	}
	expect(f, "P1", 400, 0, 1);
	assert_int_equal(pexpo(f, "P1").ex_open_notional, PX(4400));
}

static void test_venue_never_lowers_exposure(void **state)
{
	struct fx *f = *state;
	struct rules_exec x = {"C1", NULL, '5', '0', -1, -1, 0, 250, 250, PX(10)};

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	/* the venue says more is open than we sent: its figure counts */
	assert_int_equal(exec(f, "C1", NULL, '0', '0', 0, 0, 0, 150), 0);
	expect(f, "P1", 150, 0, 1);
	/* a lower LeavesQty on a non-terminal report does not lower ours */
	assert_int_equal(exec(f, "C1", NULL, '0', '0', 0, 0, 0, 10), 0);
	expect(f, "P1", 100, 0, 1);
	/* an unsolicited replace takes the venue's quantity */
	assert_int_equal(rules_on_exec(f->en, &x), 0);
	expect(f, "P1", 250, 0, 1);
	/* an overfill counts in full */
	assert_int_equal(exec(f, "C1", NULL, 'F', '2', 300, PX(10), 300, 0), 0);
	expect(f, "P1", 0, 300, 0);
}

/* ---- the limits cache ---------------------------------------------------------------- */

static void test_limit_change_visible_next_check(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 50, false);
	DECIDES(f, buy(f, "C2", "P1", 100), RULES_REJECT, RULES_R_ORDER_QTY);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 100, false);
	ACCEPTS(f, buy(f, "C2", "P1", 100));
	/* a parent's quantity lowered below what is out: the next child trips */
	put_parent(f, "P1", "IBM", 150);
	DECIDES(f, buy(f, "C3", "P1", 1), RULES_TRIP, RULES_R_PARENT_QTY);
}

/* A second process (as riskgw-admin is) commits; a read-only store in this
 * process, as riskgwd has, sees it at the next check. */
static void test_limit_change_from_another_process(void **state)
{
	struct fx *f = *state;
	struct rules_store *ro;
	struct rules_engine *en;
	struct rules_order o = order("C1", "P1", "IBM", 100, PX(10));
	char err[RULES_ERRLEN];
	pid_t pid;
	int status;

	put_parent(f, "P1", "IBM", 1000);
	assert_int_equal(rules_store_open(&ro, f->path, RULES_STORE_RDONLY, 0, err), 0);
	en = new_engine(ro, 16);
	o.ro_now_ns = f->now;
	assert_int_equal(rules_check(en, &o, &f->d), RULES_ACCEPT);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rules_store *w;
		struct rules_wr *b;
		struct rules_limits lim;

		memset(&lim, 0, sizeof(lim));
		lim.rl_set = RULES_BIT(RULES_LIM_ORDER_QTY);
		lim.rl_val[RULES_LIM_ORDER_QTY] = 99;
		if (rules_store_open(&w, f->path, 0, 0, err) != 0 ||
		    rules_store_wr_begin(w, &b, err) != 0 ||
		    rules_wr_put_limits(b, &actor, RULES_SCOPE_GLOBAL, "", &lim, err) != 0 ||
		    rules_wr_commit(b, err) != 0)
			_exit(1);
		rules_store_close(w);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	o.ro_clordid = "C2";
	assert_int_equal(rules_check(en, &o, &f->d), RULES_REJECT);
	assert_int_equal(f->d.rd_reason, RULES_R_ORDER_QTY);
	rules_engine_free(en);
	rules_store_close(ro);
}

static void test_new_day(void **state)
{
	struct fx *f = *state;
	struct rules_exposure x;

	put_parent(f, "P1", "IBM", 100);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	DECIDES(f, buy(f, "C2", "P1", 1), RULES_TRIP, RULES_R_PARENT_QTY);
	rules_engine_new_day(f->en);
	assert_int_equal(rules_parent_exposure(f->en, "P1", &x), RULES_ENOTFOUND);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
}


/* ---- restore (journal replay) and live orders -------------------------------------- */

static void test_restore_books_without_checks(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	struct rules_decision d;

	put_parent(f, "P1", "IBM", 100);
	/* beyond the parent: booked anyway, the order is at the venue */
	o = order("C1", "P1", "IBM", 150, PX(10));
	assert_int_equal(rules_restore(f->en, &o, &d), 0);
	assert_int_equal(pexpo(f, "P1").ex_open_qty, 150);
	DECIDES(f, buy(f, "C2", "P1", 1), RULES_TRIP, RULES_R_PARENT_QTY);
	/* a parent that is gone: booked under a zero-quantity parent */
	o = order("C3", "GONE", "IBM", 10, PX(10));
	assert_int_equal(rules_restore(f->en, &o, &d), 0);
	assert_int_equal(pexpo(f, "GONE").ex_open_qty, 10);
	DECIDES(f, buy(f, "C4", "GONE", 1), RULES_TRIP, RULES_R_PARENT_QTY);
	/* a market order with no reference price pins its parent */
	put_parent(f, "P2", "IBM", 1000);
	o = order("M1", "P2", "IBM", 10, 0);
	assert_int_equal(rules_restore(f->en, &o, &d), 0);
	DECIDES(f, buy(f, "C5", "P2", 1), RULES_TRIP, RULES_R_PARENT_QTY);
	/* a replace restored beyond the limits */
	o = order("R1", "", "IBM", 400, PX(10));
	o.ro_kind = RULES_REPLACE;
	o.ro_origclordid = "C1";
	assert_int_equal(rules_restore(f->en, &o, &d), 0);
	assert_int_equal(pexpo(f, "P1").ex_open_qty, 400);
	/* what cannot be booked is refused: the caller fails closed */
	o.ro_clordid = "R2";
	o.ro_origclordid = "NOPE";
	assert_int_equal(rules_restore(f->en, &o, &d), RULES_EINVAL);
	assert_int_equal(d.rd_reason, RULES_R_UNKNOWN_ORIG);
	o = order("C1", "P1", "IBM", 1, PX(10));
	assert_int_equal(rules_restore(f->en, &o, &d), RULES_EINVAL);
	assert_int_equal(d.rd_reason, RULES_R_DUP_CLORDID);
}

struct seen {
	int n;
	char ids[8][16];
	uint32_t tags[8];
	int64_t open[8];
	bool pending[8];
};

static int collect(void *arg, const struct rules_live *l)
{
	struct seen *s = arg;

	snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", l->rl_clordid);
	s->tags[s->n] = l->rl_tag;
	s->open[s->n] = l->rl_open;
	s->pending[s->n] = l->rl_replace_pending;
	s->n++;
	assert_string_equal(l->rl_symbol, "IBM");
	assert_string_equal(l->rl_account, "ACC1");
	return s->n == 8;
}

static void test_foreach_live(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	struct seen s;

	put_parent(f, "P1", "IBM", 10000);
	o = order("A1", "P1", "IBM", 100, PX(10));
	o.ro_tag = 7;
	ACCEPTS(f, check(f, &o));
	o = order("A2", "P1", "IBM", 100, PX(10));
	o.ro_tag = 8;
	ACCEPTS(f, check(f, &o));
	o = order("A3", "P1", "IBM", 100, PX(10));
	o.ro_tag = 9;
	ACCEPTS(f, check(f, &o));
	assert_int_equal(exec(f, "A2", NULL, '4', '4', 0, 0, 0, 0), 0); /* A2 done */
	ACCEPTS(f, replace(f, "B1", "A1", 300, PX(10)));              /* pending */
	ACCEPTS(f, replace(f, "B3", "A3", 50, PX(10)));
	assert_int_equal(exec(f, "B3", "A3", '5', '0', 0, 0, 0, 50), 0); /* confirmed */
	memset(&s, 0, sizeof(s));
	assert_int_equal(rules_foreach_live(f->en, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], "A1"); /* the pending replace is not current yet */
	assert_int_equal(s.tags[0], 7);
	assert_int_equal(s.open[0], 300);
	assert_true(s.pending[0]);
	assert_string_equal(s.ids[1], "B3");
	assert_int_equal(s.tags[1], 9);
	assert_int_equal(s.open[1], 50);
	assert_false(s.pending[1]);
}

struct pseen {
	size_t n, stop_at;
	size_t pos[8];
	char ids[8][16];
	struct rules_parent_info pi[8];
};

static int collect_parent(void *arg, size_t pos, const struct rules_parent_info *pi)
{
	struct pseen *s = arg;

	assert_true(s->n < 8);
	s->pos[s->n] = pos;
	snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", pi->rpi_id);
	s->pi[s->n] = *pi;
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

struct pfind {
	const char *id;
	bool found;
	struct rules_parent_info pi;
};

static int find_parent_cb(void *arg, size_t pos, const struct rules_parent_info *pi)
{
	struct pfind *s = arg;

	(void)pos;
	if (strcmp(pi->rpi_id, s->id) != 0)
		return 0;
	s->pi = *pi;
	s->found = true;
	return 1;
}

static struct rules_parent_info pinfo(struct fx *f, const char *id)
{
	struct pfind s = {id, false, {0}};

	assert_int_equal(rules_foreach_parent(f->en, 0, find_parent_cb, &s), 1);
	assert_true(s.found);
	return s.pi;
}

static void test_foreach_parent(void **state)
{
	struct fx *f = *state;
	struct pseen s;

	put_parent(f, "P1", "IBM", 10000);
	put_parent_full(f, "P2", "ACC2", "IBM", '2', 500, 0, 0, 0, RULES_TRIP_DEFAULT);
	memset(&s, 0, sizeof(s));
	assert_int_equal(rules_foreach_parent(f->en, 0, collect_parent, &s), 0);
	assert_int_equal(s.n, 0); /* registered, but no child yet: not booked */

	ACCEPTS(f, buy(f, "A1", "P1", 100));
	ACCEPTS(f, buy(f, "A2", "P1", 200));
	{
		struct rules_order o = order("S1", "P2", "IBM", 50, PX(10));

		o.ro_side = '2';
		ACCEPTS(f, check(f, &o));
	}
	DECIDES(f, buy(f, "X1", "P9", 10), RULES_REJECT, RULES_R_UNKNOWN_PARENT);
	assert_int_equal(exec(f, "A1", NULL, 'F', '1', 40, PX(10), 40, 60), 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(rules_foreach_parent(f->en, 0, collect_parent, &s), 0);
	assert_int_equal(s.n, 2); /* P9 was refused: never booked */
	assert_string_equal(s.ids[0], "P1");
	assert_int_equal(s.pos[0], 0);
	assert_string_equal(s.pi[0].rpi_account, "ACC1");
	assert_string_equal(s.pi[0].rpi_symbol, "IBM");
	assert_int_equal(s.pi[0].rpi_side, '1');
	assert_int_equal(s.pi[0].rpi_qty, 10000);
	assert_true(s.pi[0].rpi_registered);
	assert_false(s.pi[0].rpi_declared);
	assert_false(s.pi[0].rpi_pinned);
	assert_false(s.pi[0].rpi_blocked);
	assert_int_equal(s.pi[0].rpi_warned, 0);
	assert_int_equal(s.pi[0].rpi_expo.ex_open_qty, 260);
	assert_int_equal(s.pi[0].rpi_expo.ex_filled_qty, 40);
	assert_int_equal(s.pi[0].rpi_expo.ex_filled_notional, 40 * PX(10));
	assert_int_equal(s.pi[0].rpi_expo.ex_open_notional, 260 * PX(10));
	assert_int_equal(s.pi[0].rpi_expo.ex_orders, 2);
	assert_int_equal(s.pi[0].rpi_expo.ex_live, 2);
	assert_string_equal(s.ids[1], "P2");
	assert_int_equal(s.pos[1], 1);
	assert_string_equal(s.pi[1].rpi_account, "ACC2");
	assert_int_equal(s.pi[1].rpi_side, '2');
	assert_int_equal(s.pi[1].rpi_qty, 500);
	assert_int_equal(s.pi[1].rpi_expo.ex_open_qty, 50);

	/* A callback that stops: its value comes back; resuming at pos + 1
	 * goes on where it stopped. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(rules_foreach_parent(f->en, 0, collect_parent, &s), 42);
	assert_int_equal(s.n, 1);
	s.stop_at = 0;
	assert_int_equal(rules_foreach_parent(f->en, s.pos[0] + 1, collect_parent, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[1], "P2");
	memset(&s, 0, sizeof(s));
	assert_int_equal(rules_foreach_parent(f->en, 2, collect_parent, &s), 0);
	assert_int_equal(rules_foreach_parent(f->en, 1000, collect_parent, &s), 0);
	assert_int_equal(s.n, 0);

	rules_engine_new_day(f->en);
	assert_int_equal(rules_foreach_parent(f->en, 0, collect_parent, &s), 0);
	assert_int_equal(s.n, 0);
}

/* ---- warning thresholds ------------------------------------------------------------ */

/* The first parent info of foreach for id. */
static struct rules_parent_info pinfo(struct fx *f, const char *id);

/* A buy of parent at price px; returns its rd_warn (the order must pass). */
static unsigned buy_warn(struct fx *f, const char *clid, const char *parent, int64_t qty,
    int64_t px)
{
	struct rules_order o = order(clid, parent, "IBM", qty, px);

	ACCEPTS(f, check(f, &o));
	return f->d.rd_warn;
}

static void test_warn_thresholds(void **state)
{
	struct fx *f = *state;
	struct rules_order o;

	rules_engine_free(f->en);
	f->en = new_engine_warn(f->st, 1024, 80);
	/* both at once: 800 of 1,000 and 8,000 of 10,000 */
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000, 0, PX(10000), 0, RULES_TRIP_DEFAULT);
	assert_int_equal(buy_warn(f, "A1", "P1", 700, PX(10)), 0);
	assert_int_equal(pinfo(f, "P1").rpi_warned, 0);
	assert_int_equal(buy_warn(f, "A2", "P1", 100, PX(10)),
	    RULES_WARN_QTY | RULES_WARN_NOTIONAL);
	assert_int_equal(pinfo(f, "P1").rpi_warned, RULES_WARN_QTY | RULES_WARN_NOTIONAL);
	/* once per parent and day */
	assert_int_equal(buy_warn(f, "A3", "P1", 100, PX(10)), 0);
	/* a reject never warns, and the next accept's decision is clean */
	DECIDES(f, buy(f, "A4", "P1", 500), RULES_TRIP, RULES_R_PARENT_QTY);
	assert_int_equal(f->d.rd_warn, 0);

	/* each kind on its own; the notional limit from the scopes */
	put_parent(f, "P2", "IBM", 1000);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_NOTIONAL, PX(20000), true);
	assert_int_equal(buy_warn(f, "B1", "P2", 800, PX(10)), RULES_WARN_QTY);
	assert_int_equal(buy_warn(f, "B2", "P2", 50, PX(100)), 0);                   /* 13,000 */
	assert_int_equal(buy_warn(f, "B3", "P2", 40, PX(100)), RULES_WARN_NOTIONAL); /* 17,000 */
	assert_int_equal(pinfo(f, "P2").rpi_warned, RULES_WARN_QTY | RULES_WARN_NOTIONAL);

	/* the threshold is rounded up: 80% of 999 is 799.2, so 800 */
	put_parent(f, "P3", "IBM", 999);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_NOTIONAL, PX(1000000), true);
	assert_int_equal(buy_warn(f, "C1", "P3", 799, PX(10)), 0);
	assert_int_equal(buy_warn(f, "C2", "P3", 1, PX(10)), RULES_WARN_QTY);

	/* a replace counts (as the larger of old and new while pending); fills
	 * count as well as open */
	put_parent(f, "P4", "IBM", 1000);
	assert_int_equal(buy_warn(f, "D1", "P4", 500, PX(10)), 0);
	assert_int_equal(exec(f, "D1", NULL, 'F', '2', 500, PX(10), 500, 0), 0);
	assert_int_equal(buy_warn(f, "D2", "P4", 200, PX(10)), 0);
	ACCEPTS(f, replace(f, "D3", "D2", 300, PX(10)));
	assert_int_equal(f->d.rd_warn, RULES_WARN_QTY);

	/* a new day forgets who warned */
	rules_engine_new_day(f->en);
	assert_int_equal(buy_warn(f, "A1", "P1", 800, PX(10)),
	    RULES_WARN_QTY | RULES_WARN_NOTIONAL);

	/* thresholds of limits near INT64_MAX: no overflow */
	rules_engine_free(f->en);
	f->en = new_engine_warn(f->st, 1024, 100);
	put_parent_full(f, "PB", "ACC1", "IBM", '1', INT64_MAX - 1, 0, INT64_MAX - 1, 0,
	    RULES_TRIP_DEFAULT);
	o = order("E1", "PB", "IBM", INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	assert_int_equal(f->d.rd_warn, 0);
	o = order("E2", "PB", "IBM", INT64_MAX - 2 - INT64_MAX / 2, 1);
	ACCEPTS(f, check(f, &o));
	assert_int_equal(f->d.rd_warn, 0); /* one short of both */
	o = order("E3", "PB", "IBM", 1, 1);
	ACCEPTS(f, check(f, &o));
	assert_int_equal(f->d.rd_warn, RULES_WARN_QTY | RULES_WARN_NOTIONAL);

	/* off: never */
	rules_engine_free(f->en);
	f->en = new_engine(f->st, 1024);
	assert_int_equal(buy_warn(f, "A1", "P1", 1000, PX(10)), 0);
	assert_int_equal(pinfo(f, "P1").rpi_warned, 0);
}

static void test_warn_restore(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	struct rules_decision d;

	rules_engine_free(f->en);
	f->en = new_engine_warn(f->st, 1024, 50);
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000, 0, PX(100000), 0, RULES_TRIP_DEFAULT);
	/* replayed past the quantity threshold: marked, not reported */
	o = order("C1", "P1", "IBM", 600, PX(10));
	memset(&d, 0xff, sizeof(d));
	assert_int_equal(rules_restore(f->en, &o, &d), 0);
	assert_int_equal(d.rd_warn, 0);
	assert_int_equal(pinfo(f, "P1").rpi_warned, RULES_WARN_QTY);
	/* so the live day does not warn again for it, only for the other */
	assert_int_equal(buy_warn(f, "C2", "P1", 100, PX(10)), 0);
	assert_int_equal(buy_warn(f, "C3", "P1", 10, PX(5000)), RULES_WARN_NOTIONAL);
	/* a restore below the threshold marks nothing */
	put_parent(f, "P2", "IBM", 1000);
	o = order("D1", "P2", "IBM", 100, PX(10));
	assert_int_equal(rules_restore(f->en, &o, &d), 0);
	assert_int_equal(pinfo(f, "P2").rpi_warned, 0);
	assert_int_equal(buy_warn(f, "D2", "P2", 400, PX(10)), RULES_WARN_QTY);
}

/* ---- the fast path ----------------------------------------------------------------- */

/*
 * accept_fast() against the general way: two engines on one store, one with
 * the fast path off, take the same random stream of children (parents
 * registered, declared and unknown; symbol, side and account matching or
 * not; prices inside and outside the collars; market orders), venue reports,
 * replaces, blocks and releases, and commits that change limits, reference
 * prices, restrictions and registrations under them. Every decision (verdict,
 * reason, text, warnings) and every parent's and account's exposure must be
 * the same, and the fast path must have taken most of the accepts.
 */
struct fdiff {
	struct fx *f;
	struct rules_engine *en[2];
	uint64_t seed;
	char clid[4096][12];
	int64_t cum[4096];
	char side[4096];
	const char *sym[4096];
	size_t nclid, naccept[2];
	bool restricted; /* MSFT */
	size_t reasons[RULES_R_COUNT];
};

#define FD_NP 12
#define FD_NA 3
#define FD_NS 4
static const char *const fd_acct[FD_NA] = {"ACC1", "ACC2", "ACC3"};
static const char *const fd_sym[FD_NS] = {"IBM", "MSFT", "VOD.L", "NOREF"};

static void fd_parent(struct fdiff *z, int i)
{
	uint64_t r = next_rand(&z->seed);
	char id[8];

	snprintf(id, sizeof(id), "FP%d", i);
	put_parent_full(z->f, id, fd_acct[r % FD_NA], fd_sym[(r >> 4) % 3],
	    (r >> 8) % 4 == 0 ? '2' : '1', 2000 + (int64_t)((r >> 12) % 6000),
	    (r >> 24) % 3 == 0 ? PX(10) + PX(1) / 10 : 0,
	    (r >> 28) % 2 == 0 ? PX(50000) : 0, (r >> 32) % 2 == 0 ? 20 : 0,
	    (r >> 36) % 2 == 0 ? RULES_TRIP_DEFAULT : 0);
}

/* A commit that changes what the checks read: a limit at some scope, a
 * reference price, a restriction, a registration. */
static void fd_commit(struct fdiff *z)
{
	uint64_t r = next_rand(&z->seed);
	static const enum rules_scope scopes[] = {RULES_SCOPE_GLOBAL, RULES_SCOPE_ACCOUNT,
	    RULES_SCOPE_SYMBOL, RULES_SCOPE_PARENT};
	enum rules_scope sc = scopes[r % 4];
	char key[8];
	struct rules_wr *w;
	char err[RULES_ERRLEN];

	switch ((r >> 4) % 6) {
	case 0:
	case 1: {
		static const int64_t vals[RULES_LIM_COUNT][2] = {
		    [RULES_LIM_ORDER_QTY] = {60, 1000},
		    [RULES_LIM_ORDER_NOTIONAL] = {PX(500), PX(100000)},
		    [RULES_LIM_COLLAR_BPS] = {200, 1000},
		    [RULES_LIM_COLLAR_ABS] = {PX(1) / 2, PX(5)},
		    [RULES_LIM_ACCOUNT_NOTIONAL] = {PX(100000), PX(10000000)},
		    [RULES_LIM_PARENT_QTY] = {100, 1000},
		    [RULES_LIM_PARENT_NOTIONAL] = {PX(20000), PX(1000000)},
		    [RULES_LIM_PARENT_RATE] = {5, 1000},
		};
		enum rules_limit l = (enum rules_limit)((r >> 8) % RULES_LIM_COUNT);

		if (sc == RULES_SCOPE_ACCOUNT)
			strcpy(key, fd_acct[(r >> 12) % FD_NA]);
		else if (sc == RULES_SCOPE_SYMBOL)
			strcpy(key, fd_sym[(r >> 12) % FD_NS]);
		else if (sc == RULES_SCOPE_PARENT)
			snprintf(key, sizeof(key), "FP%d", (int)((r >> 12) % FD_NP));
		else
			key[0] = '\0';
		put_limit(z->f, sc, key, l, vals[l][(r >> 16) % 2], (r >> 20) % 3 == 0);
		return;
	}
	case 2:
		put_refpx(z->f, fd_sym[(r >> 8) % 3], PX(10) + (int64_t)((r >> 12) % 3) * PX(1) / 4);
		return;
	case 3:
		w = wr(z->f);
		if (!z->restricted)
			assert_int_equal(rules_wr_put_restricted(w, &actor, "MSFT", "news", err), 0);
		else
			assert_int_equal(rules_wr_del_restricted(w, &actor, "MSFT", err), 0);
		wr_commit(w);
		z->restricted = !z->restricted;
		return;
	default:
		fd_parent(z, (int)((r >> 8) % FD_NP));
	}
}

static void fd_same_exposure(struct fdiff *z)
{
	struct rules_exposure x[2];
	char id[8];
	int i, k, rc[2];

	for (i = 0; i < FD_NP + FD_NA + 2; i++) {
		for (k = 0; k < 2; k++) {
			memset(&x[k], 0, sizeof(x[k]));
			if (i < FD_NP + 2) {
				snprintf(id, sizeof(id), "FP%d", i);
				rc[k] = rules_parent_exposure(z->en[k], id, &x[k]);
			} else {
				rc[k] = rules_account_exposure(z->en[k], fd_acct[i - FD_NP - 2], &x[k]);
			}
		}
		assert_int_equal(rc[0], rc[1]);
		assert_memory_equal(&x[0], &x[1], sizeof(x[0]));
	}
}

static void fd_check(struct fdiff *z, struct rules_order *o)
{
	struct rules_decision d[2];
	enum rules_verdict v[2];
	int k;

	for (k = 0; k < 2; k++) {
		memset(&d[k], 0, sizeof(d[k]));
		v[k] = rules_check(z->en[k], o, &d[k]);
		if (v[k] == RULES_ACCEPT)
			z->naccept[k]++;
	}
	z->reasons[d[0].rd_reason]++;
	if (v[0] != v[1] || d[0].rd_reason != d[1].rd_reason || d[0].rd_warn != d[1].rd_warn ||
	    strcmp(d[0].rd_text, d[1].rd_text) != 0)
		fail_msg("child %s of %s: fast path %d %s \"%s\" warn %u, general %d %s \"%s\" warn %u",
		    o->ro_clordid, o->ro_parent, v[0], rules_reason_name((int)d[0].rd_reason),
		    d[0].rd_text, d[0].rd_warn, v[1], rules_reason_name((int)d[1].rd_reason),
		    d[1].rd_text, d[1].rd_warn);
}

static void test_fast_path_same_as_general(void **state)
{
	enum { STEPS = 4000 };
	struct fx *f = *state;
	struct fdiff *z = calloc(1, sizeof(*z));
	int64_t now = 1000 * SEC;
	int i, k, step;

	assert_non_null(z);
	z->f = f;
	z->seed = 0xfa57;
	rules_engine_free(f->en);
	f->en = NULL;
	for (k = 0; k < 2; k++)
		z->en[k] = new_engine_warn(f->st, STEPS + 64, 80);
	z->en[1]->e_fast_off = true;
	for (i = 0; i < FD_NP; i++)
		fd_parent(z, i);
	for (i = 0; i < 3; i++)
		put_refpx(f, fd_sym[i], PX(10));
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_COLLAR_BPS, 500, false);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 200, false);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ACCOUNT_NOTIONAL, PX(5000000), false);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_QTY, 300, false);
	for (step = 0; step < STEPS; step++) {
		uint64_t r = next_rand(&z->seed), r2 = next_rand(&z->seed);
		unsigned what = (unsigned)(r % 100);
		char pid[8], acct[8];
		struct rules_order o;
		int pi = (int)((r >> 8) % (FD_NP + 2)); /* FP12, FP13: never registered */

		now += (int64_t)((r >> 16) % (SEC / 10));
		if (what < 72 && z->nclid < 4096) {
			struct rules_parent reg;
			const char *sym = fd_sym[pi % 3]; /* an unknown parent's, mostly */

			snprintf(pid, sizeof(pid), "FP%d", pi);
			snprintf(z->clid[z->nclid], sizeof(z->clid[0]), "FC%zu", z->nclid);
			memset(&reg, 0, sizeof(reg));
			if (rules_store_get_parent(f->st, pid, &reg) == 0)
				sym = reg.rp_symbol;
			if ((r2 >> 4) % 32 == 0)
				sym = fd_sym[(r2 >> 9) % FD_NS];
			o = order(z->clid[z->nclid], pid, sym, 1 + (int64_t)((r2 >> 12) % 80),
			    (r2 >> 20) % 10 == 0 ? 0 : PX(19) / 2 + (int64_t)((r2 >> 24) % 9) * PX(1) / 8);
			o.ro_side = reg.rp_id[0] != '\0' ? reg.rp_side : '1';
			if ((r2 >> 32) % 32 == 0)
				o.ro_side = o.ro_side == '1' ? '2' : '1';
			switch ((r2 >> 40) % 32) {
			case 0:
				strcpy(acct, fd_acct[(r2 >> 45) % FD_NA]);
				o.ro_account = acct;
				break;
			case 1: case 2: case 3: case 4: case 5: case 6:
				o.ro_account = "";
				break;
			default:
				strcpy(acct, reg.rp_id[0] != '\0' ? reg.rp_account : fd_acct[0]);
				o.ro_account = acct;
			}
			if (pi >= FD_NP && (r2 >> 48) % 2 == 0) {
				o.ro_allow_declare = true;
				o.ro_declared_qty = (r2 >> 52) % 16 == 0 ? 400 : 250;
				if (o.ro_account[0] == '\0')
					o.ro_account = fd_acct[0];
			}
			o.ro_now_ns = now;
			fd_check(z, &o);
			z->side[z->nclid] = o.ro_side;
			z->sym[z->nclid] = fd_sym[0];
			for (k = 0; k < FD_NS; k++)
				if (strcmp(sym, fd_sym[k]) == 0)
					z->sym[z->nclid] = fd_sym[k];
			z->nclid++;
		} else if (what < 86 && z->nclid > 0) {
			/* a venue report on a random child: a partial fill, a fill,
			 * a cancel; both engines the same (not found: same code) */
			size_t c = (size_t)(r2 % z->nclid);
			struct rules_exec x = {z->clid[c], NULL, 'F', '1', 0, PX(10), 0, 0, -1, -1};
			int rc[2];

			switch ((r2 >> 8) % 3) {
			case 0:
				x.re_last_qty = 1 + (int64_t)((r2 >> 12) % 5);
				break;
			case 1:
				x.re_exec_type = '4';
				x.re_ord_status = '4';
				break;
			default:
				x.re_exec_type = '0';
				x.re_ord_status = '0';
			}
			z->cum[c] += x.re_last_qty;
			x.re_cum_qty = z->cum[c];
			for (k = 0; k < 2; k++)
				rc[k] = rules_on_exec(z->en[k], &x);
			assert_int_equal(rc[0], rc[1]);
		} else if (what < 90 && z->nclid > 0 && z->nclid < 4096) {
			/* a replace (the general way in both): keeps them in step */
			size_t c = (size_t)(r2 % z->nclid);

			snprintf(z->clid[z->nclid], sizeof(z->clid[0]), "FC%zu", z->nclid);
			o = order(z->clid[z->nclid], "", z->sym[c], 1 + (int64_t)((r2 >> 12) % 60),
			    PX(10));
			o.ro_kind = RULES_REPLACE;
			o.ro_side = z->side[c];
			o.ro_origclordid = z->clid[c];
			o.ro_now_ns = now;
			fd_check(z, &o);
			z->side[z->nclid] = o.ro_side;
			z->sym[z->nclid] = z->sym[c];
			z->nclid++;
		} else if (what < 95) {
			snprintf(pid, sizeof(pid), "FP%d", pi);
			for (k = 0; k < 2; k++) {
				int rc = (r2 % 8 == 0) ? rules_parent_block(z->en[k], pid)
						       : rules_parent_release(z->en[k], pid);
				(void)rc; /* the same for both: the exposures below show */
			}
		} else if (what < 96 || (r2 >> 60) == 0) {
			fd_commit(z);
		}
		if (step % 50 == 0)
			fd_same_exposure(z);
	}
	fd_same_exposure(z);
	/* the fast path took most accepts, the general way none; both verdicts
	 * many times */
	print_message("fast path: %" PRIu64 " of %zu accepts, %zu checks\n", z->en[0]->e_fast_n,
	    z->naccept[0], z->nclid);
	for (i = 0; i < RULES_R_COUNT; i++)
		if (z->reasons[i] != 0)
			print_message("  %s %zu\n", rules_reason_name(i), z->reasons[i]);
	assert_int_equal(z->naccept[0], z->naccept[1]);
	assert_true(z->en[0]->e_fast_n > z->naccept[0] / 2);
	assert_int_equal(z->en[1]->e_fast_n, 0);
	assert_true(z->naccept[0] > 500 && z->naccept[0] < z->nclid - 500);
	for (k = 0; k < 2; k++)
		rules_engine_free(z->en[k]);
	f->en = new_engine(f->st, 16);
	free(z);
}

/* The cases where the fast path must step aside although the parent's
 * merged limits look current: each would be accepted without its guard. */
static void test_fast_path_guards(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	uint64_t n;

	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000, 0, 0, 0, RULES_TRIP_DEFAULT);
	put_parent_full(f, "P2", "ACC2", "MSFT", '1', 1000, 0, 0, 0, RULES_TRIP_DEFAULT);
	put_refpx(f, "IBM", PX(10));
	put_refpx(f, "MSFT", PX(10));
	o = order("C1", "P1", "IBM", 10, PX(10));
	o.ro_account = "ACC1";
	n = f->en->e_fast_n;
	ACCEPTS(f, check(f, &o)); /* the general way: the parent's first child */
	assert_int_equal(f->en->e_fast_n, n);
	o.ro_clordid = "C2";
	ACCEPTS(f, check(f, &o)); /* the parent kept its first merge: the fast path */
	o.ro_clordid = "C2b";
	ACCEPTS(f, check(f, &o));
	assert_int_equal(f->en->e_fast_n, n + 2);
	o = order("C3", "P2", "MSFT", 10, PX(10));
	o.ro_account = "ACC2";
	ACCEPTS(f, check(f, &o)); /* MSFT and ACC2 in the tables */

	/* a known symbol not the parent's: its merge leaves f_symbol MSFT */
	o = order("C4", "P1", "MSFT", 10, PX(10));
	o.ro_account = "ACC1";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	o.ro_clordid = "C5";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	/* a known account not the parent's */
	o = order("C6", "P1", "IBM", 10, PX(10));
	o.ro_account = "ACC2";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	/* the other side */
	o = order("C7", "P1", "IBM", 10, PX(10));
	o.ro_side = '2';
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);

	/* A commit, then a child with an unknown symbol: its check reads the
	 * parent's records at the new txn but merges into a temporary (the
	 * symbol is in no table), so the parent's merged limits are the old
	 * ones, without the new order_qty limit. */
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 15, false);
	o = order("C8", "P1", "ZZZ", 10, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	o = order("C9", "P1", "IBM", 20, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_ORDER_QTY);
	/* C9's check merged the new limits into the parent: fast again */
	n = f->en->e_fast_n;
	o = order("C10", "P1", "IBM", 15, PX(10));
	ACCEPTS(f, check(f, &o));
	o.ro_clordid = "C11";
	ACCEPTS(f, check(f, &o));
	assert_int_equal(f->en->e_fast_n, n + 2);
	assert_int_equal(pexpo(f, "P1").ex_open_qty, 60);

	/* The registration deleted: the first child after it merges the limits
	 * again (current then) and is refused; so is the next one. */
	{
		struct rules_wr *w = wr(f);
		char err[RULES_ERRLEN];

		assert_int_equal(rules_wr_del_parent(w, &actor, "P1", err), 0);
		wr_commit(w);
	}
	o = order("C12", "P1", "IBM", 1, PX(10));
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_UNKNOWN_PARENT);
	o.ro_clordid = "C13";
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_UNKNOWN_PARENT);
}

/* A declared parent's children take the fast path too, and it still
 * refuses a changed declared quantity (and accepts one left out). */
static void test_fast_path_declared(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	uint64_t n;

	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_QTY, 1000, true);
	o = order("C1", "DP1", "IBM", 10, PX(10));
	o.ro_allow_declare = true;
	o.ro_declared_qty = 400;
	o.ro_account = "ACC9";
	ACCEPTS(f, check(f, &o)); /* declares it */
	o.ro_clordid = "C2";
	ACCEPTS(f, check(f, &o)); /* merges into it */
	n = f->en->e_fast_n;
	o.ro_clordid = "C3";
	ACCEPTS(f, check(f, &o));
	assert_int_equal(f->en->e_fast_n, n + 1);
	o.ro_clordid = "C4";
	o.ro_declared_qty = 500;
	DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_DECLARED_QTY_CHANGED);
	o.ro_declared_qty = 0;
	ACCEPTS(f, check(f, &o));
	assert_int_equal(f->en->e_fast_n, n + 2);
	assert_int_equal(pexpo(f, "DP1").ex_open_qty, 40);
}

/* Room, on the fast path: a full ClOrdID table (a cancel took the last),
 * and a rate window a raised rate has outgrown (the check that merged the
 * new rate was refused before the ring grew). */
static void test_fast_path_room(void **state)
{
	struct fx *f = *state;
	struct rules_order o;
	char clid[16];
	uint64_t n;
	int i;

	rules_engine_free(f->en);
	f->en = new_engine(f->st, 4);
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000, 0, 0, 8, RULES_TRIP_DEFAULT);
	ACCEPTS(f, buy(f, "C1", "P1", 1));
	ACCEPTS(f, buy(f, "C2", "P1", 1));
	n = f->en->e_fast_n;
	ACCEPTS(f, buy(f, "C3", "P1", 1));
	assert_int_equal(f->en->e_fast_n, n + 1);
	assert_int_equal(rules_on_cancel_sent(f->en, "X1", "C1"), 0);
	DECIDES(f, buy(f, "C4", "P1", 1), RULES_REJECT, RULES_R_CAPACITY);

	rules_engine_free(f->en);
	f->en = new_engine(f->st, 64);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 100, false);
	ACCEPTS(f, buy(f, "R1", "P1", 1));
	ACCEPTS(f, buy(f, "R2", "P1", 1)); /* ring of 8 */
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 1000, 0, 0, 16, RULES_TRIP_DEFAULT);
	DECIDES(f, buy(f, "R3", "P1", 101), RULES_REJECT, RULES_R_ORDER_QTY);
	for (i = 0; i < 14; i++) {
		snprintf(clid, sizeof(clid), "S%d", i);
		o = order(clid, "P1", "IBM", 1, PX(10));
		o.ro_now_ns = f->now + i;
		ACCEPTS(f, check(f, &o));
	}
	o = order("S14", "P1", "IBM", 1, PX(10));
	o.ro_now_ns = f->now + 14;
	DECIDES(f, check(f, &o), RULES_TRIP, RULES_R_PARENT_RATE);
}

/* ---- blocked parents ----------------------------------------------------------------- */

static void test_parent_block_release(void **state)
{
	struct fx *f = *state;
	struct rules_exposure x;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	assert_true(pinfo(f, "P1").rpi_blocked);
	DECIDES(f, buy(f, "C2", "P1", 10), RULES_REJECT, RULES_R_PARENT_BLOCKED);
	assert_non_null(strstr(f->d.rd_text, "parent P1 blocked"));
	/* a reject, never a trip, even for a child that would trip */
	DECIDES(f, buy(f, "C2", "P1", 5000), RULES_REJECT, RULES_R_PARENT_BLOCKED);
	/* replaces are children too */
	DECIDES(f, replace(f, "R1", "C1", 50, PX(10)), RULES_REJECT, RULES_R_PARENT_BLOCKED);
	/* a mismatching child is still told so */
	{
		struct rules_order o = order("C2", "P1", "MSFT", 10, PX(10));

		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_MISMATCH);
	}
	/* the live order's reports and cancels go on */
	assert_int_equal(exec(f, "C1", NULL, 'F', '1', 40, PX(10), 40, 60), 0);
	assert_int_equal(rules_on_cancel_sent(f->en, "X1", "C1"), 0);
	assert_int_equal(exec(f, "X1", "C1", '4', '4', 0, 0, 40, 0), 0);
	x = pexpo(f, "P1");
	assert_int_equal(x.ex_filled_qty, 40);
	assert_int_equal(x.ex_open_qty, 0);
	assert_int_equal(x.ex_orders, 1);
	assert_int_equal(x.ex_live, 0);
	/* blocking again is fine */
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	assert_int_equal(rules_parent_release(f->en, "P1"), 0);
	assert_false(pinfo(f, "P1").rpi_blocked);
	assert_int_equal(rules_parent_release(f->en, "P1"), RULES_ENOTFOUND);
	ACCEPTS(f, buy(f, "C2", "P1", 10));
	/* other parents were never affected */
	put_parent(f, "P2", "IBM", 1000);
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	ACCEPTS(f, buy(f, "C3", "P2", 10));
	/* a restore books the blocked parent's order (it is at the venue) */
	{
		struct rules_order o = order("C4", "P1", "IBM", 10, PX(10));
		struct rules_decision d;

		assert_int_equal(rules_restore(f->en, &o, &d), 0);
		assert_int_equal(pexpo(f, "P1").ex_open_qty, 20);
	}
	/* a new day forgets the block */
	rules_engine_new_day(f->en);
	ACCEPTS(f, buy(f, "C1", "P1", 10));
}

static void test_parent_block_limits_change(void **state)
{
	struct fx *f = *state;

	put_parent(f, "P1", "IBM", 1000);
	ACCEPTS(f, buy(f, "C1", "P1", 100));
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	/* a change to other limits or parents does not release it */
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_ORDER_QTY, 5000, false);
	put_parent(f, "P2", "IBM", 1000);
	DECIDES(f, buy(f, "C2", "P1", 10), RULES_REJECT, RULES_R_PARENT_BLOCKED);
	/* rewriting the same registration does not either */
	put_parent(f, "P1", "IBM", 1000);
	DECIDES(f, buy(f, "C2", "P1", 10), RULES_REJECT, RULES_R_PARENT_BLOCKED);
	assert_true(pinfo(f, "P1").rpi_blocked);
	/* its registration's quantity changed: released without an operator */
	put_parent(f, "P1", "IBM", 2000);
	assert_false(pinfo(f, "P1").rpi_blocked); /* seen by the query too */
	ACCEPTS(f, buy(f, "C2", "P1", 10));

	/* the max notional from the scopes */
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	DECIDES(f, buy(f, "C3", "P1", 10), RULES_REJECT, RULES_R_PARENT_BLOCKED);
	put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_NOTIONAL, PX(100000), true);
	ACCEPTS(f, buy(f, "C3", "P1", 10));
	/* the rate, from the parent scope */
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	put_limit(f, RULES_SCOPE_PARENT, "P1", RULES_LIM_PARENT_RATE, 100, true);
	ACCEPTS(f, buy(f, "C4", "P1", 10));
	/* the limit price of the registration */
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	put_parent_full(f, "P1", "ACC1", "IBM", '1', 2000, PX(11), 0, 0, RULES_TRIP_DEFAULT);
	ACCEPTS(f, buy(f, "C5", "P1", 10));
}

static void test_parent_block_unknown(void **state)
{
	struct fx *f = *state;
	struct rules_exposure x;

	assert_int_equal(rules_parent_block(f->en, "NOPE"), RULES_ENOTFOUND);
	assert_int_equal(rules_parent_exposure(f->en, "NOPE", &x), RULES_ENOTFOUND);
	assert_int_equal(rules_parent_block(f->en, "bad id"), RULES_EINVAL);
	assert_int_equal(rules_parent_block(f->en, NULL), RULES_EINVAL);
	assert_int_equal(rules_parent_release(f->en, "NOPE"), RULES_ENOTFOUND);
	assert_int_equal(rules_parent_release(f->en, "bad id"), RULES_ENOTFOUND);
	/* registered but no child yet: booked (with nothing) and blocked */
	put_parent(f, "P1", "IBM", 1000);
	assert_int_equal(rules_parent_block(f->en, "P1"), 0);
	x = pexpo(f, "P1");
	assert_int_equal(x.ex_orders, 0);
	assert_true(pinfo(f, "P1").rpi_blocked);
	assert_string_equal(pinfo(f, "P1").rpi_account, "ACC1");
	DECIDES(f, buy(f, "C1", "P1", 10), RULES_REJECT, RULES_R_PARENT_BLOCKED);
	assert_int_equal(rules_parent_release(f->en, "P1"), 0);
	ACCEPTS(f, buy(f, "C1", "P1", 10));
	assert_int_equal(rules_account_exposure(f->en, "ACC1", &x), 0);
	assert_int_equal(x.ex_open_qty, 10);
	/* the store unreadable: cannot be booked */
	put_parent(f, "P2", "IBM", 1000);
	fail_rd_begin = 1;
	assert_int_equal(rules_parent_block(f->en, "P2"), RULES_ENOTFOUND);
	fail_rd_begin = 0;
	/* a declared parent, booked by its first child */
	{
		struct rules_order o = order("D1", "DP", "IBM", 10, PX(10));

		put_limit(f, RULES_SCOPE_GLOBAL, "", RULES_LIM_PARENT_QTY, 1000, true);
		o.ro_account = "ACC9";
		o.ro_allow_declare = true;
		o.ro_declared_qty = 500;
		ACCEPTS(f, check(f, &o));
		assert_int_equal(rules_parent_block(f->en, "DP"), 0);
		o.ro_clordid = "D2";
		DECIDES(f, check(f, &o), RULES_REJECT, RULES_R_PARENT_BLOCKED);
		assert_int_equal(rules_parent_release(f->en, "DP"), 0);
		ACCEPTS(f, check(f, &o));
	}
}

static void test_reason_names_stable(void **state)
{
	int i;

	(void)state;
	assert_string_equal(rules_reason_name(RULES_R_OK), "ok");
	assert_string_equal(rules_reason_name(RULES_R_PARENT_QTY), "parent_qty");
	assert_string_equal(rules_reason_name(RULES_R_LIMITS_UNAVAILABLE), "limits_unavailable");
	assert_string_equal(rules_reason_name(RULES_R_PARENT_BLOCKED), "parent_blocked");
	assert_string_equal(rules_reason_name(RULES_R_COUNT), "unknown");
	assert_string_equal(rules_reason_name(-1), "unknown");
	assert_int_equal(RULES_R_PARENT_QTY, 6);
	assert_int_equal(RULES_R_LIMITS_UNAVAILABLE, 23);
	assert_int_equal(RULES_R_PARENT_BLOCKED, 24);
	for (i = 0; i < RULES_R_COUNT; i++)
		assert_string_not_equal(rules_reason_name(i), "unknown");
}

static void test_config_errors(void **state)
{
	struct fx *f = *state;
	struct rules_engine_config cfg = {0, 1, 1, 1, 0};
	struct rules_engine *en = (void *)1;
	char err[RULES_ERRLEN];

	assert_int_equal(rules_engine_new(&en, f->st, &cfg, err), RULES_EINVAL);
	assert_null(en);
	assert_non_null(strstr(err, "capacities"));
	cfg = (struct rules_engine_config){1, 1, 1, 1, 101};
	en = (void *)1;
	assert_int_equal(rules_engine_new(&en, f->st, &cfg, err), RULES_EINVAL);
	assert_null(en);
	assert_non_null(strstr(err, "warning"));
	cfg.ec_warn_pct = 100;
	assert_int_equal(rules_engine_new(&en, f->st, &cfg, err), 0);
	rules_engine_free(en);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_accept_books_open_exposure),
		T(test_bad_orders),
		T(test_no_and_unknown_parent),
		T(test_reject_texts),
		T(test_parent_mismatch),
		T(test_parent_account_changed),
		T(test_dup_clordid),
		T(test_parent_qty_trips),
		T(test_parent_qty_action_reject),
		T(test_parent_notional),
		T(test_key_of),
		T(test_parent_rate_sliding_window),
		T(test_parent_rate_random),
		T(test_parent_rate_large),
		T(test_parent_rate_raised),
		T(test_parent_price),
		T(test_order_qty_scope_precedence),
		T(test_order_notional),
		T(test_collars_and_reference_price),
		T(test_collar_edges),
		T(test_restricted),
		T(test_account_notional),
		T(test_overflow),
		T(test_overflow_sums),
		T(test_capacity),
		T(test_limits_unavailable),
		T(test_ids_at_page_end),
		T(test_trip_wins_over_reject),
		T(test_declared_parent),
		T(test_replace_checks),
		T(test_lifecycle_fills),
		T(test_lifecycle_terminal_states),
		T(test_order_find_and_cancel_pending),
		T(test_lifecycle_fill_races_cancel),
		T(test_lifecycle_replace),
		T(test_resent_replace_reject),
		T(test_resent_replace_confirm),
		T(test_venue_never_lowers_exposure),
		T(test_limit_change_visible_next_check),
		T(test_limit_change_from_another_process),
		T(test_new_day),
		T(test_restore_books_without_checks),
		T(test_foreach_live),
		T(test_foreach_parent),
		T(test_warn_thresholds),
		T(test_warn_restore),
		T(test_parent_block_release),
		T(test_parent_block_limits_change),
		T(test_parent_block_unknown),
		T(test_fast_path_same_as_general),
		T(test_fast_path_guards),
		T(test_fast_path_declared),
		T(test_fast_path_room),
		cmocka_unit_test(test_reason_names_stable),
		T(test_config_errors),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
