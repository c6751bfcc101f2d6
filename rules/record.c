/*
 * record.c - encode and decode the keys and values of rules.mdb.
 *
 * Field-by-field little-endian (de)serialisation, never a memcpy of a
 * struct: the file format does not depend on the compiler's layout, and
 * every field read is checked.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <lmdb.h>

#include "crc32c.h"
#include "record.h"
#include "rules.h"

/* ---- encoding ---------------------------------------------------------------- */

struct enc {
	uint8_t *e_buf;
	size_t e_len;
};

static void put_u8(struct enc *e, uint8_t v)
{
	e->e_buf[e->e_len++] = v;
}

static void put_u16(struct enc *e, uint16_t v)
{
	put_u8(e, (uint8_t)v);
	put_u8(e, (uint8_t)(v >> 8));
}

static void put_u32(struct enc *e, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		put_u8(e, (uint8_t)(v >> (8 * i)));
}

static void put_u64(struct enc *e, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		put_u8(e, (uint8_t)(v >> (8 * i)));
}

static void put_i64(struct enc *e, int64_t v)
{
	put_u64(e, (uint64_t)v);
}

/* A string of at most max bytes: u16 length + bytes. */
static void put_str(struct enc *e, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_u16(e, (uint16_t)n);
	memcpy(e->e_buf + e->e_len, s, n);
	e->e_len += n;
}

/* An id, padded: u8 length + RULES_ID_MAX bytes. */
static void put_id(struct enc *e, const char *s)
{
	size_t n = strnlen(s, RULES_ID_MAX);

	put_u8(e, (uint8_t)n);
	memset(e->e_buf + e->e_len, 0, RULES_ID_MAX);
	memcpy(e->e_buf + e->e_len, s, n);
	e->e_len += RULES_ID_MAX;
}

static struct enc enc_start(uint8_t *buf)
{
	struct enc e = {buf, RULES_REC_HDR_LEN};

	return e;
}

void rules_rec_seal(void *buf, size_t len, uint16_t type)
{
	uint8_t *b = buf;
	uint32_t crc = rules_crc32c(0, b + RULES_REC_HDR_LEN, len - RULES_REC_HDR_LEN);
	struct enc h = {b, 0};

	put_u32(&h, crc);
	put_u16(&h, type);
	put_u16(&h, RULES_REC_VERSION);
}

/* Fills in the header once the payload is written; returns the length. */
static size_t enc_finish(struct enc *e, enum rules_rec_type type)
{
	rules_rec_seal(e->e_buf, e->e_len, (uint16_t)type);
	return e->e_len;
}

size_t rules_rec_enc_u32(uint8_t buf[RULES_REC_BUFLEN], uint32_t v)
{
	struct enc e = enc_start(buf);

	put_u32(&e, v);
	return enc_finish(&e, RULES_REC_META_U32);
}

size_t rules_rec_enc_limits(uint8_t buf[RULES_REC_BUFLEN], const struct rules_limits *l)
{
	struct enc e = enc_start(buf);

	put_u32(&e, l->rl_set);
	put_u32(&e, l->rl_trip);
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++)
		put_i64(&e, (l->rl_set & RULES_BIT(i)) ? l->rl_val[i] : 0);
	return enc_finish(&e, RULES_REC_LIMITS);
}

size_t rules_rec_enc_parent(uint8_t buf[RULES_REC_BUFLEN], const struct rules_parent *p)
{
	struct enc e = enc_start(buf);

	put_id(&e, p->rp_id);
	put_id(&e, p->rp_account);
	put_id(&e, p->rp_symbol);
	put_u8(&e, (uint8_t)p->rp_side);
	put_i64(&e, p->rp_qty);
	put_i64(&e, p->rp_limit_px);
	put_i64(&e, p->rp_max_notional);
	put_i64(&e, p->rp_max_rate);
	put_u32(&e, p->rp_trip);
	return enc_finish(&e, RULES_REC_PARENT);
}

size_t rules_rec_enc_refpx(uint8_t buf[RULES_REC_BUFLEN], int64_t px)
{
	struct enc e = enc_start(buf);

	put_i64(&e, px);
	return enc_finish(&e, RULES_REC_REFPX);
}

size_t rules_rec_enc_restricted(uint8_t buf[RULES_REC_BUFLEN], const char *reason)
{
	struct enc e = enc_start(buf);

	put_str(&e, reason, RULES_REASON_MAX);
	return enc_finish(&e, RULES_REC_RESTRICTED);
}

size_t rules_rec_enc_audit(uint8_t buf[RULES_REC_BUFLEN], const struct rules_audit *a)
{
	struct enc e = enc_start(buf);

	put_u64(&e, a->ra_seq);
	put_i64(&e, a->ra_when_ms);
	put_str(&e, a->ra_who, RULES_ID_MAX);
	put_str(&e, a->ra_what, RULES_AUDIT_WHAT_MAX);
	put_str(&e, a->ra_old, RULES_AUDIT_VAL_MAX);
	put_str(&e, a->ra_new, RULES_AUDIT_VAL_MAX);
	put_str(&e, a->ra_reason, RULES_REASON_MAX);
	return enc_finish(&e, RULES_REC_AUDIT);
}

/* ---- decoding -------------------------------------------------------------------- */

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

static uint16_t get_u16(struct dec *d)
{
	return (uint16_t)get_le(d, 2);
}

static uint32_t get_u32(struct dec *d)
{
	return (uint32_t)get_le(d, 4);
}

static int64_t get_i64(struct dec *d)
{
	return (int64_t)get_le(d, 8);
}

/* A u16-length string of at most max bytes, no NUL inside, into out[max+1]. */
static bool get_str(struct dec *d, char *out, size_t max)
{
	size_t n = get_u16(d);

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

/* A padded id: u8 length, RULES_ID_MAX bytes, zeros after the length. */
static bool get_id(struct dec *d, char out[RULES_ID_MAX + 1])
{
	size_t n = get_u8(d);
	const uint8_t *p;

	if (d->d_short || n > RULES_ID_MAX || d->d_len - d->d_off < RULES_ID_MAX) {
		d->d_short = true;
		return false;
	}
	p = d->d_buf + d->d_off;
	for (size_t i = n; i < RULES_ID_MAX; i++)
		if (p[i] != 0)
			return false;
	if (memchr(p, '\0', n) != NULL) /* n bytes of id, not fewer */
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	d->d_off += RULES_ID_MAX;
	return rules_id_valid(out);
}

int rules_rec_open(const void *v, size_t n, uint16_t type, const uint8_t **payload,
    size_t *plen, const char **why)
{
	struct dec h = {v, n, 0, false};
	uint32_t crc;

	if (v == NULL || n < RULES_REC_HDR_LEN) {
		*why = "record shorter than its header";
		return RULES_ECORRUPT;
	}
	crc = get_u32(&h);
	if (get_u16(&h) != type) {
		*why = "wrong record type";
		return RULES_ECORRUPT;
	}
	if (get_u16(&h) != RULES_REC_VERSION) {
		*why = "unknown record version";
		return RULES_ECORRUPT;
	}
	if (rules_crc32c(0, (const uint8_t *)v + RULES_REC_HDR_LEN, n - RULES_REC_HDR_LEN) != crc) {
		*why = "CRC mismatch";
		return RULES_ECORRUPT;
	}
	*payload = (const uint8_t *)v + RULES_REC_HDR_LEN;
	*plen = n - RULES_REC_HDR_LEN;
	return 0;
}

/* Checks the header of v[0..n) and starts a decoder on its payload. */
static int dec_start(struct dec *d, const void *v, size_t n, enum rules_rec_type type,
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

int rules_rec_dec_u32(const void *v, size_t n, uint32_t *out, const char **why)
{
	struct dec d;
	uint32_t x;
	int rc;

	if ((rc = dec_start(&d, v, n, RULES_REC_META_U32, why)) != 0)
		return rc;
	x = get_u32(&d);
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	*out = x;
	return 0;
}

int rules_rec_dec_limits(const void *v, size_t n, struct rules_limits *out, const char **why)
{
	struct rules_limits l;
	struct dec d;
	int rc;

	if ((rc = dec_start(&d, v, n, RULES_REC_LIMITS, why)) != 0)
		return rc;
	l.rl_set = get_u32(&d);
	l.rl_trip = get_u32(&d);
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++)
		l.rl_val[i] = get_i64(&d);
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (rules_limits_validate(&l, NULL) != 0) {
		*why = "limits record fails validation";
		return RULES_ECORRUPT;
	}
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		if (!(l.rl_set & RULES_BIT(i)) && l.rl_val[i] != 0) {
			*why = "value stored for an unset limit";
			return RULES_ECORRUPT;
		}
	}
	*out = l;
	return 0;
}

int rules_rec_dec_parent(const void *v, size_t n, struct rules_parent *out, const char **why)
{
	struct rules_parent p;
	struct dec d;
	int rc;

	if ((rc = dec_start(&d, v, n, RULES_REC_PARENT, why)) != 0)
		return rc;
	memset(&p, 0, sizeof(p));
	if (!get_id(&d, p.rp_id) || !get_id(&d, p.rp_account) || !get_id(&d, p.rp_symbol)) {
		*why = d.d_short ? "record too short" : "bad identifier in parent record";
		return RULES_ECORRUPT;
	}
	p.rp_side = (char)get_u8(&d);
	p.rp_qty = get_i64(&d);
	p.rp_limit_px = get_i64(&d);
	p.rp_max_notional = get_i64(&d);
	p.rp_max_rate = get_i64(&d);
	p.rp_trip = get_u32(&d);
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (rules_parent_validate(&p, NULL) != 0) {
		*why = "parent record fails validation";
		return RULES_ECORRUPT;
	}
	*out = p;
	return 0;
}

int rules_rec_dec_refpx(const void *v, size_t n, int64_t *out, const char **why)
{
	struct dec d;
	int64_t px;
	int rc;

	if ((rc = dec_start(&d, v, n, RULES_REC_REFPX, why)) != 0)
		return rc;
	px = get_i64(&d);
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (px <= 0) {
		*why = "reference price <= 0";
		return RULES_ECORRUPT;
	}
	*out = px;
	return 0;
}

int rules_rec_dec_restricted(const void *v, size_t n, char out[RULES_REASON_MAX + 1],
    const char **why)
{
	char reason[RULES_REASON_MAX + 1];
	struct dec d;
	int rc;

	if ((rc = dec_start(&d, v, n, RULES_REC_RESTRICTED, why)) != 0)
		return rc;
	if (!get_str(&d, reason, RULES_REASON_MAX) && !d.d_short) {
		*why = "NUL inside the reason";
		return RULES_ECORRUPT;
	}
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (!rules_reason_valid(reason)) {
		*why = "invalid reason text";
		return RULES_ECORRUPT;
	}
	if (out != NULL)
		memcpy(out, reason, strlen(reason) + 1);
	return 0;
}

/* Printable ASCII, no space: the audit "what". */
static bool what_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* JSON text as we write it: no control characters. */
static bool json_text_valid(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

int rules_rec_dec_audit(const void *v, size_t n, struct rules_audit *out, const char **why)
{
	struct dec d;
	int rc;

	if ((rc = dec_start(&d, v, n, RULES_REC_AUDIT, why)) != 0)
		return rc;
	out->ra_seq = get_le(&d, 8);
	out->ra_when_ms = get_i64(&d);
	if (!get_str(&d, out->ra_who, RULES_ID_MAX) ||
	    !get_str(&d, out->ra_what, RULES_AUDIT_WHAT_MAX) ||
	    !get_str(&d, out->ra_old, RULES_AUDIT_VAL_MAX) ||
	    !get_str(&d, out->ra_new, RULES_AUDIT_VAL_MAX) ||
	    !get_str(&d, out->ra_reason, RULES_REASON_MAX)) {
		*why = d.d_short ? "record too short" : "NUL inside an audit field";
		return RULES_ECORRUPT;
	}
	if ((rc = dec_end(&d, why)) != 0)
		return rc;
	if (out->ra_seq == 0 || out->ra_when_ms < 0 || !rules_id_valid(out->ra_who) ||
	    !what_valid(out->ra_what) || !json_text_valid(out->ra_old) ||
	    !json_text_valid(out->ra_new) || !rules_reason_valid(out->ra_reason)) {
		*why = "audit record fails validation";
		return RULES_ECORRUPT;
	}
	return 0;
}

/* ---- keys ------------------------------------------------------------------------ */

size_t rules_rec_limits_key(uint8_t buf[RULES_REC_KEYLEN], enum rules_scope scope, const char *key)
{
	size_t n = 0;

	buf[0] = (uint8_t)scope;
	if (scope != RULES_SCOPE_GLOBAL && key != NULL) {
		n = strnlen(key, RULES_ID_MAX);
		memcpy(buf + 1, key, n);
	}
	return 1 + n;
}

/* Copies an id key of n bytes, checking it. A key holds the id's bytes and
 * nothing else: a NUL inside would cut the id short and two keys would read
 * as one (found by tests/fuzz/fuzz_record.c). */
static bool id_copy(const uint8_t *k, size_t n, char id[RULES_ID_MAX + 1])
{
	if (n == 0 || n > RULES_ID_MAX || memchr(k, '\0', n) != NULL)
		return false;
	memcpy(id, k, n);
	id[n] = '\0';
	return rules_id_valid(id);
}

int rules_rec_limits_key_dec(const void *k, size_t n, enum rules_scope *scope,
    char key[RULES_ID_MAX + 1], const char **why)
{
	const uint8_t *p = k;

	if (n < 1 || p[0] >= RULES_SCOPE_COUNT) {
		*why = "bad scope in limits key";
		return RULES_ECORRUPT;
	}
	*scope = (enum rules_scope)p[0];
	if (*scope == RULES_SCOPE_GLOBAL) {
		if (n != 1) {
			*why = "global limits key with a key";
			return RULES_ECORRUPT;
		}
		key[0] = '\0';
		return 0;
	}
	if (!id_copy(p + 1, n - 1, key)) {
		*why = "bad identifier in limits key";
		return RULES_ECORRUPT;
	}
	return 0;
}

int rules_rec_id_key_dec(const void *k, size_t n, char id[RULES_ID_MAX + 1], const char **why)
{
	if (!id_copy(k, n, id)) {
		*why = "bad identifier key";
		return RULES_ECORRUPT;
	}
	return 0;
}

void rules_rec_seq_key(uint8_t buf[8], uint64_t seq)
{
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(seq >> (8 * (7 - i)));
}

int rules_rec_seq_key_dec(const void *k, size_t n, uint64_t *seq, const char **why)
{
	const uint8_t *p = k;
	uint64_t v = 0;

	if (n != 8) {
		*why = "audit key is not 8 bytes";
		return RULES_ECORRUPT;
	}
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	*seq = v;
	return 0;
}

int rules_mdb_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return RULES_ENOTFOUND;
	case MDB_KEYEXIST:
		return RULES_EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case ENOSPC:
	case EDQUOT:
		return RULES_EFULL;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
		return RULES_ECORRUPT;
	default:
		if (rc > 0)
			return -rc;
		return RULES_ESTORE;
	}
}
