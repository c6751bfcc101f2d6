/*
 * route.c - the order path of one route: every NewOrderSingle and
 * OrderCancelReplaceRequest from the router goes through librules before it
 * is relayed to the venue; a refused order is answered by riskgwd itself;
 * cancels always pass; execution reports and cancel rejects from the venue
 * update the accounting before they are relayed to the router. Every event
 * the engine sees is appended to the journal in the same turn, and the
 * loop's before-sleep hook commits the journal before any byte leaves.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixed.h"
#include "gw.h"
#include "log.h"

/* ---- the journal-backed session store ------------------------------------------- */

/* Kept for the end of the turn: a session saves its numbers after every
 * message, and only the last ones of the turn reach the commit anyway. */
static int js_save_seq(void *arg, uint64_t next_in, uint64_t next_out)
{
	struct jstore *j = arg;

	j->js_next_in = next_in;
	j->js_next_out = next_out;
	j->js_dirty = true;
	return 0;
}

static int js_flush_seq(struct jstore *j, char err[RULES_ERRLEN])
{
	struct journal_session js = {j->js_next_in, j->js_next_out, j->js_gw->g_day};

	if (!j->js_dirty)
		return 0;
	j->js_dirty = false;
	return journal_session_put(j->js_gw->g_journal, j->js_name, &js, err);
}

int route_store_flush(struct gw *g, char err[RULES_ERRLEN])
{
	int rc;

	for (int i = 0; i < g->g_nroutes; i++)
		if ((rc = js_flush_seq(&g->g_routes[i].r_rstore, err)) != 0 ||
		    (rc = js_flush_seq(&g->g_routes[i].r_vstore, err)) != 0)
			return rc;
	return 0;
}

static int js_save_out(void *arg, uint64_t seq, const char *msg, size_t len)
{
	struct jstore *j = arg;

	return journal_msg_put(j->js_gw->g_journal, j->js_name, seq, msg, len, NULL);
}

struct each {
	int (*cb)(void *, uint64_t, const char *, size_t);
	void *arg;
};

static int js_each_cb(void *arg, uint64_t seq, const void *msg, size_t len)
{
	struct each *e = arg;

	return e->cb(e->arg, seq, msg, len);
}

static int js_each_out(void *arg, uint64_t from, uint64_t to,
    int (*cb)(void *, uint64_t, const char *, size_t), void *cbarg)
{
	struct jstore *j = arg;
	struct each e = {cb, cbarg};

	return journal_msg_range(j->js_gw->g_journal, j->js_name, from, to, js_each_cb, &e);
}

static int js_reset(void *arg)
{
	struct jstore *j = arg;

	return journal_msg_drop(j->js_gw->g_journal, j->js_name, NULL);
}

const struct session_store route_store_template = {js_save_seq, js_save_out, js_each_out,
    js_reset, NULL};

/* ---- helpers -------------------------------------------------------------------- */

static struct route *route_of(void *arg)
{
	struct route *r = arg;

	if (r == NULL || r->r_gw == NULL)
		abort();
	return r;
}

/* Copies the value of tag into buf as a C string; "" if absent or too long.
 * The engine refuses an id that is not printable as malformed; a NUL byte
 * (FIX allows any byte but SOH in a value) would end the C string early and
 * make "P1<NUL>X" parent P1, so it is copied as DEL (0x7f), which no id may
 * hold. */
static void get_id(const struct fix_msg *m, int tag, char *buf, size_t cap)
{
	const char *v;
	size_t n;

	buf[0] = '\0';
	if (tag <= 0 || fix_get_str(m, tag, &v, &n) != 0 || n >= cap)
		return;
	for (size_t i = 0; i < n; i++)
		buf[i] = v[i] != '\0' ? v[i] : '\x7f';
	buf[n] = '\0';
}

static char get_char(const struct fix_msg *m, int tag)
{
	char c = 0;

	return fix_get_char(m, tag, &c) == 0 ? c : 0;
}

/* Writes v in decimal at p; returns the end. */
static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* "RGW<day>-<n>" without printf: the kill sweep makes one per open order. */
void gw_make_id(struct gw *g, char *buf, size_t len)
{
	char tmp[48], *p = tmp;

	memcpy(p, "RGW", 3);
	p = put_dec(p + 3, g->g_day);
	*p++ = '-';
	p = put_dec(p, ++g->g_idseq);
	*p = '\0';
	if (len > 0) {
		size_t n = (size_t)(p - tmp) < len ? (size_t)(p - tmp) : len - 1;

		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
}

/* Journals an event; a failure kills the turn, and the loop hook then
 * refuses to let anything of it out (see riskgwd.c). */
static void journal_event(struct route *r, struct journal_event *ev)
{
	char err[RULES_ERRLEN];

	if (journal_append(r->r_gw->g_journal, ev, err) != 0)
		log_warnx("%s: journal: %s", r->r_cfg->cr_name, err);
}

/* ---- answers riskgwd writes itself ------------------------------------------------- */

struct reject_ctx {
	struct route *r;
	const struct fix_msg *m;
	const char *text;
	int ord_rej_reason;
	int cxl_rej_reason;
	char status;
	bool replace;
};

/* OrdRejReason (103) for a reason code, valid for the route's version. */
static int ord_rej_reason(enum fix_version v, int reason)
{
	switch (reason) {
	case RULES_R_DUP_CLORDID:
		return 6; /* duplicate order */
	case RULES_R_UNKNOWN_ORIG:
		return 5; /* unknown order */
	case RULES_R_PARENT_QTY:
	case RULES_R_PARENT_NOTIONAL:
	case RULES_R_PARENT_RATE:
	case RULES_R_ORDER_QTY:
	case RULES_R_ORDER_NOTIONAL:
	case RULES_R_ACCOUNT_NOTIONAL:
	case RULES_R_DECLARED_QTY_CAP:
		return 3; /* order exceeds limit */
	case RULES_R_COLLAR_BPS:
	case RULES_R_COLLAR_ABS:
	case RULES_R_PARENT_PRICE:
		return v == FIX_44 ? 99 : 0;
	default:
		return 0; /* broker / exchange option */
	}
}

/* Copies a field of the request into the answer when it is there. */
static void echo(struct fix_builder *b, const struct fix_msg *m, int tag)
{
	const char *v;
	size_t n;

	if (fix_get_str(m, tag, &v, &n) == 0)
		fix_add_str(b, tag, v, n);
}

static int fill_exec_reject(struct fix_builder *b, void *arg)
{
	const struct reject_ctx *c = arg;
	char id[64];

	gw_make_id(c->r->r_gw, id, sizeof(id));
	fix_add_str(b, 37, "NONE", 4);
	echo(b, c->m, 11);
	fix_add_str(b, 17, id, strlen(id));
	if (c->r->r_version == FIX_42)
		fix_add_char(b, 20, '0');
	fix_add_char(b, 150, '8');
	fix_add_char(b, 39, '8');
	echo(b, c->m, 1);
	echo(b, c->m, 55);
	echo(b, c->m, 54);
	echo(b, c->m, 38);
	echo(b, c->m, 40);
	echo(b, c->m, 44);
	fix_add_str(b, 151, "0", 1);
	fix_add_str(b, 14, "0", 1);
	fix_add_str(b, 6, "0", 1);
	fix_add_int(b, 103, c->ord_rej_reason);
	fix_add_str(b, 58, c->text, strlen(c->text));
	fix_add_time(b, 60, (int64_t)time(NULL) * INT64_C(1000000000));
	return 0;
}

static int fill_cancel_reject(struct fix_builder *b, void *arg)
{
	const struct reject_ctx *c = arg;

	fix_add_str(b, 37, "NONE", 4);
	echo(b, c->m, 11);
	echo(b, c->m, 41);
	fix_add_char(b, 39, c->status);
	fix_add_char(b, 434, c->replace ? '2' : '1');
	fix_add_int(b, 102, c->cxl_rej_reason);
	fix_add_str(b, 58, c->text, strlen(c->text));
	return 0;
}

static void reject_order(struct route *r, const struct fix_msg *m, int reason, const char *text)
{
	struct reject_ctx c = {r, m, text, ord_rej_reason(r->r_version, reason), 0, '8', false};
	int rc = session_send(r->r_rs, "8", fill_exec_reject, &c);

	r->r_cnt.rc_rejected++;
	if (rc != 0)
		log_warnx("%s: cannot answer a rejected order: %s", r->r_rname, fix_strerror(rc));
}

struct find_live {
	const char *clid;
	char status;
};

static int find_live_cb(void *arg, const struct rules_live *l)
{
	struct find_live *f = arg;

	if (strcmp(l->rl_clordid, f->clid) != 0)
		return 0;
	f->status = l->rl_cum >= l->rl_qty ? '2' : l->rl_cum > 0 ? '1' : '0';
	return 1;
}

/* OrdStatus (39) for an OrderCancelReject: the status after the reject, so
 * that of the order OrigClOrdID names as the venue last reported it; an
 * order riskgwd does not hold is Rejected (FIX: "If CxlRejReason = Unknown
 * order, specify Rejected"). Rare path: a scan of the live orders. */
static char orig_status(struct route *r, const struct fix_msg *m)
{
	char orig[RULES_ID_MAX + 2];
	struct find_live f = {orig, '8'};

	get_id(m, 41, orig, sizeof(orig));
	if (orig[0] != '\0')
		(void)rules_foreach_live(r->r_gw->g_engine, find_live_cb, &f);
	return f.status;
}

static void reject_cancel(struct route *r, const struct fix_msg *m, bool replace, int reason,
    const char *text)
{
	struct reject_ctx c = {r, m, text, 0, 2, '8', replace};
	int rc;

	if (reason == RULES_R_UNKNOWN_ORIG)
		c.cxl_rej_reason = 1;
	else if (reason == RULES_R_REPLACE_PENDING)
		c.cxl_rej_reason = 3;
	if (reason != RULES_R_UNKNOWN_ORIG)
		c.status = orig_status(r, m);
	rc = session_send(r->r_rs, "9", fill_cancel_reject, &c);
	r->r_cnt.rc_rejected++;
	if (rc != 0)
		log_warnx("%s: cannot answer a rejected request: %s", r->r_rname, fix_strerror(rc));
}

struct bmr_ctx {
	const struct fix_msg *m;
	const char *type;
	const char *text;
};

static int fill_bmr(struct fix_builder *b, void *arg)
{
	const struct bmr_ctx *c = arg;
	int64_t seq = 0;

	(void)fix_get_int(c->m, 34, &seq);
	fix_add_int(b, 45, seq);
	fix_add_str(b, 372, c->type, strlen(c->type));
	fix_add_char(b, 380, '3'); /* unsupported message type */
	fix_add_str(b, 58, c->text, strlen(c->text));
	return 0;
}

/* BusinessMessageReject (35=j) for an application type the route refuses. */
static void refuse_type(struct route *r, const struct fix_msg *m, const char *type)
{
	char text[128];
	struct bmr_ctx c = {m, type, text};
	int rc;

	snprintf(text, sizeof(text), "message type %s is not allowed on route %s", type,
	    r->r_cfg->cr_name);
	r->r_cnt.rc_refused_types++;
	rc = session_send(r->r_rs, "j", fill_bmr, &c);
	if (rc != 0)
		log_warnx("%s: cannot refuse message type %s: %s", r->r_rname, type,
		    fix_strerror(rc));
}

/* ---- the order path: router -> venue --------------------------------------------------- */

struct order_buf {
	char clid[RULES_ID_MAX + 2], orig[RULES_ID_MAX + 2], parent[RULES_ID_MAX + 2];
	char acct[RULES_ID_MAX + 2], sym[RULES_ID_MAX + 2];
};

/* Reads a D or G into o. Returns NULL, or why the message is malformed. */
static const char *read_order(struct route *r, const struct fix_msg *m, struct rules_order *o,
    struct order_buf *b, bool replace)
{
	int rc;

	memset(o, 0, sizeof(*o));
	get_id(m, 11, b->clid, sizeof(b->clid));
	get_id(m, 41, b->orig, sizeof(b->orig));
	get_id(m, r->r_cfg->cr_parent_tag, b->parent, sizeof(b->parent));
	get_id(m, 1, b->acct, sizeof(b->acct));
	get_id(m, 55, b->sym, sizeof(b->sym));
	o->ro_kind = replace ? RULES_REPLACE : RULES_NEW;
	o->ro_clordid = b->clid;
	o->ro_origclordid = b->orig;
	o->ro_parent = b->parent;
	o->ro_account = b->acct;
	o->ro_symbol = b->sym;
	o->ro_side = get_char(m, 54);
	o->ro_ordtype = get_char(m, 40);
	if ((rc = fix_get_qty(m, 38, &o->ro_qty)) != 0)
		return rc == FIX_ENOTFOUND ? "OrderQty (38) missing"
					   : "OrderQty (38) is not a whole quantity";
	rc = fix_get_px(m, 44, &o->ro_px);
	if (rc != 0 && rc != FIX_ENOTFOUND)
		return "Price (44) is not a price riskgwd can value (at most 6 decimals)";
	if (r->r_cfg->cr_declared_qty_tag > 0) {
		rc = fix_get_qty(m, r->r_cfg->cr_declared_qty_tag, &o->ro_declared_qty);
		if (rc != 0 && rc != FIX_ENOTFOUND)
			return "declared parent quantity is not a whole quantity";
		o->ro_allow_declare = true;
	}
	o->ro_now_ns = loop_now(r->r_gw->g_loop);
	o->ro_tag = r->r_idx;
	return NULL;
}

/* An accepted order that could not be sent: the venue never saw it, so it
 * leaves the books as a reject would. */
static void unbook(struct route *r, const char *clid)
{
	struct rules_exec x = {clid, NULL, '8', '8', -1, -1, 0, 0, -1, -1};
	struct journal_event ev;

	if (rules_on_exec(r->r_gw->g_engine, &x) == 0 && journal_ev_exec(&ev, r->r_cfg->cr_name, &x) == 0)
		journal_event(r, &ev);
}

static void on_order(struct route *r, const struct fix_msg *m, bool replace)
{
	struct gw *g = r->r_gw;
	struct rules_order o;
	struct order_buf b;
	struct rules_decision d;
	struct journal_event ev;
	const struct kill_entry *ke;
	const char *why;
	int rc;

	r->r_cnt.rc_orders++;
	why = read_order(r, m, &o, &b, replace);
	if (why != NULL) {
		if (replace)
			reject_cancel(r, m, true, RULES_R_BAD_ORDER, why);
		else
			reject_order(r, m, RULES_R_BAD_ORDER, why);
		return;
	}
	ke = kill_blocking(&g->g_ks, r->r_cfg->cr_name, b.acct, b.sym);
	if (ke != NULL || session_state(r->r_vs) != SESSION_ACTIVE) {
		char text[RULES_TEXT_MAX];

		if (ke != NULL) {
			g->g_kill_refused++;
			if (ke->ke_kind == KILL_GLOBAL)
				snprintf(text, sizeof(text), "kill switch: %s", ke->ke_k.jk_reason);
			else
				snprintf(text, sizeof(text), "kill switch (%s): %s", ke->ke_scope,
				    ke->ke_k.jk_reason);
		} else {
			snprintf(text, sizeof(text), "venue session down");
		}
		if (replace)
			reject_cancel(r, m, true, RULES_R_OK, text);
		else
			reject_order(r, m, RULES_R_OK, text);
		return;
	}
	if (rules_check(g->g_engine, &o, &d) != RULES_ACCEPT) {
		if (d.rd_verdict == RULES_TRIP) {
			/* blocked before anything else happens, this reply included */
			char reason[RULES_REASON_MAX + 1];
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			g->g_kill_cause_mono = (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
			snprintf(reason, sizeof(reason), "route %s, order %s: %s: %s",
			    r->r_cfg->cr_name, b.clid, rules_reason_name((int)d.rd_reason),
			    d.rd_text);
			gw_trip(g, JOURNAL_KSRC_BREACH, "", reason);
			if (b.parent[0] != '\0')
				gw_kill_block_parent(r, b.parent, reason);
		}
		if (replace)
			reject_cancel(r, m, true, (int)d.rd_reason, d.rd_text);
		else
			reject_order(r, m, (int)d.rd_reason, d.rd_text);
		log_debug("%s: %s %s refused: %s: %s", r->r_rname, replace ? "replace" : "order",
		    b.clid, rules_reason_name((int)d.rd_reason), d.rd_text);
		return;
	}
	if (journal_ev_order(&ev, r->r_cfg->cr_name, &o) == 0)
		journal_event(r, &ev);
	rc = session_relay(r->r_vs, m, &r->r_strip);
	if (rc != 0) {
		char text[RULES_TEXT_MAX];

		unbook(r, b.clid);
		snprintf(text, sizeof(text), "could not forward to the venue: %s", fix_strerror(rc));
		if (replace)
			reject_cancel(r, m, true, RULES_R_OK, text);
		else
			reject_order(r, m, RULES_R_OK, text);
		return;
	}
	r->r_cnt.rc_forwarded++;
	if (d.rd_warn != 0)
		gw_warn(r, &o, d.rd_warn);
}

static void on_cancel(struct route *r, const struct fix_msg *m)
{
	struct gw *g = r->r_gw;
	struct order_buf b;
	struct journal_event ev;
	int rc;

	r->r_cnt.rc_cancels++;
	get_id(m, 11, b.clid, sizeof(b.clid));
	get_id(m, 41, b.orig, sizeof(b.orig));
	if (session_state(r->r_vs) != SESSION_ACTIVE) {
		reject_cancel(r, m, false, RULES_R_OK, "venue session down");
		return;
	}
	/* Cancels always pass: they reduce risk, also while killed. */
	if (rules_on_cancel_sent(g->g_engine, b.clid, b.orig) == 0 &&
	    journal_ev_cancel_sent(&ev, r->r_cfg->cr_name, b.clid, b.orig) == 0)
		journal_event(r, &ev);
	rc = session_relay(r->r_vs, m, &r->r_strip);
	if (rc != 0)
		reject_cancel(r, m, false, RULES_R_OK, "could not forward to the venue");
}

static bool type_allowed(const struct route *r, const char *type)
{
	int i;

	for (i = 0; i < r->r_cfg->cr_nmsgtypes; i++)
		if (strcmp(r->r_cfg->cr_msgtypes[i], type) == 0)
			return true;
	return false;
}

static void msgtype(const struct fix_msg *m, char out[4])
{
	const char *v = "";
	size_t n = 0;

	(void)fix_get_str(m, 35, &v, &n);
	if (n > 3)
		n = 3;
	memcpy(out, v, n);
	out[n] = '\0';
}

static void router_app(struct session *s, const struct fix_msg *m, bool possdup, void *arg)
{
	struct route *r = route_of(arg);
	char type[4];

	(void)s;
	(void)possdup; /* a resent order not seen before is new; a duplicate ClOrdID is refused */
	msgtype(m, type);
	if (!type_allowed(r, type)) {
		refuse_type(r, m, type);
		return;
	}
	if (strcmp(type, "D") == 0)
		on_order(r, m, false);
	else if (strcmp(type, "G") == 0)
		on_order(r, m, true);
	else if (strcmp(type, "F") == 0)
		on_cancel(r, m);
	else if (session_state(r->r_vs) == SESSION_ACTIVE)
		(void)session_relay(r->r_vs, m, &r->r_strip);
}

/* ---- the report path: venue -> router ---------------------------------------------------- */

struct own_ctx {
	const struct fix_msg *m;
	const char *orig;
};

static int fill_own_report(struct fix_builder *b, void *arg)
{
	const struct own_ctx *c = arg;
	static const int tags[] = {17, 20, 150, 39, 1, 55, 54, 38, 40, 44, 32, 31, 151, 14, 6, 58,
	    60};

	echo(b, c->m, 37);
	fix_add_str(b, 11, c->orig, strlen(c->orig)); /* the router's own ClOrdID */
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		echo(b, c->m, tags[i]);
	return 0;
}

/* A venue's execution report for a cancel riskgwd sent itself (a kill or a
 * router that dropped) goes to the router as an unsolicited report under
 * the order's ClOrdID: the router learns that its order is done. A cancel
 * reject of ours is riskgwd's business (it retries) and is not relayed. */
static void report_own_cancel(struct route *r, const struct fix_msg *m, const char *type,
    const char *orig)
{
	struct own_ctx c = {m, orig};
	int rc;

	if (strcmp(type, "8") != 0 || session_state(r->r_rs) != SESSION_ACTIVE)
		return;
	rc = session_send(r->r_rs, "8", fill_own_report, &c);
	if (rc != 0)
		log_warnx("%s: report for %s not relayed: %s", r->r_rname, orig, fix_strerror(rc));
}

static void venue_app(struct session *s, const struct fix_msg *m, bool possdup, void *arg)
{
	struct route *r = route_of(arg);
	struct gw *g = r->r_gw;
	struct journal_event ev;
	char type[4], clid[RULES_ID_MAX + 2], orig[RULES_ID_MAX + 2];
	bool was_open;
	int rc;

	(void)s;
	(void)possdup; /* counted by CumQty: a report seen twice counts once */
	msgtype(m, type);
	get_id(m, 11, clid, sizeof(clid));
	get_id(m, 41, orig, sizeof(orig));
	was_open = gw_kill_report_before(g, clid, orig);
	if (strcmp(type, "8") == 0) {
		struct rules_exec x = {clid, orig[0] ? orig : NULL, get_char(m, 150),
		    get_char(m, 39), -1, -1, -1, -1, -1, -1};

		(void)fix_get_qty(m, 32, &x.re_last_qty);
		(void)fix_get_px(m, 31, &x.re_last_px);
		(void)fix_get_qty(m, 14, &x.re_cum_qty);
		(void)fix_get_qty(m, 151, &x.re_leaves_qty);
		(void)fix_get_qty(m, 38, &x.re_order_qty);
		(void)fix_get_px(m, 44, &x.re_px);
		r->r_cnt.rc_execs++;
		rc = rules_on_exec(g->g_engine, &x);
		if (rc == 0 || rc == RULES_ERANGE) {
			if (journal_ev_exec(&ev, r->r_cfg->cr_name, &x) == 0)
				journal_event(r, &ev);
		} else {
			log_warnx("%s: execution report for %s not applied: %s", r->r_vname,
			    clid[0] ? clid : "(no ClOrdID)", rules_strerror(rc));
		}
	} else if (strcmp(type, "9") == 0) {
		char to = get_char(m, 434);

		if (rules_on_cancel_reject(g->g_engine, clid, orig, to) == 0 &&
		    journal_ev_cancel_reject(&ev, r->r_cfg->cr_name, clid, orig, to) == 0)
			journal_event(r, &ev);
	}
	gw_kill_report_after(g, clid, orig, was_open);
	/* A ClOrdID riskgwd made (its own cancels) means nothing to the router:
	 * it hears of the order's end under the order's own ClOrdID. */
	if (strncmp(clid, "RGW", 3) == 0) {
		if (orig[0] != '\0' && strncmp(orig, "RGW", 3) != 0)
			report_own_cancel(r, m, type, orig);
		return;
	}
	rc = session_relay(r->r_rs, m, NULL);
	if (rc != 0)
		log_warnx("%s: report for %s not relayed: %s", r->r_rname, clid, fix_strerror(rc));
}

/* ---- session events ------------------------------------------------------------------------ */

static int router_check_logon(struct session *s, const struct fix_msg *m, char *why, size_t len,
    void *arg)
{
	struct route *r = route_of(arg);
	const char *peer = r->r_rconn != NULL ? conn_peer(r->r_rconn) : "";

	(void)s;
	(void)m;
	if (strcmp(peer, r->r_cfg->cr_router_identity) != 0) {
		snprintf(why, len, "certificate %s is not allowed on route %s", peer,
		    r->r_cfg->cr_name);
		return 1;
	}
	return 0;
}

static void router_active(struct session *s, void *arg)
{
	struct route *r = route_of(arg);

	log_info("%s: logged on from %s (%s), next in %" PRIu64 " out %" PRIu64, r->r_rname,
	    r->r_rconn ? conn_addr(r->r_rconn) : "?", r->r_rconn ? conn_peer(r->r_rconn) : "?",
	    session_next_in(s), session_next_out(s));
}

static void router_down(struct session *s, bool clean, const char *reason, void *arg)
{
	struct route *r = route_of(arg);
	int n = 0;

	(void)s;
	log_info("%s: session down (%s): %s", r->r_rname, clean ? "logout" : "lost", reason);
	if (r->r_gw->g_stopping)
		return; /* riskgwd ended the session, not the router */
	if ((!clean && r->r_cfg->cr_cancel_on_disconnect) ||
	    (clean && r->r_cfg->cr_cancel_on_logout))
		n = route_cancel_open(r, clean ? "router logged out" : "router disconnected");
	if (n > 0)
		log_notice("%s: sent %d cancels for the router's open orders", r->r_rname, n);
}

static void venue_active(struct session *s, void *arg)
{
	struct route *r = route_of(arg);

	r->r_backoff_s = 0;
	if (session_counters(s)->sc_peer_resets != r->r_vresets) {
		r->r_vresets = session_counters(s)->sc_peer_resets;
		log_notice("%s: the venue reset the sequence numbers in its Logon (141=Y): both "
			   "sides restart at 1; messages sent before it will not be resent",
		    r->r_vname);
	}
	log_info("%s: logged on to %s, next in %" PRIu64 " out %" PRIu64, r->r_vname,
	    r->r_vconn ? conn_addr(r->r_vconn) : "?", session_next_in(s), session_next_out(s));
	gw_kill_venue_up(r);
}

static void venue_down(struct session *s, bool clean, const char *reason, void *arg)
{
	struct route *r = route_of(arg);

	(void)s;
	log_warnx("%s: session down (%s): %s; new orders on route %s are refused until it is back",
	    r->r_vname, clean ? "logout" : "lost", reason, r->r_cfg->cr_name);
}

const struct session_ops route_router_ops = {router_check_logon, router_active, router_app,
    router_down};
const struct session_ops route_venue_ops = {NULL, venue_active, venue_app, venue_down};

/* ---- cancels riskgwd sends itself ------------------------------------------------------------- */

#define CANCEL_BATCH 256

struct open_order {
	char clid[RULES_ID_MAX + 1], sym[RULES_ID_MAX + 1];
	char side;
	int64_t qty;
	uint32_t tag;
};

struct collect {
	route_order_filter *want;
	void *arg;
	struct open_order *v;
	size_t n, cap;
};

/* The engine's ids are at most RULES_ID_MAX bytes. */
static void copy_id(char dst[RULES_ID_MAX + 1], const char *src)
{
	size_t n = strnlen(src, RULES_ID_MAX);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int collect_open(void *arg, const struct rules_live *l)
{
	struct collect *c = arg;

	if (!c->want(c->arg, l))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : CANCEL_BATCH;
		struct open_order *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	copy_id(c->v[c->n].clid, l->rl_clordid);
	copy_id(c->v[c->n].sym, l->rl_symbol);
	c->v[c->n].side = l->rl_side;
	c->v[c->n].qty = l->rl_qty;
	c->v[c->n].tag = l->rl_tag;
	c->n++;
	return 0;
}

struct cancel_ctx {
	const char *clid, *orig, *sym;
	char side;
	int64_t qty;
};

static int fill_cancel(struct fix_builder *b, void *arg)
{
	const struct cancel_ctx *c = arg;

	fix_add_str(b, 11, c->clid, strlen(c->clid));
	fix_add_str(b, 41, c->orig, strlen(c->orig));
	fix_add_str(b, 55, c->sym, strlen(c->sym));
	fix_add_char(b, 54, c->side);
	fix_add_int(b, 38, c->qty);
	fix_add_time(b, 60, (int64_t)time(NULL) * INT64_C(1000000000));
	return 0;
}

int route_cancel_where(struct gw *g, route_order_filter *want, void *arg, const char *why,
    size_t *down)
{
	struct collect c = {want, arg, NULL, 0, 0};
	struct journal_event ev;
	int sent = 0;

	*down = 0;
	if (rules_foreach_live(g->g_engine, collect_open, &c) != 0)
		log_warnx("%s: out of memory listing open orders", why);
	for (size_t i = 0; i < c.n; i++) {
		struct route *r;
		char id[64];
		struct cancel_ctx cc = {id, c.v[i].clid, c.v[i].sym, c.v[i].side, c.v[i].qty};

		if (c.v[i].tag >= (uint32_t)g->g_nroutes)
			continue; /* booked by a route no longer configured */
		r = &g->g_routes[c.v[i].tag];
		if (session_state(r->r_vs) != SESSION_ACTIVE) {
			(*down)++;
			continue;
		}
		gw_make_id(g, id, sizeof(id));
		if (session_send(r->r_vs, "F", fill_cancel, &cc) != 0) {
			(*down)++;
			continue;
		}
		if (rules_on_cancel_sent(g->g_engine, id, c.v[i].clid) == 0 &&
		    journal_ev_cancel_sent(&ev, r->r_cfg->cr_name, id, c.v[i].clid) == 0)
			journal_event(r, &ev);
		r->r_cnt.rc_gw_cancels++;
		sent++;
	}
	free(c.v);
	return sent;
}

static bool on_route(void *arg, const struct rules_live *l)
{
	const struct route *r = arg;

	return l->rl_tag == r->r_idx;
}

int route_cancel_open(struct route *r, const char *why)
{
	size_t down = 0;
	int sent = route_cancel_where(r->r_gw, on_route, r, why, &down);

	if (down > 0)
		log_alert("%s: %zu orders stay open: cannot cancel them (%s) while the venue "
			  "session is down",
		    r->r_vname, down, why);
	return sent;
}
