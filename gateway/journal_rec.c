/*
 * journal_rec.c - encode and decode the keys and values of journal.mdb
 * (journal_rec.h).
 *
 * The framing (header, CRC-32C, type, version) is rules/record.c's; the
 * payloads are written field by field, little-endian, never a memcpy of a
 * struct, and every field read back is checked.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "journal_rec.h"
#include "record.h"
#include "rules.h"

bool journal_name_valid(const char *name)
{
	size_t n;

	if (name == NULL)
		return false;
	n = strnlen(name, JOURNAL_NAME_MAX + 1);
	if (n == 0 || n > JOURNAL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
			return false;
	return true;
}

bool journal_day_valid(uint32_t day)
{
	uint32_t y = day / 10000, m = day / 100 % 100, d = day % 100;

	return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* ---- encoding ---------------------------------------------------------------- */

struct enc {
	uint8_t *e_buf;
	size_t e_len;
};

static void put_u8(struct enc *e, uint8_t v)
{
	e->e_buf[e->e_len++] = v;
}

static void put_le(struct enc *e, uint64_t v, int n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(e->e_buf + e->e_len, &v, (size_t)n); /* the low n bytes, in order */
	e->e_len += (size_t)n;
#else
	for (int i = 0; i < n; i++)
		put_u8(e, (uint8_t)(v >> (8 * i)));
#endif
}

static void put_u16(struct enc *e, uint16_t v)
{
	put_le(e, v, 2);
}

static void put_u32(struct enc *e, uint32_t v)
{
	put_le(e, v, 4);
}

static void put_u64(struct enc *e, uint64_t v)
{
	put_le(e, v, 8);
}

static void put_i64(struct enc *e, int64_t v)
{
	put_le(e, (uint64_t)v, 8);
}

/* An id: u8 length + bytes. */
static void put_id(struct enc *e, const char *s)
{
	size_t n = strnlen(s, RULES_ID_MAX);

	put_u8(e, (uint8_t)n);
	memcpy(e->e_buf + e->e_len, s, n);
	e->e_len += n;
}

static struct enc enc_start(uint8_t *buf)
{
	struct enc e = {buf, RULES_REC_HDR_LEN};

	return e;
}

static size_t enc_finish(struct enc *e, enum journal_rec_type type)
{
	rules_rec_seal(e->e_buf, e->e_len, (uint16_t)type);
	return e->e_len;
}

size_t journal_rec_enc_session(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_session *s)
{
	struct enc e = enc_start(buf);

	put_u64(&e, s->js_next_in);
	put_u64(&e, s->js_next_out);
	put_u32(&e, s->js_day);
	return enc_finish(&e, JOURNAL_REC_SESSION);
}

size_t journal_rec_enc_event(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_event *ev)
{
	struct enc e = enc_start(buf);

	put_u64(&e, ev->ev_seq);
	put_u8(&e, (uint8_t)ev->ev_type);
	put_id(&e, ev->ev_route);
	switch (ev->ev_type) {
	case JOURNAL_EV_ORDER: {
		const struct journal_order *o = &ev->ev_u.order;

		put_u8(&e, (uint8_t)o->jo_kind);
		put_id(&e, o->jo_clordid);
		put_id(&e, o->jo_origclordid);
		put_id(&e, o->jo_parent);
		put_id(&e, o->jo_account);
		put_id(&e, o->jo_symbol);
		put_u8(&e, (uint8_t)o->jo_side);
		put_u8(&e, (uint8_t)o->jo_ordtype);
		put_i64(&e, o->jo_qty);
		put_i64(&e, o->jo_px);
		put_i64(&e, o->jo_declared_qty);
		put_u8(&e, o->jo_allow_declare ? 1 : 0);
		put_i64(&e, o->jo_now_ns);
		break;
	}
	case JOURNAL_EV_EXEC: {
		const struct journal_exec *x = &ev->ev_u.exec;

		put_id(&e, x->jx_clordid);
		put_id(&e, x->jx_origclordid);
		put_u8(&e, (uint8_t)x->jx_exec_type);
		put_u8(&e, (uint8_t)x->jx_ord_status);
		put_i64(&e, x->jx_last_qty);
		put_i64(&e, x->jx_last_px);
		put_i64(&e, x->jx_cum_qty);
		put_i64(&e, x->jx_leaves_qty);
		put_i64(&e, x->jx_order_qty);
		put_i64(&e, x->jx_px);
		break;
	}
	case JOURNAL_EV_CANCEL_SENT:
	case JOURNAL_EV_CANCEL_REJECT:
		put_id(&e, ev->ev_u.cancel.jc_clordid);
		put_id(&e, ev->ev_u.cancel.jc_origclordid);
		if (ev->ev_type == JOURNAL_EV_CANCEL_REJECT)
			put_u8(&e, (uint8_t)ev->ev_u.cancel.jc_response_to);
		break;
	case JOURNAL_EV_PARENT_BLOCK:
	case JOURNAL_EV_PARENT_RELEASE:
		put_id(&e, ev->ev_u.parent.jp_parent);
		break;
	}
	return enc_finish(&e, JOURNAL_REC_EVENT);
}

/* A string with a u16 length. */
static void put_text(struct enc *e, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_u16(e, (uint16_t)n);
	memcpy(e->e_buf + e->e_len, s, n);
	e->e_len += n;
}

size_t journal_rec_enc_kill(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_kill *k)
{
	struct enc e = enc_start(buf);

	put_u8(&e, (uint8_t)k->jk_state);
	put_u8(&e, (uint8_t)k->jk_source);
	put_i64(&e, k->jk_time_ns);
	put_id(&e, k->jk_who);
	put_text(&e, k->jk_reason, RULES_REASON_MAX);
	if (k->jk_req_who[0] != '\0') { /* the optional tail: a reset request */
		put_id(&e, k->jk_req_who);
		put_i64(&e, k->jk_req_time_ns);
		put_text(&e, k->jk_req_reason, RULES_REASON_MAX);
	}
	return enc_finish(&e, JOURNAL_REC_KILL);
}

size_t journal_rec_enc_kill_log(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_kill_log *l)
{
	struct enc e = enc_start(buf);
	size_t n = strnlen(l->kl_scope, JOURNAL_SCOPE_MAX);

	put_u64(&e, l->kl_seq);
	put_i64(&e, l->kl_time_ns);
	put_u8(&e, (uint8_t)l->kl_action);
	put_u8(&e, (uint8_t)l->kl_source);
	put_u8(&e, (uint8_t)n);
	memcpy(e.e_buf + e.e_len, l->kl_scope, n);
	e.e_len += n;
	put_id(&e, l->kl_who);
	put_text(&e, l->kl_reason, RULES_REASON_MAX);
	return enc_finish(&e, JOURNAL_REC_KILL_LOG);
}

void journal_rec_seal_msg(uint8_t *buf, uint64_t seq, size_t len)
{
	struct enc e = {buf, RULES_REC_HDR_LEN};

	put_u64(&e, seq);
	rules_rec_seal(buf, JOURNAL_MSG_HDR + len, JOURNAL_REC_MSG);
}

size_t journal_rec_msgs_entry(uint8_t *p, uint64_t seq, size_t len)
{
	struct enc e = {p, 0};

	put_u64(&e, seq);
	put_u32(&e, (uint32_t)len);
	return JOURNAL_MSGS_ENTRY;
}

void journal_rec_seal_msgs(uint8_t *buf, size_t len, uint32_t count)
{
	struct enc e = {buf, RULES_REC_HDR_LEN};

	put_u32(&e, count);
	rules_rec_seal(buf, len, JOURNAL_REC_MSGS);
}

/* ---- decoding ---------------------------------------------------------------- */

struct dec {
	const uint8_t *d_buf;
	size_t d_len;
	size_t d_off;
	bool d_short; /* a read went past the end */
};

static uint64_t get_le(struct dec *d, size_t n)
{
	uint64_t v = 0;

	if (d->d_len - d->d_off < n) {
		d->d_short = true;
		d->d_off = d->d_len;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)d->d_buf[d->d_off + i] << (8 * i);
	d->d_off += n;
	return v;
}

static uint8_t get_u8(struct dec *d)
{
	return (uint8_t)get_le(d, 1);
}

static int64_t get_i64(struct dec *d)
{
	return (int64_t)get_le(d, 8);
}

/* A string of a u8 (lenbytes 1) or u16 (2) length, at most max bytes, no
 * NUL inside, into out[max + 1]. "" is allowed here; callers check. */
static bool get_str(struct dec *d, int lenbytes, char *out, size_t max)
{
	size_t n = (size_t)get_le(d, (size_t)lenbytes);

	if (d->d_short || n > max || d->d_len - d->d_off < n) {
		d->d_short = true;
		return false;
	}
	if (memchr(d->d_buf + d->d_off, '\0', n) != NULL)
		return false;
	memcpy(out, d->d_buf + d->d_off, n);
	out[n] = '\0';
	d->d_off += n;
	return true;
}

static bool get_id(struct dec *d, char out[JOURNAL_ID_SIZE])
{
	return get_str(d, 1, out, RULES_ID_MAX);
}

static int dec_start(struct dec *d, const void *v, size_t n, enum journal_rec_type type,
    const char **why)
{
	int rc = rules_rec_open(v, n, (uint16_t)type, &d->d_buf, &d->d_len, why);

	if (rc != 0)
		return rc;
	d->d_off = 0;
	d->d_short = false;
	return 0;
}

/* Every byte read, none missing, none left over. */
static int dec_end(const struct dec *d, const char **why)
{
	if (d->d_short) {
		*why = "record too short";
		return RULES_ECORRUPT;
	}
	if (d->d_off != d->d_len) {
		*why = "trailing bytes after the record";
		return RULES_ECORRUPT;
	}
	return 0;
}

int journal_rec_dec_session(const void *v, size_t n, struct journal_session *out,
    const char **why)
{
	struct journal_session s;
	struct dec d;
	int rc;

	if ((rc = dec_start(&d, v, n, JOURNAL_REC_SESSION, why)) != 0)
		return rc;
	s.js_next_in = get_le(&d, 8);
	s.js_next_out = get_le(&d, 8);
	s.js_day = (uint32_t)get_le(&d, 4);
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (s.js_next_in == 0 || s.js_next_out == 0 || !journal_day_valid(s.js_day)) {
		*why = "session record fails validation";
		return RULES_ECORRUPT;
	}
	*out = s;
	return 0;
}

int journal_rec_dec_event(const void *v, size_t n, struct journal_event *out, const char **why)
{
	struct journal_event ev;
	struct dec d;
	bool ok = true;
	int rc;

	if ((rc = dec_start(&d, v, n, JOURNAL_REC_EVENT, why)) != 0)
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.ev_seq = get_le(&d, 8);
	ev.ev_type = (enum journal_ev_type)get_u8(&d);
	ok = get_id(&d, ev.ev_route);
	switch (ev.ev_type) {
	case JOURNAL_EV_ORDER: {
		struct journal_order *o = &ev.ev_u.order;
		uint8_t kind = get_u8(&d), allow;

		o->jo_kind = kind == 0 ? RULES_NEW : RULES_REPLACE;
		ok = ok && kind <= 1;
		ok = ok && get_id(&d, o->jo_clordid) && get_id(&d, o->jo_origclordid) &&
		    get_id(&d, o->jo_parent) && get_id(&d, o->jo_account) &&
		    get_id(&d, o->jo_symbol);
		o->jo_side = (char)get_u8(&d);
		o->jo_ordtype = (char)get_u8(&d);
		o->jo_qty = get_i64(&d);
		o->jo_px = get_i64(&d);
		o->jo_declared_qty = get_i64(&d);
		allow = get_u8(&d);
		ok = ok && allow <= 1;
		o->jo_allow_declare = allow == 1;
		o->jo_now_ns = get_i64(&d);
		break;
	}
	case JOURNAL_EV_EXEC: {
		struct journal_exec *x = &ev.ev_u.exec;

		ok = ok && get_id(&d, x->jx_clordid) && get_id(&d, x->jx_origclordid);
		x->jx_exec_type = (char)get_u8(&d);
		x->jx_ord_status = (char)get_u8(&d);
		x->jx_last_qty = get_i64(&d);
		x->jx_last_px = get_i64(&d);
		x->jx_cum_qty = get_i64(&d);
		x->jx_leaves_qty = get_i64(&d);
		x->jx_order_qty = get_i64(&d);
		x->jx_px = get_i64(&d);
		break;
	}
	case JOURNAL_EV_CANCEL_SENT:
	case JOURNAL_EV_CANCEL_REJECT:
		ok = ok && get_id(&d, ev.ev_u.cancel.jc_clordid) &&
		    get_id(&d, ev.ev_u.cancel.jc_origclordid);
		if (ev.ev_type == JOURNAL_EV_CANCEL_REJECT)
			ev.ev_u.cancel.jc_response_to = (char)get_u8(&d);
		break;
	case JOURNAL_EV_PARENT_BLOCK:
	case JOURNAL_EV_PARENT_RELEASE:
		ok = ok && get_id(&d, ev.ev_u.parent.jp_parent);
		break;
	default:
		*why = "unknown event type";
		return RULES_ECORRUPT;
	}
	if (d.d_short) {
		*why = "record too short";
		return RULES_ECORRUPT;
	}
	if (!ok) {
		*why = "bad field in event record";
		return RULES_ECORRUPT;
	}
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (ev.ev_seq == 0 || journal_ev_validate(&ev, NULL) != 0) {
		*why = "event record fails validation";
		return RULES_ECORRUPT;
	}
	*out = ev;
	return 0;
}

int journal_rec_dec_kill(const void *v, size_t n, struct journal_kill *out, const char **why)
{
	struct journal_kill k;
	struct dec d;
	uint8_t state, source;
	bool ok;
	int rc;

	if ((rc = dec_start(&d, v, n, JOURNAL_REC_KILL, why)) != 0)
		return rc;
	memset(&k, 0, sizeof(k));
	state = get_u8(&d);
	source = get_u8(&d);
	k.jk_state = state == 0 ? JOURNAL_KILL_ARMED : JOURNAL_KILL_TRIPPED;
	k.jk_source = (enum journal_kill_source)source;
	k.jk_time_ns = get_i64(&d);
	ok = get_id(&d, k.jk_who) && get_str(&d, 2, k.jk_reason, RULES_REASON_MAX);
	if (ok && !d.d_short && d.d_off < d.d_len) { /* a reset request follows */
		ok = get_id(&d, k.jk_req_who);
		k.jk_req_time_ns = get_i64(&d);
		ok = ok && get_str(&d, 2, k.jk_req_reason, RULES_REASON_MAX);
		if (ok && !d.d_short && k.jk_req_who[0] == '\0') {
			*why = "kill record: a reset request without a requester";
			return RULES_ECORRUPT;
		}
	}
	if (d.d_short) {
		*why = "record too short";
		return RULES_ECORRUPT;
	}
	if (!ok) {
		*why = "NUL inside a kill record field";
		return RULES_ECORRUPT;
	}
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (state > 1 || source > JOURNAL_KSRC_CLI || journal_kill_validate(&k, NULL) != 0) {
		*why = "kill record fails validation";
		return RULES_ECORRUPT;
	}
	*out = k;
	return 0;
}

int journal_rec_dec_kill_log(const void *v, size_t n, struct journal_kill_log *out,
    const char **why)
{
	struct journal_kill_log l;
	struct dec d;
	uint8_t action, source;
	bool ok;
	int rc;

	if ((rc = dec_start(&d, v, n, JOURNAL_REC_KILL_LOG, why)) != 0)
		return rc;
	memset(&l, 0, sizeof(l));
	l.kl_seq = get_le(&d, 8);
	l.kl_time_ns = get_i64(&d);
	action = get_u8(&d);
	source = get_u8(&d);
	l.kl_action = (enum journal_kill_action)action;
	l.kl_source = (enum journal_kill_source)source;
	ok = get_str(&d, 1, l.kl_scope, JOURNAL_SCOPE_MAX) && get_id(&d, l.kl_who) &&
	    get_str(&d, 2, l.kl_reason, RULES_REASON_MAX);
	if (d.d_short) {
		*why = "record too short";
		return RULES_ECORRUPT;
	}
	if (!ok) {
		*why = "NUL inside a kill log field";
		return RULES_ECORRUPT;
	}
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (action == 0 || action > JOURNAL_KA_LAST || source > JOURNAL_KSRC_CLI ||
	    journal_kill_log_validate(&l, NULL) != 0) {
		*why = "kill log line fails validation";
		return RULES_ECORRUPT;
	}
	*out = l;
	return 0;
}

int journal_rec_dec_msg(const void *v, size_t n, uint64_t *seq, const uint8_t **msg,
    size_t *len, const char **why)
{
	struct dec d;
	uint64_t s;
	int rc;

	if ((rc = dec_start(&d, v, n, JOURNAL_REC_MSG, why)) != 0)
		return rc;
	s = get_le(&d, 8);
	if (d.d_short) {
		*why = "record too short";
		return RULES_ECORRUPT;
	}
	if (s == 0 || d.d_len - d.d_off == 0 || d.d_len - d.d_off > JOURNAL_MSG_MAX) {
		*why = "message record fails validation";
		return RULES_ECORRUPT;
	}
	*seq = s;
	*msg = d.d_buf + d.d_off;
	*len = d.d_len - d.d_off;
	return 0;
}

static uint64_t le_at(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int journal_rec_dec_msgs(const void *v, size_t n, struct journal_msgs_it *it, const char **why)
{
	const uint8_t *p, *end;
	const char *why1;
	uint64_t prev = 0;
	size_t plen;
	uint32_t count;

	memset(it, 0, sizeof(*it));
	if (rules_rec_open(v, n, JOURNAL_REC_MSGS, &p, &plen, &why1) != 0) {
		const uint8_t *msg;
		uint64_t seq;
		size_t len;

		/* schema 1: one message per record */
		if (journal_rec_dec_msg(v, n, &seq, &msg, &len, why) != 0) {
			if (strstr(*why, "type") != NULL)
				*why = why1; /* neither type: say what MSGS said */
			return RULES_ECORRUPT;
		}
		it->mi_p = msg;
		it->mi_end = msg + len;
		it->mi_first = it->mi_last = seq;
		it->mi_count = 1;
		it->mi_single = true;
		return 0;
	}
	end = p + plen;
	if (plen < 4 || (count = (uint32_t)le_at(p, 4)) == 0) {
		*why = "message batch without messages";
		return RULES_ECORRUPT;
	}
	it->mi_p = p + 4;
	it->mi_end = end;
	it->mi_count = count;
	p += 4;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t seq;
		size_t len;

		if ((size_t)(end - p) < JOURNAL_MSGS_ENTRY) {
			*why = "record too short";
			return RULES_ECORRUPT;
		}
		seq = le_at(p, 8);
		len = (size_t)le_at(p + 8, 4);
		p += JOURNAL_MSGS_ENTRY;
		if (seq <= prev || len == 0 || len > JOURNAL_MSG_MAX) {
			*why = "message batch entry fails validation";
			return RULES_ECORRUPT;
		}
		if ((size_t)(end - p) < len) {
			*why = "record too short";
			return RULES_ECORRUPT;
		}
		p += len;
		if (i == 0)
			it->mi_first = seq;
		prev = seq;
	}
	if (p != end) {
		*why = "trailing bytes after the record";
		return RULES_ECORRUPT;
	}
	it->mi_last = prev;
	return 0;
}

bool journal_rec_msgs_next(struct journal_msgs_it *it, uint64_t *seq, const uint8_t **msg,
    size_t *len)
{
	size_t n;

	if (it->mi_count == 0)
		return false;
	it->mi_count--;
	if (it->mi_single) {
		*seq = it->mi_first;
		*msg = it->mi_p;
		*len = (size_t)(it->mi_end - it->mi_p);
		it->mi_p = it->mi_end;
		return true;
	}
	*seq = le_at(it->mi_p, 8);
	n = (size_t)le_at(it->mi_p + 8, 4);
	*msg = it->mi_p + JOURNAL_MSGS_ENTRY;
	*len = n;
	it->mi_p += JOURNAL_MSGS_ENTRY + n;
	return true;
}

/* ---- validation shared by the writers and the decoders ------------------------- */

int journal_session_validate(const char *name, const struct journal_session *s,
    char err[RULES_ERRLEN])
{
	if (!journal_name_valid(name)) {
		if (err != NULL)
			snprintf(err, RULES_ERRLEN,
			    "session name: must be 1..%d printable ASCII characters", JOURNAL_NAME_MAX);
		return RULES_EINVAL;
	}
	if (s->js_next_in == 0 || s->js_next_out == 0) {
		if (err != NULL)
			snprintf(err, RULES_ERRLEN, "session %s: sequence numbers start at 1", name);
		return RULES_EINVAL;
	}
	if (!journal_day_valid(s->js_day)) {
		if (err != NULL)
			snprintf(err, RULES_ERRLEN, "session %s: day %u is not YYYYMMDD", name,
			    (unsigned)s->js_day);
		return RULES_EINVAL;
	}
	return 0;
}

int journal_kill_validate(const struct journal_kill *k, char err[RULES_ERRLEN])
{
	const char *what = NULL;

	if (k->jk_state != JOURNAL_KILL_ARMED && k->jk_state != JOURNAL_KILL_TRIPPED)
		what = "state: armed or tripped";
	else if ((unsigned)k->jk_source > JOURNAL_KSRC_CLI)
		what = "source: unknown";
	else if (k->jk_state == JOURNAL_KILL_TRIPPED && k->jk_source == JOURNAL_KSRC_NONE)
		what = "source: a trip needs one";
	else if (memchr(k->jk_reason, '\0', sizeof(k->jk_reason)) == NULL ||
	    (k->jk_reason[0] != '\0' && !rules_reason_valid(k->jk_reason)))
		what = "reason: UTF-8 text without control characters";
	else if (k->jk_state == JOURNAL_KILL_TRIPPED && k->jk_reason[0] == '\0')
		what = "reason: a trip needs one";
	else if (memchr(k->jk_who, '\0', sizeof(k->jk_who)) == NULL ||
	    (k->jk_who[0] != '\0' && !rules_id_valid(k->jk_who)))
		what = "who: 1..64 printable ASCII characters, or none";
	else if (k->jk_time_ns < 0)
		what = "time: negative";
	else if (memchr(k->jk_req_who, '\0', sizeof(k->jk_req_who)) == NULL ||
	    memchr(k->jk_req_reason, '\0', sizeof(k->jk_req_reason)) == NULL)
		what = "reset request: unterminated field";
	else if (k->jk_req_who[0] != '\0' &&
	    (k->jk_state != JOURNAL_KILL_TRIPPED || !rules_id_valid(k->jk_req_who) ||
		!rules_reason_valid(k->jk_req_reason) || k->jk_req_time_ns < 0))
		what = "reset request: only while tripped, with a valid requester, reason and time";
	else if (k->jk_req_who[0] == '\0' && (k->jk_req_reason[0] != '\0' || k->jk_req_time_ns != 0))
		what = "reset request: reason or time without a requester";
	if (what == NULL)
		return 0;
	if (err != NULL)
		snprintf(err, RULES_ERRLEN, "kill record: %s", what);
	return RULES_EINVAL;
}

bool journal_scope_valid(const char *scope)
{
	static const char *const kinds[] = {"route:", "account:", "symbol:"};

	if (scope == NULL || strnlen(scope, JOURNAL_SCOPE_MAX + 1) > JOURNAL_SCOPE_MAX)
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]);

		if (strncmp(scope, kinds[i], n) == 0)
			return rules_id_valid(scope + n);
	}
	return false;
}

int journal_kill_log_validate(const struct journal_kill_log *l, char err[RULES_ERRLEN])
{
	const char *what = NULL;

	if ((unsigned)l->kl_action == 0 || (unsigned)l->kl_action > JOURNAL_KA_LAST)
		what = "action: unknown";
	else if ((unsigned)l->kl_source > JOURNAL_KSRC_CLI)
		what = "source: unknown";
	else if (l->kl_time_ns < 0)
		what = "time: negative";
	else if (memchr(l->kl_scope, '\0', sizeof(l->kl_scope)) == NULL ||
	    (strcmp(l->kl_scope, "global") != 0 && !journal_scope_valid(l->kl_scope) &&
		!rules_id_valid(l->kl_scope)))
		what = "scope: global, a scope or a parent id";
	else if (memchr(l->kl_who, '\0', sizeof(l->kl_who)) == NULL ||
	    (l->kl_who[0] != '\0' && !rules_id_valid(l->kl_who)))
		what = "who: 1..64 printable ASCII characters, or none";
	else if (memchr(l->kl_reason, '\0', sizeof(l->kl_reason)) == NULL ||
	    (l->kl_reason[0] != '\0' && !rules_reason_valid(l->kl_reason)))
		what = "reason: UTF-8 text without control characters";
	if (what == NULL)
		return 0;
	if (err != NULL)
		snprintf(err, RULES_ERRLEN, "kill log: %s", what);
	return RULES_EINVAL;
}

/* ---- keys -------------------------------------------------------------------------- */

size_t journal_rec_msg_key(uint8_t buf[JOURNAL_MSGKEY_LEN], const char *name, uint64_t seq)
{
	size_t n = strnlen(name, JOURNAL_NAME_MAX);

	buf[0] = (uint8_t)n;
	memcpy(buf + 1, name, n);
	rules_rec_seq_key(buf + 1 + n, seq);
	return 1 + n + 8;
}

int journal_rec_msg_key_dec(const void *k, size_t n, const char *want, uint64_t *seq,
    const char **why)
{
	const uint8_t *p = k;
	char name[JOURNAL_NAME_MAX + 1];
	size_t nl;

	if (n < 1 + 1 + 8 || (nl = p[0]) != n - 1 - 8 || nl > JOURNAL_NAME_MAX) {
		*why = "bad message key length";
		return RULES_ECORRUPT;
	}
	memcpy(name, p + 1, nl);
	name[nl] = '\0';
	if (!journal_name_valid(name)) {
		*why = "bad session name in message key";
		return RULES_ECORRUPT;
	}
	if (want != NULL && strcmp(name, want) != 0) {
		*why = "message key of another session";
		return RULES_ECORRUPT;
	}
	if (rules_rec_seq_key_dec(p + 1 + nl, 8, seq, why) != 0 || *seq == 0) {
		*why = "bad seq in message key";
		return RULES_ECORRUPT;
	}
	return 0;
}
