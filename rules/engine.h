/*
 * engine.h - the pre-trade checks and the order accounting.
 *
 * The engine holds the live state of the trading day: every child order
 * (by every ClOrdID it has had), per-parent exposure (open + filled quantity
 * and notional, the rate window), per-account gross notional. It reads limits
 * from a struct rules_store through a cache that is refreshed whenever the
 * store's last committed transaction id changes (checked on every call, so a
 * limits change is in force for the next order checked after its commit; all
 * records used by one check come from one snapshot, never half-applied).
 *
 * All tables are allocated at rules_engine_new(); a check or an execution
 * report allocates nothing, except that a parent's rate window grows when its
 * rate limit is raised. A full table is a reject (RULES_R_CAPACITY), never a
 * crash or an eviction.
 *
 * Threading: one engine belongs to one thread (riskgwd's event loop).
 */
#ifndef RULES_ENGINE_H
#define RULES_ENGINE_H

#include "rules.h"
#include "store.h"

struct rules_engine;

struct rules_engine_config {
	size_t ec_max_orders;   /* ClOrdIDs per day (orders, replaces, cancels) */
	size_t ec_max_parents;
	size_t ec_max_accounts;
	size_t ec_max_symbols;
	/* Warning threshold, percent of a parent's quantity and of its max
	 * notional (1..100; 0 = no warnings): see rd_warn. */
	unsigned ec_warn_pct;
};

/* Returns 0, -ENOMEM, RULES_EINVAL (a zero capacity, ec_warn_pct above 100).
 * The store stays owned by the caller and must outlive the engine. */
int rules_engine_new(struct rules_engine **out, struct rules_store *,
    const struct rules_engine_config *, char err[RULES_ERRLEN]);
void rules_engine_free(struct rules_engine *);

/* Forgets every order and exposure, and the parents' warned and blocked
 * states: a new trading day. Limits are kept. */
void rules_engine_new_day(struct rules_engine *);

/* ---- checks ---------------------------------------------------------------- */

enum rules_verdict {
	RULES_ACCEPT = 0,
	RULES_REJECT = 1,       /* reject this order */
	RULES_TRIP = 2,         /* reject this order and trip the kill switch */
};

/* Reason codes. The numbers and names are stable: they are logged, stored and
 * shown to operators. Never renumber; add at the end. */
enum rules_reason {
	RULES_R_OK = 0,
	RULES_R_NO_PARENT,            /* child names no parent */
	RULES_R_UNKNOWN_PARENT,       /* parent not registered, none declared */
	RULES_R_PARENT_MISMATCH,      /* account/symbol/side differ from the parent */
	RULES_R_DECLARED_QTY_CHANGED, /* declared parent qty differs from the first */
	RULES_R_DECLARED_QTY_CAP,     /* declared parent qty above the parent_qty cap */
	RULES_R_PARENT_QTY,           /* open + filled + order > parent qty */
	RULES_R_PARENT_NOTIONAL,      /* open + filled + order notional > parent max */
	RULES_R_PARENT_RATE,          /* more child orders in 1 s than the parent rate */
	RULES_R_PARENT_PRICE,         /* price through the parent's limit price */
	RULES_R_ORDER_QTY,            /* order quantity > max */
	RULES_R_ORDER_NOTIONAL,       /* order notional > max */
	RULES_R_COLLAR_BPS,           /* price too far from reference (percent) */
	RULES_R_COLLAR_ABS,           /* price too far from reference (absolute) */
	RULES_R_RESTRICTED,           /* symbol restricted */
	RULES_R_DUP_CLORDID,          /* ClOrdID seen before today */
	RULES_R_ACCOUNT_NOTIONAL,     /* account gross notional > max */
	RULES_R_NO_REF_PRICE,         /* market order (or collar) with no reference price */
	RULES_R_BAD_ORDER,            /* a field is missing or invalid */
	RULES_R_OVERFLOW,             /* arithmetic would overflow */
	RULES_R_CAPACITY,             /* an engine table is full */
	RULES_R_UNKNOWN_ORIG,         /* replace of an unknown or finished order */
	RULES_R_REPLACE_PENDING,      /* replace while another is pending */
	RULES_R_LIMITS_UNAVAILABLE,   /* the store cannot be read */
	RULES_R_PARENT_BLOCKED,       /* parent blocked (rules_parent_block()) */
	RULES_R_COUNT
};
/* Stable machine name ("parent_qty", ...); "unknown" out of range. */
const char *rules_reason_name(int reason);

/* FIX OrdType (40) values the engine knows. Everything else is BAD_ORDER. */
#define RULES_ORDTYPE_MARKET '1'
#define RULES_ORDTYPE_LIMIT '2'

enum rules_order_kind { RULES_NEW = 0, RULES_REPLACE = 1 };

/* A child order as the gateway parsed it. Strings are NUL-terminated and only
 * read during the call. */
struct rules_order {
	enum rules_order_kind ro_kind;
	const char *ro_clordid;       /* 11 */
	const char *ro_origclordid;   /* 41, replace only */
	const char *ro_parent;        /* from the route's parent tag; NULL or "" = none */
	const char *ro_account;       /* 1; NULL or "" = none */
	const char *ro_symbol;        /* 55 */
	char        ro_side;          /* 54 */
	char        ro_ordtype;       /* 40 */
	int64_t     ro_qty;           /* 38: for a replace, the new total quantity */
	int64_t     ro_px;            /* 44 (px scale); ignored for a market order */
	int64_t     ro_declared_qty;  /* declared parent quantity; 0 = none */
	bool        ro_allow_declare; /* route lets the child declare its parent */
	int64_t     ro_now_ns;        /* CLOCK_MONOTONIC, for the rate window */
	uint32_t    ro_tag;           /* the caller's, kept with the order (a route) */
};

/* rd_warn bits: the accepted order took its parent's open + filled
 * quantity (notional) to ec_warn_pct percent of the parent's quantity (of
 * its effective max notional, when it has one). Each is reported once per
 * parent per trading day: the parent is then marked warned (rpi_warned). */
#define RULES_WARN_QTY 1u
#define RULES_WARN_NOTIONAL 2u

#define RULES_TEXT_MAX 200
struct rules_decision {
	enum rules_verdict rd_verdict;
	enum rules_reason  rd_reason;
	char rd_text[RULES_TEXT_MAX]; /* human text for FIX tag 58; "" on accept */
	unsigned rd_warn;             /* RULES_WARN_* on an accept; 0 otherwise */
};

/*
 * Checks one child order. On accept the order is booked at once (it counts
 * as open exposure from now on, and its ClOrdID is taken); on reject nothing
 * changes except that a rejected order's ClOrdID is not taken. Never fails:
 * any doubt (store unreadable, table full, overflow) is a reject.
 */
enum rules_verdict rules_check(struct rules_engine *, const struct rules_order *,
    struct rules_decision *out);

/*
 * Books an order as accepted without checking it: for replaying the journal
 * after a restart, where the order is at the venue and must count whatever
 * the limits say now (a blocked parent too). It never warns (rd_warn is 0)
 * but marks the parent warned when the order takes it to the threshold, so
 * that a restart does not warn twice. An order whose parent is gone is booked under a parent
 * of its declared quantity (0 if none), and a market order without a
 * reference price pins its parent's sums: every later child of such a
 * parent is refused (fail closed). Returns 0, or RULES_EINVAL when it cannot
 * be booked (a malformed order, a replace of an unknown order, a duplicate
 * ClOrdID, a full table: d says which) - the caller must fail closed.
 */
int rules_restore(struct rules_engine *, const struct rules_order *, struct rules_decision *d);

/* ---- accounting ------------------------------------------------------------ */

/* An execution report (35=8) from the venue. -1 = field absent. */
struct rules_exec {
	const char *re_clordid;      /* 11 */
	const char *re_origclordid;  /* 41 or NULL */
	char        re_exec_type;    /* 150 */
	char        re_ord_status;   /* 39 */
	int64_t     re_last_qty;     /* 32 */
	int64_t     re_last_px;      /* 31 (px scale) */
	int64_t     re_cum_qty;      /* 14 */
	int64_t     re_leaves_qty;   /* 151 */
	int64_t     re_order_qty;    /* 38 */
	int64_t     re_px;           /* 44 */
};

/*
 * Applies an execution report. Fills count by CumQty (falling back to
 * LastQty), so a report seen twice counts once. Exposure never drops below
 * what the venue reported: open quantity falls only on a terminal report
 * (cancelled, rejected, expired, done for day, filled) or a confirmed
 * replace down, and a fill after a cancel or a replace still counts.
 * Returns 0, RULES_ENOTFOUND (no order has that ClOrdID: the caller logs it),
 * RULES_EINVAL (negative or inconsistent quantities), RULES_ERANGE (overflow:
 * exposure is then pinned at INT64_MAX so that everything after is rejected).
 */
int rules_on_exec(struct rules_engine *, const struct rules_exec *);

/* An OrderCancelRequest (35=F) was sent: its ClOrdID now names the order. */
int rules_on_cancel_sent(struct rules_engine *, const char *clordid, const char *origclordid);

/* An OrderCancelReject (35=9): response_to is 434 ('1' cancel, '2' replace).
 * A rejected replace falls back to the order as it was. Only a reject whose
 * clordid names the pending replace does that: a resent reject of an earlier
 * replace changes nothing. (The same holds for a replace rejected with an
 * execution report 150=8 in rules_on_exec: it never finishes the order.) */
int rules_on_cancel_reject(struct rules_engine *, const char *clordid,
    const char *origclordid, char response_to);

/* ---- queries --------------------------------------------------------------- */

struct rules_exposure {
	int64_t ex_open_qty;
	int64_t ex_filled_qty;
	int64_t ex_open_notional;
	int64_t ex_filled_notional;
	int64_t ex_orders;        /* child orders accepted */
	int64_t ex_live;          /* child orders open at the venue */
};
/* 0 or RULES_ENOTFOUND (no child seen for that parent / account). */
int rules_parent_exposure(struct rules_engine *, const char *parent, struct rules_exposure *);
int rules_account_exposure(struct rules_engine *, const char *account,
    struct rules_exposure *);

/* An order open at the venue, as rules_foreach_live() shows it. Strings are
 * the engine's, valid during the callback. */
struct rules_live {
	const char *rl_clordid;   /* its current (last confirmed) ClOrdID */
	const char *rl_symbol;
	const char *rl_parent;
	const char *rl_account;   /* "" if none */
	char        rl_side;
	int64_t     rl_qty;       /* order quantity */
	int64_t     rl_cum;       /* filled */
	int64_t     rl_open;      /* counted open */
	uint32_t    rl_tag;       /* ro_tag */
	bool        rl_replace_pending;
	bool        rl_cancel_pending; /* a cancel was sent, not rejected by the venue */
};
typedef int rules_live_cb(void *arg, const struct rules_live *);
/* Calls cb for every live order in the order they were accepted; cb returns
 * 0 to go on, anything else stops and is returned. cb must not call the
 * engine. */
int rules_foreach_live(struct rules_engine *, rules_live_cb *cb, void *arg);
/* The live order any of its ClOrdIDs (new, replace or cancel) names, into
 * *out (strings valid until the next engine call). 0, or RULES_ENOTFOUND
 * (no such ClOrdID, or the order is finished). */
int rules_order_find(struct rules_engine *, const char *clordid, struct rules_live *out);

/* A parent as rules_foreach_parent() shows it. Strings are the engine's,
 * valid during the callback. */
struct rules_parent_info {
	const char *rpi_id;
	const char *rpi_account;  /* of the registration or declaration; "" if none */
	const char *rpi_symbol;
	char        rpi_side;
	int64_t     rpi_qty;      /* parent quantity (registered or declared) */
	bool        rpi_registered; /* a registration from the store is in force */
	bool        rpi_declared; /* declared on a child */
	bool        rpi_pinned;   /* sums pinned: every later child is refused */
	bool        rpi_blocked;  /* rules_parent_block() in force */
	unsigned    rpi_warned;   /* RULES_WARN_* reported today (or restored) */
	struct rules_exposure rpi_expo;
};
typedef int rules_parent_info_cb(void *arg, size_t pos, const struct rules_parent_info *);
/* Calls cb for every parent booked today (one that had a child accepted or
 * restored), in the order first seen, from position `from` on (0: all). pos
 * is the parent's position: positions are stable within a trading day
 * (rules_engine_new_day() starts them over), so a caller can stop and resume
 * at pos + 1 in a later call, seeing parents added in between. cb returns 0
 * to go on, anything else stops and is returned. cb must not call the
 * engine. Returns 0 or cb's value. */
int rules_foreach_parent(struct rules_engine *, size_t from, rules_parent_info_cb *cb,
    void *arg);

/* ---- blocked parents ------------------------------------------------------- */

/*
 * Blocks a parent (after a kill-switch trip, its reset should not let a
 * parent that breached carry on): every later child of it, new order or
 * replace, is refused with RULES_R_PARENT_BLOCKED (verdict RULES_REJECT,
 * never a trip) until rules_parent_release(), or until the parent's
 * effective limits - quantity, max notional, max rate, limit price, as its
 * registration (or declaration) and the limit scopes give them - differ from
 * those in force when it was blocked: the first check (or
 * rules_foreach_parent()) that sees them changed releases it. Cancels and
 * execution reports of its live orders are processed as usual, and
 * rules_restore() books its orders. Blocking a blocked parent takes its
 * current limits as the new reference. A parent booked today is blocked in
 * place; one not booked yet but registered in the store is booked (with no
 * order) and blocked. A new trading day forgets the block
 * (rules_engine_new_day()): blocks are not stored, the caller re-applies
 * them after a restart if it wants them.
 * Returns 0; RULES_ENOTFOUND when the parent is neither booked nor
 * registered, or cannot be booked (parent table full, store unreadable);
 * RULES_EINVAL for an invalid id.
 */
int rules_parent_block(struct rules_engine *, const char *parent);

/* Lifts a block. Returns 0, or RULES_ENOTFOUND when the parent is not
 * blocked (or not booked, or not a valid id). */
int rules_parent_release(struct rules_engine *, const char *parent);


#endif
