/*
 * rules.h - the limits model shared by every part of librules.
 *
 * librules does no network I/O. riskgwd calls it for every child order and
 * every execution report (engine.h); riskgw-admin uses it to validate and
 * store limits (store.h, io.h).
 *
 * Money and quantities are fixed-point integers (fixed.h): quantities are
 * whole units, prices and notionals carry RULES_PX_SCALE fractional units.
 * No floating point is used anywhere for money.
 *
 * Errors are an int: 0 on success, a negative errno, or one of the RULES_E*
 * codes below (a reserved negative range); rules_strerror() names each.
 * Functions that can fail with a detail worth telling a person also take
 * `char err[RULES_ERRLEN]`, which they fill with one line, no newline
 * (the validators below also accept err == NULL).
 */
#ifndef RULES_RULES_H
#define RULES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_ERRLEN 256

/* Project error codes: a reserved range below LMDB's (-30800..-30780). */
enum {
	RULES_EBASE = -31000,
	RULES_ENOTFOUND = RULES_EBASE,  /* no such record */
	RULES_EEXIST,                   /* record exists where it must not */
	RULES_EINVAL,                   /* a value or argument is invalid */
	RULES_ERANGE,                   /* a value is out of range, or overflows */
	RULES_EPARSE,                   /* malformed input (JSON, CSV, number) */
	RULES_ESCHEMA,                  /* store schema newer than this binary */
	RULES_ECORRUPT,                 /* store corrupt or truncated: refused */
	RULES_EFULL,                    /* store map full / disk full */
	RULES_ECAPACITY,                /* an in-memory table is full */
	RULES_ESTORE,                   /* any other LMDB failure */
	RULES_ELAST
};

/* Returns a static string for a code from this header, an errno or LMDB. */
const char *rules_strerror(int err);

/* Copies the string src to dst (cap bytes, NUL-terminated, cut short at a
 * character if it does not fit) with every control character (0x00..0x1f,
 * 0x7f) written as \xNN: a message that quotes input (a file, a peer's
 * field) stays one line and sends no escape sequence to a terminal.
 * Returns the length written. src and dst must not overlap. */
size_t rules_text_safe(char *dst, size_t cap, const char *src);

/* Identifiers (parent id, account, symbol, ClOrdID, user) are 1..RULES_ID_MAX
 * printable ASCII characters (0x21..0x7e). rules_id_valid() checks that. */
#define RULES_ID_MAX 64
bool rules_id_valid(const char *s);

/* ---- limits ----------------------------------------------------------- */

/* Where a limit record applies. Resolution for each limit, most specific
 * first: parent, symbol, account, global. The first scope that sets a limit
 * gives both its value and its action. */
enum rules_scope {
	RULES_SCOPE_GLOBAL = 0,
	RULES_SCOPE_ACCOUNT = 1,
	RULES_SCOPE_SYMBOL = 2,
	RULES_SCOPE_PARENT = 3,
	RULES_SCOPE_COUNT
};
const char *rules_scope_name(enum rules_scope); /* "global", "account", ... */
int rules_scope_parse(const char *name, enum rules_scope *out);

/* The limits. Values are > 0; units in the comment. */
enum rules_limit {
	RULES_LIM_ORDER_QTY = 0,        /* max quantity of one child order (units) */
	RULES_LIM_ORDER_NOTIONAL,       /* max notional of one child order (px) */
	RULES_LIM_COLLAR_BPS,           /* max deviation from the reference price,
	                                   in basis points (100 = 1%) */
	RULES_LIM_COLLAR_ABS,           /* max deviation from the reference price (px) */
	RULES_LIM_ACCOUNT_NOTIONAL,     /* per account: gross notional of open +
	                                   filled orders for the day (px) */
	RULES_LIM_PARENT_QTY,           /* cap on a parent's quantity: for a declared
	                                   parent, the declared quantity's cap */
	RULES_LIM_PARENT_NOTIONAL,      /* cumulative notional of a parent (px) */
	RULES_LIM_PARENT_RATE,          /* child orders per second of a parent */
	RULES_LIM_COUNT
};
const char *rules_limit_name(enum rules_limit); /* "order_qty", ... */
int rules_limit_parse(const char *name, enum rules_limit *out);
/* True for limits whose value is a price/notional (fixed.h px scale). */
bool rules_limit_is_px(enum rules_limit);

#define RULES_RATE_MAX 100000 /* largest accepted parent rate (orders/s) */

/* One limit record: the limits set at one scope for one key. */
struct rules_limits {
	uint32_t rl_set;                   /* bit l: limit l has a value here */
	uint32_t rl_trip;                  /* bit l: breaching l trips the kill switch */
	int64_t  rl_val[RULES_LIM_COUNT];  /* value of limit l, if set */
};
#define RULES_BIT(l) (UINT32_C(1) << (l))
/* Parent limits trip by default; all others reject. */
#define RULES_TRIP_DEFAULT \
	(RULES_BIT(RULES_LIM_PARENT_QTY) | RULES_BIT(RULES_LIM_PARENT_NOTIONAL) | \
	 RULES_BIT(RULES_LIM_PARENT_RATE))

/* Checks a record: every set value > 0 and in range, rate <= RULES_RATE_MAX,
 * no bits beyond RULES_LIM_COUNT. Fills err on failure. */
int rules_limits_validate(const struct rules_limits *, char err[RULES_ERRLEN]);

/* ---- parent registrations --------------------------------------------- */

/* FIX Side (54) values we accept: '1' buy, '2' sell, '5' sell short,
 * '6' sell short exempt. Sells of every kind count as one side. */
bool rules_side_valid(char side);

struct rules_parent {
	char    rp_id[RULES_ID_MAX + 1];
	char    rp_account[RULES_ID_MAX + 1];
	char    rp_symbol[RULES_ID_MAX + 1];
	char    rp_side;          /* FIX 54 */
	int64_t rp_qty;           /* parent quantity (units), > 0 */
	int64_t rp_limit_px;      /* limit price (px), 0 = none */
	int64_t rp_max_notional;  /* (px), 0 = from the limit scopes */
	int64_t rp_max_rate;      /* child orders/s, 0 = from the limit scopes */
	uint32_t rp_trip;         /* RULES_BIT() of the parent limits that trip;
	                             RULES_TRIP_DEFAULT unless said otherwise */
};
int rules_parent_validate(const struct rules_parent *, char err[RULES_ERRLEN]);

/* ---- audit -------------------------------------------------------------- */

/* Who is writing and why. Every write path records both in the audit log. */
struct rules_actor {
	const char *ra_who;     /* user name, rules_id_valid() */
	const char *ra_reason;  /* free text, 1..RULES_REASON_MAX bytes, no control chars */
};
#define RULES_REASON_MAX 256
int rules_actor_validate(const struct rules_actor *, char err[RULES_ERRLEN]);
/* Free text as accepted for a reason (actor reason, restricted symbol
 * reason): 1..RULES_REASON_MAX bytes of valid UTF-8, no control characters
 * (0x00..0x1f, 0x7f). */
bool rules_reason_valid(const char *s);

#define RULES_AUDIT_WHAT_MAX 160
#define RULES_AUDIT_VAL_MAX 1024
struct rules_audit {
	uint64_t ra_seq;                               /* 1, 2, ... */
	int64_t  ra_when_ms;                           /* Unix time, ms */
	char     ra_who[RULES_ID_MAX + 1];
	char     ra_what[RULES_AUDIT_WHAT_MAX + 1];    /* e.g. "limits/account/ACC1" */
	char     ra_old[RULES_AUDIT_VAL_MAX + 1];      /* JSON of the old value, "" if none */
	char     ra_new[RULES_AUDIT_VAL_MAX + 1];      /* JSON of the new value, "" if deleted */
	char     ra_reason[RULES_REASON_MAX + 1];
};

#endif
