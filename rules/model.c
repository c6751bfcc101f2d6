/*
 * model.c - names, parsing and validation of the limits model (rules.h).
 *
 * Pure functions: no I/O, no allocation. Validators fill err (when it is not
 * NULL) with one line that names the offending field.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <lmdb.h>

#include "rules.h"

static const char *const scope_names[RULES_SCOPE_COUNT] = {
	[RULES_SCOPE_GLOBAL] = "global",
	[RULES_SCOPE_ACCOUNT] = "account",
	[RULES_SCOPE_SYMBOL] = "symbol",
	[RULES_SCOPE_PARENT] = "parent",
};

static const char *const limit_names[RULES_LIM_COUNT] = {
	[RULES_LIM_ORDER_QTY] = "order_qty",
	[RULES_LIM_ORDER_NOTIONAL] = "order_notional",
	[RULES_LIM_COLLAR_BPS] = "collar_bps",
	[RULES_LIM_COLLAR_ABS] = "collar_abs",
	[RULES_LIM_ACCOUNT_NOTIONAL] = "account_notional",
	[RULES_LIM_PARENT_QTY] = "parent_qty",
	[RULES_LIM_PARENT_NOTIONAL] = "parent_notional",
	[RULES_LIM_PARENT_RATE] = "parent_rate",
};

/* The parent limits, the only bits a parent's rp_trip may carry. */
#define PARENT_LIM_BITS RULES_TRIP_DEFAULT
/* Every valid limit bit. */
#define ALL_LIM_BITS ((UINT32_C(1) << RULES_LIM_COUNT) - 1)

static const char *const project_errors[RULES_ELAST - RULES_EBASE] = {
	[RULES_ENOTFOUND - RULES_EBASE] = "no such record",
	[RULES_EEXIST - RULES_EBASE] = "record already exists",
	[RULES_EINVAL - RULES_EBASE] = "invalid value",
	[RULES_ERANGE - RULES_EBASE] = "value out of range",
	[RULES_EPARSE - RULES_EBASE] = "malformed input",
	[RULES_ESCHEMA - RULES_EBASE] = "store schema is newer than this binary",
	[RULES_ECORRUPT - RULES_EBASE] = "store is corrupt or truncated",
	[RULES_EFULL - RULES_EBASE] = "store is full",
	[RULES_ECAPACITY - RULES_EBASE] = "table is full",
	[RULES_ESTORE - RULES_EBASE] = "store error",
};

size_t rules_text_safe(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	for (; *src != '\0'; src++) {
		unsigned char c = (unsigned char)*src;

		if (c >= 0x20 && c != 0x7f) {
			if (n + 1 >= cap)
				break;
			dst[n++] = (char)c;
		} else {
			if (n + 4 >= cap)
				break;
			n += (size_t)snprintf(dst + n, 5, "\\x%02x", c);
		}
	}
	dst[n] = '\0';
	return n;
}

const char *rules_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err >= RULES_EBASE && err < RULES_ELAST)
		return project_errors[err - RULES_EBASE];
	if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	if (err < 0 && err > -4096)
		return strerror(-err);
	if (err > 0) /* LMDB also returns plain positive errno values */
		return strerror(err);
	return "unknown error";
}

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

bool rules_id_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, RULES_ID_MAX + 1);
	if (n == 0 || n > RULES_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return true;
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 if it is not a valid,
 * shortest-form encoding of a scalar value. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong or beyond Unicode */
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0; /* surrogate */
	return len;
}

bool rules_reason_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, RULES_REASON_MAX + 1);
	if (n == 0 || n > RULES_REASON_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t len;

		if (*p < 0x20 || *p == 0x7f)
			return false;
		len = utf8_seq(p, n - i);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

const char *rules_scope_name(enum rules_scope scope)
{
	if ((unsigned)scope >= RULES_SCOPE_COUNT)
		return "unknown";
	return scope_names[scope];
}

int rules_scope_parse(const char *name, enum rules_scope *out)
{
	if (name == NULL)
		return RULES_EINVAL;
	for (unsigned i = 0; i < RULES_SCOPE_COUNT; i++) {
		if (strcmp(name, scope_names[i]) == 0) {
			*out = (enum rules_scope)i;
			return 0;
		}
	}
	return RULES_EINVAL;
}

const char *rules_limit_name(enum rules_limit lim)
{
	if ((unsigned)lim >= RULES_LIM_COUNT)
		return "unknown";
	return limit_names[lim];
}

int rules_limit_parse(const char *name, enum rules_limit *out)
{
	if (name == NULL)
		return RULES_EINVAL;
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		if (strcmp(name, limit_names[i]) == 0) {
			*out = (enum rules_limit)i;
			return 0;
		}
	}
	return RULES_EINVAL;
}

bool rules_limit_is_px(enum rules_limit lim)
{
	switch (lim) {
	case RULES_LIM_ORDER_NOTIONAL:
	case RULES_LIM_COLLAR_ABS:
	case RULES_LIM_ACCOUNT_NOTIONAL:
	case RULES_LIM_PARENT_NOTIONAL:
		return true;
	default:
		return false;
	}
}

int rules_limits_validate(const struct rules_limits *l, char err[RULES_ERRLEN])
{
	if (l == NULL) {
		seterr(err, "no limits record");
		return RULES_EINVAL;
	}
	if ((l->rl_set & ~ALL_LIM_BITS) != 0) {
		seterr(err, "limit bits 0x%08x set beyond the %d known limits",
		    (unsigned)(l->rl_set & ~ALL_LIM_BITS), RULES_LIM_COUNT);
		return RULES_EINVAL;
	}
	if ((l->rl_trip & ~ALL_LIM_BITS) != 0) {
		seterr(err, "trip bits 0x%08x set beyond the %d known limits",
		    (unsigned)(l->rl_trip & ~ALL_LIM_BITS), RULES_LIM_COUNT);
		return RULES_EINVAL;
	}
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		uint32_t bit = RULES_BIT(i);

		if (!(l->rl_set & bit)) {
			/* One representation per record: an action only for a
			 * limit that is set. */
			if (l->rl_trip & bit) {
				seterr(err, "%s: trip action set for a limit with no value",
				    limit_names[i]);
				return RULES_EINVAL;
			}
			continue;
		}
		if (l->rl_val[i] <= 0) {
			seterr(err, "%s: must be > 0", limit_names[i]);
			return RULES_ERANGE;
		}
		if (i == RULES_LIM_PARENT_RATE && l->rl_val[i] > RULES_RATE_MAX) {
			seterr(err, "%s: must be <= %d", limit_names[i], RULES_RATE_MAX);
			return RULES_ERANGE;
		}
	}
	return 0;
}

bool rules_side_valid(char side)
{
	return side == '1' || side == '2' || side == '5' || side == '6';
}

/* An id held in a fixed char array: NUL-terminated inside it and valid. */
static bool id_field_valid(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL && rules_id_valid(s);
}

int rules_parent_validate(const struct rules_parent *p, char err[RULES_ERRLEN])
{
	if (p == NULL) {
		seterr(err, "no parent record");
		return RULES_EINVAL;
	}
	if (!id_field_valid(p->rp_id, sizeof(p->rp_id))) {
		seterr(err, "id: must be 1..%d printable ASCII characters", RULES_ID_MAX);
		return RULES_EINVAL;
	}
	if (!id_field_valid(p->rp_account, sizeof(p->rp_account))) {
		seterr(err, "account: must be 1..%d printable ASCII characters", RULES_ID_MAX);
		return RULES_EINVAL;
	}
	if (!id_field_valid(p->rp_symbol, sizeof(p->rp_symbol))) {
		seterr(err, "symbol: must be 1..%d printable ASCII characters", RULES_ID_MAX);
		return RULES_EINVAL;
	}
	if (!rules_side_valid(p->rp_side)) {
		seterr(err, "side: must be FIX 54 '1', '2', '5' or '6'");
		return RULES_EINVAL;
	}
	if (p->rp_qty <= 0) {
		seterr(err, "qty: must be > 0");
		return RULES_ERANGE;
	}
	if (p->rp_limit_px < 0) {
		seterr(err, "limit_px: must be >= 0");
		return RULES_ERANGE;
	}
	if (p->rp_max_notional < 0) {
		seterr(err, "max_notional: must be >= 0");
		return RULES_ERANGE;
	}
	if (p->rp_max_rate < 0 || p->rp_max_rate > RULES_RATE_MAX) {
		seterr(err, "max_rate: must be 0..%d", RULES_RATE_MAX);
		return RULES_ERANGE;
	}
	if ((p->rp_trip & ~PARENT_LIM_BITS) != 0) {
		seterr(err, "trip: only parent_qty, parent_notional and parent_rate may trip");
		return RULES_EINVAL;
	}
	return 0;
}

int rules_actor_validate(const struct rules_actor *a, char err[RULES_ERRLEN])
{
	if (a == NULL) {
		seterr(err, "no actor");
		return RULES_EINVAL;
	}
	if (!rules_id_valid(a->ra_who)) {
		seterr(err, "who: must be 1..%d printable ASCII characters", RULES_ID_MAX);
		return RULES_EINVAL;
	}
	if (!rules_reason_valid(a->ra_reason)) {
		seterr(err, "reason: must be 1..%d bytes of UTF-8 text without control characters",
		    RULES_REASON_MAX);
		return RULES_EINVAL;
	}
	return 0;
}
