/*
 * journal_ev.c - the order events of journal.mdb: built from what the rules
 * engine was given, checked, and fed back to an engine on replay
 * (journal.h, "the order event log").
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "journal.h"
#include "rules.h"

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, RULES_ERRLEN, fmt, ap);
	va_end(ap);
}

/* Copies an optional id (NULL = ""); false if it does not fit. */
static bool copy_id(char dst[JOURNAL_ID_SIZE], const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return true;
	}
	n = strnlen(src, RULES_ID_MAX + 1);
	if (n > RULES_ID_MAX)
		return false;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

static int start(struct journal_event *ev, enum journal_ev_type type, const char *route)
{
	memset(ev, 0, sizeof(*ev));
	ev->ev_type = type;
	return copy_id(ev->ev_route, route) ? 0 : RULES_EINVAL;
}

int journal_ev_order(struct journal_event *ev, const char *route, const struct rules_order *o)
{
	struct journal_order *j = &ev->ev_u.order;

	if (start(ev, JOURNAL_EV_ORDER, route) != 0)
		return RULES_EINVAL;
	j->jo_kind = o->ro_kind;
	if (!copy_id(j->jo_clordid, o->ro_clordid) ||
	    !copy_id(j->jo_origclordid, o->ro_kind == RULES_REPLACE ? o->ro_origclordid : NULL) ||
	    !copy_id(j->jo_parent, o->ro_parent) || !copy_id(j->jo_account, o->ro_account) ||
	    !copy_id(j->jo_symbol, o->ro_symbol))
		return RULES_EINVAL;
	j->jo_side = o->ro_side;
	j->jo_ordtype = o->ro_ordtype;
	j->jo_qty = o->ro_qty;
	j->jo_px = o->ro_px;
	j->jo_declared_qty = o->ro_declared_qty;
	j->jo_allow_declare = o->ro_allow_declare;
	j->jo_now_ns = o->ro_now_ns;
	return journal_ev_validate(ev, NULL);
}

int journal_ev_exec(struct journal_event *ev, const char *route, const struct rules_exec *x)
{
	struct journal_exec *j = &ev->ev_u.exec;

	if (start(ev, JOURNAL_EV_EXEC, route) != 0 || !copy_id(j->jx_clordid, x->re_clordid) ||
	    !copy_id(j->jx_origclordid, x->re_origclordid))
		return RULES_EINVAL;
	j->jx_exec_type = x->re_exec_type;
	j->jx_ord_status = x->re_ord_status;
	j->jx_last_qty = x->re_last_qty;
	j->jx_last_px = x->re_last_px;
	j->jx_cum_qty = x->re_cum_qty;
	j->jx_leaves_qty = x->re_leaves_qty;
	j->jx_order_qty = x->re_order_qty;
	j->jx_px = x->re_px;
	return journal_ev_validate(ev, NULL);
}

int journal_ev_cancel_sent(struct journal_event *ev, const char *route, const char *clordid,
    const char *origclordid)
{
	if (start(ev, JOURNAL_EV_CANCEL_SENT, route) != 0 ||
	    !copy_id(ev->ev_u.cancel.jc_clordid, clordid) ||
	    !copy_id(ev->ev_u.cancel.jc_origclordid, origclordid))
		return RULES_EINVAL;
	return journal_ev_validate(ev, NULL);
}

int journal_ev_cancel_reject(struct journal_event *ev, const char *route, const char *clordid,
    const char *origclordid, char response_to)
{
	if (start(ev, JOURNAL_EV_CANCEL_REJECT, route) != 0 ||
	    !copy_id(ev->ev_u.cancel.jc_clordid, clordid) ||
	    !copy_id(ev->ev_u.cancel.jc_origclordid, origclordid))
		return RULES_EINVAL;
	ev->ev_u.cancel.jc_response_to = response_to;
	return journal_ev_validate(ev, NULL);
}

int journal_ev_parent(struct journal_event *ev, enum journal_ev_type type, const char *route,
    const char *parent)
{
	if ((type != JOURNAL_EV_PARENT_BLOCK && type != JOURNAL_EV_PARENT_RELEASE) ||
	    start(ev, type, route) != 0 || !copy_id(ev->ev_u.parent.jp_parent, parent))
		return RULES_EINVAL;
	return journal_ev_validate(ev, NULL);
}

/* ---- validation -------------------------------------------------------------- */

/* A NUL-terminated id field: "" if optional, else rules_id_valid(). */
static bool id_ok(const char f[JOURNAL_ID_SIZE], bool optional)
{
	if (memchr(f, '\0', JOURNAL_ID_SIZE) == NULL)
		return false;
	if (f[0] == '\0')
		return optional;
	return rules_id_valid(f);
}

/* A FIX char field: one printable ASCII character. */
static bool char_ok(char c)
{
	return (unsigned char)c >= 0x21 && (unsigned char)c <= 0x7e;
}

int journal_ev_validate(const struct journal_event *ev, char err[RULES_ERRLEN])
{
	const char *what = NULL;

	if (!id_ok(ev->ev_route, false)) {
		what = "route";
	} else if (ev->ev_type == JOURNAL_EV_ORDER) {
		const struct journal_order *o = &ev->ev_u.order;

		if (o->jo_kind != RULES_NEW && o->jo_kind != RULES_REPLACE)
			what = "order kind";
		else if (!id_ok(o->jo_clordid, false))
			what = "ClOrdID";
		else if (!id_ok(o->jo_origclordid, o->jo_kind == RULES_NEW) ||
		    (o->jo_kind == RULES_NEW && o->jo_origclordid[0] != '\0'))
			what = "OrigClOrdID (a replace has one, a new order none)";
		else if (!id_ok(o->jo_parent, true) || !id_ok(o->jo_account, true))
			what = "parent or account";
		else if (!id_ok(o->jo_symbol, false))
			what = "symbol";
		else if (!char_ok(o->jo_side) || !char_ok(o->jo_ordtype))
			what = "side or order type";
		else if (o->jo_qty <= 0 || o->jo_px < 0 || o->jo_declared_qty < 0)
			what = "quantity, price or declared quantity";
	} else if (ev->ev_type == JOURNAL_EV_EXEC) {
		const struct journal_exec *x = &ev->ev_u.exec;

		if (!id_ok(x->jx_clordid, false) || !id_ok(x->jx_origclordid, true))
			what = "ClOrdID or OrigClOrdID";
		else if (!char_ok(x->jx_exec_type) || !char_ok(x->jx_ord_status))
			what = "ExecType or OrdStatus";
	} else if (ev->ev_type == JOURNAL_EV_CANCEL_SENT ||
	    ev->ev_type == JOURNAL_EV_CANCEL_REJECT) {
		const struct journal_cancel *c = &ev->ev_u.cancel;
		bool reject = ev->ev_type == JOURNAL_EV_CANCEL_REJECT;

		if (!id_ok(c->jc_clordid, false) || !id_ok(c->jc_origclordid, reject))
			what = "ClOrdID or OrigClOrdID";
		else if (reject ? !char_ok(c->jc_response_to) : c->jc_response_to != 0)
			what = "CxlRejResponseTo";
	} else if (ev->ev_type == JOURNAL_EV_PARENT_BLOCK ||
	    ev->ev_type == JOURNAL_EV_PARENT_RELEASE) {
		if (!id_ok(ev->ev_u.parent.jp_parent, false))
			what = "parent";
	} else {
		what = "event type";
	}
	if (what == NULL)
		return 0;
	seterr(err, "event: bad %s", what);
	return RULES_EINVAL;
}

/* ---- replay --------------------------------------------------------------------- */

static const char *opt(const char *s)
{
	return s[0] == '\0' ? NULL : s;
}

int journal_ev_apply(struct rules_engine *en, const struct journal_event *ev,
    struct rules_decision *d)
{
	struct rules_decision scratch;

	if (d == NULL)
		d = &scratch;
	switch (ev->ev_type) {
	case JOURNAL_EV_ORDER: {
		const struct journal_order *j = &ev->ev_u.order;
		struct rules_order o = {
			.ro_kind = j->jo_kind,
			.ro_clordid = j->jo_clordid,
			.ro_origclordid = opt(j->jo_origclordid),
			.ro_parent = opt(j->jo_parent),
			.ro_account = opt(j->jo_account),
			.ro_symbol = j->jo_symbol,
			.ro_side = j->jo_side,
			.ro_ordtype = j->jo_ordtype,
			.ro_qty = j->jo_qty,
			.ro_px = j->jo_px,
			.ro_declared_qty = j->jo_declared_qty,
			.ro_allow_declare = j->jo_allow_declare,
			.ro_now_ns = j->jo_now_ns,
		};

		return rules_check(en, &o, d) == RULES_ACCEPT ? 0 : RULES_EINVAL;
	}
	case JOURNAL_EV_EXEC: {
		const struct journal_exec *j = &ev->ev_u.exec;
		struct rules_exec x = {
			.re_clordid = j->jx_clordid,
			.re_origclordid = opt(j->jx_origclordid),
			.re_exec_type = j->jx_exec_type,
			.re_ord_status = j->jx_ord_status,
			.re_last_qty = j->jx_last_qty,
			.re_last_px = j->jx_last_px,
			.re_cum_qty = j->jx_cum_qty,
			.re_leaves_qty = j->jx_leaves_qty,
			.re_order_qty = j->jx_order_qty,
			.re_px = j->jx_px,
		};

		return rules_on_exec(en, &x);
	}
	case JOURNAL_EV_CANCEL_SENT:
		return rules_on_cancel_sent(en, ev->ev_u.cancel.jc_clordid,
		    ev->ev_u.cancel.jc_origclordid);
	case JOURNAL_EV_CANCEL_REJECT:
		return rules_on_cancel_reject(en, ev->ev_u.cancel.jc_clordid,
		    opt(ev->ev_u.cancel.jc_origclordid), ev->ev_u.cancel.jc_response_to);
	case JOURNAL_EV_PARENT_BLOCK:
		return rules_parent_block(en, ev->ev_u.parent.jp_parent);
	case JOURNAL_EV_PARENT_RELEASE:
		return rules_parent_release(en, ev->ev_u.parent.jp_parent);
	}
	return RULES_EINVAL;
}
