/*
 * engine_book.c - the order accounting of the engine (see engine.h):
 * ClOrdIDs, execution reports, cancels, and the queries. The checks and the
 * limits cache are in engine.c; the exposure sums (eng_recount()), shared by
 * both, in engine_impl.h.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine_impl.h"

/* ---- ClOrdIDs -------------------------------------------------------------------- */

static uint32_t add_clid(struct rules_engine *e, const char *id, uint32_t order,
    enum clkind kind)
{
	struct htab_key k;

	if (!eng_key_of(&k, id))
		return HTAB_NONE;
	return eng_add_clid_k(e, &k, order, kind);
}

uint32_t eng_find_clid(const struct rules_engine *e, const char *id)
{
	struct htab_key k;

	htab_key_set(&k, id, strlen(id));
	return htab_find(&e->e_clid_ix, &k);
}

/* ---- accounting ------------------------------------------------------------------- */

static struct order *order_of(struct rules_engine *e, const char *clordid,
    const char *origclordid, uint32_t *ci)
{
	*ci = HTAB_NONE;
	if (id_ok(clordid))
		*ci = eng_find_clid(e, clordid);
	if (*ci == HTAB_NONE && id_ok(origclordid))
		*ci = eng_find_clid(e, origclordid);
	return *ci == HTAB_NONE ? NULL : &e->e_orders[e->e_clids[*ci].c_order];
}

static bool terminal_status(char s)
{
	/* 2 filled, 4 cancelled, 8 rejected, C expired, 3 done for day */
	return s == '2' || s == '4' || s == '8' || s == 'C' || s == '3';
}

static int apply_fill(struct rules_engine *e, struct order *o, const struct rules_exec *x)
{
	int64_t cum = -1, delta, px, n;
	struct parent *p = &e->e_parents[o->o_parent];
	int rc = 0;

	if (x->re_cum_qty >= 0)
		cum = x->re_cum_qty;
	else if (x->re_last_qty > 0)
		cum = sat_add(o->o_cum, x->re_last_qty);
	if (cum <= o->o_cum)
		return 0;
	delta = cum - o->o_cum;
	px = x->re_last_px > 0 ? x->re_last_px : o->o_px;
	if (rules_mul_ovf(delta, px, &n)) {
		n = INT64_MAX;
		rc = RULES_ERANGE;
	}
	o->o_cum = cum;
	expo_bump(&p->p_expo, &p->p_expo.filled_qty, delta);
	expo_bump(&p->p_expo, &p->p_expo.filled_notional, n);
	if (p->p_expo.pinned)
		rc = RULES_ERANGE;
	if (o->o_account != NONE) {
		struct account *a = &e->e_accounts[o->o_account];

		expo_bump(&a->a_expo, &a->a_expo.filled_qty, delta);
		expo_bump(&a->a_expo, &a->a_expo.filled_notional, n);
		if (a->a_expo.pinned)
			rc = RULES_ERANGE;
	}
	return rc;
}

int rules_on_exec(struct rules_engine *e, const struct rules_exec *x)
{
	struct order *o;
	uint32_t ci;
	int rc;
	char et = x->re_exec_type;

	if (x->re_last_qty < -1 || x->re_last_px < -1 || x->re_cum_qty < -1 ||
	    x->re_leaves_qty < -1 || x->re_order_qty < -1 || x->re_px < -1)
		return RULES_EINVAL;
	o = order_of(e, x->re_clordid, x->re_origclordid, &ci);
	if (o == NULL)
		return RULES_ENOTFOUND;

	rc = apply_fill(e, o, x);

	if (et == '5') {
		/* Replaced: the pending replace this report names is now the
		 * order, at the venue's quantity and price. Any other (an
		 * unsolicited replace, or the confirmation of an earlier one
		 * resent) may raise the order's quantity and price, never lower
		 * them, and leaves a pending replace pending: open falls only on
		 * a terminal report or a confirmed replace down. */
		if (o->o_pend_clid != NONE && ci == o->o_pend_clid) {
			o->o_qty = o->o_pend_qty;
			o->o_px = o->o_pend_px;
			o->o_clid = o->o_pend_clid;
			o->o_pend_clid = NONE;
			if (x->re_order_qty > 0)
				o->o_qty = x->re_order_qty;
			if (x->re_px > 0)
				o->o_px = x->re_px;
		} else {
			o->o_qty = max64(o->o_qty, x->re_order_qty);
			o->o_px = max64(o->o_px, x->re_px);
		}
		o->o_vleaves = x->re_leaves_qty >= 0 ? x->re_leaves_qty : 0;
		if (terminal_status(x->re_ord_status))
			set_live(e, o, O_DONE);
	} else if (et == '8' && e->e_clids[ci].c_kind != CL_NEW) {
		/* The venue rejected a replace (or cancel) request with an
		 * execution report, now or in a resend: the order stays as it
		 * was, unless its status (39) says it is finished. Only the
		 * pending replace this report names is dropped: a resent
		 * reject of an earlier replace leaves a newer one pending. */
		if (ci == o->o_pend_clid)
			o->o_pend_clid = NONE;
		if (terminal_status(x->re_ord_status) && x->re_ord_status != '8') {
			set_live(e, o, O_DONE);
			o->o_pend_clid = NONE;
		}
	} else if (et == '4' || et == '8' || et == 'C' || et == '3' ||
		   terminal_status(x->re_ord_status)) {
		set_live(e, o, O_DONE);
		o->o_pend_clid = NONE;
	} else if (x->re_leaves_qty >= 0) {
		/* New, pending, partial fill, restated, status: the venue's
		 * open quantity is a floor for ours. */
		o->o_vleaves = x->re_leaves_qty;
	}
	eng_recount(e, o);
	return rc;
}

int rules_on_cancel_sent(struct rules_engine *e, const char *clordid, const char *origclordid)
{
	uint32_t ci;

	if (!id_ok(clordid) || !id_ok(origclordid))
		return RULES_EINVAL;
	if (eng_find_clid(e, clordid) != HTAB_NONE)
		return RULES_EEXIST;
	ci = eng_find_clid(e, origclordid);
	if (ci == HTAB_NONE)
		return RULES_ENOTFOUND;
	if (add_clid(e, clordid, e->e_clids[ci].c_order, CL_CANCEL) == HTAB_NONE)
		return RULES_ECAPACITY;
	e->e_orders[e->e_clids[ci].c_order].o_cxl_pend = 1;
	return 0;
}

int rules_on_cancel_reject(struct rules_engine *e, const char *clordid, const char *origclordid,
    char response_to)
{
	uint32_t ci;
	struct order *o = order_of(e, clordid, origclordid, &ci);

	if (o == NULL)
		return RULES_ENOTFOUND;
	if (response_to == '1' && ci != HTAB_NONE && e->e_clids[ci].c_kind == CL_CANCEL)
		o->o_cxl_pend = 0; /* the venue refused the cancel: the order stays */
	/* Only a reject of the pending replace itself: a resent reject of an
	 * earlier replace must not drop a newer one. */
	if (response_to == '2' && o->o_pend_clid != NONE && ci == o->o_pend_clid) {
		o->o_pend_clid = NONE;
		eng_recount(e, o);
	}
	return 0;
}

/* ---- queries ---------------------------------------------------------------------- */

static void expo_out(const struct expo *x, struct rules_exposure *out)
{
	out->ex_open_qty = x->open_qty;
	out->ex_filled_qty = x->filled_qty;
	out->ex_open_notional = x->open_notional;
	out->ex_filled_notional = x->filled_notional;
	out->ex_orders = x->orders;
	out->ex_live = x->live;
}

int rules_parent_exposure(struct rules_engine *e, const char *parent, struct rules_exposure *out)
{
	uint32_t i;
	struct htab_key k;

	if (!eng_key_of(&k, parent))
		return RULES_EINVAL;
	i = find_parent(e, &k);
	if (i == NONE)
		return RULES_ENOTFOUND;
	expo_out(&e->e_parents[i].p_expo, out);
	return 0;
}

int rules_account_exposure(struct rules_engine *e, const char *account,
    struct rules_exposure *out)
{
	uint32_t i;
	struct htab_key k;

	if (!eng_key_of(&k, account))
		return RULES_EINVAL;
	i = find_account(e, &k);
	if (i == NONE)
		return RULES_ENOTFOUND;
	expo_out(&e->e_accounts[i].a_expo, out);
	return 0;
}

static void live_out(const struct rules_engine *e, const struct order *o, struct rules_live *l)
{
	l->rl_clordid = e->e_clids[o->o_clid].c_id;
	l->rl_symbol = e->e_scold[o->o_symbol].s_id;
	l->rl_parent = e->e_parents[o->o_parent].p_id;
	l->rl_account = o->o_account != NONE ? e->e_acold[o->o_account].a_id : "";
	l->rl_side = o->o_side;
	l->rl_qty = o->o_qty;
	l->rl_cum = o->o_cum;
	l->rl_open = o->o_cnt_qty;
	l->rl_tag = o->o_tag;
	l->rl_replace_pending = o->o_pend_clid != NONE;
	l->rl_cancel_pending = o->o_cxl_pend != 0;
}

int rules_order_find(struct rules_engine *e, const char *clordid, struct rules_live *out)
{
	uint32_t ci = id_ok(clordid) ? eng_find_clid(e, clordid) : HTAB_NONE;
	const struct order *o;

	if (ci == HTAB_NONE)
		return RULES_ENOTFOUND;
	o = &e->e_orders[e->e_clids[ci].c_order];
	if (o->o_state != O_LIVE)
		return RULES_ENOTFOUND;
	live_out(e, o, out);
	return 0;
}

int rules_foreach_live(struct rules_engine *e, rules_live_cb *cb, void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < e->e_norders; i++) {
		const struct order *o = &e->e_orders[i];
		struct rules_live l;

		if (o->o_state != O_LIVE)
			continue;
		live_out(e, o, &l);
		if ((rc = cb(arg, &l)) != 0)
			return rc;
	}
	return 0;
}

int rules_foreach_parent(struct rules_engine *e, size_t from, rules_parent_info_cb *cb,
    void *arg)
{
	size_t i;
	int rc;

	for (i = from; i < e->e_parent_ix.ht_count; i++) {
		const struct parent_cold *pc = &e->e_pcold[i];
		const struct parent *p = &e->e_parents[pc->p_slot];
		struct rules_parent_info pi;

		pi.rpi_id = p->p_id;
		pi.rpi_account = pc->p_reg.rp_account;
		pi.rpi_symbol = pc->p_reg.rp_symbol;
		pi.rpi_side = pc->p_reg.rp_side;
		pi.rpi_qty = pc->p_reg.rp_qty;
		pi.rpi_registered = p->p_registered;
		pi.rpi_declared = p->p_declared;
		pi.rpi_pinned = p->p_expo.pinned;
		pi.rpi_blocked = eng_parent_blocked(e, pc->p_slot);
		pi.rpi_warned = e->e_warn_pct != 0 ? WARN_ALL & ~(unsigned)p->p_warn_left : 0;
		expo_out(&p->p_expo, &pi.rpi_expo);
		if ((rc = cb(arg, i, &pi)) != 0)
			return rc;
	}
	return 0;
}
