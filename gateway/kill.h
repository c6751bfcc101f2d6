/*
 * kill.h - the kill switch's state: the global kill, scoped kills (one route,
 * one account, one symbol), the two-person reset, and the kill log, all
 * persisted in journal.mdb in the turn that changes them.
 *
 *   armed --trip--> tripped --request(A)--> reset requested --approve(B != A)--> armed
 *                      ^                         |
 *                      +------withdraw(A or B)---+
 *
 * A trip of a tripped scope changes nothing (the first reason stays). A reset
 * is never automatic: it needs a request with a reason by one person and an
 * approval by another; the same person twice is refused and logged. Every
 * step is a line of the kill log (journal_kill_log_append).
 *
 * What a kill does to orders (block, cancel, alert) is riskgwd's
 * (gw_kill.c); this module only holds and persists the state and answers
 * "does a kill block this order?" on the order path without a lookup when
 * nothing is tripped.
 *
 * Errors: 0, a KILL_E* code (a refusal: err says why, nothing changed), or a
 * journal error (the turn is lost: see journal.h).
 */
#ifndef GW_KILL_H
#define GW_KILL_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"

#define KILL_MAX_SCOPES 256
#define KILL_MAX_OPERATORS 32

enum kill_kind { KILL_GLOBAL = 0, KILL_ROUTE, KILL_ACCOUNT, KILL_SYMBOL };

enum {
	KILL_EBASE = -31300,
	KILL_ESCOPE = KILL_EBASE, /* not a scope: global, route:NAME, account:ID, symbol:ID */
	KILL_ENOTTRIPPED,         /* a reset of a scope that is not tripped */
	KILL_EPENDING,            /* a reset request is already pending */
	KILL_ENOREQUEST,          /* an approval without a pending request */
	KILL_ESAMEPERSON,         /* the requester cannot approve */
	KILL_EOPERATOR,           /* not one of the reset operators */
	KILL_EFULL,               /* KILL_MAX_SCOPES scoped kills already tripped */
	KILL_EARG,                /* a who or reason that is not valid */
	KILL_ELAST
};
const char *kill_strerror(int err);
/* The stable short name of a code ("not_tripped", ...), for the control protocol. */
const char *kill_errname(int err);

struct kill_entry {
	char ke_scope[JOURNAL_SCOPE_MAX + 1]; /* "global", "route:NAME", ... */
	enum kill_kind ke_kind;
	const char *ke_name;                  /* after the ':' ("" for global) */
	struct journal_kill ke_k;
};

struct kill {
	struct journal *k_journal;
	struct kill_entry k_global;            /* always there; ke_k.jk_state says */
	struct kill_entry k_scoped[KILL_MAX_SCOPES]; /* tripped scopes only, in trip order */
	int k_nscoped;
	char k_ops[KILL_MAX_OPERATORS][JOURNAL_ID_SIZE]; /* who may reset; none = anyone */
	int k_nops;
	uint64_t k_trips[JOURNAL_KSRC_CLI + 1]; /* trips by source since start */
	uint64_t k_resets, k_refusals;
};

/* Loads the global and scoped kills from the journal (a journal that never
 * had a kill is armed). 0, or a journal error with err. */
int kill_init(struct kill *, struct journal *, char err[RULES_ERRLEN]);
/* The people who may request and approve resets (NULL/0: anyone the control
 * socket lets in). 0 or KILL_EARG. */
int kill_set_operators(struct kill *, const char *const *names, int n, char err[RULES_ERRLEN]);

/* Normalises a scope as an operator types it ("global", "route:r1",
 * "account:ACC1", "symbol:IBM") into out. 0 or KILL_ESCOPE. */
int kill_parse_scope(const char *text, char out[JOURNAL_SCOPE_MAX + 1], char err[RULES_ERRLEN]);
/* The entry of a tripped scope, or NULL (not tripped). */
const struct kill_entry *kill_find(const struct kill *, const char *scope);

static inline bool kill_global_tripped(const struct kill *k)
{
	return k->k_global.ke_k.jk_state == JOURNAL_KILL_TRIPPED;
}
static inline bool kill_any_tripped(const struct kill *k)
{
	return kill_global_tripped(k) || k->k_nscoped > 0;
}

/* True if the tripped entry e covers an order of route/account/symbol
 * (account may be ""). */
bool kill_entry_covers(const struct kill_entry *e, const char *route, const char *account,
    const char *symbol);
const struct kill_entry *kill_blocking_scoped(const struct kill *, const char *route,
    const char *account, const char *symbol);
/* The kill that blocks a new order or replace of route/account/symbol, or
 * NULL: the order path's check, one compare when nothing is tripped. */
static inline const struct kill_entry *kill_blocking(const struct kill *k, const char *route,
    const char *account, const char *symbol)
{
	if (kill_global_tripped(k))
		return &k->k_global;
	if (k->k_nscoped == 0)
		return NULL;
	return kill_blocking_scoped(k, route, account, symbol);
}

/* Trips scope. Returns 1 (tripped now: the caller runs the effects), 0 (was
 * tripped already: nothing changed), KILL_ESCOPE, KILL_EFULL, KILL_EARG, or a
 * journal error. who may be "" (a breach). */
int kill_trip(struct kill *, const char *scope, enum journal_kill_source src, const char *who,
    const char *reason, int64_t now_ns, char err[RULES_ERRLEN]);
/* Records a reset request for a tripped scope. */
int kill_reset_request(struct kill *, const char *scope, const char *who, const char *reason,
    int64_t now_ns, char err[RULES_ERRLEN]);
/* Approves the pending request: the scope is armed again. A refusal (the
 * same person, not an operator) is logged in the kill log too. */
int kill_reset_approve(struct kill *, const char *scope, const char *who, int64_t now_ns,
    char err[RULES_ERRLEN]);
/* Withdraws the pending request (the requester or anyone allowed to approve). */
int kill_reset_withdraw(struct kill *, const char *scope, const char *who, int64_t now_ns,
    char err[RULES_ERRLEN]);
/* Is who one of the reset operators (true when none are configured)? */
bool kill_is_operator(const struct kill *, const char *who);
/* Appends a line to the kill log (parent block/release, ...). */
int kill_log(struct kill *, enum journal_kill_action, enum journal_kill_source,
    const char *scope, const char *who, const char *reason, int64_t now_ns,
    char err[RULES_ERRLEN]);

const char *kill_source_name(enum journal_kill_source);
const char *kill_action_name(enum journal_kill_action);

#endif
