/*
 * engine_impl.h - what engine.c (the checks, the limits cache) and
 * engine_book.c (the order accounting, the queries) share: the engine's
 * tables and their entities, and a few helpers. Not installed.
 */
#ifndef RULES_ENGINE_IMPL_H
#define RULES_ENGINE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "fixed.h"
#include "htab.h"
#include "slab.h"

#define NSEC_PER_SEC INT64_C(1000000000)
#define NONE UINT32_MAX
#define WARN_ALL (RULES_WARN_QTY | RULES_WARN_NOTIONAL)
#define RB_SHIFT 28 /* a rate count's bucket: 2^28 ns, 268 ms (a second spans 5) */
#define RB_N 8      /* slots for them (a power of two >= 5) */
#define RQ_N 8      /* times queued before they go to the ring: a cache line */

/* ---- entities ---------------------------------------------------------------- */

/* Sums of one parent or account. An overflow pins the sums (ex_pinned): every
 * later check then sees INT64_MAX and rejects. */
struct expo {
	int64_t open_qty, filled_qty, open_notional, filled_notional;
	int64_t orders, live;
	bool pinned;
};

/*
 * Each entity is split in two arrays of the same index: a hot part with what
 * a check reads (cache-line aligned: a parent is five lines, all fetched at
 * once, see prefetch_parent()) and a cold part with its key, the strings and
 * the raw limit records, read only to match a key, to refresh the cache or
 * to word a reject. The tables' indexes key on the cold parts.
 */
struct account {
	uint64_t a_txnid;                 /* store txn the limits were read at */
	bool a_has_limits;
	struct expo a_expo;
};

struct account_cold {
	char a_id[RULES_ID_MAX + 1];      /* key: first member (htab) */
	struct rules_limits a_limits;
};

struct symbol {
	uint64_t s_txnid;
	int64_t s_refpx;
	bool s_has_limits, s_restricted, s_has_refpx;
};

struct symbol_cold {
	char s_id[RULES_ID_MAX + 1];
	struct rules_limits s_limits;
};

/* The effective limits of a check: the limit records of its parent, symbol,
 * account and global merged (merge_limits()). Each parent caches the merge
 * of its last check, for the store txn and the symbol and account it was
 * made for. */
struct eff {
	uint64_t f_txnid;                 /* UINT64_MAX: none */
	uint32_t f_symbol, f_account;     /* table indexes (f_account NONE: no account) */
	uint16_t f_set, f_trip;           /* RULES_BIT(l): limit l is set / trips */
	uint8_t f_fast;                   /* FAST_*: what fast_pass() may accept */
	int64_t f_val[RULES_LIM_COUNT];
	/* Derived with the merge (eff_derive()), for the accept path: */
	int64_t f_px_lo, f_px_hi;         /* limit prices within the collars and the
					     parent's limit price (empty: lo > hi) */
	int64_t f_pnot;                   /* the parent's max notional in force, 0 none */
	int64_t f_rate;                   /* the parent's max rate in force, 0 none */
	int64_t f_warn_n;                 /* notional warning threshold, 0 = none */
};

#define FAST_ON 1u   /* the symbol is not restricted */
#define FAST_MKT 2u  /* market orders: a reference price, no parent limit price */

/* A parent's effective limits, as a block remembers them. */
struct plim {
	int64_t l_qty, l_notional, l_rate, l_px;
};

/*
 * The parents' hot parts sit at their index slots (htab home mode: a find
 * reads the entry the hash names, with no slot in between), so each holds
 * its key; the cold parts are dense, in the order the parents came, which
 * is the order they are listed in.
 */
struct parent {
	/* the registration (or declaration): the numbers of pc->p_reg a check
	 * reads (its limit price, max notional and max rate are folded into
	 * p_eff by eff_derive()) */
	_Alignas(64) uint64_t p_txnid;
	int64_t p_qty;
	uint16_t p_trip;                  /* RULES_BIT() of the parent limits (< 16) */
	char p_side;
	bool p_registered;                /* p_reg holds a registration from the store */
	bool p_declared;                  /* declared on a child (p_declared_qty) */
	bool p_has_limits;
	uint8_t p_warn_left;              /* RULES_WARN_* still to give today
					     (none when warnings are off) */
	bool p_blocked;                   /* rules_parent_block() */
	uint32_t p_account;               /* accounts[] index of its children (its
					     registration's account); NONE before its
					     first accept and when that changed */
	/* Table indexes of the registration's symbol and account once a child
	 * matched them (NONE before): the checks compare indexes, not strings. */
	uint32_t p_sym, p_acct;
	uint32_t p_ring_head;             /* rate window: where the next time goes */
	int64_t p_warn_q;                 /* quantity warning threshold, 0 = none */
	struct expo p_expo;
	/* Rate window: the times of the last p_ring_cap accepted children
	 * before the queued ones (p_rq), a multiple of RQ_N. */
	int64_t *p_ring;
	uint32_t p_ring_cap;
	uint32_t p_ring_n;                /* times pushed (at most one per ClOrdID
					     of the day: < 2^30) */
	/* Rate counts (rate_push()): the newest bucket of 2^RB_SHIFT ns a
	 * child was counted in; p_rb and p_rb_sum are in the sixth line. */
	int64_t p_rb_at;
	struct eff p_eff;                 /* the limits of its last check */
	/* A fifth line: the newest p_ring_n % RQ_N times, oldest first, which
	 * go to the ring together, a whole line of it, when the line is full:
	 * one miss on the ring per RQ_N children. */
	int64_t p_rq[RQ_N];
	/* A sixth: its e_pcold index, the rate counts and its key (htab: base
	 * e_parents + offsetof(p_id)), whole in this line for any id of up to
	 * 39 bytes. The counts: children per bucket, bucket k in p_rb[k %
	 * RB_N], saturating at UINT16_MAX, only buckets p_rb_at - 4 to p_rb_at
	 * not 0; p_rb_sum is their sum. */
	uint32_t p_cold;
	uint32_t p_rb_sum;
	uint16_t p_rb[RB_N];
	char p_id[RULES_ID_MAX + 1];
};

_Static_assert(offsetof(struct parent, p_rq) == 256 && offsetof(struct parent, p_cold) == 320 &&
	offsetof(struct parent, p_id) == 344,
    "a parent's hot part is five cache lines, then its cold index, rate counts and key");
_Static_assert(sizeof(struct parent) == 448, "a parent's entry is seven cache lines");

struct parent_cold {
	uint32_t p_slot;                  /* its e_parents index */
	struct rules_parent p_reg;        /* registration, or the declared parent */
	struct rules_limits p_limits;     /* parent-scope limit record */
	struct plim p_blk;                /* the limits in force when blocked */
	int64_t p_declared_qty;           /* as first declared (p_declared) */
};

enum ostate { O_LIVE = 0, O_DONE = 1 };

struct order {
	uint32_t o_parent, o_account, o_symbol;
	uint32_t o_pend_clid;             /* clid of the pending replace, or NONE */
	uint8_t o_state;
	char o_side, o_ordtype;
	uint8_t o_cxl_pend;               /* a cancel was sent and not rejected */
	int64_t o_qty, o_px;              /* px: limit price, or reference price for market */
	int64_t o_cum;                    /* filled, by the venue's CumQty */
	int64_t o_vleaves;                /* LeavesQty the venue last reported */
	int64_t o_pend_qty, o_pend_px;    /* the pending replace */
	int64_t o_cnt_qty, o_cnt_notional; /* open exposure counted in the sums */
	uint32_t o_clid;                  /* its current (last confirmed) ClOrdID */
	uint32_t o_tag;                   /* the caller's ro_tag */
};

/* What a ClOrdID named when it was taken. */
enum clkind { CL_NEW = 0, CL_REPLACE = 1, CL_CANCEL = 2 };

struct clid {
	char c_id[RULES_ID_MAX + 1];
	uint8_t c_kind;                   /* enum clkind */
	uint32_t c_order;
};

struct rules_engine {
	struct rules_store *e_store;
	uint64_t e_txnid;                 /* newest store txn id seen */
	bool e_snap;                      /* a read snapshot is open in this call */
	int e_store_err;                  /* first store error in this call */

	uint64_t e_g_txnid;
	bool e_g_has;
	struct rules_limits e_global;

	struct order *e_orders;
	size_t e_norders, e_max_orders;
	struct clid *e_clids;
	struct htab e_clid_ix;
	struct parent *e_parents;         /* e_parent_ix's slots (home mode) */
	struct parent_cold *e_pcold;      /* ht_count of them, dense */
	struct htab e_parent_ix;          /* on e_parents' p_id */
	struct account *e_accounts;
	struct account_cold *e_acold;
	struct htab e_account_ix;
	struct symbol *e_symbols;         /* both: e_symbol_ix's slots (home mode) */
	struct symbol_cold *e_scold;
	struct htab e_symbol_ix;
	unsigned e_warn_pct;              /* ec_warn_pct */
	/* accept_fast(): the accepts it booked; e_fast_off (tests) sends every
	 * check the general way */
	uint64_t e_fast_n;
	bool e_fast_off;
	struct slab e_rings;              /* the parents' p_ring */
};

/* ---- small helpers ------------------------------------------------------------ */

static inline int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (rules_add_ovf(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* x += d, pinning the sums on overflow. */
static inline void expo_bump(struct expo *x, int64_t *field, int64_t d)
{
	if (rules_add_ovf(*field, d, field) || *field == INT64_MAX)
		x->pinned = true;
}

/* open + filled + d, as a check sees it. */
static inline int64_t expo_total(const struct expo *x, int64_t open, int64_t filled, int64_t d)
{
	if (x->pinned)
		return INT64_MAX;
	return sat_add(sat_add(open, filled), d);
}

/* Whether the sum s (expo_total()) breaches limit: it is past it, or it is
 * INT64_MAX, where a sum that overflowed is held and a pinned one reads: such
 * a sum is past every limit, INT64_MAX's too (a sum that reaches INT64_MAX
 * exactly is pinned as well: expo_bump()). */
static inline bool expo_over(int64_t s, int64_t limit)
{
	return s > limit || s == INT64_MAX;
}

/* a*b, pinned at INT64_MAX on overflow (both are >= 0 here). */
static inline int64_t sat_mul(int64_t a, int64_t b)
{
	int64_t r;

	if (rules_mul_ovf(a, b, &r))
		return INT64_MAX;
	return r;
}

static inline int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static inline bool is_buy(char side)
{
	return side == '1';
}

static inline bool id_ok(const char *s)
{
	return s != NULL && rules_id_valid(s);
}

/* Table index of the entity with key k, or NONE. */
static inline uint32_t find_parent(const struct rules_engine *e, const struct htab_key *k)
{
	return htab_find_home(&e->e_parent_ix, k);
}

/* The cold part of the parent at e_parents[pi]. */
static inline struct parent_cold *pcold_of(const struct rules_engine *e, uint32_t pi)
{
	return &e->e_pcold[e->e_parents[pi].p_cold];
}

static inline uint32_t find_account(const struct rules_engine *e, const struct htab_key *k)
{
	return htab_find(&e->e_account_ix, k);
}

static inline uint32_t find_symbol(const struct rules_engine *e, const struct htab_key *k)
{
	return htab_find_home(&e->e_symbol_ix, k);
}

/* engine.c: rules_id_valid() and the table key of s (htab_key_set()) in one
 * pass; false if s is not a valid id. */
bool eng_key_of(struct htab_key *k, const char *s);

/* engine.c: whether parent pi is still blocked (its limits as when it was
 * blocked; a change releases it). Reads the store. */
bool eng_parent_blocked(struct rules_engine *e, uint32_t pi);

/* engine_book.c */
uint32_t eng_find_clid(const struct rules_engine *e, const char *id);

static inline void expo_add(struct expo *x, int64_t dq, int64_t dn)
{
	expo_bump(x, &x->open_qty, dq);
	expo_bump(x, &x->open_notional, dn);
}

/* Recomputes what the order counts as open and moves the difference into
 * its parent's and account's sums. */
static inline void eng_recount(struct rules_engine *e, struct order *o)
{
	int64_t q = 0, n = 0, dq, dn;

	if (o->o_state == O_LIVE) {
		int64_t old_q = max64(max64(o->o_qty - o->o_cum, o->o_vleaves), 0);
		int64_t old_n = sat_mul(old_q, o->o_px);

		q = old_q;
		n = old_n;
		if (o->o_pend_clid != NONE) {
			int64_t new_q = max64(o->o_pend_qty - o->o_cum, 0);

			q = max64(q, new_q);
			n = max64(n, sat_mul(new_q, o->o_pend_px));
		}
	}
	/* Both sides are in [0, INT64_MAX]: the differences cannot overflow. */
	dq = q - o->o_cnt_qty;
	dn = n - o->o_cnt_notional;
	if (n == INT64_MAX) {
		e->e_parents[o->o_parent].p_expo.pinned = true;
		if (o->o_account != NONE)
			e->e_accounts[o->o_account].a_expo.pinned = true;
	}
	if (dq == 0 && dn == 0)
		return;
	expo_add(&e->e_parents[o->o_parent].p_expo, dq, dn);
	if (o->o_account != NONE)
		expo_add(&e->e_accounts[o->o_account].a_expo, dq, dn);
	o->o_cnt_qty = q;
	o->o_cnt_notional = n;
}

/* Takes the ClOrdID k for order (kind: what it named); its index, or HTAB_NONE
 * when the table is full. slot: the empty index slot htab_find_slot() gave
 * for k, or UINT32_MAX to probe for one. The id is written a word at a time,
 * zero padded (as htab.h wants the keys). */
static inline uint32_t eng_add_clid_at(struct rules_engine *e, const struct htab_key *k,
    uint32_t slot, uint32_t order, enum clkind kind)
{
	uint32_t i = slot != UINT32_MAX ? htab_add_at(&e->e_clid_ix, slot, k->k_h)
					: htab_add(&e->e_clid_ix, k->k_h);
	char *id;
	size_t j;

	if (i == HTAB_NONE)
		return i;
	id = e->e_clids[i].c_id;
	for (j = 0; j + 8 <= k->k_len; j += 8)
		memcpy(id + j, k->k_s + j, 8);
	if (j < k->k_len)
		memcpy(id + j, &k->k_tail, 8);
	else
		id[j] = '\0';
	e->e_clids[i].c_order = order;
	e->e_clids[i].c_kind = (uint8_t)kind;
	return i;
}

static inline uint32_t eng_add_clid_k(struct rules_engine *e, const struct htab_key *k,
    uint32_t order, enum clkind kind)
{
	return eng_add_clid_at(e, k, UINT32_MAX, order, kind);
}

static inline void set_live(struct rules_engine *e, struct order *o, uint8_t state)
{
	int64_t d;

	if (o->o_state == state)
		return;
	d = state == O_LIVE ? 1 : -1;
	o->o_state = state;
	e->e_parents[o->o_parent].p_expo.live += d;
	if (o->o_account != NONE)
		e->e_accounts[o->o_account].a_expo.live += d;
}

#endif
