/*
 * engine.c - the pre-trade checks and the limits cache (see engine.h); the
 * order accounting is in engine_book.c, the tables in engine_impl.h.
 *
 * State of the day, all in arrays allocated by rules_engine_new():
 *
 *   orders   one per child order, whatever ClOrdIDs it has had
 *   clids    ClOrdID -> order (orders, replaces and cancels all take one)
 *   parents  exposure, rate window and cached limits of each parent
 *   accounts gross notional and cached limits of each account
 *   symbols  reference price, restriction and cached limits of each symbol
 *
 * Cached store records carry the store transaction id they were read at
 * (p_txnid, s_txnid, a_txnid). Every call first reads the store's last
 * committed txn id (a read of LMDB's meta page); an entity whose records are
 * from an older transaction is read again, and all the records one check
 * uses come from one read snapshot (see snap() and resolve()). Each parent
 * also caches the limits merged for its last check (struct eff).
 *
 * The hot path, for a day-sized book: ids are checked and hashed once
 * (eng_key_of()), the lines a check needs are prefetched together
 * (prefetch_check()), and each entity's hot part (engine_impl.h) holds what
 * a check reads; the cold part, its key and strings.
 *
 * Exposure of an order: its open quantity is the largest of what we sent
 * less what was filled, what the venue last said was open, and - while a
 * replace is pending - the replacement's open quantity; open notional is
 * priced the same way. It drops only on a terminal report or a confirmed
 * replace. Filled quantity follows the venue's CumQty and only grows.
 * Sums that would overflow are pinned at INT64_MAX, which rejects every later
 * order of that parent or account: fail closed.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "bigmem.h"
#include "engine_impl.h"

static const char *const reason_names[RULES_R_COUNT] = {
	[RULES_R_OK] = "ok",
	[RULES_R_NO_PARENT] = "no_parent",
	[RULES_R_UNKNOWN_PARENT] = "unknown_parent",
	[RULES_R_PARENT_MISMATCH] = "parent_mismatch",
	[RULES_R_DECLARED_QTY_CHANGED] = "declared_qty_changed",
	[RULES_R_DECLARED_QTY_CAP] = "declared_qty_cap",
	[RULES_R_PARENT_QTY] = "parent_qty",
	[RULES_R_PARENT_NOTIONAL] = "parent_notional",
	[RULES_R_PARENT_RATE] = "parent_rate",
	[RULES_R_PARENT_PRICE] = "parent_price",
	[RULES_R_ORDER_QTY] = "order_qty",
	[RULES_R_ORDER_NOTIONAL] = "order_notional",
	[RULES_R_COLLAR_BPS] = "collar_bps",
	[RULES_R_COLLAR_ABS] = "collar_abs",
	[RULES_R_RESTRICTED] = "restricted",
	[RULES_R_DUP_CLORDID] = "dup_clordid",
	[RULES_R_ACCOUNT_NOTIONAL] = "account_notional",
	[RULES_R_NO_REF_PRICE] = "no_ref_price",
	[RULES_R_BAD_ORDER] = "bad_order",
	[RULES_R_OVERFLOW] = "overflow",
	[RULES_R_CAPACITY] = "capacity",
	[RULES_R_UNKNOWN_ORIG] = "unknown_orig",
	[RULES_R_REPLACE_PENDING] = "replace_pending",
	[RULES_R_LIMITS_UNAVAILABLE] = "limits_unavailable",
	[RULES_R_PARENT_BLOCKED] = "parent_blocked",
};

const char *rules_reason_name(int reason)
{
	if (reason < 0 || reason >= RULES_R_COUNT)
		return "unknown";
	return reason_names[reason];
}

/* ---- ids ------------------------------------------------------------------------ */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Bytes of w outside 0x21..0x7e, as their high bits (0 if all are ids'). A
 * byte's arithmetic never carries into its neighbour: the high bit is set
 * before the subtraction and cleared before the addition. */
static inline uint64_t id_bad_bytes(uint64_t w)
{
	uint64_t ge21 = (w | HIGHS) - 0x21 * ONES; /* bit 7: (b & 0x7f) >= 0x21 */
	uint64_t ge7f = (w & ~HIGHS) + ONES;       /* bit 7: (b & 0x7f) >= 0x7f */

	return (w | ~ge21 | ge7f) & HIGHS;
}

/* The 8 bytes at s + i. Near the end of a page (which may be the last one
 * mapped: the string can end before it), only the bytes up to s's NUL, zero
 * padded. */
__attribute__((no_sanitize_address, always_inline)) static inline uint64_t id_word(const char *s, size_t i,
    bool near_end)
{
	uint64_t w = 0;
	size_t j;

	if (!near_end || ((uintptr_t)(s + i) & 4095) <= 4096 - 8) {
		memcpy(&w, s + i, 8);
		return w;
	}
	for (j = 0; j < 8 && s[i + j] != '\0'; j++)
		w |= (uint64_t)(unsigned char)s[i + j] << (8 * j);
	return w;
}

/* eng_key_of() word by word: for s near a page end (near_end), or without
 * SSE2. */
__attribute__((no_sanitize_address, noinline)) static bool key_scan(struct htab_key *k, const char *s,
    bool near_end)
{
	uint64_t h = htab_hash_start(), bad = 0, w, nul;
	size_t i, r;

	for (i = 0;; i += 8) {
		w = id_word(s, i, near_end);
		nul = (w - ONES) & ~w & HIGHS; /* exact for the lowest zero byte */
		if (nul != 0)
			break;
		if (i + 8 > RULES_ID_MAX) /* 65 bytes or more */
			return false;
		bad |= id_bad_bytes(w);
		h = htab_hash_word(h, w);
	}
	r = (size_t)__builtin_ctzll(nul) / 8; /* bytes before the NUL */
	k->k_tail = 0;
	if (r != 0) {
		uint64_t keep = ~UINT64_C(0) >> (64 - 8 * r);

		w &= keep;
		bad |= id_bad_bytes(w | ((0x21 * ONES) & ~keep));
		h = htab_hash_tail(h, w);
		k->k_tail = w;
	}
	if (bad != 0 || i + r == 0 || i + r > RULES_ID_MAX)
		return false;
	k->k_s = s;
	k->k_len = i + r;
	k->k_h = htab_hash_end(h, i + r);
	return true;
}

#if defined(__SSE2__) && defined(__x86_64__)
/* Of the 16 bytes v, as bit masks: the NULs, and the bytes an id may hold
 * (0x21..0x7e; as signed bytes 0x80..0xff are negative, never > 0x20). */
static inline unsigned id16_nul(__m128i v)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()));
}

static inline unsigned id16_ok(__m128i v)
{
	return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)),
	    _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f))));
}

/*
 * The length of the id at s, 16 bytes at a time, or SIZE_MAX if it is not a
 * valid id. Reads 80 bytes from s whatever the id's length: the caller has
 * checked that they are on s's page.
 */
__attribute__((no_sanitize_address)) static inline size_t id_len_sse2(const char *s)
{
	size_t i;

	for (i = 0; i <= RULES_ID_MAX; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned nul = id16_nul(v), ok = id16_ok(v);

		if (nul != 0) {
			unsigned n = (unsigned)__builtin_ctz(nul), want = (1u << n) - 1;

			return (ok & want) == want && i + n <= RULES_ID_MAX ? i + n : SIZE_MAX;
		}
		if (ok != 0xffff)
			return SIZE_MAX;
	}
	return SIZE_MAX; /* 80 bytes without a NUL */
}
#endif

/*
 * rules_id_valid() and htab_hash_n() in one pass over s, 8 bytes at a time:
 * the checks' hot path reads each id once. False if s is not a valid id.
 * A word may extend past the NUL, never past s's page (id_word()): those
 * bytes are masked off, but they are outside the string, so AddressSanitizer
 * is told not to look here. Far from a page's end, the id is measured and
 * checked 16 bytes at a time (SSE2) and then hashed.
 */
__attribute__((no_sanitize_address, always_inline)) static inline bool key_of(struct htab_key *k,
    const char *s, bool hash)
{
	if (s == NULL)
		return false;
#if defined(__SSE2__) && defined(__x86_64__)
	if (((uintptr_t)s & 4095) <= 4096 - 80) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
		unsigned nul = id16_nul(v);
		size_t n, i;
		uint64_t h = htab_hash_start(), w;

		if (nul != 0) {
			/* Most ids: up to 15 bytes, one load, no loop. */
			unsigned len = (unsigned)__builtin_ctz(nul), want = (1u << len) - 1, r;
			unsigned ok = id16_ok(v);
			uint64_t t = (uint64_t)_mm_cvtsi128_si64(v);

			if (len == 0 || (ok & want) != want)
				return false;
			r = len;
			if (len >= 8) {
				h = htab_hash_word(h, t);
				t = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
				r = len - 8;
			}
			t &= (UINT64_C(1) << (8 * r)) - 1; /* r < 8; 0: no tail */
			if (r != 0)
				h = htab_hash_tail(h, t);
			k->k_s = s;
			k->k_len = len;
			k->k_tail = t;
			k->k_h = hash ? htab_hash_end(h, len) : 0;
			return true;
		}
		n = id_len_sse2(s);
		if (n == 0 || n == SIZE_MAX)
			return false;
		if (!hash) {
			i = n & ~(size_t)7;
			k->k_tail = 0;
			if (i < n) {
				memcpy(&w, s + i, 8);
				k->k_tail = w & (~UINT64_C(0) >> (64 - 8 * (n - i)));
			}
			k->k_s = s;
			k->k_len = n;
			k->k_h = 0;
			return true;
		}
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&w, s + i, 8);
			h = htab_hash_word(h, w);
		}
		k->k_tail = 0;
		if (i < n) { /* the tail, zero padded: the bytes after it are readable */
			memcpy(&w, s + i, 8);
			k->k_tail = w & (~UINT64_C(0) >> (64 - 8 * (n - i)));
			h = htab_hash_tail(h, k->k_tail);
		}
		k->k_s = s;
		k->k_len = n;
		k->k_h = htab_hash_end(h, n);
		return true;
	}
#endif
	return key_scan(k, s, true);
}

__attribute__((no_sanitize_address)) bool eng_key_of(struct htab_key *k, const char *s)
{
	return key_of(k, s, true);
}

/* eng_key_of() without the hash (k_h 0): for a key that is most often only
 * compared with a stored one; htab_hash_n() gives the hash when needed. */
__attribute__((no_sanitize_address)) static bool key_nohash(struct htab_key *k, const char *s)
{
	return key_of(k, s, false);
}

/* ---- lifetime ------------------------------------------------------------------ */

int rules_engine_new(struct rules_engine **out, struct rules_store *store,
    const struct rules_engine_config *cfg, char err[RULES_ERRLEN])
{
	struct rules_engine *e;
	int rc;

	*out = NULL;
	if (store == NULL || cfg == NULL || cfg->ec_max_orders == 0 || cfg->ec_max_parents == 0 ||
	    cfg->ec_max_accounts == 0 || cfg->ec_max_symbols == 0 ||
	    cfg->ec_max_orders > (UINT32_C(1) << 30) || cfg->ec_max_parents > (UINT32_C(1) << 30) ||
	    cfg->ec_max_accounts > (UINT32_C(1) << 30) || cfg->ec_max_symbols > (UINT32_C(1) << 30)) {
		snprintf(err, RULES_ERRLEN, "engine capacities must be between 1 and 2^30");
		return RULES_EINVAL;
	}
	if (cfg->ec_warn_pct > 100) {
		snprintf(err, RULES_ERRLEN, "warning threshold must be 0 (off) to 100 percent");
		return RULES_EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto nomem;
	e->e_store = store;
	slab_init(&e->e_rings);
	e->e_max_orders = cfg->ec_max_orders;
	e->e_warn_pct = cfg->ec_warn_pct;
	e->e_orders = bigmem_calloc(cfg->ec_max_orders, sizeof(*e->e_orders));
	e->e_clids = bigmem_calloc(cfg->ec_max_orders, sizeof(*e->e_clids));
	e->e_parents = bigmem_calloc(htab_slots_for(cfg->ec_max_parents), sizeof(*e->e_parents));
	e->e_pcold = bigmem_calloc(cfg->ec_max_parents, sizeof(*e->e_pcold));
	e->e_accounts = bigmem_calloc(cfg->ec_max_accounts, sizeof(*e->e_accounts));
	e->e_acold = bigmem_calloc(cfg->ec_max_accounts, sizeof(*e->e_acold));
	e->e_symbols = bigmem_calloc(htab_slots_for(cfg->ec_max_symbols), sizeof(*e->e_symbols));
	e->e_scold = bigmem_calloc(htab_slots_for(cfg->ec_max_symbols), sizeof(*e->e_scold));
	if (e->e_orders == NULL || e->e_clids == NULL || e->e_parents == NULL ||
	    e->e_pcold == NULL || e->e_accounts == NULL || e->e_acold == NULL ||
	    e->e_symbols == NULL || e->e_scold == NULL)
		goto nomem;
	if ((rc = htab_init(&e->e_clid_ix, cfg->ec_max_orders, e->e_clids, sizeof(*e->e_clids),
		 RULES_ID_MAX + 1)) ||
	    (rc = htab_init_home(&e->e_parent_ix, cfg->ec_max_parents,
		 (const char *)e->e_parents + offsetof(struct parent, p_id),
		 sizeof(*e->e_parents), RULES_ID_MAX + 1)) ||
	    (rc = htab_init(&e->e_account_ix, cfg->ec_max_accounts, e->e_acold,
		 sizeof(*e->e_acold), RULES_ID_MAX + 1)) ||
	    (rc = htab_init_home(&e->e_symbol_ix, cfg->ec_max_symbols, e->e_scold,
		 sizeof(*e->e_scold), RULES_ID_MAX + 1)))
		goto nomem;
	*out = e;
	return 0;
nomem:
	snprintf(err, RULES_ERRLEN, "engine tables: %s", strerror(ENOMEM));
	rules_engine_free(e);
	return -ENOMEM;
}

void rules_engine_free(struct rules_engine *e)
{
	if (e == NULL)
		return;
	slab_destroy(&e->e_rings);
	htab_free(&e->e_clid_ix);
	htab_free(&e->e_parent_ix);
	htab_free(&e->e_account_ix);
	htab_free(&e->e_symbol_ix);
	bigmem_free(e->e_orders);
	bigmem_free(e->e_clids);
	bigmem_free(e->e_parents);
	bigmem_free(e->e_pcold);
	bigmem_free(e->e_accounts);
	bigmem_free(e->e_acold);
	bigmem_free(e->e_symbols);
	bigmem_free(e->e_scold);
	free(e);
}

void rules_engine_new_day(struct rules_engine *e)
{
	slab_reset(&e->e_rings); /* the parents that held the rings go too */
	htab_clear(&e->e_clid_ix);
	htab_clear(&e->e_parent_ix);
	htab_clear(&e->e_account_ix);
	htab_clear(&e->e_symbol_ix);
	e->e_norders = 0;
}

/* ---- the limits cache ------------------------------------------------------------ */

/*
 * Makes sure a read snapshot at e_txnid is open for this call. Returns 0, or
 * 1 when the snapshot is newer than e_txnid (a commit landed since the call
 * began): e_txnid then moves to it and the caller must restart resolution so
 * that every record comes from this one snapshot. -1 on a store error.
 */
static int snap(struct rules_engine *e)
{
	uint64_t t;
	int rc;

	if (e->e_snap)
		return 0;
	rc = rules_store_rd_begin(e->e_store, &t);
	if (rc != 0) {
		e->e_store_err = rc;
		return -1;
	}
	e->e_snap = true;
	if (t != e->e_txnid) {
		e->e_txnid = t;
		return 1;
	}
	return 0;
}

static void snap_end(struct rules_engine *e)
{
	if (e->e_snap) {
		rules_store_rd_end(e->e_store);
		e->e_snap = false;
	}
}

/* Reads an optional record: true if found, false if absent; store errors are
 * remembered in e_store_err (the check then fails closed). */
static bool got(struct rules_engine *e, int rc)
{
	if (rc == 0)
		return true;
	if (rc != RULES_ENOTFOUND && e->e_store_err == 0)
		e->e_store_err = rc;
	return false;
}

/* Each load_* returns 0 if the entity is current, 1 if resolution must
 * restart (snapshot moved), -1 on store error. */
static int load_global(struct rules_engine *e)
{
	int rc;

	if (e->e_g_txnid == e->e_txnid)
		return 0;
	if ((rc = snap(e)) != 0)
		return rc;
	e->e_g_has = got(e, rules_store_get_limits(e->e_store, RULES_SCOPE_GLOBAL, "", &e->e_global));
	e->e_g_txnid = e->e_txnid;
	return e->e_store_err ? -1 : 0;
}

static int load_account(struct rules_engine *e, struct account *a, struct account_cold *ac)
{
	int rc;

	if (a->a_txnid == e->e_txnid)
		return 0;
	if ((rc = snap(e)) != 0)
		return rc;
	a->a_has_limits = got(e,
	    rules_store_get_limits(e->e_store, RULES_SCOPE_ACCOUNT, ac->a_id, &ac->a_limits));
	a->a_txnid = e->e_txnid;
	return e->e_store_err ? -1 : 0;
}

static int load_symbol(struct rules_engine *e, struct symbol *s, struct symbol_cold *sc)
{
	int rc;

	if (s->s_txnid == e->e_txnid)
		return 0;
	if ((rc = snap(e)) != 0)
		return rc;
	s->s_has_limits = got(e,
	    rules_store_get_limits(e->e_store, RULES_SCOPE_SYMBOL, sc->s_id, &sc->s_limits));
	s->s_has_refpx = got(e, rules_store_get_refpx(e->e_store, sc->s_id, &s->s_refpx));
	s->s_restricted = got(e, rules_store_get_restricted(e->e_store, sc->s_id, NULL));
	s->s_txnid = e->e_txnid;
	return e->e_store_err ? -1 : 0;
}

/* ---- warning thresholds -------------------------------------------------------- */

/* pct percent of limit, rounded up: the least x with x * 100 >= limit * pct.
 * 0 (no threshold) for no limit or no pct. Never overflows: with limit =
 * 100a + b, a * pct <= limit, and b * pct < 10^4. */
static int64_t pct_of(int64_t limit, unsigned pct)
{
	int64_t a = limit / 100, b = limit % 100;

	if (limit <= 0 || pct == 0)
		return 0;
	return a * (int64_t)pct + (b * (int64_t)pct + 99) / 100;
}

/* The parent's max notional in force (0 = none): its registration's, else
 * the parent_notional limit of the scopes (f). */
static int64_t parent_notional(const struct parent *p, const struct parent_cold *pc,
    const struct eff *f, bool *trip)
{
	if (pc->p_reg.rp_max_notional > 0) {
		*trip = (p->p_trip & RULES_BIT(RULES_LIM_PARENT_NOTIONAL)) != 0;
		return pc->p_reg.rp_max_notional;
	}
	if ((f->f_set & RULES_BIT(RULES_LIM_PARENT_NOTIONAL)) == 0)
		return 0;
	*trip = (f->f_trip & RULES_BIT(RULES_LIM_PARENT_NOTIONAL)) != 0;
	return f->f_val[RULES_LIM_PARENT_NOTIONAL];
}

/*
 * What the accept path (fast_pass()) needs of the merged limits f of parent
 * p and symbol s, derived once per merge: the parent's notional and rate
 * limits in force, the band of limit prices that pass both collars and the
 * parent's limit price, and the notional warning threshold. The collars:
 * dev = |px - ref| passes collar_abs iff dev <= abs, and collar_bps iff
 * dev * 10000 <= ref * bps (without overflow), that is dev <= floor(ref *
 * bps / 10000); so px passes both iff ref - d <= px <= ref + d for d the
 * smaller. Whatever the band cannot say exactly (no reference price, a
 * product that overflows, a negative limit) empties it: limit_checks() then
 * decides.
 */
static void eff_derive(const struct rules_engine *e, const struct parent *p,
    const struct parent_cold *pc, const struct symbol *s, struct eff *f)
{
	const struct rules_parent *r = &pc->p_reg;
	int64_t lo = INT64_MIN, hi = INT64_MAX, ref = s->s_refpx, d = INT64_MAX, rb;
	bool t, has_abs = (f->f_set & RULES_BIT(RULES_LIM_COLLAR_ABS)) != 0,
		has_bps = (f->f_set & RULES_BIT(RULES_LIM_COLLAR_BPS)) != 0;

	f->f_pnot = parent_notional(p, pc, f, &t);
	f->f_rate = r->rp_max_rate > 0 ? r->rp_max_rate
	    : (f->f_set & RULES_BIT(RULES_LIM_PARENT_RATE)) != 0 ? f->f_val[RULES_LIM_PARENT_RATE]
								  : 0;
	f->f_warn_n = e->e_warn_pct != 0 ? pct_of(f->f_pnot, e->e_warn_pct) : 0;
	f->f_fast = (uint8_t)(s->s_restricted ? 0 : FAST_ON);
	if (f->f_fast != 0 && s->s_has_refpx && r->rp_limit_px <= 0)
		f->f_fast |= FAST_MKT;
	if (has_abs || has_bps) {
		if (has_abs)
			d = f->f_val[RULES_LIM_COLLAR_ABS];
		if (has_bps) {
			if (rules_mul_ovf(ref, f->f_val[RULES_LIM_COLLAR_BPS], &rb) || rb < 0)
				d = -1;
			else if (rb / 10000 < d)
				d = rb / 10000;
		}
		if (!s->s_has_refpx || ref < 0 || d < 0) {
			lo = 1;
			hi = 0;
		} else {
			lo = ref - d;
			hi = sat_add(ref, d);
		}
	}
	if (r->rp_limit_px > 0) {
		if (is_buy(p->p_side))
			hi = hi < r->rp_limit_px ? hi : r->rp_limit_px;
		else
			lo = lo > r->rp_limit_px ? lo : r->rp_limit_px;
	}
	f->f_px_lo = lo;
	f->f_px_hi = hi;
}

/*
 * After an accept (or a restore), for a parent with warnings left to give:
 * those whose threshold its open + filled sums reach now. Takes them off
 * p_warn_left and returns them (rd_warn). Unless pinned, the sums and the
 * thresholds are in [0, INT64_MAX], so threshold - filled cannot overflow;
 * pinned sums count as INT64_MAX, past any threshold.
 */
static inline unsigned warn_reached(struct parent *p, const struct eff *f)
{
	const struct expo *x = &p->p_expo;
	unsigned w = 0;

	if (p->p_warn_q > 0 && (x->pinned || x->open_qty >= p->p_warn_q - x->filled_qty))
		w |= RULES_WARN_QTY;
	if (f->f_warn_n > 0 && (x->pinned || x->open_notional >= f->f_warn_n - x->filled_notional))
		w |= RULES_WARN_NOTIONAL;
	w &= p->p_warn_left;
	p->p_warn_left &= (uint8_t)~w;
	return w;
}

/* Makes r the parent's registration (or declaration): kept whole in the
 * cold part, its numbers copied to the hot part. */
static void set_reg(const struct rules_engine *e, struct parent *p, struct parent_cold *pc,
    const struct rules_parent *r)
{
	if (r != &pc->p_reg)
		pc->p_reg = *r;
	p->p_qty = r->rp_qty;
	p->p_warn_q = pct_of(r->rp_qty, e->e_warn_pct);
	p->p_trip = (uint16_t)r->rp_trip;
	p->p_side = r->rp_side;
}

/* A registration, when there is one, wins over a declaration. */
static int load_parent(struct rules_engine *e, struct parent *p, struct parent_cold *pc)
{
	int rc;

	if (p->p_txnid == e->e_txnid)
		return 0;
	if ((rc = snap(e)) != 0)
		return rc;
	{
		struct rules_parent reg;

		/* A declared parent keeps its declaration while unregistered. */
		p->p_registered = got(e, rules_store_get_parent(e->e_store, p->p_id, &reg));
		if (p->p_registered) {
			if (strcmp(reg.rp_symbol, pc->p_reg.rp_symbol) != 0)
				p->p_sym = NONE;
			/* registered again under another account: the next
			 * children are that account's (those booked stay the
			 * old one's: o_account) */
			if (strcmp(reg.rp_account, pc->p_reg.rp_account) != 0)
				p->p_acct = p->p_account = NONE;
			set_reg(e, p, pc, &reg);
		}
	}
	p->p_has_limits = got(e,
	    rules_store_get_limits(e->e_store, RULES_SCOPE_PARENT, p->p_id, &pc->p_limits));
	p->p_txnid = e->e_txnid;
	return e->e_store_err ? -1 : 0;
}

/* ---- resolution of one check ----------------------------------------------------- */

/* What a check works on. New entities (not yet in a table) live in the
 * tmp_* members until the order is accepted. */
struct ctx {
	struct parent *p;
	struct parent_cold *pc;
	struct account *a;
	struct account_cold *ac;
	struct symbol *s;
	struct symbol_cold *sc;
	uint32_t pi, ai, si;        /* table index, or NONE for a new entity */
	struct htab_key kc, ks, kp, ka;  /* ClOrdID, symbol, parent, Account of the order */
	bool has_ka;                /* the order carries an Account (ka) */
	uint32_t kc_slot;           /* empty clid index slot for kc (htab_find_slot()) */
	uint8_t kp_state;           /* KP_*: the parent id of a new order (kp) */
	struct eff *lim;            /* the effective limits (merge_limits()) */
	struct eff tmp_eff;         /* they, when they cannot be cached */
	bool force;                 /* rules_restore(): book without checking */
	struct parent tmp_p;
	struct parent_cold tmp_pc;
	struct account tmp_a;
	struct account_cold tmp_ac;
	struct symbol tmp_s;
	struct symbol_cold tmp_sc;
};

/* Merges the limit records of the check's scopes, most specific first:
 * parent, symbol, account, global. The first scope that sets a limit gives
 * both its value and its action. Called once resolve() has the records (all
 * read at e_txnid): when the parent's last merge was for these records, it
 * is still right. */
static void merge_limits(const struct rules_engine *e, struct ctx *c)
{
	const struct rules_limits *recs[4];
	uint32_t want = (UINT32_C(1) << RULES_LIM_COUNT) - 1, take;
	size_t n = 0, i;
	struct eff *f = &c->p->p_eff;

	/* Only entities in the tables have a stable index to key the merge. */
	if (c->pi == NONE || c->si == NONE || (c->a != NULL && c->ai == NONE) ||
	    e->e_g_txnid != e->e_txnid)
		f = &c->tmp_eff;
	else if (f->f_txnid == e->e_txnid && f->f_symbol == c->si && f->f_account == c->ai) {
		c->lim = f;
		return;
	}

	if (c->p->p_has_limits)
		recs[n++] = &c->pc->p_limits;
	if (c->s->s_has_limits)
		recs[n++] = &c->sc->s_limits;
	if (c->a != NULL && c->a->a_has_limits)
		recs[n++] = &c->ac->a_limits;
	if (e->e_g_has)
		recs[n++] = &e->e_global;
	f->f_set = f->f_trip = 0;
	for (i = 0; i < n && want != 0; i++) {
		take = recs[i]->rl_set & want;
		f->f_set = (uint16_t)(f->f_set | take);
		f->f_trip = (uint16_t)(f->f_trip | (recs[i]->rl_trip & take));
		want &= ~take;
		while (take != 0) {
			unsigned l = (unsigned)__builtin_ctz(take);

			f->f_val[l] = recs[i]->rl_val[l];
			take &= take - 1;
		}
	}
	f->f_txnid = e->e_txnid;
	f->f_symbol = c->si;
	f->f_account = c->ai;
	eff_derive(e, c->p, c->pc, c->s, f);
	c->lim = f;
}

/* Effective limit l for this check (merge_limits()). */
static bool eff(const struct rules_engine *e, const struct ctx *c, enum rules_limit l,
    int64_t *val, bool *trip)
{
	(void)e;
	if ((c->lim->f_set & RULES_BIT(l)) == 0)
		return false;
	*val = c->lim->f_val[l];
	*trip = (c->lim->f_trip & RULES_BIT(l)) != 0;
	return true;
}

enum { KP_NONE = 0, KP_BAD, KP_OK };

/*
 * Memory-level parallelism: a check on a day-sized book misses the cache on
 * the ClOrdID index (a 32 MiB table at random), the parent's and the
 * symbol's entries and the next order and ClOrdID entries. Each is asked
 * for as soon as its key is known (fields_ok(): the parent's entry, the
 * ClOrdID's index byte and slot, the symbol's entry; check_new(): the next
 * entries), long before the check needs it, so that they arrive in about
 * the time of one miss instead of one after the other. The parents and the
 * symbols sit at their home slots (htab.h), so their addresses follow from
 * the hash alone. Prefetches never fault and change nothing.
 */
static void prefetch_parent(const struct rules_engine *e, const struct ctx *c)
{
	const char *p = (const char *)&e->e_parents[htab_home(&e->e_parent_ix, c->kp.k_h)];
	size_t off;

	/* the entry at the key's home slot, where most parents are: its five
	 * hot lines and its key's */
	__builtin_prefetch(htab_fp_at(&e->e_parent_ix, c->kp.k_h));
	for (off = 0; off <= offsetof(struct parent, p_id); off += 64)
		__builtin_prefetch(p + off);
}

static void prefetch_check(const struct rules_engine *e)
{
	if (e->e_norders < e->e_max_orders) {
		__builtin_prefetch(&e->e_orders[e->e_norders], 1);
		__builtin_prefetch(&e->e_clids[e->e_clid_ix.ht_count], 1);
	}
}

/* Where rate_push() writes if this child fills p's queue: a line of the
 * ring, a miss, which needs the parent's line to be asked for. */
static inline void prefetch_ring_line(const struct parent *p)
{
	if (p->p_ring_cap != 0 && p->p_ring_n % RQ_N == RQ_N - 1)
		__builtin_prefetch(&p->p_ring[p->p_ring_head], 1);
}

/* The table indexes of the check's symbol (c->ks) and parent (c->kp), or
 * NONE. The symbol first: its entry was asked for with the parent's, and
 * its lookup needs nothing of the parent, whose lines are the likelier to
 * be still on their way. */
static inline void find_keys(const struct rules_engine *e, struct ctx *c)
{
	c->si = find_symbol(e, &c->ks);
	c->pi = find_parent(e, &c->kp);
}

/*
 * With c->si and c->pi found (find_keys()): takes (or prepares a temporary
 * for) the parent, its account and the symbol, and brings the cached
 * records of all four (with global) to one snapshot. The account is the registered parent's; for a
 * parent that is neither registered nor known, the child's own account
 * (acct, "" = none), which a declared parent will take. Returns 0, or -1 on
 * a store error (e_store_err says which).
 */
static int resolve(struct rules_engine *e, struct ctx *c, const char *acct)
{
	int tries, rc = 0;
	const char *aid;
	struct htab_key ka;

	if (c->si != NONE) {
		c->s = &e->e_symbols[c->si];
		c->sc = &e->e_scold[c->si];
	} else {
		memset(&c->tmp_s, 0, sizeof(c->tmp_s));
		memset(&c->tmp_sc, 0, sizeof(c->tmp_sc));
		memcpy(c->tmp_sc.s_id, c->ks.k_s, c->ks.k_len + 1);
		c->s = &c->tmp_s;
		c->sc = &c->tmp_sc;
	}
	if (c->pi != NONE) {
		c->p = &e->e_parents[c->pi];
		c->pc = &e->e_pcold[c->p->p_cold];
		prefetch_ring_line(c->p);
	} else {
		memset(&c->tmp_p, 0, sizeof(c->tmp_p));
		memset(&c->tmp_pc, 0, sizeof(c->tmp_pc));
		memcpy(c->tmp_p.p_id, c->kp.k_s, c->kp.k_len + 1);
		c->tmp_p.p_account = NONE;
		c->tmp_p.p_sym = c->tmp_p.p_acct = NONE;
		c->tmp_p.p_eff.f_txnid = UINT64_MAX;
		c->tmp_p.p_warn_left = e->e_warn_pct != 0 ? WARN_ALL : 0;
		c->p = &c->tmp_p;
		c->pc = &c->tmp_pc;
	}
	for (tries = 0; tries < 16; tries++) {
		c->a = NULL;
		c->ac = NULL;
		c->ai = NONE;
		if ((rc = load_global(e)) != 0 || (rc = load_symbol(e, c->s, c->sc)) != 0 ||
		    (rc = load_parent(e, c->p, c->pc)) != 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		if (c->p->p_account != NONE) {
			c->ai = c->p->p_account;
		} else {
			aid = c->p->p_registered ? c->pc->p_reg.rp_account : acct;
			if (aid[0] != '\0') {
				if (!eng_key_of(&ka, aid)) { /* validated where it came from */
					e->e_store_err = RULES_ECORRUPT;
					return -1;
				}
				c->ai = find_account(e, &ka);
				if (c->ai == NONE) {
					memset(&c->tmp_a, 0, sizeof(c->tmp_a));
					memset(&c->tmp_ac, 0, sizeof(c->tmp_ac));
					strcpy(c->tmp_ac.a_id, aid);
					c->a = &c->tmp_a;
					c->ac = &c->tmp_ac;
				}
			}
		}
		if (c->ai != NONE) {
			c->a = &e->e_accounts[c->ai];
			c->ac = &e->e_acold[c->ai];
		}
		if (c->a != NULL && (rc = load_account(e, c->a, c->ac)) != 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		merge_limits(e, c);
		return 0;
	}
	/* The store kept committing under us 16 times in one call. */
	e->e_store_err = RULES_ESTORE;
	return -1;
}

/* Makes the parent of a declared child: called when resolve() found no
 * registration and the route allows declaring (or a restore). */
static void declare(const struct rules_engine *e, struct ctx *c, const struct rules_order *o,
    const char *account)
{
	struct rules_parent *r = &c->pc->p_reg;

	memset(r, 0, sizeof(*r));
	strcpy(r->rp_id, c->p->p_id);
	strcpy(r->rp_account, account);
	strcpy(r->rp_symbol, o->ro_symbol);
	r->rp_side = o->ro_side;
	r->rp_qty = o->ro_declared_qty;
	r->rp_trip = RULES_TRIP_DEFAULT;
	set_reg(e, c->p, c->pc, r);
	c->p->p_declared = true;
	c->pc->p_declared_qty = o->ro_declared_qty;
	c->p->p_sym = c->p->p_acct = NONE;
	eff_derive(e, c->p, c->pc, c->s, c->lim); /* merged before: the registration changed */
}

/* ---- verdicts ------------------------------------------------------------------- */

/*
 * vsnprintf(buf, n, fmt, ap) for the reject texts, whose conversions are
 * %s, %c, %d with l or ll (PRId64) and %%: the same bytes (truncated the
 * same way, n >= 1) at a tenth of the instructions. Any other conversion
 * goes to vsnprintf().
 */
__attribute__((format(printf, 3, 0))) static void msg_vformat(char *buf, size_t n,
    const char *fmt, va_list ap)
{
	va_list ap2;
	size_t o = 0, len;
	const char *f, *s;
	char num[24];
	int l;

	va_copy(ap2, ap);
	for (f = fmt; *f != '\0'; f++) {
		if (*f != '%') {
			if (o + 1 < n)
				buf[o] = *f;
			o++;
			continue;
		}
		for (l = 0, f++; *f == 'l' && l < 2; f++)
			l++;
		if (*f == 'd') {
			long long v = l == 0 ? va_arg(ap, int) :
			    l == 1 ? va_arg(ap, long) : va_arg(ap, long long);
			unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
						       (unsigned long long)v;
			char *p = num + sizeof(num);

			do
				*--p = (char)('0' + u % 10);
			while ((u /= 10) != 0);
			if (v < 0)
				*--p = '-';
			s = p;
			len = (size_t)(num + sizeof(num) - p);
		} else if (l != 0) {
			goto slow;
		} else if (*f == 's') {
			s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			len = strlen(s);
		} else if (*f == 'c') {
			num[0] = (char)va_arg(ap, int);
			s = num;
			len = 1;
		} else if (*f == '%') {
			s = "%";
			len = 1;
		} else {
			goto slow;
		}
		if (o + 1 < n)
			memcpy(buf + o, s, o + len < n ? len : n - 1 - o);
		o += len;
	}
	buf[o < n ? o : n - 1] = '\0';
	va_end(ap2);
	return;
slow:
	vsnprintf(buf, n, fmt, ap2);
	va_end(ap2);
}

/* The first trip wins over any reject; among equals, the first found. */
struct acc {
	struct rules_decision *d;
	bool have;
	/* Prices formatted for a message (PX()): here rather than in the
	 * checks' frames, which then need no buffers (nor a stack canary). */
	char px[4][RULES_PX_BUFLEN];
};

static void verdict(struct acc *acc, bool trip, enum rules_reason r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void verdict(struct acc *acc, bool trip, enum rules_reason r, const char *fmt, ...)
{
	va_list ap;
	enum rules_verdict v = trip ? RULES_TRIP : RULES_REJECT;

	if (acc->have && (acc->d->rd_verdict == RULES_TRIP || v == RULES_REJECT))
		return;
	acc->have = true;
	acc->d->rd_verdict = v;
	acc->d->rd_reason = r;
	va_start(ap, fmt);
	msg_vformat(acc->d->rd_text, sizeof(acc->d->rd_text), fmt, ap);
	va_end(ap);
}

static enum rules_verdict reject(struct rules_decision *d, enum rules_reason r, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static enum rules_verdict reject(struct rules_decision *d, enum rules_reason r, const char *fmt,
    ...)
{
	va_list ap;

	d->rd_verdict = RULES_REJECT;
	d->rd_reason = r;
	va_start(ap, fmt);
	msg_vformat(d->rd_text, sizeof(d->rd_text), fmt, ap);
	va_end(ap);
	return RULES_REJECT;
}

/* px formatted for a message, into one of acc.px per price of the message. */
#define PX(buf, v) (rules_px_format((v), (buf), sizeof(buf)), (buf))

/* ---- the rate window ----------------------------------------------------------- */

/*
 * A parent's accepted children are counted twice (rate_push()): by time, in
 * its queue (p_rq, a line of its entry) and then its ring, which decide; and
 * by bucket of 2^RB_SHIFT ns, the last five, in the parent's own lines too.
 * A child is counted in the bucket of its time or, when the clock went back,
 * in the newest one: later, never earlier. While now is not before the
 * newest bucket, the second before now starts at most four buckets before
 * it, so the counts hold every one of the last children in that second:
 * their sum is an upper bound, and below the rate a check reads neither
 * queue nor ring. See docs/rules-engine.md ("Rate window").
 */

/* True if one more child at now would make more than rate in the last second:
 * if the rate-th most recent time is in it. */
__attribute__((always_inline)) static inline bool rate_full(const struct parent *p, int64_t rate,
    int64_t now)
{
	uint32_t j, q, k;

	/* the counts' bound (a rate below UINT16_MAX is below any sum with a
	 * saturated count) */
	if (rate < UINT16_MAX && p->p_rb_sum < (uint64_t)rate && now >> RB_SHIFT >= p->p_rb_at)
		return false;
	if ((uint64_t)rate > p->p_ring_n)
		return false;
	/* The rate-th most recent time; the queue and the ring hold at least
	 * rate of them. */
	if (p->p_ring_cap < (uint64_t)rate)
		return false; /* cannot happen: grown before use (rate_reserve) */
	j = (uint32_t)rate;
	q = p->p_ring_n % RQ_N;
	if (j <= q)
		return p->p_rq[q - j] > now - NSEC_PER_SEC;
	j -= q; /* the j-th most recent of the ring, whose newest is before its head */
	k = p->p_ring_head >= j ? p->p_ring_head - j : p->p_ring_head + p->p_ring_cap - j;
	return p->p_ring[k] > now - NSEC_PER_SEC;
}

/* rate_reserve() when the ring must grow. */
__attribute__((noinline)) static int rate_grow(struct rules_engine *e, struct parent *p,
    uint32_t cap)
{
	uint32_t i, n, q = p->p_ring_n % RQ_N;
	int64_t *r;

	r = slab_alloc(&e->e_rings, (size_t)cap * sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	/* the ring's times, a multiple of RQ_N (so is its size) */
	n = p->p_ring_n - q < p->p_ring_cap ? p->p_ring_n - q : p->p_ring_cap;
	for (i = 0; i < n; i++) /* oldest first */
		r[i] = p->p_ring[(p->p_ring_head + p->p_ring_cap - n + i) % p->p_ring_cap];
	slab_free(&e->e_rings, p->p_ring, (size_t)p->p_ring_cap * sizeof(*r));
	p->p_ring = r;
	p->p_ring_cap = cap;
	p->p_ring_head = n; /* < cap */
	p->p_ring_n = n + q;
	return 0;
}

/* Makes the ring hold at least rate times (a multiple of RQ_N, rate <=
 * RULES_RATE_MAX), keeping the newest ones. Allocates: only when a parent
 * is first accepted or its rate limit was raised. */
static inline int rate_reserve(struct rules_engine *e, struct parent *p, int64_t rate)
{
	if (p->p_ring_cap >= (uint64_t)rate)
		return 0;
	return rate_grow(e, p, ((uint32_t)rate + RQ_N - 1) & ~(uint32_t)(RQ_N - 1));
}

/* Makes b the newest bucket of the rate counts: empties those before b - 4,
 * whose slots the buckets up to b take. */
static void rate_advance(struct parent *p, int64_t b)
{
	int64_t k;

	if (b - 4 > p->p_rb_at) {
		memset(p->p_rb, 0, sizeof(p->p_rb));
		p->p_rb_sum = 0;
	} else {
		for (k = p->p_rb_at - 4; k < b - 4; k++) {
			p->p_rb_sum -= p->p_rb[k & (RB_N - 1)];
			p->p_rb[k & (RB_N - 1)] = 0;
		}
	}
	p->p_rb_at = b;
}

static inline void rate_push(struct parent *p, int64_t now)
{
	int64_t b = now >> RB_SHIFT;
	uint16_t *n;

	if (p->p_ring_cap == 0)
		return;
	p->p_rq[p->p_ring_n % RQ_N] = now;
	if (++p->p_ring_n % RQ_N == 0) {
		/* a line of the ring (64-byte aligned: the slab's blocks and
		 * p_ring_head are), prefetched by resolve(): stores only */
		memcpy(&p->p_ring[p->p_ring_head], p->p_rq, sizeof(p->p_rq));
		p->p_ring_head += RQ_N;
		if (p->p_ring_head == p->p_ring_cap) /* no division on the hot path */
			p->p_ring_head = 0;
	}
	if (b > p->p_rb_at)
		rate_advance(p, b);
	n = &p->p_rb[p->p_rb_at & (RB_N - 1)];
	if (*n != UINT16_MAX) {
		(*n)++;
		p->p_rb_sum++;
	}
}

/* ---- inserting accepted entities ----------------------------------------------- */

/* Puts the check's new parent (c->tmp_p, c->tmp_pc, keyed by c->kp, whose
 * id resolve() copied) in the tables; the caller has made sure there is
 * room. */
static void book_parent(struct rules_engine *e, struct ctx *c)
{
	uint32_t ci;

	c->pi = htab_add_home(&e->e_parent_ix, c->kp.k_h);
	ci = e->e_parent_ix.ht_count - 1;
	e->e_parents[c->pi] = c->tmp_p;
	e->e_parents[c->pi].p_cold = ci;
	e->e_pcold[ci] = c->tmp_pc;
	e->e_pcold[ci].p_slot = c->pi;
	c->p = &e->e_parents[c->pi];
	c->pc = &e->e_pcold[ci];
}

static int commit_entities(struct rules_engine *e, struct ctx *c)
{
	size_t len;
	uint64_t h;

	if (c->a != NULL && c->ai == NONE) {
		h = htab_hash(c->ac->a_id, &len);
		c->ai = htab_add(&e->e_account_ix, h);
		e->e_accounts[c->ai] = c->tmp_a;
		e->e_acold[c->ai] = c->tmp_ac;
		c->a = &e->e_accounts[c->ai];
		c->ac = &e->e_acold[c->ai];
	}
	if (c->si == NONE) {
		h = htab_hash(c->sc->s_id, &len);
		c->si = htab_add_home(&e->e_symbol_ix, h);
		e->e_symbols[c->si] = c->tmp_s;
		e->e_scold[c->si] = c->tmp_sc;
		c->s = &e->e_symbols[c->si];
		c->sc = &e->e_scold[c->si];
	}
	if (c->pi == NONE)
		book_parent(e, c);
	c->p->p_account = c->ai;
	/* A merge that went to the temporary only because an entity was new
	 * holds for the indexes they have now: the parent keeps it, so that
	 * its next child can take accept_fast(). */
	if (c->lim == &c->tmp_eff && e->e_g_txnid == e->e_txnid) {
		c->tmp_eff.f_symbol = c->si;
		c->tmp_eff.f_account = c->ai;
		c->p->p_eff = c->tmp_eff;
		c->lim = &c->p->p_eff;
	}
	return 0;
}

static bool room_for(const struct rules_engine *e, const struct ctx *c)
{
	return e->e_norders < e->e_max_orders && e->e_clid_ix.ht_count < e->e_clid_ix.ht_cap &&
	    (c->pi != NONE || e->e_parent_ix.ht_count < e->e_parent_ix.ht_cap) &&
	    (c->si != NONE || e->e_symbol_ix.ht_count < e->e_symbol_ix.ht_cap) &&
	    (c->a == NULL || c->ai != NONE || e->e_account_ix.ht_count < e->e_account_ix.ht_cap);
}

/* ---- the checks ------------------------------------------------------------------ */

/* Validates the fields every child order needs; keys the ClOrdID and the
 * symbol in c. The ClOrdID's index slot, the check's likeliest DRAM miss,
 * is asked for as soon as its hash is known. */
static bool fields_ok(const struct rules_engine *e, const struct rules_order *o, struct ctx *c,
    struct rules_decision *d)
{
	/* The parent id of a new order first: its entry is the check's first
	 * need and likeliest miss. Keyed here for the prefetch, judged in
	 * check_new(), after the fields below. */
	c->kp_state = KP_NONE;
	if (o->ro_kind == RULES_NEW && o->ro_parent != NULL && o->ro_parent[0] != '\0') {
		c->kp_state = eng_key_of(&c->kp, o->ro_parent) ? KP_OK : KP_BAD;
		if (c->kp_state == KP_OK)
			prefetch_parent(e, c);
	}
	if (!eng_key_of(&c->kc, o->ro_clordid)) {
		reject(d, RULES_R_BAD_ORDER, "invalid or missing ClOrdID");
		return false;
	}
	/* the probe reads the bytes; an accepted order then writes the slot,
	 * most often the home slot (half the slots are empty) */
	__builtin_prefetch(htab_fp_at(&e->e_clid_ix, c->kc.k_h));
	__builtin_prefetch(htab_slot(&e->e_clid_ix, c->kc.k_h), 1);
	if (!eng_key_of(&c->ks, o->ro_symbol)) {
		reject(d, RULES_R_BAD_ORDER, "invalid or missing Symbol");
		return false;
	}
	/* the symbol at its home slot: its key, then its hot part */
	__builtin_prefetch(htab_fp_at(&e->e_symbol_ix, c->ks.k_h));
	__builtin_prefetch(&e->e_scold[htab_home(&e->e_symbol_ix, c->ks.k_h)]);
	__builtin_prefetch(&e->e_symbols[htab_home(&e->e_symbol_ix, c->ks.k_h)]);
	if (o->ro_side != '1' && o->ro_side != '2' && !rules_side_valid(o->ro_side)) {
		reject(d, RULES_R_BAD_ORDER, "unsupported Side '%c'",
		    o->ro_side >= 0x20 && o->ro_side < 0x7f ? o->ro_side : '?');
		return false;
	}
	if (o->ro_qty <= 0) {
		reject(d, RULES_R_BAD_ORDER, "OrderQty must be > 0");
		return false;
	}
	if (o->ro_ordtype != RULES_ORDTYPE_MARKET && o->ro_ordtype != RULES_ORDTYPE_LIMIT) {
		reject(d, RULES_R_BAD_ORDER, "unsupported OrdType '%c'",
		    o->ro_ordtype >= 0x20 && o->ro_ordtype < 0x7f ? o->ro_ordtype : '?');
		return false;
	}
	if (o->ro_ordtype == RULES_ORDTYPE_LIMIT && o->ro_px <= 0) {
		reject(d, RULES_R_BAD_ORDER, "limit order needs Price > 0");
		return false;
	}
	c->has_ka = o->ro_account != NULL && o->ro_account[0] != '\0';
	/* hashed only if it is not the parent's (check_new()) */
	if (c->has_ka && !key_nohash(&c->ka, o->ro_account)) {
		reject(d, RULES_R_BAD_ORDER, "invalid Account");
		return false;
	}
	if (o->ro_declared_qty < 0) {
		reject(d, RULES_R_BAD_ORDER, "declared parent quantity must be > 0");
		return false;
	}
	return true;
}

/* The price the order is valued at: its limit price, or the reference price
 * for a market order. Also applies the collar. Returns false on a reject
 * that stops the check (no price to value the order at). */
static bool price_checks(const struct ctx *c, const struct rules_engine *e,
    const struct rules_order *o, int64_t *vpx, struct acc *acc)
{
	int64_t bps = 0, abs = 0, ref = c->s->s_refpx;
	bool tb = false, ta = false;
	bool has_bps = eff(e, c, RULES_LIM_COLLAR_BPS, &bps, &tb);
	bool has_abs = eff(e, c, RULES_LIM_COLLAR_ABS, &abs, &ta);
	char(*b)[RULES_PX_BUFLEN] = acc->px;

	if (o->ro_ordtype == RULES_ORDTYPE_MARKET) {
		if (!c->s->s_has_refpx) {
			verdict(acc, false, RULES_R_NO_REF_PRICE,
			    "market order for %s: no reference price to value it", o->ro_symbol);
			return false;
		}
		*vpx = ref;
		return true;
	}
	*vpx = o->ro_px;
	if (!has_bps && !has_abs)
		return true;
	if (!c->s->s_has_refpx) {
		verdict(acc, false, RULES_R_NO_REF_PRICE,
		    "price collar for %s needs a reference price; none is set", o->ro_symbol);
		return false;
	}
	{
		int64_t dev = o->ro_px > ref ? o->ro_px - ref : ref - o->ro_px, lhs, rhs;

		if (has_abs && dev > abs)
			verdict(acc, ta, RULES_R_COLLAR_ABS,
			    "price %s is %s from reference %s, collar %s", PX(b[0], o->ro_px),
			    PX(b[1], dev), PX(b[2], ref), PX(b[3], abs));
		/* dev / ref > bps / 10000, without division or overflow */
		if (has_bps && (rules_mul_ovf(dev, 10000, &lhs) || rules_mul_ovf(ref, bps, &rhs) ||
				   lhs > rhs))
			verdict(acc, tb, RULES_R_COLLAR_BPS,
			    "price %s is more than %" PRId64 " bps from reference %s",
			    PX(b[0], o->ro_px), bps, PX(b[1], ref));
	}
	return true;
}

/*
 * The limit checks common to new orders and replaces. dq/dn: the increase of
 * open quantity/notional this order brings to its parent and account; qty and
 * notional: the order's own (for the per-order limits).
 */
static void limit_checks(struct rules_engine *e, const struct ctx *c,
    const struct rules_order *o, int64_t vpx, int64_t qty, int64_t notional, int64_t dq,
    int64_t dn, struct acc *acc)
{
	const struct parent *p = c->p;
	const char *pid = c->p->p_id;
	int64_t lpx = c->pc->p_reg.rp_limit_px;
	int64_t v, sum, rate;
	bool t;
	char(*b)[RULES_PX_BUFLEN] = acc->px;

	if (eff(e, c, RULES_LIM_ORDER_QTY, &v, &t) && qty > v)
		verdict(acc, t, RULES_R_ORDER_QTY, "order quantity %" PRId64 " > max %" PRId64, qty,
		    v);
	if (eff(e, c, RULES_LIM_ORDER_NOTIONAL, &v, &t) && notional > v)
		verdict(acc, t, RULES_R_ORDER_NOTIONAL, "order notional %s > max %s",
		    PX(b[0], notional), PX(b[1], v));
	if (c->s->s_restricted)
		verdict(acc, false, RULES_R_RESTRICTED, "symbol %s is restricted", o->ro_symbol);

	/* parent limit price */
	if (lpx > 0) {
		if (o->ro_ordtype == RULES_ORDTYPE_MARKET)
			verdict(acc, false, RULES_R_PARENT_PRICE,
			    "market child of parent %s with limit %s", pid,
			    PX(b[0], lpx));
		else if (is_buy(p->p_side) ? vpx > lpx : vpx < lpx)
			verdict(acc, false, RULES_R_PARENT_PRICE,
			    "price %s through parent %s limit %s", PX(b[0], vpx), pid,
			    PX(b[1], lpx));
	}

	/* parent quantity: open + filled + this order */
	t = (p->p_trip & RULES_BIT(RULES_LIM_PARENT_QTY)) != 0;
	sum = expo_total(&p->p_expo, p->p_expo.open_qty, p->p_expo.filled_qty, dq);
	if (sum == INT64_MAX)
		verdict(acc, t, RULES_R_PARENT_QTY,
		    "parent %s quantity overflows (open %" PRId64 ", filled %" PRId64
		    ", order %" PRId64 "%s)",
		    pid, p->p_expo.open_qty, p->p_expo.filled_qty, dq,
		    p->p_expo.pinned ? ", sums pinned" : "");
	else if (sum > p->p_qty)
		verdict(acc, t, RULES_R_PARENT_QTY,
		    "parent %s quantity %" PRId64 " > %" PRId64 " (open %" PRId64
		    ", filled %" PRId64 ", order %" PRId64 ")",
		    pid, sum, p->p_qty, p->p_expo.open_qty, p->p_expo.filled_qty, dq);

	/* parent notional */
	v = parent_notional(p, c->pc, c->lim, &t);
	if (v > 0) {
		sum = expo_total(&p->p_expo, p->p_expo.open_notional, p->p_expo.filled_notional,
		    dn);
		if (expo_over(sum, v))
			verdict(acc, t, RULES_R_PARENT_NOTIONAL, "parent %s notional %s > %s",
			    pid, sum == INT64_MAX ? "overflows" : PX(b[0], sum), PX(b[1], v));
	}

	/* parent rate: a sliding one-second window of accepted children */
	if (c->pc->p_reg.rp_max_rate > 0) {
		rate = c->pc->p_reg.rp_max_rate;
		t = (p->p_trip & RULES_BIT(RULES_LIM_PARENT_RATE)) != 0;
	} else if (!eff(e, c, RULES_LIM_PARENT_RATE, &rate, &t)) {
		rate = 0;
	}
	if (rate > 0 && rate_full(p, rate, o->ro_now_ns))
		verdict(acc, t, RULES_R_PARENT_RATE,
		    "parent %s: more than %" PRId64 " child orders in one second", pid, rate);

	/* account gross notional */
	if (c->a != NULL && eff(e, c, RULES_LIM_ACCOUNT_NOTIONAL, &v, &t)) {
		sum = expo_total(&c->a->a_expo, c->a->a_expo.open_notional,
		    c->a->a_expo.filled_notional, dn);
		if (expo_over(sum, v))
			verdict(acc, t, RULES_R_ACCOUNT_NOTIONAL, "account %s notional %s > %s",
			    c->ac->a_id, sum == INT64_MAX ? "overflows" : PX(b[0], sum),
			    PX(b[1], v));
	}
}

/* The rate limit in force for the parent (0 = none). */
static int64_t parent_rate(const struct rules_engine *e, const struct ctx *c)
{
	int64_t rate = c->pc->p_reg.rp_max_rate;
	bool t;

	if (rate > 0)
		return rate;
	return eff(e, c, RULES_LIM_PARENT_RATE, &rate, &t) ? rate : 0;
}

/* The valuation of an order being restored: its price, or for a market order
 * the reference price; 0 when there is none (the caller pins the parent). */
static int64_t restore_px(const struct ctx *c, const struct rules_order *o)
{
	if (o->ro_ordtype == RULES_ORDTYPE_MARKET)
		return c->s->s_has_refpx ? c->s->s_refpx : 0;
	return o->ro_px;
}

/*
 * The accept path: true if the order passes every price and limit check,
 * with *vpx its valuation and *notional its notional; false if any might
 * fail, and then price_checks() and limit_checks() decide and word the
 * verdict. It never accepts what they would refuse: each test below is
 * theirs on the limits derived by eff_derive().
 */
__attribute__((always_inline)) static inline bool fast_pass(const struct ctx *c,
    const struct rules_order *o, int64_t *vpx, int64_t *notional)
{
	const struct eff *f = c->lim;
	const struct expo *x = &c->p->p_expo;
	int64_t px, n;

	if (o->ro_ordtype == RULES_ORDTYPE_LIMIT) {
		px = o->ro_px;
		if ((f->f_fast & FAST_ON) == 0 || px < f->f_px_lo || px > f->f_px_hi)
			return false;
	} else {
		if ((f->f_fast & FAST_MKT) == 0)
			return false;
		px = c->s->s_refpx;
	}
	if (rules_mul_ovf(o->ro_qty, px, &n))
		return false;
	if ((f->f_set & RULES_BIT(RULES_LIM_ORDER_QTY)) != 0 &&
	    o->ro_qty > f->f_val[RULES_LIM_ORDER_QTY])
		return false;
	if ((f->f_set & RULES_BIT(RULES_LIM_ORDER_NOTIONAL)) != 0 &&
	    n > f->f_val[RULES_LIM_ORDER_NOTIONAL])
		return false;
	if (expo_over(expo_total(x, x->open_qty, x->filled_qty, o->ro_qty), c->p->p_qty))
		return false;
	if (f->f_pnot > 0 &&
	    expo_over(expo_total(x, x->open_notional, x->filled_notional, n), f->f_pnot))
		return false;
	if (f->f_rate > 0 && rate_full(c->p, f->f_rate, o->ro_now_ns))
		return false;
	if (c->a != NULL && (f->f_set & RULES_BIT(RULES_LIM_ACCOUNT_NOTIONAL)) != 0 &&
	    expo_over(expo_total(&c->a->a_expo, c->a->a_expo.open_notional,
			  c->a->a_expo.filled_notional, n),
		f->f_val[RULES_LIM_ACCOUNT_NOTIONAL]))
		return false;
	*vpx = px;
	*notional = n;
	return true;
}

/* ---- blocked parents ------------------------------------------------------------ */

/* The parent's effective limits for this check (resolve() done): as a block
 * remembers them. */
static struct plim plim_of(const struct rules_engine *e, const struct ctx *c)
{
	struct plim l;
	bool t;

	l.l_qty = c->p->p_qty;
	l.l_notional = parent_notional(c->p, c->pc, c->lim, &t);
	l.l_rate = parent_rate(e, c);
	l.l_px = c->pc->p_reg.rp_limit_px;
	return l;
}

static bool plim_eq(const struct plim *a, const struct plim *b)
{
	return a->l_qty == b->l_qty && a->l_notional == b->l_notional && a->l_rate == b->l_rate &&
	    a->l_px == b->l_px;
}

/* A blocked parent stays blocked while its limits are those it was blocked
 * with; a change releases it. c is resolved for the parent's own symbol and
 * account (the check matched them). */
__attribute__((noinline)) static bool still_blocked(const struct rules_engine *e, struct ctx *c)
{
	struct plim now = plim_of(e, c);

	if (plim_eq(&now, &c->pc->p_blk))
		return true;
	c->p->p_blocked = false;
	return false;
}

__attribute__((noinline)) static enum rules_verdict reject_blocked(struct rules_decision *d,
    const struct ctx *c)
{
	return reject(d, RULES_R_PARENT_BLOCKED,
	    "parent %s blocked after a limit breach: release it or change its limits", c->p->p_id);
}

/* A new live order open for q and n in the sums x (eng_recount() and
 * set_live() for a new order, whose counted exposure was 0). */
__attribute__((always_inline)) static inline void book_open(struct expo *x, int64_t q, int64_t n)
{
	x->live++;
	if (n == INT64_MAX)
		x->pinned = true;
	expo_add(x, q, n);
}

/* Whether the check's ClOrdID is taken; if not, kc_slot is where it goes. */
static inline bool clid_taken(const struct rules_engine *e, struct ctx *c)
{
	return htab_find_slot(&e->e_clid_ix, &c->kc, &c->kc_slot) != HTAB_NONE;
}

/* The end of an accept, a new order's or a replace's (its parent c->p
 * booked): the child in the rate window (rate > 0), the warnings it
 * reached, and the verdict. */
__attribute__((always_inline)) static inline enum rules_verdict accepted(const struct ctx *c,
    const struct rules_order *o, struct rules_decision *d, int64_t rate)
{
	struct parent *p = c->p;

	if (rate > 0)
		rate_push(p, o->ro_now_ns);
	if (p->p_warn_left != 0)
		d->rd_warn = warn_reached(p, c->lim) & (c->force ? 0u : WARN_ALL);
	d->rd_verdict = RULES_ACCEPT;
	d->rd_reason = RULES_R_OK;
	d->rd_text[0] = '\0';
	return RULES_ACCEPT;
}

/*
 * Books the accepted new order o (c resolved, its entities in the tables,
 * room made: room_for(), rate_reserve()) at the valuation vpx and notional
 * checked, or for a restore (c->force) as set_live() and eng_recount() count
 * it; and words the accept.
 */
__attribute__((always_inline)) static inline enum rules_verdict book_new(struct rules_engine *e,
    struct ctx *c, const struct rules_order *o, struct rules_decision *d, int64_t vpx,
    int64_t notional)
{
	struct parent *p = c->p;
	int64_t rate = c->lim->f_rate; /* parent_rate() */
	struct order *ord;
	uint32_t oi;

	/* Every field of the order is set below (no memset): a new field of
	 * struct order must be set here too, which this size check recalls. */
	_Static_assert(sizeof(struct order) == 96, "book_new() books every field of struct order");
	oi = (uint32_t)e->e_norders++;
	ord = &e->e_orders[oi];
	ord->o_parent = c->pi;
	ord->o_account = c->ai;
	ord->o_symbol = c->si;
	ord->o_pend_clid = NONE;
	ord->o_side = o->ro_side;
	ord->o_ordtype = o->ro_ordtype;
	ord->o_qty = o->ro_qty;
	ord->o_px = vpx;
	ord->o_cum = ord->o_vleaves = 0;
	ord->o_pend_qty = ord->o_pend_px = 0;
	ord->o_cxl_pend = 0;
	ord->o_tag = o->ro_tag;
	ord->o_clid = eng_add_clid_at(e, &c->kc, c->kc_slot, oi, CL_NEW);
	if (c->force) {
		ord->o_state = O_DONE; /* set_live() counts it */
		ord->o_cnt_qty = ord->o_cnt_notional = 0;
		set_live(e, ord, O_LIVE);
		eng_recount(e, ord);
		if (vpx == 0) /* restored market order with no reference price: fail closed */
			p->p_expo.pinned = true;
	} else {
		/* What set_live() and eng_recount() would book for a new order:
		 * it is open for its quantity and notional (checked: no overflow). */
		ord->o_state = O_LIVE;
		ord->o_cnt_qty = o->ro_qty;
		ord->o_cnt_notional = notional;
		book_open(&p->p_expo, o->ro_qty, notional);
		if (c->a != NULL)
			book_open(&c->a->a_expo, o->ro_qty, notional);
	}
	p->p_expo.orders++;
	if (c->a != NULL)
		c->a->a_expo.orders++;
	return accepted(c, o, d, rate);
}

/*
 * The accept path of most children, tried before resolve(): the child of a
 * registered or declared parent in the tables whose cached records
 * (parent, symbol, account, global) and merged limits are current (read at
 * e_txnid; merged for this symbol and account), that matches its parent's
 * symbol, side, account and declared quantity, is not blocked, and passes
 * fast_pass(), with room to book it. Then c holds the entities as resolve()
 * would (but for their cold parts), *vpx and *notional are set, and the
 * caller books the order (book_new()). Otherwise it changes
 * nothing and returns false: check_new() takes the general way, which
 * reaches book_new() with the same c for exactly these children (tests:
 * test_fast_path_*). What a check does after the parent's lines arrive is
 * what it waits for (docs/bench.md): here a few loads and compares instead
 * of resolve() and check_new()'s general branches.
 */
__attribute__((always_inline)) static inline bool accept_fast(struct rules_engine *e,
    const struct rules_order *o, struct ctx *c, int64_t *vpx, int64_t *notional)
{
	uint32_t si = c->si, ai;
	struct parent *p;
	const struct eff *f;

	if (si == NONE || c->pi == NONE)
		return false;
	p = &e->e_parents[c->pi];
	f = &p->p_eff;
	ai = p->p_account;
	/*
	 * Limits merged at e_txnid: by the resolve() that merged them, which
	 * read the global, parent, symbol and account records (f_symbol,
	 * f_account; ai is the parent's account, resolve()'s too) at e_txnid,
	 * and a record is read again only once e_txnid has moved on. So all
	 * are current. The symbol merged for is the child's, which must also
	 * be the parent's (p_sym: a mismatched child's merge leaves f_symbol
	 * its own).
	 */
	if (f->f_txnid != e->e_txnid || f->f_symbol != si || p->p_sym != si || ai == NONE ||
	    p->p_blocked || is_buy(p->p_side) != is_buy(o->ro_side))
		return false;
	/* a declared parent: the child may restate its declared quantity, not
	 * change it (check_new()); that is in the cold part, as there */
	if (!p->p_registered && (!p->p_declared || (o->ro_declared_qty != 0 &&
	    o->ro_declared_qty != e->e_pcold[p->p_cold].p_declared_qty)))
		return false;
	if (c->has_ka && (p->p_acct != ai || !htab_key_eq(e->e_acold[ai].a_id, &c->ka)))
		return false;
	prefetch_ring_line(p);
	/* what fast_pass() and book_new() read (not the cold parts) */
	c->p = p;
	c->s = &e->e_symbols[si];
	c->ai = ai;
	c->a = &e->e_accounts[ai];
	c->lim = &p->p_eff;
	/* room (room_for(), rate_reserve()): every order holds a ClOrdID, so
	 * orders are not full while ClOrdIDs are not (both e_max_orders); a
	 * check that merged a raised rate and was refused left the ring short */
	return fast_pass(c, o, vpx, notional) && e->e_clid_ix.ht_count < e->e_clid_ix.ht_cap &&
	    p->p_ring_cap >= (uint64_t)f->f_rate;
}

static enum rules_verdict check_new(struct rules_engine *e, const struct rules_order *o,
    struct ctx *c, struct rules_decision *d)
{
	struct acc acc;
	const char *acct = o->ro_account != NULL ? o->ro_account : "";
	int64_t vpx = 0, notional = 0, rate;
	struct parent *p = NULL; /* set once resolve() succeeded, which an accept needs */
	uint32_t child_ai = NONE;
	bool matched = false;           /* the symbol and account matched p's */

	acc.d = d; /* acc.px is only written when a message is */
	acc.have = false;
	if (c->kp_state == KP_NONE)
		return reject(d, RULES_R_NO_PARENT, "child order names no parent");
	if (c->kp_state == KP_BAD)
		return reject(d, RULES_R_BAD_ORDER, "invalid parent id");
	prefetch_check(e);
	/*
	 * A duplicate ClOrdID is the verdict whatever else the checks would
	 * find. Probed first: its index byte was asked for with the parent's
	 * entry, and its work (and that of the symbol's lookup in find_keys())
	 * needs nothing of the parent, the check's likeliest miss, whose lines
	 * have that much longer to arrive. Nothing is added to the index
	 * before the order is booked at kc_slot.
	 */
	if (clid_taken(e, c))
		return reject(d, RULES_R_DUP_CLORDID, "duplicate ClOrdID %s", o->ro_clordid);
	find_keys(e, c);
	if (!c->force && !e->e_fast_off && accept_fast(e, o, c, &vpx, &notional)) {
		e->e_fast_n++;
		return book_new(e, c, o, d, vpx, notional);
	}
	if (resolve(e, c, acct) != 0)
		return reject(d, RULES_R_LIMITS_UNAVAILABLE, "limits unavailable: %s",
		    rules_strerror(e->e_store_err));
	p = c->p;
	if (!p->p_registered) {
		if (p->p_declared) {
			if (!c->force && o->ro_declared_qty != 0 &&
			    o->ro_declared_qty != c->pc->p_declared_qty)
				return reject(d, RULES_R_DECLARED_QTY_CHANGED,
				    "parent %s declared quantity %" PRId64 " was %" PRId64,
				    c->p->p_id, o->ro_declared_qty, c->pc->p_declared_qty);
		} else if (!c->force && o->ro_allow_declare && o->ro_declared_qty > 0) {
			int64_t cap;
			bool t;

			if (c->a == NULL)
				return reject(d, RULES_R_BAD_ORDER,
				    "a child declaring its parent must carry an Account");
			if (!eff(e, c, RULES_LIM_PARENT_QTY, &cap, &t))
				return reject(d, RULES_R_DECLARED_QTY_CAP,
				    "no parent_qty limit is set to cap declared parent %s",
				    o->ro_parent);
			if (o->ro_declared_qty > cap)
				return reject(d, RULES_R_DECLARED_QTY_CAP,
				    "declared parent quantity %" PRId64 " > cap %" PRId64,
				    o->ro_declared_qty, cap);
			declare(e, c, o, acct);
		} else if (c->force) {
			/* Restoring an order whose parent is gone: book it under
			 * a parent of the declared quantity, 0 if none, so that
			 * every later child of it is refused. */
			declare(e, c, o, acct);
		} else {
			return reject(d, RULES_R_UNKNOWN_PARENT, "unknown parent %s", o->ro_parent);
		}
	}
	if (c->force) {
		vpx = restore_px(c, o);
		goto book;
	}
	/* Symbol and account: by table index once known (p_sym, p_acct; the
	 * same string is the same index), else by string. */
	if (p->p_sym != NONE ? p->p_sym != c->si :
			       strcmp(c->pc->p_reg.rp_symbol, o->ro_symbol) != 0)
		return reject(d, RULES_R_PARENT_MISMATCH, "symbol %s differs from parent %s's %s",
		    o->ro_symbol, c->p->p_id, c->pc->p_reg.rp_symbol);
	if (is_buy(p->p_side) != is_buy(o->ro_side))
		return reject(d, RULES_R_PARENT_MISMATCH, "side %c differs from parent %s's %c",
		    o->ro_side, c->p->p_id, p->p_side);
	if (c->has_ka) {
		/* Most often the parent's own account, which resolve() found:
		 * one compare with its key instead of a lookup. */
		if (p->p_acct != NONE && p->p_acct == c->ai && htab_key_eq(c->ac->a_id, &c->ka)) {
			child_ai = c->ai;
		} else {
			c->ka.k_h = htab_hash_n(c->ka.k_s, c->ka.k_len);
			child_ai = find_account(e, &c->ka);
		}
		if (p->p_acct != NONE ? p->p_acct != child_ai :
					strcmp(acct, c->pc->p_reg.rp_account) != 0)
			return reject(d, RULES_R_PARENT_MISMATCH,
			    "account %s differs from parent %s's %s", acct, c->p->p_id,
			    c->pc->p_reg.rp_account);
	}
	matched = true;
	if (p->p_blocked && still_blocked(e, c))
		return reject_blocked(d, c);

	if (!fast_pass(c, o, &vpx, &notional)) {
		if (price_checks(c, e, o, &vpx, &acc)) {
			if (rules_mul_ovf(o->ro_qty, vpx, &notional))
				verdict(&acc, false, RULES_R_OVERFLOW, "order notional overflows");
			else
				limit_checks(e, c, o, vpx, o->ro_qty, notional, o->ro_qty, notional,
				    &acc);
		}
		if (acc.have)
			return d->rd_verdict;
	}
book:
	if (!room_for(e, c))
		return reject(d, RULES_R_CAPACITY, "engine order table full");
	rate = c->lim->f_rate; /* parent_rate() */
	if (rate > 0 && rate_reserve(e, p, rate) != 0)
		return reject(d, RULES_R_CAPACITY, "no memory for parent %s rate window",
		    c->p->p_id);
	commit_entities(e, c);
	p = c->p;
	if (matched) {
		p->p_sym = c->si;
		/* a child's account that was in no table matched the
		 * registration's by name: it is c->a, in the table now */
		if (c->has_ka)
			p->p_acct = child_ai != NONE ? child_ai : c->ai;
	}
	return book_new(e, c, o, d, vpx, notional);
}

static enum rules_verdict check_replace(struct rules_engine *e, const struct rules_order *o,
    struct ctx *c, struct rules_decision *d)
{
	struct acc acc;
	struct order *ord;
	struct parent *p;
	const struct parent_cold *pc;
	const char *pid;
	uint32_t oi, ci;
	int64_t vpx, notional, new_q, new_n, dq, dn, rate;

	acc.d = d;
	acc.have = false;
	if (!id_ok(o->ro_origclordid))
		return reject(d, RULES_R_BAD_ORDER, "invalid or missing OrigClOrdID");
	if (htab_find(&e->e_clid_ix, &c->kc) != HTAB_NONE)
		return reject(d, RULES_R_DUP_CLORDID, "duplicate ClOrdID %s", o->ro_clordid);
	ci = eng_find_clid(e, o->ro_origclordid);
	if (ci == HTAB_NONE)
		return reject(d, RULES_R_UNKNOWN_ORIG, "no order has ClOrdID %s",
		    o->ro_origclordid);
	oi = e->e_clids[ci].c_order;
	ord = &e->e_orders[oi];
	if (ord->o_state != O_LIVE)
		return reject(d, RULES_R_UNKNOWN_ORIG, "order %s is no longer open",
		    o->ro_origclordid);
	if (ord->o_pend_clid != NONE)
		return reject(d, RULES_R_REPLACE_PENDING, "order %s already has a replace pending",
		    o->ro_origclordid);
	pid = e->e_parents[ord->o_parent].p_id;
	pc = pcold_of(e, ord->o_parent);
	if (o->ro_parent != NULL && o->ro_parent[0] != '\0' && strcmp(o->ro_parent, pid) != 0)
		return reject(d, RULES_R_PARENT_MISMATCH, "replace names parent %s, order has %s",
		    o->ro_parent, pid);
	if (strcmp(o->ro_symbol, e->e_scold[ord->o_symbol].s_id) != 0 ||
	    is_buy(o->ro_side) != is_buy(ord->o_side))
		return reject(d, RULES_R_PARENT_MISMATCH,
		    "a replace cannot change the symbol or the side");
	if (o->ro_account != NULL && o->ro_account[0] != '\0' &&
	    strcmp(o->ro_account, pc->p_reg.rp_account) != 0)
		return reject(d, RULES_R_PARENT_MISMATCH, "account %s differs from parent %s's %s",
		    o->ro_account, pid, pc->p_reg.rp_account);
	if (o->ro_qty <= ord->o_cum)
		return reject(d, RULES_R_BAD_ORDER,
		    "replace quantity %" PRId64 " is not above the filled %" PRId64, o->ro_qty,
		    ord->o_cum);
	(void)eng_key_of(&c->kp, pid); /* an id from the table: valid */
	find_keys(e, c);
	if (resolve(e, c, "") != 0)
		return reject(d, RULES_R_LIMITS_UNAVAILABLE, "limits unavailable: %s",
		    rules_strerror(e->e_store_err));
	p = c->p; /* the same parent, now with current records */
	if (!c->force && !p->p_registered && !p->p_declared)
		return reject(d, RULES_R_UNKNOWN_PARENT, "parent %s is no longer registered",
		    c->p->p_id);
	if (!c->force && p->p_blocked && still_blocked(e, c))
		return reject_blocked(d, c);

	if (c->force) {
		vpx = restore_px(c, o);
	} else if (price_checks(c, e, o, &vpx, &acc)) {
		/* While pending, the order counts as the larger of old and new. */
		new_q = o->ro_qty - ord->o_cum;
		if (rules_mul_ovf(o->ro_qty, vpx, &notional) || rules_mul_ovf(new_q, vpx, &new_n)) {
			verdict(&acc, false, RULES_R_OVERFLOW, "order notional overflows");
		} else {
			dq = max64(new_q - ord->o_cnt_qty, 0);
			dn = max64(new_n - ord->o_cnt_notional, 0);
			limit_checks(e, c, o, vpx, o->ro_qty, notional, dq, dn, &acc);
		}
	}
	if (acc.have)
		return d->rd_verdict;
	if (e->e_clid_ix.ht_count >= e->e_clid_ix.ht_cap)
		return reject(d, RULES_R_CAPACITY, "engine ClOrdID table full");
	rate = parent_rate(e, c);
	if (rate > 0 && rate_reserve(e, p, rate) != 0)
		return reject(d, RULES_R_CAPACITY, "no memory for parent %s rate window",
		    c->p->p_id);
	ord->o_pend_clid = eng_add_clid_k(e, &c->kc, oi, CL_REPLACE);
	ord->o_pend_qty = o->ro_qty;
	ord->o_pend_px = vpx;
	eng_recount(e, ord);
	if (vpx == 0)
		p->p_expo.pinned = true;
	p->p_expo.orders++;
	return accepted(c, o, d, rate);
}

static enum rules_verdict run(struct rules_engine *e, const struct rules_order *o,
    struct rules_decision *d, bool force)
{
	struct ctx c;
	enum rules_verdict v;

	d->rd_text[0] = '\0';
	d->rd_warn = 0;
	if (!fields_ok(e, o, &c, d))
		return d->rd_verdict;
	c.force = force;
	e->e_store_err = 0;
	e->e_txnid = rules_store_last_txnid(e->e_store);
	if (o->ro_kind == RULES_REPLACE)
		v = check_replace(e, o, &c, d);
	else if (o->ro_kind == RULES_NEW)
		v = check_new(e, o, &c, d);
	else
		v = reject(d, RULES_R_BAD_ORDER, "unknown order kind");
	snap_end(e);
	return v;
}

enum rules_verdict rules_check(struct rules_engine *e, const struct rules_order *o,
    struct rules_decision *d)
{
	return run(e, o, d, false);
}

int rules_restore(struct rules_engine *e, const struct rules_order *o,
    struct rules_decision *d)
{
	return run(e, o, d, true) == RULES_ACCEPT ? 0 : RULES_EINVAL;
}

/* ---- blocking parents ------------------------------------------------------------- */

/*
 * Resolves the parent c->kp (booked today, or registered) for its own symbol
 * and account, at the store's current snapshot, as a check of one of its
 * children would. Returns 0, RULES_ENOTFOUND (neither booked nor
 * registered), or another RULES_E* (store). The caller ends the snapshot.
 */
static int resolve_parent(struct rules_engine *e, struct ctx *c)
{
	/* 80 bytes readable after the symbol's start (eng_key_of()) */
	char sym[96] = {0};
	uint32_t pi;
	int tries, rc;

	c->force = false;
	c->has_ka = false;
	e->e_store_err = 0;
	e->e_txnid = rules_store_last_txnid(e->e_store);
	pi = find_parent(e, &c->kp);
	if (pi != NONE) {
		strcpy(sym, pcold_of(e, pi)->p_reg.rp_symbol);
	} else {
		struct rules_parent reg;

		if ((rc = rules_store_get_parent(e->e_store, c->kp.k_s, &reg)) != 0)
			return rc;
		strcpy(sym, reg.rp_symbol);
	}
	/* The registration may name another symbol by the time it is read in
	 * resolve()'s snapshot: then again with that one. The parent's index
	 * is pi throughout (resolve() adds nothing to the tables). */
	for (tries = 0; tries < 16; tries++) {
		if (!eng_key_of(&c->ks, sym))
			return RULES_ECORRUPT;
		c->si = find_symbol(e, &c->ks);
		c->pi = pi;
		if (resolve(e, c, "") != 0)
			return e->e_store_err;
		if (c->pi == NONE && !c->p->p_registered)
			return RULES_ENOTFOUND;
		if (strcmp(c->pc->p_reg.rp_symbol, sym) == 0)
			return 0;
		strcpy(sym, c->pc->p_reg.rp_symbol);
	}
	return RULES_ESTORE;
}

int rules_parent_block(struct rules_engine *e, const char *parent)
{
	struct ctx c;
	int rc;

	if (!eng_key_of(&c.kp, parent))
		return RULES_EINVAL;
	rc = resolve_parent(e, &c);
	if (rc == 0 && c.pi == NONE) {
		/* Booked now, alone: its symbol and account are booked with
		 * its first accepted child (commit_entities()). */
		if (e->e_parent_ix.ht_count >= e->e_parent_ix.ht_cap) {
			rc = RULES_ENOTFOUND;
		} else {
			book_parent(e, &c);
			c.p->p_eff.f_txnid = UINT64_MAX; /* c.lim is the tmp one */
		}
	}
	if (rc == 0) {
		c.pc->p_blk = plim_of(e, &c);
		c.p->p_blocked = true;
	}
	snap_end(e);
	return rc == 0 ? 0 : rc == RULES_EINVAL ? RULES_EINVAL : RULES_ENOTFOUND;
}

int rules_parent_release(struct rules_engine *e, const char *parent)
{
	struct htab_key k;
	uint32_t pi;

	if (!eng_key_of(&k, parent) || (pi = find_parent(e, &k)) == NONE ||
	    !e->e_parents[pi].p_blocked)
		return RULES_ENOTFOUND;
	e->e_parents[pi].p_blocked = false;
	return 0;
}

bool eng_parent_blocked(struct rules_engine *e, uint32_t pi)
{
	struct ctx c;
	bool blocked = true;

	if (!e->e_parents[pi].p_blocked)
		return false;
	if (eng_key_of(&c.kp, e->e_parents[pi].p_id) && resolve_parent(e, &c) == 0 && c.pi == pi)
		blocked = still_blocked(e, &c);
	snap_end(e);
	return blocked;
}
