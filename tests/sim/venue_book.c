/*
 * venue_book.c - orders, fills and execution reports of venue-sim (see
 * venue_book.h).
 *
 * Record lifecycle (o_state): NEW ('0') -> PARTIAL ('1') -> FILLED ('2');
 * NEW/PARTIAL -> CANCELED ('4') by F, or REPLACED ('5') by G, which makes a
 * new record (the new ClOrdID, same OrderID, CumQty carried over) that takes
 * the fills from then on; REJECTED ('8') at once. A record's fill schedule is
 * one FIFO entry at a time; entries of records no longer open are skipped.
 */
#include "config.h"

#include "venue_book.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_util.h"

#define ID_MAX 64
#define NONE UINT32_MAX

enum {
	ST_NEW = '0',
	ST_PARTIAL = '1',
	ST_FILLED = '2',
	ST_CANCELED = '4',
	ST_REPLACED = '5',
	ST_REJECTED = '8',
};

struct vorder {
	char o_id[ID_MAX + 1];   /* ClOrdID */
	char o_side;
	char o_ordtype;
	char o_state;
	char o_type;             /* 'D' or 'G' */
	bool o_possdup;
	uint16_t o_slices_left;
	uint32_t o_sess;
	uint32_t o_orig;         /* record this one replaced, or NONE */
	uint32_t o_sym, o_acct, o_par; /* key indices; 0 = none */
	uint64_t o_oid;          /* OrderID number (same along a replace chain) */
	int64_t o_qty, o_px, o_cum;
	int64_t o_notional;      /* sum of LastPx * LastQty */
	int64_t o_recv_ns;       /* wall clock at receipt */
	uint32_t o_fills;
};

/* Counters per symbol, account or parent. */
struct vkey {
	char k_id[ID_MAX + 1];
	uint64_t k_orders, k_ordered, k_fills, k_filled;
};

struct vkeys {
	struct vkey *ks_keys;    /* [0] is "(none)" / overflow */
	uint32_t ks_n, ks_cap;
	uint32_t *ks_hash;       /* index + 1, 0 empty */
	uint64_t ks_mask;
	uint64_t ks_overflow;
};

struct vfill {
	uint32_t f_idx;
	int64_t f_due;
};

struct vcount {
	uint64_t orders, dup_clordid, invalid, rejected_random, rejected_full, acked;
	uint64_t fills, filled_qty, fills_deferred;
	uint64_t cancels, cancels_done, cancel_rejects;
	uint64_t replaces, replaces_done, replace_rejects;
	uint64_t unsupported, send_errors, possdup_apps;
	int64_t first_ns, last_ns;
};

struct vbook {
	struct vbook_cfg b_cfg;
	struct loop *b_loop;
	struct sim_rng b_rng;
	struct vorder *b_ord;
	uint32_t b_n;
	uint32_t *b_hash;
	uint64_t b_mask;
	struct vkeys b_sym, b_acct, b_par;
	struct vfill *b_q;       /* ring of bc_max_orders + 1 */
	uint32_t b_qhead, b_qtail, b_qcap;
	struct loop_timer b_timer;
	uint64_t b_exec_id, b_oid;
	struct vcount b_c;
};

/* ---- hashing ------------------------------------------------------------------ */

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h ^ (h >> 29);
}

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static bool id_eq(const char *stored, const char *s, size_t n)
{
	return strncmp(stored, s, n) == 0 && stored[n] == '\0';
}

/* Slot of ClOrdID s in the hash: its record (+1) or the empty slot for it. */
static uint32_t *ord_slot(const struct vbook *b, const char *s, size_t n)
{
	uint64_t i = fnv(s, n) & b->b_mask;

	for (;; i = (i + 1) & b->b_mask) {
		uint32_t v = b->b_hash[i];

		if (v == 0 || id_eq(b->b_ord[v - 1].o_id, s, n))
			return &b->b_hash[i];
	}
}

static struct vorder *ord_find(const struct vbook *b, const char *s, size_t n)
{
	uint32_t v = *ord_slot(b, s, n);

	return v ? &b->b_ord[v - 1] : NULL;
}

static int keys_init(struct vkeys *ks, uint32_t cap)
{
	ks->ks_cap = cap + 1;
	ks->ks_keys = calloc(ks->ks_cap, sizeof(*ks->ks_keys));
	ks->ks_mask = pow2_at_least((uint64_t)ks->ks_cap * 2) - 1;
	ks->ks_hash = calloc(ks->ks_mask + 1, sizeof(*ks->ks_hash));
	if (ks->ks_keys == NULL || ks->ks_hash == NULL)
		return -ENOMEM;
	memcpy(ks->ks_keys[0].k_id, "(none)", 7);
	ks->ks_n = 1;
	return 0;
}

static void keys_free(struct vkeys *ks)
{
	free(ks->ks_keys);
	free(ks->ks_hash);
}

/* Index of key s[0..n), added if new; 0 for none or when the table is full. */
static uint32_t key_of(struct vkeys *ks, const char *s, size_t n)
{
	uint64_t i;

	if (s == NULL || n == 0 || n > ID_MAX)
		return 0;
	for (i = fnv(s, n) & ks->ks_mask;; i = (i + 1) & ks->ks_mask) {
		uint32_t v = ks->ks_hash[i];

		if (v == 0)
			break;
		if (id_eq(ks->ks_keys[v - 1].k_id, s, n))
			return v - 1;
	}
	if (ks->ks_n == ks->ks_cap) {
		ks->ks_overflow++;
		return 0;
	}
	memcpy(ks->ks_keys[ks->ks_n].k_id, s, n);
	ks->ks_keys[ks->ks_n].k_id[n] = '\0';
	ks->ks_hash[i] = ks->ks_n + 1;
	return ks->ks_n++;
}

/* ---- lifetime ------------------------------------------------------------------ */

static void on_fill_timer(struct loop *l, void *arg);

int vbook_new(struct vbook **out, struct loop *l, const struct vbook_cfg *cfg)
{
	struct vbook *b;

	*out = NULL;
	if (cfg->bc_max_orders == 0 || cfg->bc_max_orders >= UINT32_MAX / 2 ||
	    cfg->bc_max_keys == 0 || cfg->bc_slices == 0 || cfg->bc_slices > 65535)
		return -EINVAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -ENOMEM;
	b->b_cfg = *cfg;
	b->b_loop = l;
	sim_rng_seed(&b->b_rng, cfg->bc_seed);
	b->b_ord = calloc(cfg->bc_max_orders, sizeof(*b->b_ord));
	b->b_mask = pow2_at_least((uint64_t)cfg->bc_max_orders * 2) - 1;
	b->b_hash = calloc(b->b_mask + 1, sizeof(*b->b_hash));
	b->b_qcap = cfg->bc_max_orders + 1;
	b->b_q = calloc(b->b_qcap, sizeof(*b->b_q));
	if (b->b_ord == NULL || b->b_hash == NULL || b->b_q == NULL ||
	    keys_init(&b->b_sym, cfg->bc_max_keys) != 0 ||
	    keys_init(&b->b_acct, cfg->bc_max_keys) != 0 ||
	    keys_init(&b->b_par, cfg->bc_max_keys) != 0) {
		vbook_free(b);
		return -ENOMEM;
	}
	loop_timer_init(&b->b_timer, on_fill_timer, b);
	*out = b;
	return 0;
}

void vbook_free(struct vbook *b)
{
	if (b == NULL)
		return;
	loop_timer_cancel(b->b_loop, &b->b_timer);
	free(b->b_ord);
	free(b->b_hash);
	free(b->b_q);
	keys_free(&b->b_sym);
	keys_free(&b->b_acct);
	keys_free(&b->b_par);
	free(b);
}

uint64_t vbook_orders_received(const struct vbook *b)
{
	return b->b_c.orders;
}

/* ---- execution reports ------------------------------------------------------------ */

/* What one ExecutionReport or OrderCancelReject says. */
struct er {
	const struct vbook *e_b;
	const struct vorder *e_o;   /* the record (NULL: unknown order) */
	enum fix_version e_v;
	char e_exec;                /* 150 */
	char e_status;              /* 39 */
	const char *e_clordid;      /* 11 when not the record's (cancel) */
	size_t e_clordid_len;
	const char *e_orig;         /* 41 */
	size_t e_orig_len;
	int64_t e_last_qty, e_last_px; /* 32, 31 for a fill */
	const char *e_text;         /* 58 */
	int e_rej;                  /* 103 for a reject, 102 for a cancel reject */
	int e_cxl_resp;             /* 434 for a cancel reject */
};

static int64_t avg_px(const struct vorder *o)
{
	return o->o_cum > 0 ? o->o_notional / o->o_cum : 0;
}

static void add_id(struct fix_builder *fb, int tag, char prefix, uint64_t n)
{
	char buf[24];

	buf[0] = prefix;
	fix_add_str(fb, tag, buf, 1 + sim_utoa(n, buf + 1));
}

static int fill_er(struct fix_builder *fb, void *arg)
{
	struct er *e = arg;
	const struct vorder *o = e->e_o;
	struct vbook *b = (struct vbook *)(uintptr_t)e->e_b;

	add_id(fb, 37, 'V', o->o_oid);
	if (e->e_clordid != NULL)
		fix_add_str(fb, 11, e->e_clordid, e->e_clordid_len);
	else
		fix_add_str(fb, 11, o->o_id, strlen(o->o_id));
	if (e->e_orig != NULL)
		fix_add_str(fb, 41, e->e_orig, e->e_orig_len);
	add_id(fb, 17, 'E', ++b->b_exec_id);
	if (e->e_v == FIX_42)
		fix_add_char(fb, 20, '0');
	fix_add_char(fb, 150, e->e_exec);
	fix_add_char(fb, 39, e->e_status);
	if (e->e_exec == '8')
		fix_add_int(fb, 103, e->e_rej);
	if (o->o_acct != 0)
		fix_add_str(fb, 1, b->b_acct.ks_keys[o->o_acct].k_id,
		    strlen(b->b_acct.ks_keys[o->o_acct].k_id));
	if (o->o_sym != 0)
		fix_add_str(fb, 55, b->b_sym.ks_keys[o->o_sym].k_id,
		    strlen(b->b_sym.ks_keys[o->o_sym].k_id));
	fix_add_char(fb, 54, o->o_side);
	fix_add_int(fb, 38, o->o_qty);
	if (o->o_ordtype != 0)
		fix_add_char(fb, 40, o->o_ordtype);
	if (o->o_px > 0)
		fix_add_px(fb, 44, o->o_px);
	if (e->e_last_qty > 0) {
		fix_add_int(fb, 32, e->e_last_qty);
		fix_add_px(fb, 31, e->e_last_px);
	}
	fix_add_int(fb, 151,
	    (o->o_state == ST_NEW || o->o_state == ST_PARTIAL) ? o->o_qty - o->o_cum : 0);
	fix_add_int(fb, 14, o->o_cum);
	fix_add_px(fb, 6, avg_px(o));
	fix_add_time(fb, 60, sim_wall_ns());
	if (e->e_text != NULL)
		fix_add_str(fb, 58, e->e_text, strlen(e->e_text));
	return 0;
}

/* Without a record: a reject of an unreadable order, or a cancel reject. */
struct bare {
	struct vbook *r_b;
	const char *r_clordid, *r_orig, *r_oid;
	size_t r_clordid_len, r_orig_len;
	char r_side;
	const char *r_text;
	int r_reason;
	int r_cxl_resp;        /* 434; 0 for an ExecutionReport */
	char r_status;
	enum fix_version r_v;
};

static int fill_bare(struct fix_builder *fb, void *arg)
{
	struct bare *r = arg;

	fix_add_str(fb, 37, r->r_oid, strlen(r->r_oid));
	fix_add_str(fb, 11, r->r_clordid, r->r_clordid_len);
	if (r->r_orig != NULL)
		fix_add_str(fb, 41, r->r_orig, r->r_orig_len);
	fix_add_char(fb, 39, r->r_status);
	if (r->r_cxl_resp != 0) {
		fix_add_int(fb, 434, r->r_cxl_resp);
		fix_add_int(fb, 102, r->r_reason);
	} else {
		add_id(fb, 17, 'E', ++r->r_b->b_exec_id);
		if (r->r_v == FIX_42)
			fix_add_char(fb, 20, '0');
		fix_add_char(fb, 150, '8');
		fix_add_int(fb, 103, r->r_reason);
		fix_add_char(fb, 54, r->r_side ? r->r_side : '1');
		fix_add_int(fb, 151, 0);
		fix_add_int(fb, 14, 0);
		fix_add_int(fb, 6, 0);
	}
	fix_add_str(fb, 58, r->r_text, strlen(r->r_text));
	return 0;
}

static void send_er(struct vbook *b, struct session *s, struct er *e)
{
	int rc;

	e->e_b = b;
	e->e_v = session_config(s)->sc_version;
	if (e->e_v == FIX_42 && e->e_rej > 8)
		e->e_rej = 0; /* 4.2: OrdRejReason 0..8 */
	if ((rc = session_send(s, "8", fill_er, e)) != 0) {
		b->b_c.send_errors++;
		if (b->b_c.send_errors <= 5)
			fprintf(stderr, "venue-sim: cannot send an ExecutionReport: %s\n",
			    fix_strerror(rc));
	}
}

static void send_bare(struct vbook *b, struct session *s, const char *type, struct bare *r)
{
	int rc;

	r->r_b = b;
	r->r_v = session_config(s)->sc_version;
	if (r->r_v == FIX_42) {
		/* 4.2 defines CxlRejReason 0..3 and OrdRejReason 0..8 only */
		if (r->r_cxl_resp != 0 && r->r_reason > 3)
			r->r_reason = 2; /* broker option */
		else if (r->r_cxl_resp == 0 && r->r_reason > 8)
			r->r_reason = 0; /* broker option */
	}
	if ((rc = session_send(s, type, fill_bare, r)) != 0)
		b->b_c.send_errors++;
}

/* ---- fills --------------------------------------------------------------------------- */

static bool open_state(char st)
{
	return st == ST_NEW || st == ST_PARTIAL;
}

static void enqueue(struct vbook *b, uint32_t idx, int64_t due)
{
	uint32_t next = (b->b_qtail + 1) % b->b_qcap;

	if (next == b->b_qhead)
		return; /* cannot happen: one entry per record at most, cap = records + 1 */
	b->b_q[b->b_qtail].f_idx = idx;
	b->b_q[b->b_qtail].f_due = due;
	b->b_qtail = next;
	if (!loop_timer_armed(&b->b_timer))
		(void)loop_timer_set(b->b_loop, &b->b_timer, due - loop_now(b->b_loop));
}

/* Sends one fill of record o (a slice, or all that is left); true if sent. */
static bool fill_one(struct vbook *b, struct session *s, struct vorder *o)
{
	int64_t leaves = o->o_qty - o->o_cum, q;
	int64_t px = o->o_px > 0 ? o->o_px : b->b_cfg.bc_ref_px;
	struct er e;

	if (leaves <= 0 || !open_state(o->o_state))
		return false;
	if (s == NULL || session_state(s) != SESSION_ACTIVE)
		return false;
	q = o->o_slices_left > 1 ? leaves / o->o_slices_left : leaves;
	if (q < 1)
		q = 1;
	if (o->o_slices_left > 1)
		o->o_slices_left--;
	o->o_cum += q;
	o->o_notional += q * px;
	o->o_fills++;
	o->o_state = o->o_cum == o->o_qty ? ST_FILLED : ST_PARTIAL;
	memset(&e, 0, sizeof(e));
	e.e_o = o;
	e.e_status = o->o_state;
	e.e_exec = session_config(s)->sc_version == FIX_44 ? 'F' : o->o_state;
	e.e_last_qty = q;
	e.e_last_px = px;
	send_er(b, s, &e);
	b->b_c.fills++;
	b->b_c.filled_qty += (uint64_t)q;
	b->b_sym.ks_keys[o->o_sym].k_fills++;
	b->b_sym.ks_keys[o->o_sym].k_filled += (uint64_t)q;
	b->b_acct.ks_keys[o->o_acct].k_fills++;
	b->b_acct.ks_keys[o->o_acct].k_filled += (uint64_t)q;
	b->b_par.ks_keys[o->o_par].k_fills++;
	b->b_par.ks_keys[o->o_par].k_filled += (uint64_t)q;
	return true;
}

/* After an ack or a replace: fill now (no delay) or schedule. */
static void schedule_fills(struct vbook *b, struct session *s, struct vorder *o)
{
	if (b->b_cfg.bc_fill == VBOOK_FILL_NONE)
		return;
	if (b->b_cfg.bc_fill_delay_ns <= 0) {
		while (open_state(o->o_state) && fill_one(b, s, o))
			;
		return;
	}
	enqueue(b, (uint32_t)(o - b->b_ord), loop_now(b->b_loop) + b->b_cfg.bc_fill_delay_ns);
}

static void on_fill_timer(struct loop *l, void *arg)
{
	struct vbook *b = arg;
	int64_t now = loop_now(l);

	while (b->b_qhead != b->b_qtail && b->b_q[b->b_qhead].f_due <= now) {
		struct vorder *o = &b->b_ord[b->b_q[b->b_qhead].f_idx];
		struct session *s = b->b_cfg.bc_session(b->b_cfg.bc_arg, o->o_sess);

		b->b_qhead = (b->b_qhead + 1) % b->b_qcap;
		if (!open_state(o->o_state))
			continue;
		if (s == NULL || session_state(s) != SESSION_ACTIVE) {
			/* the session is down: the fill waits for it */
			b->b_c.fills_deferred++;
			enqueue(b, (uint32_t)(o - b->b_ord), now + b->b_cfg.bc_fill_delay_ns);
			continue;
		}
		if (fill_one(b, s, o) && open_state(o->o_state))
			enqueue(b, (uint32_t)(o - b->b_ord), now + b->b_cfg.bc_fill_delay_ns);
	}
	if (b->b_qhead != b->b_qtail)
		(void)loop_timer_set(l, &b->b_timer, b->b_q[b->b_qhead].f_due - now);
}

/* ---- inbound orders -------------------------------------------------------------------- */

static bool str_of(const struct fix_msg *m, int tag, const char **v, size_t *n)
{
	return fix_get_str(m, tag, v, n) == 0;
}

static int parent_tag(const struct vbook *b, const struct session *s)
{
	return session_config(s)->sc_version == FIX_42 ? b->b_cfg.bc_parent_tag42
						       : b->b_cfg.bc_parent_tag44;
}

/* The new record for ClOrdID id (not yet in the hash: *slot is its place). */
static struct vorder *new_record(struct vbook *b, uint32_t *slot, const char *id, size_t n,
    unsigned sidx, char type, bool possdup)
{
	struct vorder *o = &b->b_ord[b->b_n];

	memset(o, 0, sizeof(*o));
	memcpy(o->o_id, id, n);
	o->o_id[n] = '\0';
	o->o_sess = sidx;
	o->o_orig = NONE;
	o->o_type = type;
	o->o_possdup = possdup;
	o->o_recv_ns = sim_wall_ns();
	*slot = ++b->b_n;
	if (b->b_c.first_ns == 0)
		b->b_c.first_ns = o->o_recv_ns;
	b->b_c.last_ns = o->o_recv_ns;
	return o;
}

static void reject_bare(struct vbook *b, struct session *s, const char *type,
    const char *clordid, size_t clordid_len, const char *orig, size_t orig_len, char side,
    int reason, int cxl_resp, char status, const char *oid, const char *text)
{
	struct bare r;

	memset(&r, 0, sizeof(r));
	r.r_clordid = clordid;
	r.r_clordid_len = clordid_len;
	r.r_orig = orig;
	r.r_orig_len = orig_len;
	r.r_side = side;
	r.r_reason = reason;
	r.r_cxl_resp = cxl_resp;
	r.r_status = status;
	r.r_oid = oid;
	r.r_text = text;
	send_bare(b, s, type, &r);
}

/* BusinessMessageReject (j) of the message m. */
static int fill_bmr(struct fix_builder *fb, void *arg)
{
	const struct fix_msg *m = ((const void *const *)arg)[0];
	const char *text = ((const void *const *)arg)[1];
	const int *reason = ((const void *const *)arg)[2];
	const char *v;
	size_t n;
	int64_t seq;

	if (fix_get_int(m, 34, &seq) == 0)
		fix_add_int(fb, 45, seq);
	if (fix_get_str(m, 35, &v, &n) == 0)
		fix_add_str(fb, 372, v, n);
	fix_add_int(fb, 380, *reason);
	fix_add_str(fb, 58, text, strlen(text));
	return 0;
}

static void send_bmr(struct vbook *b, struct session *s, const struct fix_msg *m, int reason,
    const char *text)
{
	const void *args[3] = {m, text, &reason};

	if (session_send(s, "j", fill_bmr, (void *)args) != 0)
		b->b_c.send_errors++;
}

static void on_new(struct vbook *b, struct session *s, unsigned sidx, const struct fix_msg *m,
    bool possdup)
{
	const char *id, *v;
	size_t n, vn;
	uint32_t *slot;
	struct vorder *o;
	struct er e;
	char side = 0;
	const char *why = NULL;
	int64_t qty = 0, px = 0;

	b->b_c.orders++;
	if (!str_of(m, 11, &id, &n)) {
		send_bmr(b, s, m, 5, "venue-sim: ClOrdID (11) missing");
		b->b_c.invalid++;
		return;
	}
	(void)fix_get_char(m, 54, &side);
	if (n > ID_MAX) {
		reject_bare(b, s, "8", id, n, NULL, 0, side, 99, 0, '8', "NONE",
		    "venue-sim: ClOrdID longer than 64");
		b->b_c.invalid++;
		return;
	}
	slot = ord_slot(b, id, n);
	if (*slot != 0) {
		reject_bare(b, s, "8", id, n, NULL, 0, side, 6, 0, '8', "NONE",
		    "venue-sim: duplicate ClOrdID");
		b->b_c.dup_clordid++;
		return;
	}
	if (b->b_n == b->b_cfg.bc_max_orders) {
		reject_bare(b, s, "8", id, n, NULL, 0, side, 99, 0, '8', "NONE",
		    "venue-sim: order table full (--max-orders)");
		b->b_c.rejected_full++;
		return;
	}
	o = new_record(b, slot, id, n, sidx, 'D', possdup);
	o->o_oid = ++b->b_oid;
	o->o_side = side ? side : '?';
	if (str_of(m, 55, &v, &vn))
		o->o_sym = key_of(&b->b_sym, v, vn);
	if (str_of(m, 1, &v, &vn))
		o->o_acct = key_of(&b->b_acct, v, vn);
	if (str_of(m, parent_tag(b, s), &v, &vn))
		o->o_par = key_of(&b->b_par, v, vn);
	(void)fix_get_char(m, 40, &o->o_ordtype);
	if (fix_get_qty(m, 38, &qty) == 0 && qty > 0)
		o->o_qty = qty;
	if (fix_get_px(m, 44, &px) == 0 && px > 0)
		o->o_px = px;
	if (o->o_sym == 0 && fix_find(m, 55) < 0)
		why = "venue-sim: Symbol (55) missing";
	else if (side == 0)
		why = "venue-sim: Side (54) missing or invalid";
	else if (o->o_qty == 0)
		why = "venue-sim: OrderQty (38) missing or not a positive whole number";
	else if (o->o_ordtype != '1' && o->o_ordtype != '2')
		why = "venue-sim: OrdType (40) must be 1 (market) or 2 (limit)";
	else if (o->o_ordtype == '2' && o->o_px == 0)
		why = "venue-sim: a limit order needs a positive Price (44)";
	b->b_sym.ks_keys[o->o_sym].k_orders++;
	b->b_acct.ks_keys[o->o_acct].k_orders++;
	b->b_par.ks_keys[o->o_par].k_orders++;
	memset(&e, 0, sizeof(e));
	e.e_o = o;
	if (why != NULL || (b->b_cfg.bc_reject_rate > 0 &&
				sim_rng_unit(&b->b_rng) < b->b_cfg.bc_reject_rate)) {
		if (why != NULL)
			b->b_c.invalid++;
		else
			b->b_c.rejected_random++;
		o->o_state = ST_REJECTED;
		e.e_exec = e.e_status = ST_REJECTED;
		e.e_rej = why != NULL ? 99 : 0;
		e.e_text = why != NULL ? why : "venue-sim: random reject (--reject-rate)";
		send_er(b, s, &e);
		return;
	}
	b->b_sym.ks_keys[o->o_sym].k_ordered += (uint64_t)o->o_qty;
	b->b_acct.ks_keys[o->o_acct].k_ordered += (uint64_t)o->o_qty;
	b->b_par.ks_keys[o->o_par].k_ordered += (uint64_t)o->o_qty;
	o->o_state = ST_NEW;
	o->o_slices_left = (uint16_t)(b->b_cfg.bc_fill == VBOOK_FILL_PARTIAL ? b->b_cfg.bc_slices : 1);
	e.e_exec = e.e_status = ST_NEW;
	send_er(b, s, &e);
	b->b_c.acked++;
	schedule_fills(b, s, o);
}

/* The record a cancel or replace names by OrigClOrdID, or NULL (answered). */
static struct vorder *target_of(struct vbook *b, struct session *s, const struct fix_msg *m,
    int cxl_resp, const char **id, size_t *n, const char **orig, size_t *on)
{
	struct vorder *o;
	char oid[24];

	if (!str_of(m, 11, id, n) || *n > ID_MAX) {
		send_bmr(b, s, m, 5, "venue-sim: ClOrdID (11) missing or too long");
		return NULL;
	}
	if (!str_of(m, 41, orig, on)) {
		reject_bare(b, s, "9", *id, *n, NULL, 0, 0, 1, cxl_resp, '8',
		    "NONE", "venue-sim: OrigClOrdID (41) missing");
		return NULL;
	}
	if ((o = *on <= ID_MAX ? ord_find(b, *orig, *on) : NULL) == NULL) {
		reject_bare(b, s, "9", *id, *n, *orig, *on, 0, 1, cxl_resp, '8', "NONE",
		    "venue-sim: unknown order");
		return NULL;
	}
	if (!open_state(o->o_state)) {
		oid[0] = 'V';
		oid[1 + sim_utoa(o->o_oid, oid + 1)] = '\0';
		reject_bare(b, s, "9", *id, *n, *orig, *on, 0, 0, cxl_resp,
		    o->o_state == ST_REPLACED ? '5' : o->o_state, oid,
		    o->o_state == ST_FILLED     ? "venue-sim: too late: order filled"
		    : o->o_state == ST_REPLACED ? "venue-sim: order was replaced"
						: "venue-sim: too late: order closed");
		return NULL;
	}
	return o;
}

static void on_cancel(struct vbook *b, struct session *s, const struct fix_msg *m)
{
	const char *id, *orig;
	size_t n, on;
	struct vorder *o;
	struct er e;

	b->b_c.cancels++;
	if ((o = target_of(b, s, m, 1, &id, &n, &orig, &on)) == NULL) {
		b->b_c.cancel_rejects++;
		return;
	}
	o->o_state = ST_CANCELED;
	memset(&e, 0, sizeof(e));
	e.e_o = o;
	e.e_exec = e.e_status = ST_CANCELED;
	e.e_clordid = id;
	e.e_clordid_len = n;
	e.e_orig = orig;
	e.e_orig_len = on;
	send_er(b, s, &e);
	b->b_c.cancels_done++;
}

static void on_replace(struct vbook *b, struct session *s, unsigned sidx, const struct fix_msg *m,
    bool possdup)
{
	const char *id, *orig;
	size_t n, on;
	struct vorder *o, *r;
	uint32_t *slot;
	int64_t qty = 0, px = 0;
	char oid[24];
	struct er e;

	b->b_c.replaces++;
	if ((o = target_of(b, s, m, 2, &id, &n, &orig, &on)) == NULL) {
		b->b_c.replace_rejects++;
		return;
	}
	oid[0] = 'V';
	oid[1 + sim_utoa(o->o_oid, oid + 1)] = '\0';
	if (fix_get_qty(m, 38, &qty) != 0 || qty <= o->o_cum) {
		reject_bare(b, s, "9", id, n, orig, on, 0, 99, 2, o->o_state, oid,
		    "venue-sim: OrderQty (38) missing or not above the filled quantity");
		b->b_c.replace_rejects++;
		return;
	}
	slot = ord_slot(b, id, n);
	if (*slot != 0 || b->b_n == b->b_cfg.bc_max_orders) {
		reject_bare(b, s, "9", id, n, orig, on, 0, *slot != 0 ? 6 : 99, 2, o->o_state, oid,
		    *slot != 0 ? "venue-sim: duplicate ClOrdID"
			       : "venue-sim: order table full (--max-orders)");
		b->b_c.replace_rejects++;
		return;
	}
	r = new_record(b, slot, id, n, sidx, 'G', possdup);
	r->o_oid = o->o_oid;
	r->o_side = o->o_side;
	r->o_ordtype = o->o_ordtype;
	r->o_sym = o->o_sym;
	r->o_acct = o->o_acct;
	r->o_par = o->o_par;
	r->o_orig = (uint32_t)(o - b->b_ord);
	r->o_qty = qty;
	r->o_px = fix_get_px(m, 44, &px) == 0 && px > 0 ? px : o->o_px;
	r->o_cum = o->o_cum;
	r->o_notional = o->o_notional;
	r->o_slices_left = o->o_slices_left;
	r->o_state = o->o_state;
	/* the ordered quantity moves by the difference */
	b->b_sym.ks_keys[r->o_sym].k_ordered += (uint64_t)(qty - o->o_qty);
	b->b_acct.ks_keys[r->o_acct].k_ordered += (uint64_t)(qty - o->o_qty);
	b->b_par.ks_keys[r->o_par].k_ordered += (uint64_t)(qty - o->o_qty);
	o->o_state = ST_REPLACED;
	memset(&e, 0, sizeof(e));
	e.e_o = r;
	e.e_exec = ST_REPLACED;
	/* 4.2 has OrdStatus 5 = Replaced; 4.4 reports the order's status */
	e.e_status = session_config(s)->sc_version == FIX_42 ? ST_REPLACED : r->o_state;
	e.e_orig = orig;
	e.e_orig_len = on;
	send_er(b, s, &e);
	b->b_c.replaces_done++;
	schedule_fills(b, s, r);
}

bool vbook_on_app(struct vbook *b, struct session *s, unsigned sidx, const struct fix_msg *m,
    bool possdup)
{
	const char *t;
	size_t n;

	if (possdup)
		b->b_c.possdup_apps++;
	if (fix_get_str(m, 35, &t, &n) != 0 || n != 1) {
		b->b_c.unsupported++;
		send_bmr(b, s, m, 3, "venue-sim: unsupported message type");
		return false;
	}
	switch (t[0]) {
	case 'D':
		on_new(b, s, sidx, m, possdup);
		return true;
	case 'F':
		on_cancel(b, s, m);
		return false;
	case 'G':
		on_replace(b, s, sidx, m, possdup);
		return false;
	default:
		b->b_c.unsupported++;
		send_bmr(b, s, m, 3, "venue-sim: unsupported message type");
		return false;
	}
}

/* ---- stats ------------------------------------------------------------------------------ */

static const char *state_name(char st)
{
	switch (st) {
	case ST_NEW:
		return "new";
	case ST_PARTIAL:
		return "partial";
	case ST_FILLED:
		return "filled";
	case ST_CANCELED:
		return "canceled";
	case ST_REPLACED:
		return "replaced";
	case ST_REJECTED:
		return "rejected";
	default:
		return "?";
	}
}

static void keys_json(FILE *f, const char *name, const struct vkeys *ks)
{
	uint32_t i;
	bool first = true;

	fprintf(f, ",\n\"%s\":{", name);
	for (i = 0; i < ks->ks_n; i++) {
		const struct vkey *k = &ks->ks_keys[i];

		if (i == 0 && k->k_orders == 0)
			continue; /* "(none)": shown only when used */
		fprintf(f, "%s\n ", first ? "" : ",");
		first = false;
		sim_json_str(f, k->k_id, strlen(k->k_id));
		fprintf(f,
		    ":{\"orders\":%" PRIu64 ",\"ordered_qty\":%" PRIu64 ",\"fills\":%" PRIu64
		    ",\"filled_qty\":%" PRIu64 "}",
		    k->k_orders, k->k_ordered, k->k_fills, k->k_filled);
	}
	fprintf(f, "}");
	fprintf(f, ",\n\"%s_overflow\":%" PRIu64, name, ks->ks_overflow);
}

int vbook_json(const struct vbook *b, FILE *f, uint64_t max_list,
    const char *(*name)(void *arg, unsigned sidx), void *arg)
{
	const struct vcount *c = &b->b_c;
	uint32_t i, nlist = b->b_n < max_list ? b->b_n : (uint32_t)max_list;

	fprintf(f,
	    "\"orders_received\":%" PRIu64 ",\"orders_acked\":%" PRIu64
	    ",\"orders_rejected\":%" PRIu64 ",\"rejected_random\":%" PRIu64
	    ",\"rejected_invalid\":%" PRIu64 ",\"rejected_table_full\":%" PRIu64
	    ",\"duplicate_clordid\":%" PRIu64 ",\n\"fills\":%" PRIu64 ",\"filled_qty\":%" PRIu64
	    ",\"fills_deferred\":%" PRIu64 ",\n\"cancels_received\":%" PRIu64
	    ",\"cancels_confirmed\":%" PRIu64 ",\"cancel_rejects\":%" PRIu64
	    ",\n\"replaces_received\":%" PRIu64 ",\"replaces_confirmed\":%" PRIu64
	    ",\"replace_rejects\":%" PRIu64 ",\n\"unsupported_msgs\":%" PRIu64
	    ",\"possdup_apps\":%" PRIu64 ",\"send_errors\":%" PRIu64
	    ",\n\"first_order_ns\":%" PRId64 ",\"last_order_ns\":%" PRId64,
	    c->orders, c->acked, c->dup_clordid + c->invalid + c->rejected_random + c->rejected_full,
	    c->rejected_random, c->invalid, c->rejected_full, c->dup_clordid, c->fills,
	    c->filled_qty, c->fills_deferred, c->cancels, c->cancels_done, c->cancel_rejects,
	    c->replaces, c->replaces_done, c->replace_rejects, c->unsupported, c->possdup_apps,
	    c->send_errors, c->first_ns, c->last_ns);
	{
		uint64_t open = 0, open_qty = 0;

		for (i = 0; i < b->b_n; i++)
			if (b->b_ord[i].o_state == ST_NEW || b->b_ord[i].o_state == ST_PARTIAL) {
				open++;
				open_qty += (uint64_t)(b->b_ord[i].o_qty - b->b_ord[i].o_cum);
			}
		fprintf(f, ",\n\"open_orders\":%" PRIu64 ",\"open_qty\":%" PRIu64, open, open_qty);
	}
	keys_json(f, "symbols", &b->b_sym);
	keys_json(f, "accounts", &b->b_acct);
	keys_json(f, "parents", &b->b_par);
	fprintf(f, ",\n\"records\":%" PRIu32 ",\"records_listed\":%" PRIu32 ",\n\"orders\":[", b->b_n,
	    nlist);
	for (i = 0; i < nlist; i++) {
		const struct vorder *o = &b->b_ord[i];
		char px[24];

		fprintf(f, "%s\n{\"clordid\":", i ? "," : "");
		sim_json_str(f, o->o_id, strlen(o->o_id));
		fprintf(f, ",\"msg\":\"%c\"", o->o_type);
		if (o->o_orig != NONE) {
			fprintf(f, ",\"orig\":");
			sim_json_str(f, b->b_ord[o->o_orig].o_id, strlen(b->b_ord[o->o_orig].o_id));
		}
		fprintf(f, ",\"order_id\":\"V%" PRIu64 "\",\"session\":", o->o_oid);
		sim_json_str(f, name(arg, o->o_sess), strlen(name(arg, o->o_sess)));
		fprintf(f, ",\"symbol\":");
		sim_json_str(f, b->b_sym.ks_keys[o->o_sym].k_id, strlen(b->b_sym.ks_keys[o->o_sym].k_id));
		fprintf(f, ",\"account\":");
		sim_json_str(f, b->b_acct.ks_keys[o->o_acct].k_id,
		    strlen(b->b_acct.ks_keys[o->o_acct].k_id));
		fprintf(f, ",\"parent\":");
		sim_json_str(f, b->b_par.ks_keys[o->o_par].k_id, strlen(b->b_par.ks_keys[o->o_par].k_id));
		fprintf(f,
		    ",\"side\":\"%c\",\"qty\":%" PRId64 ",\"px\":\"%s\",\"cum_qty\":%" PRId64
		    ",\"fills\":%" PRIu32 ",\"state\":\"%s\",\"possdup\":%s,\"recv_ns\":%" PRId64 "}",
		    o->o_side, o->o_qty, sim_px_str(o->o_px, px), o->o_cum, o->o_fills,
		    state_name(o->o_state), o->o_possdup ? "true" : "false", o->o_recv_ns);
	}
	fprintf(f, "]");
	return ferror(f) ? -1 : 0;
}

void vbook_summary(const struct vbook *b, FILE *f)
{
	const struct vcount *c = &b->b_c;

	fprintf(f,
	    "venue-sim: orders %" PRIu64 " (acked %" PRIu64 ", rejected %" PRIu64
	    "), fills %" PRIu64 " (%" PRIu64 " shares), cancels %" PRIu64 "/%" PRIu64
	    ", replaces %" PRIu64 "/%" PRIu64 "\n",
	    c->orders, c->acked, c->dup_clordid + c->invalid + c->rejected_random + c->rejected_full,
	    c->fills, c->filled_qty, c->cancels_done, c->cancels, c->replaces_done, c->replaces);
}
