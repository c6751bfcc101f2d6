/*
 * router_orders.c - parents, child orders and execution reports of
 * router-sim (see router_orders.h).
 *
 * A table slot holds one ClOrdID: a child order (K_ORDER) or a cancel or
 * replace request (K_CANCEL, K_REPLACE) naming its order by number. States:
 * S_PENDING (no answer yet), S_OPEN, S_DONE. A confirmed replace turns the
 * request's slot into the order (the venue's ClOrdID from then on) and ends
 * the old one.
 */
#include "config.h"

#include "router_orders.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fixed.h"
#include "sim_hist.h"
#include "sim_util.h"

#define TICK INT64_C(10000) /* 0.01 in 1e-6 units */
#define NREASONS 32
#define REASON_LEN 72

enum { K_FREE = 0, K_ORDER, K_CANCEL, K_REPLACE };
enum { S_PENDING = 0, S_OPEN, S_DONE };

struct child {
	uint64_t c_n;          /* ClOrdID number */
	uint64_t c_target;     /* request: the order's number */
	int64_t c_t0;          /* intended send time (monotonic ns) */
	int64_t c_qty, c_px, c_cum;
	uint32_t c_parent;
	uint8_t c_kind, c_state;
	bool c_req;            /* order: a cancel/replace of it is pending */
};

struct reason {
	char r_text[REASON_LEN];
	uint64_t r_n;
};

struct rcount {
	uint64_t sent, sent_qty, cancels_sent, replaces_sent;
	uint64_t acks, fills, filled_qty, rejects;
	uint64_t cancels_confirmed, cancel_rejects, replaces_confirmed, replace_rejects;
	uint64_t unsolicited_cancels, expired, business_rejects, unknown, table_busy, untracked;
	uint64_t first_answers_by_fill;
};

struct rorders {
	struct ro_cfg r_cfg;
	struct ro_parent *r_par;
	uint32_t r_npar;
	uint32_t *r_active;    /* parents with quantity left (correct router) */
	uint32_t r_nactive;
	uint64_t r_rr;         /* round robin */
	struct child *r_tab;
	uint64_t r_mask;
	uint64_t r_next;       /* next ClOrdID number */
	size_t r_prefix_len;
	struct sim_rng r_rng;
	uint64_t r_inflight, r_pending_reqs, r_live;
	struct rcount r_c;
	struct reason r_reasons[NREASONS];
	uint32_t r_nreasons;
	uint64_t r_reasons_other;
	struct sim_hist r_lat;
};

/* ---- lifetime ----------------------------------------------------------------------- */

static int64_t avail(const struct ro_parent *p)
{
	return p->p_qty - p->p_filled - p->p_open;
}

/* Keeps p in the active list iff it has quantity left. */
static void update_active(struct rorders *ro, uint32_t pi)
{
	struct ro_parent *p = &ro->r_par[pi];
	bool want = avail(p) > 0;

	if (want && p->p_active_pos == 0) {
		ro->r_active[ro->r_nactive++] = pi;
		p->p_active_pos = ro->r_nactive;
	} else if (!want && p->p_active_pos != 0) {
		uint32_t pos = p->p_active_pos - 1, last = ro->r_active[--ro->r_nactive];

		ro->r_active[pos] = last;
		ro->r_par[last].p_active_pos = pos + 1;
		p->p_active_pos = 0;
	}
}

int ro_new(struct rorders **out, const struct ro_cfg *cfg, struct ro_parent *par, uint32_t n)
{
	struct rorders *ro;
	uint64_t size = 1;
	uint32_t i;

	*out = NULL;
	if (n == 0 || cfg->rc_max_orders == 0)
		return -EINVAL;
	while (size < cfg->rc_max_orders)
		size <<= 1;
	if ((ro = calloc(1, sizeof(*ro))) == NULL)
		return -ENOMEM;
	ro->r_cfg = *cfg;
	ro->r_par = par;
	ro->r_npar = n;
	ro->r_active = calloc(n, sizeof(*ro->r_active));
	ro->r_tab = calloc(size, sizeof(*ro->r_tab));
	if (ro->r_active == NULL || ro->r_tab == NULL) {
		ro_free(ro);
		return -ENOMEM;
	}
	ro->r_mask = size - 1;
	ro->r_next = 1;
	ro->r_prefix_len = strlen(cfg->rc_prefix);
	sim_rng_seed(&ro->r_rng, cfg->rc_seed);
	sim_hist_init(&ro->r_lat);
	for (i = 0; i < n; i++) {
		struct ro_parent *p = &par[i];
		int64_t slices = cfg->rc_slices > 0 ? cfg->rc_slices : 10;

		p->p_child_qty = cfg->rc_child_qty > 0 ? cfg->rc_child_qty : (p->p_qty + slices - 1) / slices;
		if (p->p_child_qty < 1)
			p->p_child_qty = 1;
		p->p_open = p->p_filled = p->p_sent_qty = p->p_seen_filled = 0;
		p->p_children = 0;
		p->p_active_pos = 0;
		update_active(ro, i);
	}
	*out = ro;
	return 0;
}

void ro_free(struct rorders *ro)
{
	if (ro == NULL)
		return;
	free(ro->r_active);
	free(ro->r_tab);
	free(ro);
}

uint64_t ro_inflight(const struct rorders *ro)
{
	return ro->r_inflight;
}

uint64_t ro_pending_requests(const struct rorders *ro)
{
	return ro->r_pending_reqs;
}

uint64_t ro_live(const struct rorders *ro)
{
	return ro->r_live;
}

uint64_t ro_sent(const struct rorders *ro)
{
	return ro->r_c.sent;
}

bool ro_exhausted(const struct rorders *ro)
{
	return !ro->r_cfg.rc_runaway && ro->r_nactive == 0;
}

/* ---- ClOrdIDs ----------------------------------------------------------------------- */

static size_t id_of(const struct rorders *ro, uint64_t n, char *buf)
{
	memcpy(buf, ro->r_cfg.rc_prefix, ro->r_prefix_len);
	return ro->r_prefix_len + sim_utoa(n, buf + ro->r_prefix_len);
}

/* The slot of ClOrdID s[0..len), if it is one of ours and still held. */
static struct child *lookup(struct rorders *ro, const char *s, size_t len)
{
	uint64_t n = 0;
	size_t i;
	struct child *c;

	if (len <= ro->r_prefix_len || len > ro->r_prefix_len + 19 ||
	    memcmp(s, ro->r_cfg.rc_prefix, ro->r_prefix_len) != 0)
		return NULL;
	for (i = ro->r_prefix_len; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NULL;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	c = &ro->r_tab[n & ro->r_mask];
	return c->c_kind != K_FREE && c->c_n == n ? c : NULL;
}

static struct child *by_number(struct rorders *ro, uint64_t n)
{
	struct child *c = &ro->r_tab[n & ro->r_mask];

	return c->c_kind != K_FREE && c->c_n == n ? c : NULL;
}

/* The slot for the next number, or NULL if it still holds something live. */
static struct child *next_slot(struct rorders *ro)
{
	struct child *c = &ro->r_tab[ro->r_next & ro->r_mask];

	if (c->c_kind == K_FREE || c->c_state == S_DONE)
		return c;
	if (!ro->r_cfg.rc_runaway)
		return NULL;
	/* the runaway router does not care: the old one is forgotten */
	ro->r_c.untracked++;
	if (c->c_state == S_PENDING && c->c_kind == K_ORDER)
		ro->r_inflight--;
	if (c->c_state == S_PENDING && c->c_kind != K_ORDER)
		ro->r_pending_reqs--;
	if (c->c_kind == K_ORDER)
		ro->r_live--;
	return c;
}

/* ---- sending -------------------------------------------------------------------------- */

struct msg_ctx {
	struct rorders *m_ro;
	const struct child *m_c;
	const struct ro_parent *m_p;
	uint64_t m_orig;        /* F/G: the order's number */
	char m_type;
};

static int fill_order(struct fix_builder *b, void *arg)
{
	const struct msg_ctx *x = arg;
	const struct rorders *ro = x->m_ro;
	const struct ro_parent *p = x->m_p;
	char id[RO_ID_MAX + 24];

	fix_add_str(b, 11, id, id_of(ro, x->m_c->c_n, id));
	if (x->m_type != 'D')
		fix_add_str(b, 41, id, id_of(ro, x->m_orig, id));
	if (p->p_account[0] != '\0')
		fix_add_str(b, 1, p->p_account, strlen(p->p_account));
	if (x->m_type != 'F')
		fix_add_char(b, 21, '1');
	fix_add_str(b, 55, p->p_symbol, strlen(p->p_symbol));
	fix_add_char(b, 54, p->p_side);
	fix_add_time(b, 60, sim_wall_ns());
	fix_add_int(b, 38, x->m_c->c_qty);
	if (x->m_type != 'F') {
		fix_add_char(b, 40, '2');
		fix_add_px(b, 44, x->m_c->c_px);
		fix_add_char(b, 59, '0');
		fix_add_str(b, ro->r_cfg.rc_parent_tag, p->p_id, strlen(p->p_id));
		if (ro->r_cfg.rc_declared_qty_tag > 0)
			fix_add_int(b, ro->r_cfg.rc_declared_qty_tag, p->p_qty);
	}
	return 0;
}

/*
 * session_send(), and 0 also when it failed after the message was stored and
 * numbered: the connection was already closing (-EPIPE) or full (-ENOBUFS).
 * Such a message is not lost: a ResendRequest after the reconnect replays it,
 * so it must be counted as sent (else its ClOrdID would be used again).
 */
static int send_stored(struct session *s, const char *type, struct msg_ctx *x)
{
	uint64_t before = session_next_out(s);
	int rc = session_send(s, type, fill_order, x);

	return rc != 0 && session_next_out(s) > before ? 0 : rc;
}

static int64_t child_px(struct rorders *ro, const struct ro_parent *p)
{
	int64_t ref = p->p_limit_px > 0 ? p->p_limit_px : ro->r_cfg.rc_ref_px;
	int64_t k = ro->r_cfg.rc_px_ticks > 0
	    ? (int64_t)sim_rng_below(&ro->r_rng, (uint64_t)ro->r_cfg.rc_px_ticks + 1)
	    : 0;
	int64_t px = p->p_side == '1' ? ref - k * TICK : ref + k * TICK;

	return px > 0 ? px : TICK;
}

int ro_send_new(struct rorders *ro, struct session *s, int64_t t0)
{
	struct msg_ctx x;
	struct child *c, tmp;
	struct ro_parent *p;
	uint32_t pi;
	int64_t qty;
	int rc;

	if (ro->r_cfg.rc_runaway) {
		pi = (uint32_t)(ro->r_rr++ % ro->r_npar);
		qty = ro->r_par[pi].p_child_qty;
	} else {
		if (ro->r_nactive == 0)
			return RO_EXHAUSTED;
		pi = ro->r_active[ro->r_rr++ % ro->r_nactive];
		qty = avail(&ro->r_par[pi]);
		if (qty > ro->r_par[pi].p_child_qty)
			qty = ro->r_par[pi].p_child_qty;
	}
	p = &ro->r_par[pi];
	if ((c = next_slot(ro)) == NULL) {
		ro->r_c.table_busy++;
		return RO_TABLE_BUSY;
	}
	memset(&tmp, 0, sizeof(tmp));
	tmp.c_n = ro->r_next;
	tmp.c_t0 = t0;
	tmp.c_qty = qty;
	tmp.c_px = child_px(ro, p);
	tmp.c_parent = pi;
	tmp.c_kind = K_ORDER;
	tmp.c_state = S_PENDING;
	x.m_ro = ro;
	x.m_c = &tmp;
	x.m_p = p;
	x.m_orig = 0;
	x.m_type = 'D';
	if ((rc = send_stored(s, "D", &x)) != 0)
		return rc;
	*c = tmp;
	ro->r_next++;
	ro->r_inflight++;
	ro->r_live++;
	ro->r_c.sent++;
	ro->r_c.sent_qty += (uint64_t)qty;
	p->p_open += qty;
	p->p_sent_qty += qty;
	p->p_children++;
	if (!ro->r_cfg.rc_runaway)
		update_active(ro, pi);
	return RO_SENT;
}

/* A cancel (type F) or a replace (G) of order o; skipped if the table is busy. */
static void send_request(struct rorders *ro, struct session *s, struct child *o, char type,
    int64_t now)
{
	struct child *c, tmp;
	struct msg_ctx x;
	int64_t leaves = o->c_qty - o->c_cum;

	memset(&tmp, 0, sizeof(tmp));
	tmp.c_n = ro->r_next;
	tmp.c_target = o->c_n;
	tmp.c_t0 = now;
	tmp.c_parent = o->c_parent;
	tmp.c_kind = type == 'F' ? K_CANCEL : K_REPLACE;
	tmp.c_state = S_PENDING;
	tmp.c_qty = o->c_qty;
	tmp.c_px = o->c_px;
	tmp.c_cum = o->c_cum;
	if (type == 'G') {
		/* smaller and less aggressive: never more exposure for the parent */
		if (leaves < 2)
			return;
		tmp.c_qty = o->c_qty - (leaves / 4 > 0 ? leaves / 4 : 1);
		if (ro->r_par[o->c_parent].p_side == '1')
			tmp.c_px = o->c_px > TICK ? o->c_px - TICK : o->c_px;
		else
			tmp.c_px = o->c_px + TICK;
	}
	if ((c = next_slot(ro)) == NULL) {
		ro->r_c.table_busy++;
		return;
	}
	x.m_ro = ro;
	x.m_c = &tmp;
	x.m_p = &ro->r_par[o->c_parent];
	x.m_orig = o->c_n;
	x.m_type = type;
	if (send_stored(s, type == 'F' ? "F" : "G", &x) != 0)
		return;
	*c = tmp;
	ro->r_next++;
	ro->r_pending_reqs++;
	o->c_req = true;
	if (type == 'F')
		ro->r_c.cancels_sent++;
	else
		ro->r_c.replaces_sent++;
}

/* ---- execution reports ------------------------------------------------------------------ */

static void first_answer(struct rorders *ro, struct child *c, int64_t now)
{
	if (c->c_state != S_PENDING || c->c_kind != K_ORDER)
		return;
	sim_hist_add(&ro->r_lat, now > c->c_t0 ? (uint64_t)(now - c->c_t0) : 0);
	ro->r_inflight--;
	c->c_state = S_OPEN;
}

/* The order is over: its leaves no longer count against the parent. */
static void finish(struct rorders *ro, struct child *c)
{
	struct ro_parent *p = &ro->r_par[c->c_parent];
	int64_t leaves = c->c_qty - c->c_cum;

	if (c->c_state == S_DONE)
		return;
	if (leaves > 0)
		p->p_open -= leaves;
	c->c_state = S_DONE;
	ro->r_live--;
	if (!ro->r_cfg.rc_runaway)
		update_active(ro, c->c_parent);
}

static void request_done(struct rorders *ro, struct child *r)
{
	struct child *o = by_number(ro, r->c_target);

	if (r->c_state == S_PENDING)
		ro->r_pending_reqs--;
	r->c_state = S_DONE;
	if (o != NULL)
		o->c_req = false;
}

static void count_reason(struct rorders *ro, const char *prefix, const struct fix_msg *m,
    int code_tag)
{
	char key[REASON_LEN];
	const char *t = "";
	size_t tl = 0, i;
	int64_t code;
	int n;

	(void)fix_get_str(m, 58, &t, &tl);
	/* the text up to its first variable part (a number, a quote, a bracket) */
	for (i = 0; i < tl && i < 48 && (t[i] < '0' || t[i] > '9') && t[i] != '(' && t[i] != '"' &&
	     t[i] != '\'' && t[i] != '[';
	     i++)
		;
	while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == ':' || t[i - 1] == ',' || t[i - 1] == '='))
		i--;
	if (fix_get_int(m, code_tag, &code) == 0)
		n = snprintf(key, sizeof(key), "%s%.*s%s(%d=%" PRId64 ")", prefix, (int)i, t,
		    i > 0 ? " " : "", code_tag, code);
	else
		n = snprintf(key, sizeof(key), "%s%.*s", prefix, i > 0 ? (int)i : 9,
		    i > 0 ? t : "(no text)");
	(void)n;
	for (i = 0; i < ro->r_nreasons; i++)
		if (strcmp(ro->r_reasons[i].r_text, key) == 0) {
			ro->r_reasons[i].r_n++;
			return;
		}
	if (ro->r_nreasons == NREASONS) {
		ro->r_reasons_other++;
		return;
	}
	snprintf(ro->r_reasons[ro->r_nreasons].r_text, REASON_LEN, "%s", key);
	ro->r_reasons[ro->r_nreasons++].r_n = 1;
}

static void maybe_amend(struct rorders *ro, struct session *s, struct child *o, int64_t now)
{
	double r;

	if (ro->r_cfg.rc_cancel_pct <= 0 && ro->r_cfg.rc_replace_pct <= 0)
		return;
	r = sim_rng_unit(&ro->r_rng) * 100.0;
	if (r < ro->r_cfg.rc_cancel_pct)
		send_request(ro, s, o, 'F', now);
	else if (r < ro->r_cfg.rc_cancel_pct + ro->r_cfg.rc_replace_pct)
		send_request(ro, s, o, 'G', now);
}

static void on_fill(struct rorders *ro, struct child *c, const struct fix_msg *m, int64_t now)
{
	struct ro_parent *p = &ro->r_par[c->c_parent];
	int64_t last = 0, leaves;

	if (fix_get_qty(m, 32, &last) != 0 || last <= 0)
		return;
	if (c->c_state == S_PENDING) {
		ro->r_c.first_answers_by_fill++;
		first_answer(ro, c, now);
	}
	ro->r_c.fills++;
	ro->r_c.filled_qty += (uint64_t)last;
	p->p_seen_filled += last;
	if (c->c_state == S_DONE)
		return; /* a fill after the end (after a cancel was sent, say) */
	leaves = c->c_qty - c->c_cum;
	c->c_cum += last;
	p->p_filled += last;
	p->p_open -= last < leaves ? last : leaves;
	if (c->c_cum >= c->c_qty) {
		c->c_state = S_DONE;
		ro->r_live--;
	}
	if (!ro->r_cfg.rc_runaway)
		update_active(ro, c->c_parent);
}

static void on_replaced(struct rorders *ro, struct child *r)
{
	struct child *o = by_number(ro, r->c_target);
	struct ro_parent *p = &ro->r_par[r->c_parent];

	ro->r_c.replaces_confirmed++;
	if (r->c_state == S_PENDING)
		ro->r_pending_reqs--;
	if (o == NULL || o->c_state == S_DONE) {
		r->c_state = S_DONE;
		return;
	}
	/* the request's slot is the order from now on */
	r->c_kind = K_ORDER;
	r->c_cum = o->c_cum;
	r->c_req = false;
	p->p_open += (r->c_qty - r->c_cum) - (o->c_qty - o->c_cum);
	o->c_state = S_DONE;
	o->c_req = false;
	if (r->c_cum >= r->c_qty) {
		r->c_state = S_DONE;
		ro->r_live--;
	} else {
		r->c_state = S_OPEN;
	}
	if (!ro->r_cfg.rc_runaway)
		update_active(ro, r->c_parent);
}

static void on_exec(struct rorders *ro, struct session *s, const struct fix_msg *m, int64_t now)
{
	const char *id;
	size_t n;
	char et;
	struct child *c;

	if (fix_get_str(m, 11, &id, &n) != 0 || fix_get_char(m, 150, &et) != 0 ||
	    (c = lookup(ro, id, n)) == NULL) {
		ro->r_c.unknown++;
		return;
	}
	switch (et) {
	case '0': /* New */
		if (c->c_kind != K_ORDER)
			return;
		if (c->c_state == S_PENDING) {
			ro->r_c.acks++;
			first_answer(ro, c, now);
			maybe_amend(ro, s, c, now);
		}
		return;
	case '8': /* Rejected */
		if (c->c_kind == K_ORDER) {
			first_answer(ro, c, now);
			ro->r_c.rejects++;
			count_reason(ro, "", m, 103);
			finish(ro, c);
		} else {
			request_done(ro, c);
			if (c->c_kind == K_CANCEL)
				ro->r_c.cancel_rejects++;
			else
				ro->r_c.replace_rejects++;
		}
		return;
	case '1': /* 4.2 Partial fill */
	case '2': /* 4.2 Fill */
	case 'F': /* 4.4 Trade */
		if (c->c_kind == K_ORDER)
			on_fill(ro, c, m, now);
		return;
	case '4': /* Canceled */
		if (c->c_kind == K_CANCEL) {
			struct child *o = by_number(ro, c->c_target);

			ro->r_c.cancels_confirmed++;
			request_done(ro, c);
			if (o != NULL)
				finish(ro, o);
		} else if (c->c_kind == K_ORDER) {
			ro->r_c.unsolicited_cancels++;
			first_answer(ro, c, now);
			finish(ro, c);
		}
		return;
	case '5': /* Replaced */
		if (c->c_kind == K_REPLACE)
			on_replaced(ro, c);
		return;
	case '3': /* Done for day */
	case 'C': /* Expired */
		if (c->c_kind == K_ORDER) {
			ro->r_c.expired++;
			first_answer(ro, c, now);
			finish(ro, c);
		}
		return;
	default:
		return;
	}
}

void ro_on_app(struct rorders *ro, struct session *s, const struct fix_msg *m, int64_t now)
{
	const char *t, *id;
	size_t n, idn;
	struct child *c;

	if (fix_get_str(m, 35, &t, &n) != 0 || n != 1) {
		ro->r_c.unknown++;
		return;
	}
	switch (t[0]) {
	case '8':
		on_exec(ro, s, m, now);
		return;
	case '9': /* OrderCancelReject */
		if (fix_get_str(m, 11, &id, &idn) == 0 && (c = lookup(ro, id, idn)) != NULL &&
		    c->c_kind != K_ORDER) {
			if (c->c_kind == K_CANCEL)
				ro->r_c.cancel_rejects++;
			else
				ro->r_c.replace_rejects++;
			request_done(ro, c);
		} else {
			ro->r_c.unknown++;
		}
		return;
	case 'j': /* BusinessMessageReject: 379 names the ClOrdID, if given */
		ro->r_c.business_rejects++;
		if (fix_get_str(m, 379, &id, &idn) == 0 && (c = lookup(ro, id, idn)) != NULL) {
			if (c->c_kind == K_ORDER && c->c_state != S_DONE) {
				first_answer(ro, c, now);
				ro->r_c.rejects++;
				count_reason(ro, "BusinessMessageReject ", m, 380);
				finish(ro, c);
			} else if (c->c_kind != K_ORDER) {
				request_done(ro, c);
			}
		}
		return;
	default:
		ro->r_c.unknown++;
		return;
	}
}

/* ---- the report ----------------------------------------------------------------------------- */

struct overfill {
	uint64_t parents;
	int64_t qty;
};

static struct overfill overfilled(const struct rorders *ro)
{
	struct overfill o = {0, 0};
	uint32_t i;

	for (i = 0; i < ro->r_npar; i++)
		if (ro->r_par[i].p_seen_filled > ro->r_par[i].p_qty) {
			o.parents++;
			o.qty += ro->r_par[i].p_seen_filled - ro->r_par[i].p_qty;
		}
	return o;
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static double rate(uint64_t n, int64_t ns)
{
	return ns > 0 ? (double)n * 1e9 / (double)ns : 0.0;
}

void ro_summary(const struct rorders *ro, FILE *f, int64_t elapsed_ns)
{
	const struct rcount *c = &ro->r_c;
	const struct sim_hist *h = &ro->r_lat;
	struct overfill of = overfilled(ro);
	uint32_t i;

	fprintf(f,
	    "router-sim: sent %" PRIu64 " orders (%" PRIu64 " shares), %" PRIu64
	    " cancels, %" PRIu64 " replaces in %.3f s: %.0f orders/s\n",
	    c->sent, c->sent_qty, c->cancels_sent, c->replaces_sent, (double)elapsed_ns / 1e9,
	    rate(c->sent, elapsed_ns));
	fprintf(f,
	    "router-sim: acks %" PRIu64 ", fills %" PRIu64 " (%" PRIu64 " shares), rejects %" PRIu64
	    ", cancels confirmed %" PRIu64 " (rejected %" PRIu64 "), replaces confirmed %" PRIu64
	    " (rejected %" PRIu64 "), unsolicited cancels %" PRIu64 ", business rejects %" PRIu64
	    ", unknown %" PRIu64 ", no answer %" PRIu64 "\n",
	    c->acks, c->fills, c->filled_qty, c->rejects, c->cancels_confirmed, c->cancel_rejects,
	    c->replaces_confirmed, c->replace_rejects, c->unsolicited_cancels, c->business_rejects,
	    c->unknown, ro->r_inflight);
	for (i = 0; i < ro->r_nreasons; i++)
		fprintf(f, "router-sim:   reject %" PRIu64 " x %s\n", ro->r_reasons[i].r_n,
		    ro->r_reasons[i].r_text);
	if (ro->r_reasons_other > 0)
		fprintf(f, "router-sim:   reject %" PRIu64 " x (other reasons)\n",
		    ro->r_reasons_other);
	fprintf(f,
	    "router-sim: parents %" PRIu32 ", overfilled %" PRIu64 " (%" PRId64
	    " shares beyond their quantity)\n",
	    ro->r_npar, of.parents, of.qty);
	fprintf(f,
	    "router-sim: latency us (to the first answer, n=%" PRIu64 "): p50 %.1f p90 %.1f p99 %.1f"
	    " p99.9 %.1f max %.1f mean %.1f\n",
	    h->h_count, us(sim_hist_quantile(h, 0.50)), us(sim_hist_quantile(h, 0.90)),
	    us(sim_hist_quantile(h, 0.99)), us(sim_hist_quantile(h, 0.999)), us(h->h_count ? h->h_max : 0),
	    sim_hist_mean(h) / 1000.0);
	if (c->table_busy > 0 || c->untracked > 0)
		fprintf(f, "router-sim: order table full %" PRIu64 " times, %" PRIu64
		    " live orders forgotten (--max-orders)\n", c->table_busy, c->untracked);
}

void ro_json(const struct rorders *ro, FILE *f, int64_t elapsed_ns, const char *mode)
{
	const struct rcount *c = &ro->r_c;
	const struct sim_hist *h = &ro->r_lat;
	struct overfill of = overfilled(ro);
	uint32_t i;

	fprintf(f,
	    "{\"program\":\"router-sim\",\"fix\":\"FIX.4.%c\",\"mode\":\"%s\",\"sent\":%" PRIu64
	    ",\"sent_qty\":%" PRIu64 ",\"cancels_sent\":%" PRIu64 ",\"replaces_sent\":%" PRIu64
	    ",\"elapsed_s\":%.6f,\"orders_per_s\":%.1f,\"acks\":%" PRIu64 ",\"fills\":%" PRIu64
	    ",\"filled_qty\":%" PRIu64 ",\"rejects\":%" PRIu64 ",\"cancels_confirmed\":%" PRIu64
	    ",\"cancel_rejects\":%" PRIu64 ",\"replaces_confirmed\":%" PRIu64
	    ",\"replace_rejects\":%" PRIu64 ",\"unsolicited_cancels\":%" PRIu64
	    ",\"expired\":%" PRIu64 ",\"business_rejects\":%" PRIu64 ",\"unknown\":%" PRIu64
	    ",\"no_answer\":%" PRIu64 ",\"live\":%" PRIu64 ",\"table_busy\":%" PRIu64
	    ",\"untracked\":%" PRIu64 ",\"parents\":%" PRIu32 ",\"parents_overfilled\":%" PRIu64
	    ",\"overfill_qty\":%" PRId64 ",\"reject_reasons\":{",
	    ro->r_cfg.rc_version == FIX_42 ? '2' : '4', mode, c->sent, c->sent_qty, c->cancels_sent,
	    c->replaces_sent, (double)elapsed_ns / 1e9, rate(c->sent, elapsed_ns), c->acks, c->fills,
	    c->filled_qty, c->rejects, c->cancels_confirmed, c->cancel_rejects,
	    c->replaces_confirmed, c->replace_rejects, c->unsolicited_cancels, c->expired,
	    c->business_rejects, c->unknown, ro->r_inflight, ro->r_live, c->table_busy, c->untracked,
	    ro->r_npar, of.parents, of.qty);
	for (i = 0; i < ro->r_nreasons; i++) {
		fprintf(f, "%s", i ? "," : "");
		sim_json_str(f, ro->r_reasons[i].r_text, strlen(ro->r_reasons[i].r_text));
		fprintf(f, ":%" PRIu64, ro->r_reasons[i].r_n);
	}
	if (ro->r_reasons_other > 0)
		fprintf(f, "%s\"(other)\":%" PRIu64, ro->r_nreasons ? "," : "", ro->r_reasons_other);
	fprintf(f,
	    "},\"latency_us\":{\"count\":%" PRIu64 ",\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
	    "\"p99.9\":%.1f,\"max\":%.1f,\"mean\":%.1f}}\n",
	    h->h_count, us(sim_hist_quantile(h, 0.50)), us(sim_hist_quantile(h, 0.90)),
	    us(sim_hist_quantile(h, 0.99)), us(sim_hist_quantile(h, 0.999)), us(h->h_count ? h->h_max : 0),
	    sim_hist_mean(h) / 1000.0);
}

/* ---- parents ------------------------------------------------------------------------------- */

static int side_of(const char *s, char *out)
{
	static const struct {
		const char *name;
		char side;
	} sides[] = {{"buy", '1'}, {"sell", '2'}, {"sell_short", '5'}, {"sell_short_exempt", '6'},
	    {"1", '1'}, {"2", '2'}, {"5", '5'}, {"6", '6'}};
	size_t i;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
		if (strcmp(s, sides[i].name) == 0) {
			*out = sides[i].side;
			return 0;
		}
	return -1;
}

/* Splits a CSV line in place (RFC 4180 quotes); returns the field count or -1. */
static int csv_split(char *line, char **f, int max)
{
	char *r = line, *w;
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		f[n++] = w = r;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0')
					return -1;
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r;
			}
			r++;
			if (*r != ',' && *r != '\0')
				return -1;
		} else {
			for (; *r != ',' && *r != '\0'; r++)
				*w++ = *r;
		}
		if (*r == '\0') {
			*w = '\0';
			return n;
		}
		*w = '\0';
		r++;
	}
}

static bool id_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > RO_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

int ro_parents_csv(const char *path, struct ro_parent **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *f[9];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	struct ro_parent *ps = NULL;
	uint32_t n = 0, pcap = 0;

	*out = NULL;
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		struct ro_parent *p;
		int nf;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#' || (lineno == 1 && strncmp(line, "id,", 3) == 0))
			continue;
		if ((nf = csv_split(line, f, 9)) < 5) {
			snprintf(err, errlen, "%s:%zu: expected id,account,symbol,side,qty[,limit_px,...]",
			    path, lineno);
			goto fail;
		}
		if (n == pcap) {
			struct ro_parent *np;

			pcap = pcap ? pcap * 2 : 256;
			if ((np = realloc(ps, pcap * sizeof(*np))) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			ps = np;
		}
		p = &ps[n];
		memset(p, 0, sizeof(*p));
		if (!id_ok(f[0]) || (f[1][0] != '\0' && !id_ok(f[1])) || !id_ok(f[2])) {
			snprintf(err, errlen, "%s:%zu: id, account or symbol is not 1..64 printable characters",
			    path, lineno);
			goto fail;
		}
		snprintf(p->p_id, sizeof(p->p_id), "%s", f[0]);
		snprintf(p->p_account, sizeof(p->p_account), "%s", f[1]);
		snprintf(p->p_symbol, sizeof(p->p_symbol), "%s", f[2]);
		if (side_of(f[3], &p->p_side) != 0) {
			snprintf(err, errlen, "%s:%zu: side '%s' (buy, sell, sell_short, sell_short_exempt)",
			    path, lineno, f[3]);
			goto fail;
		}
		if (rules_qty_parse(f[4], strlen(f[4]), &p->p_qty) != 0 || p->p_qty <= 0) {
			snprintf(err, errlen, "%s:%zu: qty '%s' is not a positive whole number", path,
			    lineno, f[4]);
			goto fail;
		}
		if (nf > 5 && f[5][0] != '\0' &&
		    (rules_px_parse(f[5], strlen(f[5]), &p->p_limit_px) != 0 || p->p_limit_px <= 0)) {
			snprintf(err, errlen, "%s:%zu: limit_px '%s' is not a price", path, lineno, f[5]);
			goto fail;
		}
		n++;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no parents", path);
		goto fail;
	}
	free(line);
	fclose(fp);
	*out = ps;
	return (int)n;
fail:
	free(line);
	free(ps);
	fclose(fp);
	return -1;
}

/* One field and its comma, quoted (RFC 4180) if it holds ',' or '"'. */
static void csv_put(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"") == NULL) {
		fprintf(f, "%s,", s);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputs("\",", f);
}

int ro_parents_write(const char *path, const struct ro_parent *ps, uint32_t n)
{
	FILE *f = fopen(path, "w");
	uint32_t i;
	int rc = 0;

	if (f == NULL)
		return -errno;
	fprintf(f, "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\n");
	for (i = 0; i < n; i++) {
		const struct ro_parent *p = &ps[i];
		char px[24] = "";
		const char *side = p->p_side == '1' ? "buy"
		    : p->p_side == '2'              ? "sell"
		    : p->p_side == '5'              ? "sell_short"
						    : "sell_short_exempt";

		if (p->p_limit_px > 0)
			sim_px_str(p->p_limit_px, px);
		csv_put(f, p->p_id);
		csv_put(f, p->p_account);
		csv_put(f, p->p_symbol);
		fprintf(f, "%s,%" PRId64 ",%s,,,\n", side, p->p_qty, px);
	}
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int ro_parents_gen(uint32_t n, uint64_t seed, int64_t ref_px, struct ro_parent **out)
{
	static const char *const syms[] = {"AAPL", "MSFT", "AMZN", "GOOG", "META", "NVDA", "TSLA",
	    "JPM", "XOM", "IBM", "KO", "PG"};
	struct ro_parent *ps = calloc(n, sizeof(*ps));
	struct sim_rng rng;
	uint32_t i;

	*out = NULL;
	if (ps == NULL)
		return -1;
	sim_rng_seed(&rng, seed);
	for (i = 0; i < n; i++) {
		struct ro_parent *p = &ps[i];

		snprintf(p->p_id, sizeof(p->p_id), "P%05" PRIu32, i + 1);
		snprintf(p->p_account, sizeof(p->p_account), "ACC%" PRIu32, i % 4 + 1);
		snprintf(p->p_symbol, sizeof(p->p_symbol), "%s",
		    syms[sim_rng_below(&rng, sizeof(syms) / sizeof(syms[0]))]);
		p->p_side = sim_rng_below(&rng, 2) ? '2' : '1';
		p->p_qty = 100 * (10 + (int64_t)sim_rng_below(&rng, 91));
		/* children are priced from the limit to a few ticks passive of it */
		p->p_limit_px = ref_px;
	}
	*out = ps;
	return (int)n;
}
