/*
 * test_engine_overflow.c - randomized test of the checks at the top of the
 * int64 range.
 *
 * test_engine_model.c draws its quantities, prices and limits from a
 * trading day's ranges, so its streams never reach the engine's overflow
 * paths. Here every stream has its own small world on a real rules.mdb
 * (three parents over two accounts, one symbol) whose limits are drawn
 * near INT64_MAX as often as not, and children whose quantities, prices and
 * sums pass it, with the venue's reports: whole and partial fills (some
 * beyond the order, at another price, with any LeavesQty), cancels, and
 * replaces confirmed or rejected. The harness counts every sum exactly
 * (__int128) with the engine's documented rules for what an order counts
 * as open (the larger of OrderQty - CumQty and LeavesQty, and of the old
 * and new order while a replace is pending) and for pinning: a sum (open or
 * filled, quantity or notional) or an order's notional that reaches
 * INT64_MAX is pinned there for the day, and a pinned parent refuses every
 * child.
 *
 * After every step:
 *   (a) each verdict is what the exact sums say: a child (or a replace, by
 *       what it adds) is accepted iff its own notional is representable,
 *       its parent (and its account, where it has a limit) is not pinned,
 *       and open + filled + it stays within the parent's quantity and max
 *       notional and the account's notional limit and below INT64_MAX; an
 *       order whose notional overflows is refused as such; a fill returns
 *       RULES_ERANGE exactly when its parent's or account's sums are pinned;
 *   (b) the engine's pinned flag of every parent is the harness's;
 *   (c) the engine's parent and account sums equal the exact ones while
 *       they are not pinned;
 *   (d) halfway and at the end, a new engine that replays what the old one
 *       booked (rules_restore(), rules_on_exec(), as riskgwd replays its
 *       journal after a restart) holds the same sums, counts and pinned
 *       flags, and goes on in its place.
 *
 * Deterministic: a fixed base seed, splitmix64 per stream; a failure prints
 * the seed, the stream and the step. tests/fuzz/fuzz_overflow.c runs the
 * same streams with the fuzzer's input as the draws.
 */
#include "config.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "fixed.h"
#include "store.h"
#include "testutil.h"

#define NP 3            /* parents */
#define NA 2            /* accounts: P0 and P1 on A0, P2 on A1 */
#define STEPS 120
#define MAXO STEPS
#define STREAMS 2000
#define BASE_SEED UINT64_C(0x72697367772d6f76) /* "risgw-ov" */

__extension__ typedef __int128 i128; /* exact sums: gcc and clang on 64-bit targets */

/* The draws: splitmix64 of a seed; for tests/fuzz/fuzz_overflow.c the
 * fuzzer's input (in, 8 bytes a draw) until it runs out, then splitmix64. */
struct rng {
	uint64_t s;
	const uint8_t *in;
	size_t n;
};

static uint64_t draw(struct rng *r)
{
	uint64_t z;

	if (r->n >= 8) {
		memcpy(&z, r->in, 8);
		r->in += 8;
		r->n -= 8;
		return z;
	}
	z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int64_t rnd(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(draw(r) % (uint64_t)(hi - lo + 1));
}

/* A positive value, most often one near a power of two or INT64_MAX. */
static int64_t big(struct rng *s)
{
	switch (rnd(s, 0, 11)) {
	case 0:
		return 1;
	case 1:
		return rnd(s, 2, 3);
	case 2:
		return INT64_MAX;
	case 3:
		return INT64_MAX - rnd(s, 1, 3);
	case 4:
		return INT64_MAX / 2 + rnd(s, -1, 1);
	case 5:
		return INT64_MAX / 3 + rnd(s, -1, 1);
	case 6:
		return INT64_C(1) << rnd(s, 20, 62);
	case 7:
		return rnd(s, 1, INT64_MAX);
	case 8:
		return rnd(s, 1, INT64_C(1) << 31);
	default:
		return rnd(s, 1, 1000);
	}
}

struct sums {
	i128 open_q, filled_q, open_n, filled_n;
	bool pinned;
};

struct hord {
	char clid[16];            /* its ClOrdID at the venue now */
	char pclid[16];           /* its pending replace's (pend) */
	int parent;
	int64_t qty, px;          /* px: valued at (limit, or reference price) */
	int64_t cum, leaves;      /* CumQty, and the LeavesQty last reported */
	int64_t pend_qty, pend_px;
	bool live, pend;
	i128 cnt_q, cnt_n;        /* what it counts as open in the sums */
};

/* What the engine booked, in order: what riskgwd's journal replays after a
 * restart (rules_restore() for the accepted checks, rules_on_exec() for the
 * reports). */
struct logent {
	bool exec;
	struct rules_order o;     /* its strings: clid, orig below */
	struct rules_exec x;
	char clid[16], orig[16];
	int rc;                   /* the report's rules_on_exec() */
};

struct stream {
	uint64_t seed;
	int index, step;
	struct rules_store *st;
	struct rules_engine *en;
	int64_t pqty[NP], pnot[NP], anot[NA]; /* 0: none */
	int64_t refpx;                         /* 0: none */
	struct hord o[MAXO];
	int n, nrepl;
	struct logent log[STEPS];
	int nlog;
	struct rules_engine_config cfg;
	struct sums ps[NP], as[NA];
	unsigned long accepts, overflows, rejects, near_top, replaces, fills, restarts;
};

#define SFAIL(s, ...)                                                                      \
	do {                                                                               \
		print_error("stream %d (seed 0x%" PRIx64 ") step %d: ", (s)->index,        \
		    (s)->seed, (s)->step);                                                 \
		fail_msg(__VA_ARGS__);                                                     \
	} while (0)

static const char *pid(int p)
{
	static const char *const ids[NP] = {"P0", "P1", "P2"};

	return ids[p];
}

static int acct_of(int p)
{
	return p == 2 ? 1 : 0;
}

static const char *aid(int a)
{
	return a == 0 ? "A0" : "A1";
}

static const struct rules_actor actor = {"tester", "overflow test"};

static void world(struct stream *s, struct rng *r)
{
	struct rules_wr *w;
	char err[RULES_ERRLEN] = "";
	int i;

	if (rules_store_wr_begin(s->st, &w, err) != 0 || rules_wr_clear(w, &actor, err) != 0)
		SFAIL(s, "store: %s", err);
	for (i = 0; i < NP; i++) {
		struct rules_parent p;

		memset(&p, 0, sizeof(p));
		strcpy(p.rp_id, pid(i));
		strcpy(p.rp_account, aid(acct_of(i)));
		strcpy(p.rp_symbol, "S");
		p.rp_side = '1';
		p.rp_qty = s->pqty[i] = big(r);
		p.rp_max_notional = s->pnot[i] = rnd(r, 0, 2) == 0 ? 0 : big(r);
		p.rp_trip = RULES_TRIP_DEFAULT;
		if (rules_wr_put_parent(w, &actor, &p, err) != 0)
			SFAIL(s, "put_parent: %s", err);
	}
	for (i = 0; i < NA; i++) {
		struct rules_limits l;

		memset(&l, 0, sizeof(l));
		s->anot[i] = 0;
		if (rnd(r, 0, 2) == 0)
			continue;
		l.rl_set = RULES_BIT(RULES_LIM_ACCOUNT_NOTIONAL);
		l.rl_val[RULES_LIM_ACCOUNT_NOTIONAL] = s->anot[i] = big(r);
		if (rules_wr_put_limits(w, &actor, RULES_SCOPE_ACCOUNT, aid(i), &l, err) != 0)
			SFAIL(s, "put_limits: %s", err);
	}
	s->refpx = rnd(r, 0, 1) == 0 ? 0 : big(r);
	if (s->refpx != 0 && rules_wr_put_refpx(w, &actor, "S", s->refpx, err) != 0)
		SFAIL(s, "put_refpx: %s", err);
	if (rules_wr_commit(w, err) != 0)
		SFAIL(s, "commit: %s", err);
}

/* An order's notional, exact below INT64_MAX and held at 2^100 above it
 * (where its parent and account are pinned anyway): a stream's sums of up
 * to a few hundred of them stay far inside __int128. */
static i128 held(i128 n)
{
	const i128 cap = (i128)1 << 100;

	return n > cap ? cap : n;
}

/* total is within limit (> 0): at most it, and below INT64_MAX, where the
 * engine holds a sum that overflowed. */
static bool within(i128 total, int64_t limit)
{
	return total < INT64_MAX && total <= limit;
}

/* A sum field moves by d: pinned once it reaches INT64_MAX (engine_impl.h,
 * expo_bump()). */
static void bump(struct sums *x, i128 *field, i128 d)
{
	*field += d;
	if (*field >= INT64_MAX)
		x->pinned = true;
}

/* dq shares and dn notional more open (or filled) for parent p and its
 * account. */
static void book(struct stream *s, int p, bool filled, i128 dq, i128 dn)
{
	struct sums *x[2] = {&s->ps[p], &s->as[acct_of(p)]};
	int k;

	for (k = 0; k < 2; k++) {
		bump(x[k], filled ? &x[k]->filled_q : &x[k]->open_q, dq);
		bump(x[k], filled ? &x[k]->filled_n : &x[k]->open_n, dn);
	}
}

static i128 max128(i128 a, i128 b)
{
	return a > b ? a : b;
}

/* What the order counts as open (engine_impl.h, eng_recount()): the larger
 * of OrderQty - CumQty and the venue's LeavesQty, and while a replace is
 * pending the larger of that and the new quantity's; its notional likewise
 * the larger of the two; nothing once finished. The difference goes into
 * the sums; an order notional of INT64_MAX or more pins its parent and its
 * account. */
static void recount(struct stream *s, struct hord *h)
{
	int p = h->parent, a = acct_of(p);
	i128 q = 0, n = 0;

	if (h->live) {
		q = max128(max128((i128)h->qty - h->cum, h->leaves), 0);
		n = held(q * h->px);
		if (h->pend) {
			i128 nq = max128((i128)h->pend_qty - h->cum, 0);

			q = max128(q, nq);
			n = max128(n, held(nq * h->pend_px));
		}
	}
	if (n >= INT64_MAX) {
		s->ps[p].pinned = true;
		s->as[a].pinned = true;
	}
	book(s, p, false, q - h->cnt_q, n - h->cnt_n);
	h->cnt_q = q;
	h->cnt_n = n;
}

/* A live order (with a pending replace if pend), or NULL. */
static struct hord *pick(struct stream *s, struct rng *r, bool pend)
{
	int k, i;

	if (s->n == 0)
		return NULL;
	k = (int)rnd(r, 0, s->n - 1);
	for (i = 0; i < s->n; i++) {
		struct hord *h = &s->o[(k + i) % s->n];

		if (h->live && (!pend || h->pend))
			return h;
	}
	return NULL;
}

static void copy_id(char *dst, const char *src)
{
	snprintf(dst, 16, "%s", src != NULL ? src : "");
}

/* rules_check(), logged when it books. */
static enum rules_verdict do_check(struct stream *s, const struct rules_order *o,
    struct rules_decision *d)
{
	enum rules_verdict v = rules_check(s->en, o, d);
	struct logent *l = &s->log[s->nlog];

	if (v == RULES_ACCEPT) {
		memset(l, 0, sizeof(*l));
		l->o = *o;
		copy_id(l->clid, o->ro_clordid);
		copy_id(l->orig, o->ro_origclordid);
		s->nlog++;
	}
	return v;
}

/* rules_on_exec(), logged with what it returned. */
static int do_exec(struct stream *s, const struct rules_exec *x)
{
	struct logent *l = &s->log[s->nlog++];

	memset(l, 0, sizeof(*l));
	l->exec = true;
	l->x = *x;
	copy_id(l->clid, x->re_clordid);
	copy_id(l->orig, x->re_origclordid);
	l->rc = rules_on_exec(s->en, x);
	return l->rc;
}

/* A child (kind RULES_NEW) or replace of parent p, at the step's time. */
static void order_of(struct rules_order *o, const struct stream *s, enum rules_order_kind kind,
    const char *clid, int p, bool market, int64_t qty, int64_t px)
{
	memset(o, 0, sizeof(*o));
	o->ro_kind = kind;
	o->ro_clordid = clid;
	o->ro_parent = pid(p);
	o->ro_account = aid(acct_of(p));
	o->ro_symbol = "S";
	o->ro_side = '1';
	o->ro_ordtype = market ? RULES_ORDTYPE_MARKET : RULES_ORDTYPE_LIMIT;
	o->ro_qty = qty;
	o->ro_px = px;
	o->ro_now_ns = INT64_C(1000000000000) + (int64_t)s->step * 1000000;
}

/* Whether parent p and its account have room for dq more shares and dn
 * more notional, by the exact sums: not pinned (the account only where it
 * has a limit), within every limit and below INT64_MAX. */
static bool room(const struct stream *s, int p, i128 dq, i128 dn)
{
	const struct sums *x = &s->ps[p], *a = &s->as[acct_of(p)];
	int64_t anot = s->anot[acct_of(p)];

	return !x->pinned && within(x->open_q + x->filled_q + dq, s->pqty[p]) &&
	    (s->pnot[p] == 0 || within(x->open_n + x->filled_n + dn, s->pnot[p])) &&
	    (anot == 0 || (!a->pinned && within(a->open_n + a->filled_n + dn, anot)));
}

static void new_order(struct stream *s, struct rng *r)
{
	struct hord *h = &s->o[s->n];
	struct rules_order o;
	struct rules_decision d;
	enum rules_verdict v;
	int p = (int)rnd(r, 0, NP - 1);
	bool market = s->refpx != 0 && rnd(r, 0, 3) == 0;
	int64_t vpx;
	i128 n;
	bool want;

	memset(h, 0, sizeof(*h));
	snprintf(h->clid, sizeof(h->clid), "C%d", s->n);
	h->parent = p;
	h->qty = big(r);
	h->px = market ? 0 : rnd(r, 0, 1) == 0 ? rnd(r, 1, 4) : big(r);
	vpx = market ? s->refpx : h->px;
	order_of(&o, s, RULES_NEW, h->clid, p, market, h->qty, h->px);
	v = do_check(s, &o, &d);

	n = (i128)h->qty * vpx;
	/* a pinned parent refuses every child (its quantity check reads
	 * INT64_MAX); a pinned account only where it has a notional limit */
	want = n <= INT64_MAX && room(s, p, h->qty, n);
	if ((v == RULES_ACCEPT) != want)
		SFAIL(s, "%s on %s qty %" PRId64 " px %" PRId64 "%s: engine %d %s (%s), expected %s",
		    h->clid, pid(p), h->qty, vpx, market ? " (market)" : "", v,
		    rules_reason_name((int)d.rd_reason), d.rd_text, want ? "accept" : "a refusal");
	if (n > INT64_MAX) {
		if (d.rd_reason != RULES_R_OVERFLOW)
			SFAIL(s, "%s: notional overflows, engine says %s (%s)", h->clid,
			    rules_reason_name((int)d.rd_reason), d.rd_text);
		s->overflows++;
	}
	if (v != RULES_ACCEPT) {
		s->rejects++;
		return;
	}
	s->accepts++;
	if (s->ps[p].open_q + s->ps[p].filled_q > INT64_MAX / 2 ||
	    s->ps[p].open_n + s->ps[p].filled_n > INT64_MAX / 2)
		s->near_top++;
	h->px = vpx; /* valued at */
	h->live = true;
	s->n++;
	recount(s, h);
}

/* A fill of a live order: whole (39=2), or partial with a LastQty that may
 * overfill, a LastPx that may not be the order's, and any LeavesQty. */
static void fill(struct stream *s, struct rng *r, bool whole)
{
	struct hord *h = pick(s, r, false);
	int64_t last, lastpx, leaves;
	i128 cum;
	int p, a, rc, want;

	if (h == NULL)
		return;
	p = h->parent;
	a = acct_of(p);
	if (whole)
		last = h->qty > h->cum ? h->qty - h->cum : 0;
	else if (rnd(r, 0, 7) == 0)
		last = big(r);
	else
		last = h->qty > h->cum ? rnd(r, 1, h->qty - h->cum) : 1;
	cum = (i128)h->cum + last;
	if (cum > INT64_MAX)
		return; /* no venue reports that */
	lastpx = rnd(r, 0, 7) == 0 ? big(r) : h->px;
	leaves = whole ? 0 : rnd(r, 0, 7) == 0 ? big(r) : (int64_t)max128((i128)h->qty - cum, 0);
	rc = do_exec(s, &(struct rules_exec){h->clid, NULL, 'F', whole ? '2' : '1',
	    last, lastpx, (int64_t)cum, leaves, -1, -1});
	s->fills++;
	if (last > 0)
		book(s, p, true, last, held((i128)last * lastpx));
	/* RULES_ERANGE: booked, and a sum of its parent or account is pinned */
	want = last > 0 && (s->ps[p].pinned || s->as[a].pinned) ? RULES_ERANGE : 0;
	if (rc != want)
		SFAIL(s, "fill %s last %" PRId64 " at %" PRId64 ": engine %s, expected %s", h->clid,
		    last, lastpx, rules_strerror(rc), want != 0 ? rules_strerror(want) : "0");
	h->cum = (int64_t)cum;
	if (whole) {
		h->live = false;
		h->pend = false;
	} else {
		h->leaves = leaves;
	}
	recount(s, h);
}

/* The venue cancels a live order by itself. */
static void cancel(struct stream *s, struct rng *r)
{
	struct hord *h = pick(s, r, false);
	int rc;

	if (h == NULL)
		return;
	rc = do_exec(s,
	    &(struct rules_exec){h->clid, NULL, '4', '4', 0, 0, h->cum, 0, -1, -1});
	if (rc != 0)
		SFAIL(s, "cancel %s: %s", h->clid, rules_strerror(rc));
	h->live = false;
	h->pend = false;
	recount(s, h);
}

/* A replace of a live order, checked; it stays pending until replaced or
 * rejected (outcome()). */
static void replace(struct stream *s, struct rng *r)
{
	struct hord *h = pick(s, r, false);
	struct rules_order o;
	struct rules_decision d;
	enum rules_verdict v;
	char rclid[16];
	int64_t qty, px;
	i128 nq, n, nn, dq, dn;
	int p;
	bool want;

	if (h == NULL)
		return;
	p = h->parent;
	if (rnd(r, 0, 1) == 0) {
		qty = big(r);
	} else { /* a step from its quantity, within 1..INT64_MAX */
		i128 q = (i128)h->qty + rnd(r, -2, 2);

		qty = q < 1 ? 1 : q > INT64_MAX ? INT64_MAX : (int64_t)q;
	}
	px = rnd(r, 0, 1) == 0 ? rnd(r, 1, 4) : big(r);
	snprintf(rclid, sizeof(rclid), "R%d", s->nrepl++);
	order_of(&o, s, RULES_REPLACE, rclid, p, false, qty, px);
	o.ro_origclordid = h->clid;
	v = do_check(s, &o, &d);
	if (h->pend) {
		if (v == RULES_ACCEPT || d.rd_reason != RULES_R_REPLACE_PENDING)
			SFAIL(s, "replace of %s with one pending: engine %d %s (%s)", h->clid, v,
			    rules_reason_name((int)d.rd_reason), d.rd_text);
		return;
	}
	nq = (i128)qty - h->cum;
	n = (i128)qty * px;
	nn = nq * px;
	dq = max128(nq - h->cnt_q, 0);
	dn = max128(nn - h->cnt_n, 0);
	want = nq > 0 && n <= INT64_MAX && room(s, p, dq, dn);
	if ((v == RULES_ACCEPT) != want)
		SFAIL(s, "replace %s of %s qty %" PRId64 " px %" PRId64 " (cum %" PRId64
			 "): engine %d %s (%s), expected %s",
		    rclid, h->clid, qty, px, h->cum, v, rules_reason_name((int)d.rd_reason),
		    d.rd_text, want ? "accept" : "a refusal");
	if (nq > 0 && n > INT64_MAX && d.rd_reason != RULES_R_OVERFLOW)
		SFAIL(s, "replace %s: notional overflows, engine says %s (%s)", rclid,
		    rules_reason_name((int)d.rd_reason), d.rd_text);
	if (v != RULES_ACCEPT)
		return;
	s->replaces++;
	memcpy(h->pclid, rclid, sizeof(h->pclid));
	h->pend = true;
	h->pend_qty = qty;
	h->pend_px = px;
	recount(s, h);
}

/* The venue confirms (150=5) or rejects (150=8) a pending replace. */
static void outcome(struct stream *s, struct rng *r)
{
	struct hord *h = pick(s, r, true);
	int64_t leaves;
	bool done;
	int rc;

	if (h == NULL)
		return;
	leaves = (int64_t)max128((i128)h->pend_qty - h->cum, 0); /* of the new order */
	done = rnd(r, 0, 1) == 0;
	if (done)
		rc = do_exec(s, &(struct rules_exec){h->pclid, h->clid, '5', '0', 0, 0, h->cum,
		    leaves, -1, -1});
	else
		rc = do_exec(s,
		    &(struct rules_exec){h->pclid, h->clid, '8', '0', 0, 0, h->cum, -1, -1, -1});
	if (rc != 0)
		SFAIL(s, "%s %s: %s", done ? "replaced" : "replace rejected", h->pclid,
		    rules_strerror(rc));
	if (done) {
		h->qty = h->pend_qty;
		h->px = h->pend_px;
		h->leaves = leaves;
		memcpy(h->clid, h->pclid, sizeof(h->clid));
	}
	h->pend = false;
	recount(s, h);
}

struct infos {
	struct rules_parent_info pi[NP];
	bool seen[NP];
};

static int info_cb(void *arg, size_t pos, const struct rules_parent_info *pi)
{
	struct infos *in = arg;
	int p = pi->rpi_id[1] - '0';

	(void)pos;
	in->seen[p] = true;
	in->pi[p] = *pi;
	return 0;
}

static void cmp(struct stream *s, const char *who, const struct rules_exposure *x,
    const struct sums *e)
{
	if (x->ex_open_qty != e->open_q || x->ex_filled_qty != e->filled_q ||
	    x->ex_open_notional != e->open_n || x->ex_filled_notional != e->filled_n)
		SFAIL(s,
		    "%s: engine open %" PRId64 " / %" PRId64 " filled %" PRId64 " / %" PRId64
		    ", exact open %" PRId64 " / %" PRId64 " filled %" PRId64 " / %" PRId64,
		    who, x->ex_open_qty, x->ex_open_notional, x->ex_filled_qty,
		    x->ex_filled_notional, (int64_t)e->open_q, (int64_t)e->open_n,
		    (int64_t)e->filled_q, (int64_t)e->filled_n);
}

static void check_all(struct stream *s)
{
	struct infos in;
	struct rules_exposure x;
	int i;

	memset(&in, 0, sizeof(in));
	assert_int_equal(rules_foreach_parent(s->en, 0, info_cb, &in), 0);
	for (i = 0; i < NP; i++) {
		if (in.seen[i] && in.pi[i].rpi_pinned != s->ps[i].pinned)
			SFAIL(s, "%s: engine pinned %d, exact sums say %d", pid(i),
			    in.pi[i].rpi_pinned, s->ps[i].pinned);
		if (in.seen[i] && !s->ps[i].pinned) {
			assert_int_equal(rules_parent_exposure(s->en, pid(i), &x), 0);
			cmp(s, pid(i), &x, &s->ps[i]);
		}
	}
	for (i = 0; i < NA; i++)
		if (!s->as[i].pinned && rules_account_exposure(s->en, aid(i), &x) == 0)
			cmp(s, aid(i), &x, &s->as[i]);
}

static bool same_expo(const struct rules_exposure *a, const struct rules_exposure *b)
{
	return a->ex_open_qty == b->ex_open_qty && a->ex_filled_qty == b->ex_filled_qty &&
	    a->ex_open_notional == b->ex_open_notional &&
	    a->ex_filled_notional == b->ex_filled_notional && a->ex_orders == b->ex_orders &&
	    a->ex_live == b->ex_live;
}

/*
 * A restart: a new engine books the log as riskgwd replays its journal
 * (rules_restore() for every accepted check, rules_on_exec() for every
 * report, which must return what it did), and must then hold what the old
 * one held, pinned sums too; it goes on in its place.
 */
static void restart(struct stream *s)
{
	struct rules_engine *en;
	struct infos a, b;
	struct rules_exposure xa, xb;
	char err[RULES_ERRLEN];
	int i, rc;

	if (rules_engine_new(&en, s->st, &s->cfg, err) != 0)
		fail_msg("engine: %s", err);
	for (i = 0; i < s->nlog; i++) {
		struct logent *l = &s->log[i];
		const char *orig = l->orig[0] != '\0' ? l->orig : NULL;

		if (l->exec) {
			struct rules_exec x = l->x;

			x.re_clordid = l->clid;
			x.re_origclordid = orig;
			if ((rc = rules_on_exec(en, &x)) != l->rc)
				SFAIL(s, "replay of report %d (%s): %s, was %s", i, l->clid,
				    rules_strerror(rc), rules_strerror(l->rc));
		} else {
			struct rules_order o = l->o;
			struct rules_decision d;

			o.ro_clordid = l->clid;
			o.ro_origclordid = orig;
			if (rules_restore(en, &o, &d) != 0)
				SFAIL(s, "restore of %s: %s", l->clid, d.rd_text);
		}
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(rules_foreach_parent(s->en, 0, info_cb, &a), 0);
	assert_int_equal(rules_foreach_parent(en, 0, info_cb, &b), 0);
	for (i = 0; i < NP; i++)
		if (a.seen[i] != b.seen[i] || (a.seen[i] && (a.pi[i].rpi_pinned != b.pi[i].rpi_pinned ||
		    !same_expo(&a.pi[i].rpi_expo, &b.pi[i].rpi_expo))))
			SFAIL(s, "restart: parent %s differs (seen %d/%d, pinned %d/%d, open %" PRId64
				 "/%" PRId64 ")",
			    pid(i), a.seen[i], b.seen[i], a.pi[i].rpi_pinned, b.pi[i].rpi_pinned,
			    a.pi[i].rpi_expo.ex_open_qty, b.pi[i].rpi_expo.ex_open_qty);
	for (i = 0; i < NA; i++) {
		memset(&xa, 0, sizeof(xa));
		memset(&xb, 0, sizeof(xb));
		if (rules_account_exposure(s->en, aid(i), &xa) !=
			rules_account_exposure(en, aid(i), &xb) ||
		    !same_expo(&xa, &xb))
			SFAIL(s, "restart: account %s differs", aid(i));
	}
	rules_engine_free(s->en);
	s->en = en;
	s->restarts++;
}

/* One stream on the store st: its world, then STEPS steps, with a restart
 * halfway and one at the end. */
static void run_stream(struct stream *s, struct rules_store *st, int index, uint64_t seed,
    struct rng *r)
{
	struct rules_engine_config cfg = {4 * MAXO, 16, 8, 8, 0};
	char err[RULES_ERRLEN];

	memset(s, 0, sizeof(*s));
	s->st = st;
	s->index = index;
	s->seed = seed;
	world(s, r);
	if (rules_engine_new(&s->en, s->st, &cfg, err) != 0)
		fail_msg("engine: %s", err);
	s->cfg = cfg;
	for (s->step = 0; s->step < STEPS && s->n < MAXO; s->step++) {
		if (s->step == STEPS / 2)
			restart(s);
		switch (rnd(r, 0, 9)) {
		case 0: case 1: case 2: case 3: case 4:
			new_order(s, r);
			break;
		case 5:
			fill(s, r, false);
			break;
		case 6:
			fill(s, r, true);
			break;
		case 7:
			cancel(s, r);
			break;
		case 8:
			replace(s, r);
			break;
		default:
			outcome(s, r);
		}
		check_all(s);
	}
	restart(s);
	check_all(s);
	rules_engine_free(s->en);
	s->en = NULL;
}

#ifndef OVERFLOW_FUZZ /* tests/fuzz/fuzz_overflow.c has its own */
static void test_overflow_streams(void **state)
{
	char *dir = tu_mkdtemp("overflow"), *path = tu_path(dir, "rules.mdb");
	char err[RULES_ERRLEN];
	struct rules_store *st;
	static struct stream s;
	unsigned long accepts = 0, overflows = 0, rejects = 0, pins = 0, near_top = 0, replaces = 0,
		      fills = 0, restarts = 0;
	int k, i;

	(void)state;
	assert_int_equal(rules_store_open(&st, path, RULES_STORE_CREATE, 0, err), 0);
	for (k = 0; k < STREAMS; k++) {
		struct rng r = {BASE_SEED + (uint64_t)k, NULL, 0};

		run_stream(&s, st, k, r.s, &r);
		for (i = 0; i < NP; i++)
			pins += s.ps[i].pinned;
		accepts += s.accepts;
		overflows += s.overflows;
		rejects += s.rejects;
		near_top += s.near_top;
		replaces += s.replaces;
		fills += s.fills;
		restarts += s.restarts;
	}
	rules_store_close(st);
	tu_rmtree(dir);
	free(path);
	free(dir);
	printf("overflow streams: %d, accepts %lu (%lu with a parent past INT64_MAX / 2), "
	       "rejects %lu (%lu overflowing notionals), replaces accepted %lu, fills %lu, "
	       "parents pinned %lu, restarts %lu\n",
	    STREAMS, accepts, near_top, rejects, overflows, replaces, fills, pins, restarts);
	/* the streams reach what they are for */
	assert_true(near_top > 300 && overflows > 10000 && pins > 100 && accepts > 10000 &&
	    replaces > 1000 && fills > 10000 && restarts == 2 * STREAMS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overflow_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif /* OVERFLOW_FUZZ */
