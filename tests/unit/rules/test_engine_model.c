/*
 * test_engine_model.c - randomized model-based test of rules/engine.c.
 *
 * Thousands of random streams of child orders, cancels, replaces and venue
 * execution reports run through the engine on a real rules.mdb, and through
 * an independent reference model written here: a plain list of orders, each
 * with its own small state machine, whose exposures are recomputed from
 * scratch after every step with the documented conservative rules:
 *
 *   open     = max(OrderQty - CumQty, the venue's last LeavesQty), and while a
 *              replace is pending max(that, new OrderQty - CumQty); open
 *              notional likewise max(old open x old price, new open x new
 *              price); nothing once the order is finished
 *   filled   = CumQty (a report seen twice counts once), valued at LastPx or,
 *              without it, at the order's price
 *   a check  accepts iff the exposure after booking the order stays within
 *              every limit; the first breach that trips wins, else the first
 *              breach; limits resolve parent, symbol, account, global
 *
 * After every step: (a) the engine's parent and account exposures equal the
 * model's; (b) after an accept, no parent's open + filled exceeds its
 * quantity or notional limit, and no account its notional limit; with an
 * honest venue no parent is ever filled beyond its quantity; (c) every
 * verdict and reason equals the model's own prediction.
 *
 * Deterministic: a fixed base seed, splitmix64 per stream, no clock. On a
 * failure the seed, stream and step are printed with the last events; rerun
 * one stream with RISKGW_MODEL_SEED=<seed> RISKGW_MODEL_STREAMS=1.
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

#define NP 6            /* registered parents */
#define NA 3            /* accounts */
#define NS 3            /* symbols */
#define STEPS 200       /* steps per stream */
#define MAXO STEPS      /* orders per stream: at most one per step */
#define MAXCL (3 * STEPS) /* ClOrdIDs per stream */
#define MAXLOG (4 * STEPS) /* reports per stream (at most two per step, and resends) */
#define STREAMS 2000
#define GROUP 100       /* streams per limits set */
#define OVERFILL_STREAMS 200
#define BASE_SEED UINT64_C(0x72697367772d6d64) /* "risgw-md" */
#define CENT (RULES_PX_SCALE / 100)
#define MS INT64_C(1000000)

/* ---- PRNG ---------------------------------------------------------------------- */

/* Draws come from splitmix64; or, in tests/fuzz/fuzz_engine.c, from the
 * fuzzer's input (in, 8 bytes a draw) until it runs out, then splitmix64. */
struct rng {
	uint64_t s;
	const uint8_t *in;
	size_t in_len;
};

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t draw(struct rng *r)
{
	uint64_t v = 0;
	size_t n;

	if (r->in_len == 0)
		return splitmix64(&r->s);
	n = r->in_len < 8 ? r->in_len : 8;
	memcpy(&v, r->in, n);
	r->in += n;
	r->in_len -= n;
	return v;
}

/* Uniform in [lo, hi]. */
static int64_t rnd(struct rng *r, int64_t lo, int64_t hi)
{
	uint64_t span = (uint64_t)(hi - lo) + 1;

	return lo + (int64_t)(draw(r) % span);
}

/* True with probability pct/100. */
static bool pct(struct rng *r, int p)
{
	return rnd(r, 0, 99) < p;
}

/* ---- the limits world (what is written to rules.mdb) ---------------------------- */

struct world {
	struct rules_parent par[NP];
	char acct[NA][8];
	char sym[NS][8];
	int pacct[NP], psym[NP];  /* indexes of each parent's account and symbol */
	int64_t refpx[NS];
	struct rules_limits glob, accl[NA], syml[NS], parl[NP]; /* rl_set 0 = no record */
};

/* The effective limit l for parent p: parent, symbol, account, global scope. */
static bool w_eff(const struct world *w, int p, enum rules_limit l, int64_t *val, bool *trip)
{
	const struct rules_limits *recs[4] = {
	    &w->parl[p], &w->syml[w->psym[p]], &w->accl[w->pacct[p]], &w->glob};
	int i;

	for (i = 0; i < 4; i++) {
		if (recs[i]->rl_set & RULES_BIT(l)) {
			*val = recs[i]->rl_val[l];
			*trip = (recs[i]->rl_trip & RULES_BIT(l)) != 0;
			return true;
		}
	}
	return false;
}

static void lim_set(struct rng *r, struct rules_limits *rl, enum rules_limit l, int64_t v,
    int trip_pct)
{
	rl->rl_set |= RULES_BIT(l);
	rl->rl_val[l] = v;
	if (pct(r, trip_pct))
		rl->rl_trip |= RULES_BIT(l);
}

static void world_gen(struct world *w, struct rng *r)
{
	int i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < NA; i++)
		snprintf(w->acct[i], sizeof(w->acct[i]), "ACC%d", i);
	for (i = 0; i < NS; i++) {
		snprintf(w->sym[i], sizeof(w->sym[i]), "SYM%d", i);
		w->refpx[i] = rnd(r, 500, 30000) * CENT; /* 5.00 .. 300.00 */
	}
	for (i = 0; i < NP; i++) {
		struct rules_parent *p = &w->par[i];
		int64_t q = rnd(r, 300, 3000);
		static const char sides[] = {'1', '1', '2', '5'};

		w->pacct[i] = (int)rnd(r, 0, NA - 1);
		w->psym[i] = (int)rnd(r, 0, NS - 1);
		snprintf(p->rp_id, sizeof(p->rp_id), "P%d", i);
		strcpy(p->rp_account, w->acct[w->pacct[i]]);
		strcpy(p->rp_symbol, w->sym[w->psym[i]]);
		p->rp_side = sides[rnd(r, 0, 3)];
		p->rp_qty = q;
		if (pct(r, 50))
			p->rp_max_notional = q * w->refpx[w->psym[i]] / 100 * rnd(r, 40, 110);
		switch (rnd(r, 0, 4)) {
		case 0:
			p->rp_trip = 0;
			break;
		case 1:
			p->rp_trip = RULES_BIT(RULES_LIM_PARENT_QTY);
			break;
		default:
			p->rp_trip = RULES_TRIP_DEFAULT;
		}
		if (pct(r, 20))
			lim_set(r, &w->parl[i], RULES_LIM_ORDER_QTY, rnd(r, 100, 1000), 30);
	}
	if (pct(r, 70))
		lim_set(r, &w->glob, RULES_LIM_ORDER_QTY, rnd(r, 200, 1500), 10);
	if (pct(r, 30))
		lim_set(r, &w->glob, RULES_LIM_ORDER_NOTIONAL, rnd(r, 5000, 100000) * RULES_PX_SCALE,
		    10);
	if (pct(r, 40))
		lim_set(r, &w->glob, RULES_LIM_PARENT_NOTIONAL,
		    rnd(r, 20000, 400000) * RULES_PX_SCALE, 50);
	if (pct(r, 30))
		lim_set(r, &w->glob, RULES_LIM_ACCOUNT_NOTIONAL,
		    rnd(r, 100000, 800000) * RULES_PX_SCALE, 50);
	for (i = 0; i < NA; i++)
		if (pct(r, 60))
			lim_set(r, &w->accl[i], RULES_LIM_ACCOUNT_NOTIONAL,
			    rnd(r, 50000, 600000) * RULES_PX_SCALE, 50);
	for (i = 0; i < NS; i++)
		if (pct(r, 30))
			lim_set(r, &w->syml[i], RULES_LIM_ORDER_QTY, rnd(r, 100, 2000), 30);
}

static const struct rules_actor actor = {"tester", "model test"};

static void must(int rc, const char *what, const char *err)
{
	if (rc != 0)
		fail_msg("%s: %s (%s)", what, rules_strerror(rc), err);
}

static void put_lim(struct rules_wr *b, enum rules_scope sc, const char *key,
    const struct rules_limits *rl)
{
	char err[RULES_ERRLEN] = "";

	if (rl->rl_set != 0)
		must(rules_wr_put_limits(b, &actor, sc, key, rl, err), "put_limits", err);
}

/* Replaces the whole store content with w, in one transaction. */
static void world_write(struct rules_store *st, const struct world *w)
{
	struct rules_wr *b;
	char err[RULES_ERRLEN] = "";
	int i;

	must(rules_store_wr_begin(st, &b, err), "wr_begin", err);
	must(rules_wr_clear(b, &actor, err), "clear", err);
	for (i = 0; i < NP; i++) {
		must(rules_wr_put_parent(b, &actor, &w->par[i], err), "put_parent", err);
		put_lim(b, RULES_SCOPE_PARENT, w->par[i].rp_id, &w->parl[i]);
	}
	for (i = 0; i < NS; i++) {
		must(rules_wr_put_refpx(b, &actor, w->sym[i], w->refpx[i], err), "put_refpx", err);
		put_lim(b, RULES_SCOPE_SYMBOL, w->sym[i], &w->syml[i]);
	}
	for (i = 0; i < NA; i++)
		put_lim(b, RULES_SCOPE_ACCOUNT, w->acct[i], &w->accl[i]);
	put_lim(b, RULES_SCOPE_GLOBAL, "", &w->glob);
	must(rules_wr_commit(b, err), "commit", err);
}

/* ---- the reference model and the venue ------------------------------------------ */

/* What a report means to the model. */
enum rkind {
	K_STATUS,      /* pending new, new, pending cancel, pending replace: leaves */
	K_FILL,        /* partial fill */
	K_FILLED,      /* fill, 39=2: finished */
	K_TERMINAL,    /* cancelled, expired, done for day, rejected new order */
	K_REPLACED,    /* 150=5 */
	K_REPL_REJ,    /* 150=8 on a replace's ClOrdID: that replace is refused */
	K_LATE_FILL,   /* a fill after the order finished */
	K_CXL_REJ,     /* 35=9 */
};

/* Venue's view of an order. */
enum vstate { VS_PNEW, VS_OPEN, VS_FILLED, VS_CANCELED, VS_REJECTED, VS_EXPIRED };

struct lastrep {
	bool have;
	enum rkind kind;
	struct rules_exec x;
	int clid;                 /* ClOrdID the report carries (pool index) */
	int orig;                 /* OrigClOrdID, -1 none */
	char resp;                /* 434 of a 35=9 */
};

struct morder {
	int parent;
	char side;
	bool market;
	/* the model */
	int64_t qty, px;          /* px: valuation (limit, or reference for market) */
	int64_t cum, vleaves, filled_n;
	bool live;
	bool pend;
	int pend_clid;
	int64_t pend_qty, pend_px;
	/* the venue */
	enum vstate vs;
	int64_t v_qty, v_px, v_cum;
	int v_clid;               /* current ClOrdID at the venue */
	int v_cxl;                /* pending cancel request, -1 none */
	int v_rep;                /* pending replace request, -1 none */
	int64_t v_rep_qty, v_rep_px;
	int64_t v_dly_qty;        /* a fill done before the cancel/expiry whose report */
	int64_t v_dly_cum;        /* comes after it (its CumQty is in the cancel's) */
	int64_t v_late;           /* overfill venue: shares it fills after a cancel */
	struct lastrep last;
};

struct msums {
	int64_t open_q, filled_q, open_n, filled_n, live, orders;
	bool seen;
};

struct stats {
	unsigned long steps, accepts, rejects, trips;
	unsigned long reason[RULES_R_COUNT];
	unsigned long kind[K_CXL_REJ + 1];
	unsigned long dups, stale, cancels, replaces, limit_changes, news, overfills;
};

struct model {
	struct world *w;
	struct rng r;
	bool overfill;            /* the venue may fill beyond an order's quantity */
	struct morder o[MAXO];
	int n;
	char cl[MAXCL][16];
	bool taken[MAXCL];        /* the engine has this ClOrdID */
	int ncl;
	struct {
		int oi;
		struct lastrep lr;
	} log[MAXLOG];            /* every report sent, for resends of older ones */
	int nlog;
	int64_t porders[NP];      /* accepted children and replaces, per parent */
	int64_t qmax[NP];         /* largest quantity each parent had this stream */
	int64_t now;
	bool dirty;               /* limits changed: rewrite the world before the next stream */
	/* for failure messages */
	uint64_t seed, wseed;
	int stream, step;
	char trace[48][200];
	unsigned ntrace;
	struct stats *stats;
	struct rules_engine *en;
	struct rules_store *st;
};

static void trace(struct model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->trace[m->ntrace % 48], sizeof(m->trace[0]), fmt, ap);
	va_end(ap);
	m->ntrace++;
}

#define MFAIL(m, ...)                                                                        \
	do {                                                                                 \
		dump(m);                                                                     \
		fail_msg(__VA_ARGS__);                                                       \
	} while (0)

static void dump(const struct model *m)
{
	unsigned i = m->ntrace > 48 ? m->ntrace - 48 : 0;

	fprintf(stderr, "model test failure: seed 0x%016" PRIx64 " (stream %d, step %d%s)\n",
	    m->seed, m->stream, m->step, m->overfill ? ", overfill venue" : "");
	fprintf(stderr,
	    "rerun: RISKGW_MODEL_SEED=0x%016" PRIx64 " RISKGW_MODEL_WORLD=0x%016" PRIx64
	    " RISKGW_MODEL_STREAMS=1%s\n",
	    m->seed, m->wseed, m->overfill ? " (the overfill test)" : "");
	fprintf(stderr, "last events:\n");
	for (; i < m->ntrace; i++)
		fprintf(stderr, "  %s\n", m->trace[i % 48]);
}

static int new_clid(struct model *m, char tag)
{
	int i = m->ncl++;

	assert_true(i < MAXCL);
	snprintf(m->cl[i], sizeof(m->cl[i]), "%c%d", tag, i);
	m->taken[i] = false;
	return i;
}

/* What one order counts as open. */
static void m_open(const struct morder *o, int64_t *q, int64_t *n)
{
	int64_t oq, nq;

	*q = *n = 0;
	if (!o->live)
		return;
	oq = o->qty - o->cum > o->vleaves ? o->qty - o->cum : o->vleaves;
	if (oq < 0)
		oq = 0;
	*q = oq;
	*n = oq * o->px;
	if (o->pend) {
		nq = o->pend_qty - o->cum > 0 ? o->pend_qty - o->cum : 0;
		if (nq > *q)
			*q = nq;
		if (nq * o->pend_px > *n)
			*n = nq * o->pend_px;
	}
}

/* Recomputes every parent's and account's sums from the list of orders. */
static void m_sums(const struct model *m, struct msums p[NP], struct msums a[NA])
{
	int i;

	memset(p, 0, sizeof(struct msums) * NP);
	memset(a, 0, sizeof(struct msums) * NA);
	for (i = 0; i < m->n; i++) {
		const struct morder *o = &m->o[i];
		struct msums *s = &p[o->parent];
		int64_t q, n;

		m_open(o, &q, &n);
		s->seen = true;
		s->open_q += q;
		s->open_n += n;
		s->filled_q += o->cum;
		s->filled_n += o->filled_n;
		s->live += o->live;
	}
	for (i = 0; i < NP; i++) {
		struct msums *s = &a[m->w->pacct[i]];

		p[i].orders = m->porders[i];
		if (!p[i].seen)
			continue;
		s->seen = true;
		s->open_q += p[i].open_q;
		s->open_n += p[i].open_n;
		s->filled_q += p[i].filled_q;
		s->filled_n += p[i].filled_n;
		s->live += p[i].live;
	}
}

/* ---- the model's decision ---------------------------------------------------------- */

struct mdec {
	enum rules_verdict v;
	enum rules_reason r;
};

static void breach(struct mdec *d, bool *have, bool trip, enum rules_reason r)
{
	enum rules_verdict v = trip ? RULES_TRIP : RULES_REJECT;

	if (*have && (d->v == RULES_TRIP || v == RULES_REJECT))
		return;
	*have = true;
	d->v = v;
	d->r = r;
}

/* The limit checks on the order at index oi, which is booked in the model as it
 * would be if accepted (a new order appended, or a replace set pending). */
static struct mdec m_limits(const struct model *m, int oi, int64_t qty, int64_t vpx)
{
	const struct world *w = m->w;
	const struct morder *o = &m->o[oi];
	const struct rules_parent *rp = &w->par[o->parent];
	struct msums ps[NP], as[NA];
	struct mdec d = {RULES_ACCEPT, RULES_R_OK};
	bool have = false, t;
	int64_t v;

	m_sums(m, ps, as);
	if (w_eff(w, o->parent, RULES_LIM_ORDER_QTY, &v, &t) && qty > v)
		breach(&d, &have, t, RULES_R_ORDER_QTY);
	if (w_eff(w, o->parent, RULES_LIM_ORDER_NOTIONAL, &v, &t) && qty * vpx > v)
		breach(&d, &have, t, RULES_R_ORDER_NOTIONAL);
	if (ps[o->parent].open_q + ps[o->parent].filled_q > rp->rp_qty)
		breach(&d, &have, (rp->rp_trip & RULES_BIT(RULES_LIM_PARENT_QTY)) != 0,
		    RULES_R_PARENT_QTY);
	if (rp->rp_max_notional > 0) {
		v = rp->rp_max_notional;
		t = (rp->rp_trip & RULES_BIT(RULES_LIM_PARENT_NOTIONAL)) != 0;
	} else if (!w_eff(w, o->parent, RULES_LIM_PARENT_NOTIONAL, &v, &t)) {
		v = 0;
	}
	if (v > 0 && ps[o->parent].open_n + ps[o->parent].filled_n > v)
		breach(&d, &have, t, RULES_R_PARENT_NOTIONAL);
	if (w_eff(w, o->parent, RULES_LIM_ACCOUNT_NOTIONAL, &v, &t)) {
		const struct msums *a = &as[w->pacct[o->parent]];

		if (a->open_n + a->filled_n > v)
			breach(&d, &have, t, RULES_R_ACCOUNT_NOTIONAL);
	}
	return d;
}

/* ---- checks against the engine -------------------------------------------------------- */

static void cmp1(struct model *m, const char *what, const char *id, const char *field,
    int64_t eng, int64_t mod)
{
	if (eng != mod)
		MFAIL(m, "%s %s: %s engine %" PRId64 " model %" PRId64, what, id, field, eng, mod);
}

static void cmp_expo(struct model *m, const char *what, const char *id, int rc,
    const struct rules_exposure *x, const struct msums *s, bool orders)
{
	if (!s->seen) {
		if (rc != RULES_ENOTFOUND)
			MFAIL(m, "%s %s: engine has exposure (rc %d), model has no order", what, id,
			    rc);
		return;
	}
	if (rc != 0)
		MFAIL(m, "%s %s: engine has none (rc %d), the model has orders", what, id, rc);
	cmp1(m, what, id, "open qty", x->ex_open_qty, s->open_q);
	cmp1(m, what, id, "filled qty", x->ex_filled_qty, s->filled_q);
	cmp1(m, what, id, "open notional", x->ex_open_notional, s->open_n);
	cmp1(m, what, id, "filled notional", x->ex_filled_notional, s->filled_n);
	cmp1(m, what, id, "live", x->ex_live, s->live);
	if (orders)
		cmp1(m, what, id, "orders", x->ex_orders, s->orders);
}

/* (a), and the honest venue's half of (b), after every step. */
static void check_all(struct model *m)
{
	struct msums ps[NP], as[NA];
	struct rules_exposure x;
	int i, rc;

	m_sums(m, ps, as);
	for (i = 0; i < NP; i++) {
		memset(&x, 0, sizeof(x));
		rc = rules_parent_exposure(m->en, m->w->par[i].rp_id, &x);
		cmp_expo(m, "parent", m->w->par[i].rp_id, rc, &x, &ps[i], true);
		if (!m->overfill && ps[i].filled_q > m->qmax[i])
			MFAIL(m, "parent %s filled %" PRId64 " > its quantity %" PRId64,
			    m->w->par[i].rp_id, ps[i].filled_q, m->qmax[i]);
	}
	for (i = 0; i < NA; i++) {
		memset(&x, 0, sizeof(x));
		rc = rules_account_exposure(m->en, m->w->acct[i], &x);
		/* ex_orders of an account counts new orders only (not replaces);
		 * the model does not follow that one. */
		cmp_expo(m, "account", m->w->acct[i], rc, &x, &as[i], false);
	}
	if (rules_parent_exposure(m->en, "PZ", &x) != RULES_ENOTFOUND)
		MFAIL(m, "unregistered parent PZ has exposure");
}

/* (b) after an accept on parent p. */
static void check_within(struct model *m, int p)
{
	const struct world *w = m->w;
	const struct rules_parent *rp = &w->par[p];
	struct msums ps[NP], as[NA];
	int64_t v;
	bool t;

	m_sums(m, ps, as);
	if (ps[p].open_q + ps[p].filled_q > rp->rp_qty)
		MFAIL(m, "accepted: parent %s at %" PRId64 " > quantity %" PRId64, rp->rp_id,
		    ps[p].open_q + ps[p].filled_q, rp->rp_qty);
	v = rp->rp_max_notional;
	if (v == 0 && !w_eff(w, p, RULES_LIM_PARENT_NOTIONAL, &v, &t))
		v = 0;
	if (v > 0 && ps[p].open_n + ps[p].filled_n > v)
		MFAIL(m, "accepted: parent %s notional %" PRId64 " > %" PRId64, rp->rp_id,
		    ps[p].open_n + ps[p].filled_n, v);
	if (w_eff(w, p, RULES_LIM_ACCOUNT_NOTIONAL, &v, &t) &&
	    as[w->pacct[p]].open_n + as[w->pacct[p]].filled_n > v)
		MFAIL(m, "accepted: account %s notional %" PRId64 " > %" PRId64, rp->rp_account,
		    as[w->pacct[p]].open_n + as[w->pacct[p]].filled_n, v);
}

/* (c) */
static void check_decision(struct model *m, const char *what, enum rules_verdict ev,
    const struct rules_decision *d, struct mdec md)
{
	struct stats *s = m->stats;

	if (ev != md.v || d->rd_verdict != ev || d->rd_reason != md.r)
		MFAIL(m, "%s: engine %d %s (%s), model %d %s", what, ev,
		    rules_reason_name((int)d->rd_reason), d->rd_text, md.v,
		    rules_reason_name((int)md.r));
	if ((ev == RULES_ACCEPT) != (d->rd_text[0] == '\0'))
		MFAIL(m, "%s: text \"%s\" on verdict %d", what, d->rd_text, ev);
	if (ev == RULES_ACCEPT)
		s->accepts++;
	else if (ev == RULES_TRIP)
		s->trips++;
	else
		s->rejects++;
	s->reason[md.r]++;
}

/* ---- router events ---------------------------------------------------------------------- */

static void m_new_order(struct model *m)
{
	struct world *w = m->w;
	struct rng *r = &m->r;
	struct rules_order ro;
	struct rules_decision d;
	struct mdec md = {RULES_REJECT, RULES_R_OK};
	enum rules_verdict ev;
	struct morder *o;
	int p = (int)rnd(r, 0, NP - 1), ci, k;
	int64_t q = w->par[p].rp_qty, qty, px;
	bool unknown = pct(r, 3), market = pct(r, 10);
	const char *pid = unknown ? "PZ" : w->par[p].rp_id;

	/* a fresh ClOrdID; sometimes one the engine has (dup), sometimes one a
	 * rejected order had (free again) */
	ci = -1;
	if (pct(r, 5) && m->ncl > 0) {
		k = (int)rnd(r, 0, m->ncl - 1);
		ci = k;
	}
	if (ci < 0)
		ci = new_clid(m, 'C');
	k = (int)rnd(r, 0, 99);
	if (k < 70)
		qty = rnd(r, 1, q / 4);
	else if (k < 90)
		qty = rnd(r, q / 4, q / 2);
	else
		qty = rnd(r, q / 2, q + 100);
	px = w->refpx[w->psym[p]] / CENT;
	px = rnd(r, px * 98 / 100, px * 101 / 100 + 1) * CENT;

	memset(&ro, 0, sizeof(ro));
	ro.ro_kind = RULES_NEW;
	ro.ro_clordid = m->cl[ci];
	ro.ro_parent = pid;
	ro.ro_account = pct(r, 50) ? w->par[p].rp_account : "";
	ro.ro_symbol = w->par[p].rp_symbol;
	ro.ro_side = w->par[p].rp_side;
	ro.ro_ordtype = market ? RULES_ORDTYPE_MARKET : RULES_ORDTYPE_LIMIT;
	ro.ro_qty = qty;
	ro.ro_px = market ? 0 : px;
	ro.ro_now_ns = m->now;
	trace(m, "new %s parent %s qty %" PRId64 " px %" PRId64 "%s", m->cl[ci], pid, qty,
	    market ? w->refpx[w->psym[p]] : px, market ? " (market)" : "");
	m->stats->news++;
	ev = rules_check(m->en, &ro, &d);

	/* the model's own decision */
	o = &m->o[m->n];
	memset(o, 0, sizeof(*o));
	o->parent = p;
	o->side = ro.ro_side;
	o->market = market;
	o->qty = qty;
	o->px = market ? w->refpx[w->psym[p]] : px;
	o->live = true;
	o->pend_clid = -1;
	o->vs = VS_PNEW;
	o->v_qty = qty;
	o->v_px = o->px;
	o->v_clid = ci;
	o->v_cxl = o->v_rep = -1;
	if (m->taken[ci]) {
		md.r = RULES_R_DUP_CLORDID;
	} else if (unknown) {
		md.r = RULES_R_UNKNOWN_PARENT;
	} else {
		m->n++; /* booked as if accepted */
		md = m_limits(m, m->n - 1, qty, o->px);
		if (md.v != RULES_ACCEPT)
			m->n--;
	}
	check_decision(m, "new order", ev, &d, md);
	trace(m, "  -> %s", rules_reason_name((int)md.r));
	if (md.v == RULES_ACCEPT) {
		m->taken[ci] = true;
		m->porders[p]++;
		check_within(m, p);
	}
}

static int pick_order(struct model *m, bool (*ok)(const struct morder *))
{
	int i, start, n = m->n;

	if (n == 0)
		return -1;
	start = (int)rnd(&m->r, 0, n - 1);
	for (i = 0; i < n; i++) {
		int k = (start + i) % n;

		if (ok(&m->o[k]))
			return k;
	}
	return -1;
}

static bool cancelable(const struct morder *o)
{
	return o->vs == VS_OPEN && o->v_cxl < 0 && o->v_rep < 0;
}

static void m_cancel(struct model *m)
{
	int oi = pick_order(m, cancelable), ci, rc;
	struct morder *o;

	if (oi < 0)
		return;
	o = &m->o[oi];
	ci = new_clid(m, 'X');
	trace(m, "cancel %s orig %s", m->cl[ci], m->cl[o->v_clid]);
	rc = rules_on_cancel_sent(m->en, m->cl[ci], m->cl[o->v_clid]);
	if (rc != 0)
		MFAIL(m, "rules_on_cancel_sent: %s", rules_strerror(rc));
	m->taken[ci] = true;
	o->v_cxl = ci;
	m->stats->cancels++;
}

static bool replaceable(const struct morder *o)
{
	return o->vs == VS_OPEN && o->v_cxl < 0 && o->v_rep < 0 && !o->market;
}

static bool finished(const struct morder *o)
{
	return !o->live && !o->market;
}

static bool replace_pending(const struct morder *o)
{
	return o->pend && o->vs == VS_OPEN;
}

static void m_replace(struct model *m)
{
	struct rng *r = &m->r;
	struct rules_order ro;
	struct rules_decision d;
	struct mdec md = {RULES_REJECT, RULES_R_OK};
	enum rules_verdict ev;
	struct morder *o, save;
	int oi, ci, k = (int)rnd(r, 0, 99);
	int64_t qty, px;

	/* mostly proper replaces; some of a finished order, some while one is
	 * pending, some not above what is filled */
	if (k < 5)
		oi = pick_order(m, finished);
	else if (k < 10)
		oi = pick_order(m, replace_pending);
	else
		oi = pick_order(m, replaceable);
	if (oi < 0)
		return;
	o = &m->o[oi];
	ci = pct(r, 3) ? (int)rnd(r, 0, m->ncl - 1) : new_clid(m, 'R');
	if (k >= 10 && k < 15 && o->cum > 0)
		qty = rnd(r, 1, o->cum);
	else if (pct(r, 50) && o->qty - o->cum > 1)
		qty = rnd(r, o->cum + 1, o->qty - 1);
	else
		qty = rnd(r, o->qty + 1, o->qty + o->qty / 2 + 100);
	px = o->px;
	if (pct(r, 30))
		px = px + rnd(r, -3, 3) * CENT;
	memset(&ro, 0, sizeof(ro));
	ro.ro_kind = RULES_REPLACE;
	ro.ro_clordid = m->cl[ci];
	ro.ro_origclordid = m->cl[o->v_clid];
	ro.ro_parent = pct(r, 50) ? m->w->par[o->parent].rp_id : "";
	ro.ro_account = "";
	ro.ro_symbol = m->w->par[o->parent].rp_symbol;
	ro.ro_side = o->side;
	ro.ro_ordtype = RULES_ORDTYPE_LIMIT;
	ro.ro_qty = qty;
	ro.ro_px = px;
	ro.ro_now_ns = m->now;
	trace(m, "replace %s orig %s qty %" PRId64 " -> %" PRId64 " px %" PRId64, m->cl[ci],
	    m->cl[o->v_clid], o->qty, qty, px);
	m->stats->replaces++;
	ev = rules_check(m->en, &ro, &d);

	if (m->taken[ci])
		md.r = RULES_R_DUP_CLORDID;
	else if (!o->live)
		md.r = RULES_R_UNKNOWN_ORIG;
	else if (o->pend)
		md.r = RULES_R_REPLACE_PENDING;
	else if (qty <= o->cum)
		md.r = RULES_R_BAD_ORDER;
	else {
		save = *o;
		o->pend = true;
		o->pend_clid = ci;
		o->pend_qty = qty;
		o->pend_px = px;
		md = m_limits(m, oi, qty, px);
		if (md.v != RULES_ACCEPT)
			*o = save;
	}
	check_decision(m, "replace", ev, &d, md);
	trace(m, "  -> %s", rules_reason_name((int)md.r));
	if (md.v == RULES_ACCEPT) {
		m->taken[ci] = true;
		m->porders[o->parent]++;
		o->v_rep = ci;
		o->v_rep_qty = qty;
		o->v_rep_px = px;
		check_within(m, o->parent);
	}
}

/* ---- venue reports ------------------------------------------------------------------- */

static void m_fill_part(struct morder *o, const struct rules_exec *x)
{
	if (x->re_cum_qty > o->cum) {
		int64_t d = x->re_cum_qty - o->cum;

		o->filled_n += d * (x->re_last_px > 0 ? x->re_last_px : o->px);
		o->cum = x->re_cum_qty;
	}
}

/* The model's reading of a report about order o. */
static void m_apply(struct morder *o, const struct lastrep *lr)
{
	const struct rules_exec *x = &lr->x;

	switch (lr->kind) {
	case K_STATUS:
		o->vleaves = x->re_leaves_qty;
		break;
	case K_FILL:
		m_fill_part(o, x);
		o->vleaves = x->re_leaves_qty;
		break;
	case K_FILLED:
	case K_TERMINAL:
		m_fill_part(o, x);
		o->live = false;
		o->pend = false;
		break;
	case K_LATE_FILL:
		m_fill_part(o, x);
		break;
	case K_REPLACED:
		/* the pending replace it names is now the order; any other (an
		 * unsolicited or a resent one) may raise the order, never lower
		 * it: open falls only on a terminal report or a confirmed
		 * replace down */
		if (o->pend && o->pend_clid == lr->clid) {
			o->pend = false;
			o->qty = x->re_order_qty;
			o->px = x->re_px;
		} else {
			if (x->re_order_qty > o->qty)
				o->qty = x->re_order_qty;
			if (x->re_px > o->px)
				o->px = x->re_px;
		}
		o->vleaves = x->re_leaves_qty;
		break;
	case K_REPL_REJ:
	case K_CXL_REJ:
		if (lr->kind == K_CXL_REJ && lr->resp != '2')
			break;
		if (o->pend && o->pend_clid == lr->clid)
			o->pend = false;
		break;
	}
}

static const char *kind_name(enum rkind k)
{
	static const char *const n[] = {"status", "fill", "filled", "terminal", "replaced",
	    "replace-reject-ER", "late-fill", "cancel-reject"};

	return n[k];
}

/* Sends a report to the engine and to the model. */
static void deliver(struct model *m, int oi, const struct lastrep *lr, bool dup)
{
	struct morder *o = &m->o[oi];
	int rc;

	trace(m, "%s%s %s orig %s 150=%c 39=%c last %" PRId64 "@%" PRId64 " cum %" PRId64
	    " leaves %" PRId64, dup ? "RESEND " : "", kind_name(lr->kind), m->cl[lr->clid],
	    lr->orig >= 0 ? m->cl[lr->orig] : "-", lr->kind == K_CXL_REJ ? '9' : lr->x.re_exec_type,
	    lr->kind == K_CXL_REJ ? lr->resp : lr->x.re_ord_status, lr->x.re_last_qty,
	    lr->x.re_last_px, lr->x.re_cum_qty, lr->x.re_leaves_qty);
	if (lr->kind == K_CXL_REJ)
		rc = rules_on_cancel_reject(m->en, m->cl[lr->clid],
		    lr->orig >= 0 ? m->cl[lr->orig] : NULL, lr->resp);
	else
		rc = rules_on_exec(m->en, &lr->x);
	if (rc != 0)
		MFAIL(m, "report %s: %s", kind_name(lr->kind), rules_strerror(rc));
	m_apply(o, lr);
	m->stats->kind[lr->kind]++;
	if (!dup) {
		o->last = *lr;
		assert_true(m->nlog < MAXLOG);
		m->log[m->nlog].oi = oi;
		m->log[m->nlog].lr = *lr;
		m->nlog++;
	}
}

static void er(struct model *m, int oi, enum rkind kind, char et, char st, int clid, int orig,
    int64_t last_qty, int64_t last_px)
{
	struct morder *o = &m->o[oi];
	struct lastrep lr;

	memset(&lr, 0, sizeof(lr));
	lr.have = true;
	lr.kind = kind;
	lr.clid = clid;
	lr.orig = orig;
	lr.x.re_clordid = m->cl[clid];
	lr.x.re_origclordid = orig >= 0 ? m->cl[orig] : NULL;
	lr.x.re_exec_type = et;
	lr.x.re_ord_status = st;
	lr.x.re_last_qty = last_qty;
	lr.x.re_last_px = last_px;
	lr.x.re_cum_qty = o->v_cum;
	lr.x.re_leaves_qty = o->vs == VS_OPEN || o->vs == VS_PNEW ? o->v_qty - o->v_cum : 0;
	if (lr.x.re_leaves_qty < 0)
		lr.x.re_leaves_qty = 0;
	lr.x.re_order_qty = o->v_qty;
	lr.x.re_px = o->v_px;
	deliver(m, oi, &lr, false);
}

static void cxl_reject(struct model *m, int oi, int clid, char resp)
{
	struct lastrep lr;

	memset(&lr, 0, sizeof(lr));
	lr.have = true;
	lr.kind = K_CXL_REJ;
	lr.clid = clid;
	lr.orig = m->o[oi].v_clid;
	lr.resp = resp;
	deliver(m, oi, &lr, false);
}

static char open_status(const struct morder *o)
{
	return o->v_cum > 0 ? '1' : '0';
}

/* A fill at the venue's price (a buy sometimes a little better; LastPx now
 * and then left out). */
static void v_fill(struct model *m, int oi, int64_t d, bool late)
{
	struct morder *o = &m->o[oi];
	struct rng *r = &m->r;
	int64_t lpx = o->v_px;
	bool buy = o->side == '1';

	if (buy && !o->market && pct(r, 50) && lpx > 3 * CENT)
		lpx -= rnd(r, 0, 2) * CENT;
	if (pct(r, 20))
		lpx = -1;
	if (late) {
		char st = o->vs == VS_EXPIRED ? 'C' : '4';

		if (o->v_dly_qty > 0) {
			/* the report of a fill the cancel's CumQty already has */
			int64_t cum = o->v_cum;

			o->v_cum = o->v_dly_cum;
			er(m, oi, K_LATE_FILL, 'F', st, o->v_clid, -1, o->v_dly_qty, lpx);
			o->v_cum = cum;
			o->v_dly_qty = 0;
		} else {
			/* beyond the cancel's CumQty: an overfill */
			o->v_late -= d;
			o->v_cum += d;
			m->stats->overfills++;
			er(m, oi, K_LATE_FILL, 'F', st, o->v_clid, -1, d, lpx);
		}
		return;
	}
	o->v_cum += d;
	if (o->v_cum >= o->v_qty) {
		o->vs = VS_FILLED;
		er(m, oi, K_FILLED, 'F', '2', o->v_clid, -1, d, lpx);
	} else {
		er(m, oi, K_FILL, 'F', '1', o->v_clid, -1, d, lpx);
	}
}

/* As an order is cancelled or expires: sometimes a fill happened just before,
 * whose report will come after the cancel's (which counts it in CumQty); an
 * overfill venue sometimes fills more after the cancel. */
static void late_fills(struct model *m, struct morder *o, int64_t leaves)
{
	struct rng *r = &m->r;

	if (pct(r, 20) && leaves > 1) {
		o->v_dly_qty = rnd(r, 1, leaves - 1);
		o->v_cum += o->v_dly_qty;
		o->v_dly_cum = o->v_cum;
	}
	if (m->overfill && pct(r, 20))
		o->v_late = rnd(r, 1, 100);
}

static bool needs_venue(const struct morder *o)
{
	return o->vs == VS_PNEW || o->vs == VS_OPEN || o->v_cxl >= 0 || o->v_rep >= 0 ||
	    o->v_late > 0 || o->v_dly_qty > 0;
}

static void m_venue(struct model *m)
{
	struct rng *r = &m->r;
	int oi = pick_order(m, needs_venue), k;
	struct morder *o;
	int64_t leaves;

	if (oi < 0)
		return;
	o = &m->o[oi];
	k = (int)rnd(r, 0, 99);
	switch (o->vs) {
	case VS_PNEW:
		if (k < 8) {
			o->vs = VS_REJECTED;
			er(m, oi, K_TERMINAL, '8', '8', o->v_clid, -1, 0, 0);
		} else {
			if (k < 30)
				er(m, oi, K_STATUS, 'A', 'A', o->v_clid, -1, 0, 0);
			o->vs = VS_OPEN;
			er(m, oi, K_STATUS, '0', '0', o->v_clid, -1, 0, 0);
		}
		return;
	case VS_OPEN:
		leaves = o->v_qty - o->v_cum;
		if (o->v_cxl >= 0 && k < 35) {
			int x = o->v_cxl;

			o->v_cxl = -1;
			if (pct(r, 15)) {
				/* the venue refuses: the order works on */
				cxl_reject(m, oi, x, '1');
				return;
			}
			if (pct(r, 30))
				er(m, oi, K_STATUS, '6', '6', x, o->v_clid, 0, 0);
			late_fills(m, o, leaves);
			o->vs = VS_CANCELED;
			er(m, oi, K_TERMINAL, '4', '4', x, o->v_clid, 0, 0);
			o->v_clid = x;
			return;
		}
		if (o->v_rep >= 0 && k < 40) {
			int x = o->v_rep;

			o->v_rep = -1;
			if (pct(r, 20))
				er(m, oi, K_STATUS, 'E', 'E', x, o->v_clid, 0, 0);
			if (o->v_rep_qty <= o->v_cum || pct(r, 25)) {
				/* refused: by OrderCancelReject or by ER 150=8 */
				if (pct(r, 50)) {
					cxl_reject(m, oi, x, '2');
				} else {
					er(m, oi, K_REPL_REJ, '8', open_status(o), x, o->v_clid, 0,
					    0);
				}
				return;
			}
			o->v_qty = o->v_rep_qty;
			o->v_px = o->v_rep_px;
			er(m, oi, K_REPLACED, '5', open_status(o), x, o->v_clid, 0, 0);
			o->v_clid = x;
			return;
		}
		if (k < 85) {
			int64_t d;

			if (m->overfill && pct(r, 5)) {
				d = leaves + rnd(r, 1, 50);
				m->stats->overfills++;
			} else if (pct(r, 30)) {
				d = leaves;
			} else {
				d = rnd(r, 1, leaves);
			}
			v_fill(m, oi, d, false);
			return;
		}
		if (k < 92)
			return; /* nothing this time */
		late_fills(m, o, leaves);
		o->vs = VS_EXPIRED;
		if (pct(r, 50))
			er(m, oi, K_TERMINAL, 'C', 'C', o->v_clid, -1, 0, 0);
		else
			er(m, oi, K_TERMINAL, '3', '3', o->v_clid, -1, 0, 0);
		return;
	default:
		/* finished at the venue: refuse what is pending, or a late fill */
		if (o->v_cxl >= 0) {
			int x = o->v_cxl;

			o->v_cxl = -1;
			cxl_reject(m, oi, x, '1');
		} else if (o->v_rep >= 0) {
			int x = o->v_rep;

			o->v_rep = -1;
			cxl_reject(m, oi, x, '2');
		} else if (o->v_dly_qty > 0 || o->v_late > 0) {
			v_fill(m, oi, o->v_dly_qty > 0 ? o->v_dly_qty : rnd(r, 1, o->v_late), true);
		}
		return;
	}
}

static bool has_report(const struct morder *o)
{
	return o->last.have;
}

/* A resend of the last report sent about an order or, as a venue replaying
 * its reports after a failover would, of any earlier one. */
static void m_resend(struct model *m)
{
	int oi = pick_order(m, has_report);
	struct lastrep lr;

	if (oi < 0)
		return;
	lr = m->o[oi].last;
	if (pct(&m->r, 30)) {
		int k = (int)rnd(&m->r, 0, m->nlog - 1);

		oi = m->log[k].oi;
		lr = m->log[k].lr;
		m->stats->stale++;
	}
	m->stats->dups++;
	deliver(m, oi, &lr, true);
}

/* A limits change committed mid-stream: the next check must see it. */
static void m_limits_change(struct model *m)
{
	struct world *w = m->w;
	struct rng *r = &m->r;
	struct rules_wr *b;
	char err[RULES_ERRLEN] = "";
	int p = (int)rnd(r, 0, NP - 1), a = (int)rnd(r, 0, NA - 1);

	must(rules_store_wr_begin(m->st, &b, err), "wr_begin", err);
	switch (rnd(r, 0, 2)) {
	case 0:
		w->par[p].rp_qty = rnd(r, 100, 3000);
		if (w->par[p].rp_qty > m->qmax[p])
			m->qmax[p] = w->par[p].rp_qty;
		trace(m, "limits: parent %s qty %" PRId64, w->par[p].rp_id, w->par[p].rp_qty);
		must(rules_wr_put_parent(b, &actor, &w->par[p], err), "put_parent", err);
		break;
	case 1:
		w->glob.rl_set |= RULES_BIT(RULES_LIM_ORDER_QTY);
		w->glob.rl_val[RULES_LIM_ORDER_QTY] = rnd(r, 50, 1500);
		trace(m, "limits: global order_qty %" PRId64, w->glob.rl_val[RULES_LIM_ORDER_QTY]);
		must(rules_wr_put_limits(b, &actor, RULES_SCOPE_GLOBAL, "", &w->glob, err),
		    "put_limits", err);
		break;
	default:
		w->accl[a].rl_set |= RULES_BIT(RULES_LIM_ACCOUNT_NOTIONAL);
		w->accl[a].rl_val[RULES_LIM_ACCOUNT_NOTIONAL] =
		    rnd(r, 20000, 600000) * RULES_PX_SCALE;
		trace(m, "limits: account %s notional %" PRId64, w->acct[a],
		    w->accl[a].rl_val[RULES_LIM_ACCOUNT_NOTIONAL]);
		must(rules_wr_put_limits(b, &actor, RULES_SCOPE_ACCOUNT, w->acct[a], &w->accl[a],
			 err),
		    "put_limits", err);
	}
	must(rules_wr_commit(b, err), "commit", err);
	m->stats->limit_changes++;
	m->dirty = true;
}

static void run_stream(struct model *m)
{
	int i;

	rules_engine_new_day(m->en);
	m->n = 0;
	m->ncl = 0;
	m->nlog = 0;
	m->ntrace = 0;
	memset(m->porders, 0, sizeof(m->porders));
	for (i = 0; i < NP; i++)
		m->qmax[i] = m->w->par[i].rp_qty;
	m->now = INT64_C(1000000000000);
	check_all(m);
	for (m->step = 0; m->step < STEPS; m->step++) {
		int k = (int)rnd(&m->r, 0, 999);

		m->now += rnd(&m->r, 1, 20) * MS;
		if (k < 280 && m->n < MAXO)
			m_new_order(m);
		else if (k < 360)
			m_cancel(m);
		else if (k < 460)
			m_replace(m);
		else if (k < 540)
			m_resend(m);
		else if (k == 540 && pct(&m->r, 10))
			m_limits_change(m);
		else
			m_venue(m);
		check_all(m);
		m->stats->steps++;
	}
}

/* ---- drivers ------------------------------------------------------------------------------ */
#ifndef ENGINE_MODEL_FUZZ /* tests/fuzz/fuzz_engine.c has its own */

struct fx {
	char *dir, *path;
	struct rules_store *st;
	struct rules_engine *en;
	struct world w;
	struct model m;
	struct stats stats;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct rules_engine_config cfg = {MAXCL, 16, 8, 8, 0};
	char err[RULES_ERRLEN];

	if (f == NULL)
		return -1;
	f->dir = tu_mkdtemp("engine-model");
	f->path = tu_path(f->dir, "rules.mdb");
	if (rules_store_open(&f->st, f->path, RULES_STORE_CREATE, 0, err) != 0 ||
	    rules_engine_new(&f->en, f->st, &cfg, err) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
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

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? strtoull(s, NULL, 0) : dflt;
}

/* Runs n streams. Stream i has the seed splitmix64(BASE_SEED ^ salt + i);
 * each GROUP of streams shares one limits world, drawn from its group's seed
 * (and written again before a stream if the one before changed it). With
 * RISKGW_MODEL_SEED (and RISKGW_MODEL_WORLD) set, the streams use those seeds
 * instead, consecutive from there. */
static void run(struct fx *f, uint64_t salt, int n, bool overfill)
{
	uint64_t base = env_u64("RISKGW_MODEL_SEED", 0);
	uint64_t wbase = env_u64("RISKGW_MODEL_WORLD", base);
	int streams = (int)env_u64("RISKGW_MODEL_STREAMS", (uint64_t)n), i;
	struct model *m = &f->m;
	uint64_t wseed = 0;
	bool dirty = true;

	for (i = 0; i < streams; i++) {
		uint64_t s, t;

		if (base != 0) {
			s = base + (uint64_t)i;
		} else {
			t = (BASE_SEED ^ salt) + (uint64_t)i;
			s = splitmix64(&t);
		}
		if (base != 0 && wbase != 0) {
			if (i == 0)
				wseed = wbase;
		} else if (i % GROUP == 0) {
			wseed = s ^ UINT64_C(0x776f726c64);
			dirty = true;
		}
		if (dirty) {
			struct rng wr = {wseed, NULL, 0};

			world_gen(&f->w, &wr);
			world_write(f->st, &f->w);
		}
		memset(m, 0, sizeof(*m));
		m->seed = s;
		m->wseed = wseed;
		m->r.s = s;
		m->stream = i;
		m->w = &f->w;
		m->en = f->en;
		m->st = f->st;
		m->stats = &f->stats;
		m->overfill = overfill;
		run_stream(m);
		dirty = m->dirty;
	}
}

static void print_stats(const struct stats *s)
{
	int i;

	printf("  %lu steps: %lu new, %lu replaces, %lu cancels, %lu resends (%lu of older "
	       "reports), %lu limit changes\n",
	    s->steps, s->news, s->replaces, s->cancels, s->dups, s->stale, s->limit_changes);
	printf("  verdicts: %lu accept, %lu reject, %lu trip; overfills %lu\n", s->accepts,
	    s->rejects, s->trips, s->overfills);
	printf("  reasons:");
	for (i = 0; i < RULES_R_COUNT; i++)
		if (s->reason[i] != 0)
			printf(" %s %lu", rules_reason_name(i), s->reason[i]);
	printf("\n  reports:");
	for (i = 0; i <= K_CXL_REJ; i++)
		printf(" %s %lu", kind_name((enum rkind)i), s->kind[i]);
	printf("\n");
}

static void test_random_streams(void **state)
{
	struct fx *f = *state;
	struct stats *s = &f->stats;
	static const enum rules_reason want[] = {RULES_R_OK, RULES_R_PARENT_QTY,
	    RULES_R_PARENT_NOTIONAL, RULES_R_ORDER_QTY, RULES_R_ORDER_NOTIONAL,
	    RULES_R_ACCOUNT_NOTIONAL, RULES_R_DUP_CLORDID, RULES_R_UNKNOWN_PARENT,
	    RULES_R_UNKNOWN_ORIG, RULES_R_REPLACE_PENDING, RULES_R_BAD_ORDER};
	size_t i;

	run(f, 0, STREAMS, false);
	print_stats(s);
	/* the streams reached what they are meant to exercise */
	if (getenv("RISKGW_MODEL_STREAMS") != NULL)
		return;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (s->reason[want[i]] < 20)
			fail_msg("reason %s seen %lu times only", rules_reason_name((int)want[i]),
			    s->reason[want[i]]);
	for (i = 0; i <= K_CXL_REJ; i++)
		if (s->kind[i] < 100)
			fail_msg("report kind %s seen %lu times only", kind_name((enum rkind)i),
			    s->kind[i]);
	assert_true(s->trips > 100 && s->rejects > 100 && s->accepts > 10000);
	assert_true(s->dups > 1000 && s->stale > 1000 && s->limit_changes > 20);
}

/* The venue overfills now and then: the engine counts every share the venue
 * reports and no accept takes a parent further past its limits. */
static void test_random_streams_overfill(void **state)
{
	struct fx *f = *state;

	run(f, UINT64_C(0x6f76657266696c6c), OVERFILL_STREAMS, true);
	print_stats(&f->stats);
	if (getenv("RISKGW_MODEL_STREAMS") == NULL)
		assert_true(f->stats.overfills > 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_streams_overfill, setup, teardown),
	};

	return cmocka_run_group_tests_name("engine_model", tests, NULL, NULL);
}
#endif /* ENGINE_MODEL_FUZZ */
