/*
 * kill.c - the kill switch's state and its persistence (kill.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kill.h"
#include "rules.h"

static const char *const errnames[] = {
    "bad_scope", "not_tripped", "reset_pending", "no_request", "same_person",
    "not_an_operator", "too_many_scopes", "bad_argument",
};
static const char *const errtexts[] = {
    "not a kill scope (global, route:NAME, account:ID, symbol:ID)",
    "the scope is not tripped",
    "a reset request is already pending",
    "no reset request is pending",
    "the person who requested the reset cannot approve it",
    "not one of the reset operators",
    "too many scoped kills",
    "invalid who or reason",
};

const char *kill_errname(int err)
{
	if (err >= KILL_EBASE && err < KILL_ELAST)
		return errnames[err - KILL_EBASE];
	return "journal";
}

const char *kill_strerror(int err)
{
	if (err >= KILL_EBASE && err < KILL_ELAST)
		return errtexts[err - KILL_EBASE];
	return rules_strerror(err);
}

static void seterr(char *err, int code, const char *scope, const char *extra)
{
	if (err != NULL)
		snprintf(err, RULES_ERRLEN, "%s: %s%s%s", scope, kill_strerror(code),
		    extra[0] ? ": " : "", extra);
}

const char *kill_source_name(enum journal_kill_source s)
{
	switch (s) {
	case JOURNAL_KSRC_NONE:
		return "none";
	case JOURNAL_KSRC_BREACH:
		return "breach";
	case JOURNAL_KSRC_HTTP:
		return "http";
	case JOURNAL_KSRC_GPIO:
		return "gpio";
	case JOURNAL_KSRC_SIGNAL:
		return "signal";
	case JOURNAL_KSRC_CLI:
		return "cli";
	}
	return "unknown";
}

const char *kill_action_name(enum journal_kill_action a)
{
	switch (a) {
	case JOURNAL_KA_TRIP:
		return "trip";
	case JOURNAL_KA_RESET_REQUEST:
		return "reset_request";
	case JOURNAL_KA_RESET_APPROVE:
		return "reset_approve";
	case JOURNAL_KA_RESET_REFUSED:
		return "reset_refused";
	case JOURNAL_KA_RESET_WITHDRAW:
		return "reset_withdraw";
	case JOURNAL_KA_PARENT_BLOCK:
		return "parent_block";
	case JOURNAL_KA_PARENT_RELEASE:
		return "parent_release";
	}
	return "unknown";
}

int kill_parse_scope(const char *text, char out[JOURNAL_SCOPE_MAX + 1], char err[RULES_ERRLEN])
{
	if (text != NULL && strcmp(text, "global") == 0) {
		strcpy(out, "global");
		return 0;
	}
	if (!journal_scope_valid(text)) {
		seterr(err, KILL_ESCOPE, text == NULL ? "(none)" : "scope", "");
		return KILL_ESCOPE;
	}
	snprintf(out, JOURNAL_SCOPE_MAX + 1, "%s", text);
	return 0;
}

/* Sets ke_kind and ke_name from ke_scope. */
static void entry_parse(struct kill_entry *e)
{
	const char *scope = e->ke_scope;

	if (strncmp(scope, "route:", 6) == 0)
		e->ke_kind = KILL_ROUTE;
	else if (strncmp(scope, "account:", 8) == 0)
		e->ke_kind = KILL_ACCOUNT;
	else if (strncmp(scope, "symbol:", 7) == 0)
		e->ke_kind = KILL_SYMBOL;
	else
		e->ke_kind = KILL_GLOBAL;
	e->ke_name = e->ke_kind == KILL_GLOBAL ? "" : strchr(e->ke_scope, ':') + 1;
}

static void entry_set_scope(struct kill_entry *e, const char *scope)
{
	snprintf(e->ke_scope, sizeof(e->ke_scope), "%s", scope);
	entry_parse(e);
}

static int load_scope(void *arg, const char *scope, const struct journal_kill *jk)
{
	struct kill *k = arg;
	struct kill_entry *e;

	if (k->k_nscoped == KILL_MAX_SCOPES)
		return KILL_EFULL;
	e = &k->k_scoped[k->k_nscoped++];
	entry_set_scope(e, scope);
	e->ke_k = *jk;
	return 0;
}

int kill_init(struct kill *k, struct journal *j, char err[RULES_ERRLEN])
{
	int rc;

	memset(k, 0, sizeof(*k));
	k->k_journal = j;
	entry_set_scope(&k->k_global, "global");
	rc = journal_kill_get(j, &k->k_global.ke_k);
	if (rc == RULES_ENOTFOUND) {
		memset(&k->k_global.ke_k, 0, sizeof(k->k_global.ke_k));
		rc = 0;
	}
	if (rc == 0)
		rc = journal_kill_scope_foreach(j, load_scope, k);
	if (rc != 0 && err != NULL)
		snprintf(err, RULES_ERRLEN, "kill switch state in the journal: %s",
		    rc == KILL_EFULL ? "more scoped kills than riskgwd holds" : rules_strerror(rc));
	return rc;
}

int kill_set_operators(struct kill *k, const char *const *names, int n, char err[RULES_ERRLEN])
{
	if (n < 0 || n > KILL_MAX_OPERATORS) {
		seterr(err, KILL_EARG, "reset operators", "too many");
		return KILL_EARG;
	}
	for (int i = 0; i < n; i++)
		if (!rules_id_valid(names[i])) {
			seterr(err, KILL_EARG, "reset operators", names[i]);
			return KILL_EARG;
		}
	for (int i = 0; i < n; i++)
		snprintf(k->k_ops[i], sizeof(k->k_ops[i]), "%s", names[i]);
	k->k_nops = n;
	return 0;
}

static struct kill_entry *find(struct kill *k, const char *scope)
{
	if (strcmp(scope, "global") == 0)
		return kill_global_tripped(k) ? &k->k_global : NULL;
	for (int i = 0; i < k->k_nscoped; i++)
		if (strcmp(k->k_scoped[i].ke_scope, scope) == 0)
			return &k->k_scoped[i];
	return NULL;
}

const struct kill_entry *kill_find(const struct kill *k, const char *scope)
{
	return find((struct kill *)k, scope);
}

bool kill_entry_covers(const struct kill_entry *e, const char *route, const char *account,
    const char *symbol)
{
	switch (e->ke_kind) {
	case KILL_GLOBAL:
		return e->ke_k.jk_state == JOURNAL_KILL_TRIPPED;
	case KILL_ROUTE:
		return route != NULL && strcmp(route, e->ke_name) == 0;
	case KILL_ACCOUNT:
		return account != NULL && strcmp(account, e->ke_name) == 0;
	case KILL_SYMBOL:
		return symbol != NULL && strcmp(symbol, e->ke_name) == 0;
	}
	return false;
}

const struct kill_entry *kill_blocking_scoped(const struct kill *k, const char *route,
    const char *account, const char *symbol)
{
	for (int i = 0; i < k->k_nscoped; i++)
		if (kill_entry_covers(&k->k_scoped[i], route, account, symbol))
			return &k->k_scoped[i];
	return NULL;
}

int kill_log(struct kill *k, enum journal_kill_action a, enum journal_kill_source src,
    const char *scope, const char *who, const char *reason, int64_t now_ns,
    char err[RULES_ERRLEN])
{
	struct journal_kill_log l;

	memset(&l, 0, sizeof(l));
	l.kl_time_ns = now_ns;
	l.kl_action = a;
	l.kl_source = src;
	snprintf(l.kl_scope, sizeof(l.kl_scope), "%s", scope);
	snprintf(l.kl_who, sizeof(l.kl_who), "%s", who);
	snprintf(l.kl_reason, sizeof(l.kl_reason), "%s", reason);
	return journal_kill_log_append(k->k_journal, &l, err);
}

/* Writes e's record: the global key or its scope's. */
static int persist(struct kill *k, const struct kill_entry *e, const struct journal_kill *jk,
    char err[RULES_ERRLEN])
{
	if (e->ke_kind == KILL_GLOBAL)
		return journal_kill_put(k->k_journal, jk, err);
	return journal_kill_scope_put(k->k_journal, e->ke_scope, jk, err);
}

static bool who_valid(const char *who)
{
	return who != NULL && rules_id_valid(who);
}

int kill_trip(struct kill *k, const char *scope, enum journal_kill_source src, const char *who,
    const char *reason, int64_t now_ns, char err[RULES_ERRLEN])
{
	char sc[JOURNAL_SCOPE_MAX + 1];
	struct kill_entry *e;
	struct journal_kill jk;
	int rc;

	if ((rc = kill_parse_scope(scope, sc, err)) != 0)
		return rc;
	if ((who[0] != '\0' && !who_valid(who)) || !rules_reason_valid(reason) ||
	    src == JOURNAL_KSRC_NONE || (unsigned)src > JOURNAL_KSRC_CLI) {
		seterr(err, KILL_EARG, sc, "");
		return KILL_EARG;
	}
	if (find(k, sc) != NULL)
		return 0;
	if (strcmp(sc, "global") == 0) {
		e = &k->k_global;
	} else {
		if (k->k_nscoped == KILL_MAX_SCOPES) {
			seterr(err, KILL_EFULL, sc, "");
			return KILL_EFULL;
		}
		e = &k->k_scoped[k->k_nscoped];
		entry_set_scope(e, sc);
	}
	memset(&jk, 0, sizeof(jk));
	jk.jk_state = JOURNAL_KILL_TRIPPED;
	jk.jk_source = src;
	snprintf(jk.jk_who, sizeof(jk.jk_who), "%s", who);
	snprintf(jk.jk_reason, sizeof(jk.jk_reason), "%s", reason);
	jk.jk_time_ns = now_ns;
	/* In force at once, whatever the journal says: a failed write kills
	 * the turn and riskgwd stops before anything of it leaves (fail
	 * closed); a restart then trips again on the same breach. */
	e->ke_k = jk;
	if (e != &k->k_global)
		k->k_nscoped++;
	k->k_trips[src]++;
	if ((rc = persist(k, e, &jk, err)) != 0 ||
	    (rc = kill_log(k, JOURNAL_KA_TRIP, src, sc, who, reason, now_ns, err)) != 0)
		return rc;
	return 1;
}

bool kill_is_operator(const struct kill *k, const char *who)
{
	if (k->k_nops == 0)
		return true;
	for (int i = 0; i < k->k_nops; i++)
		if (strcmp(k->k_ops[i], who) == 0)
			return true;
	return false;
}

/* The checks every reset step shares: a valid scope, tripped, a valid
 * operator. Returns the entry or NULL with *rc set. */
static struct kill_entry *reset_target(struct kill *k, const char *scope, const char *who,
    char sc[JOURNAL_SCOPE_MAX + 1], int *rc, char err[RULES_ERRLEN])
{
	struct kill_entry *e;

	if ((*rc = kill_parse_scope(scope, sc, err)) != 0)
		return NULL;
	if (!who_valid(who)) {
		seterr(err, *rc = KILL_EARG, sc, "who must be a user name");
		return NULL;
	}
	if ((e = find(k, sc)) == NULL) {
		seterr(err, *rc = KILL_ENOTTRIPPED, sc, "");
		return NULL;
	}
	if (!kill_is_operator(k, who)) {
		seterr(err, *rc = KILL_EOPERATOR, sc, who);
		return NULL;
	}
	return e;
}

int kill_reset_request(struct kill *k, const char *scope, const char *who, const char *reason,
    int64_t now_ns, char err[RULES_ERRLEN])
{
	char sc[JOURNAL_SCOPE_MAX + 1];
	struct kill_entry *e;
	struct journal_kill jk;
	int rc;

	if ((e = reset_target(k, scope, who, sc, &rc, err)) == NULL)
		return rc;
	if (reason == NULL || !rules_reason_valid(reason)) {
		seterr(err, KILL_EARG, sc, "a reset request needs a reason");
		return KILL_EARG;
	}
	if (e->ke_k.jk_req_who[0] != '\0') {
		char by[96];

		snprintf(by, sizeof(by), "by %s", e->ke_k.jk_req_who);
		seterr(err, KILL_EPENDING, sc, by);
		return KILL_EPENDING;
	}
	jk = e->ke_k;
	snprintf(jk.jk_req_who, sizeof(jk.jk_req_who), "%s", who);
	snprintf(jk.jk_req_reason, sizeof(jk.jk_req_reason), "%s", reason);
	jk.jk_req_time_ns = now_ns;
	if ((rc = persist(k, e, &jk, err)) != 0 ||
	    (rc = kill_log(k, JOURNAL_KA_RESET_REQUEST, JOURNAL_KSRC_NONE, sc, who, reason, now_ns,
		 err)) != 0)
		return rc;
	e->ke_k = jk;
	return 0;
}

int kill_reset_approve(struct kill *k, const char *scope, const char *who, int64_t now_ns,
    char err[RULES_ERRLEN])
{
	char sc[JOURNAL_SCOPE_MAX + 1], why[RULES_REASON_MAX + 1];
	struct kill_entry *e;
	struct journal_kill jk;
	int rc;

	if ((e = reset_target(k, scope, who, sc, &rc, err)) == NULL) {
		if (rc == KILL_EOPERATOR) {
			k->k_refusals++;
			(void)kill_log(k, JOURNAL_KA_RESET_REFUSED, JOURNAL_KSRC_NONE, sc, who,
			    "approval refused: not one of the reset operators", now_ns, NULL);
		}
		return rc;
	}
	if (e->ke_k.jk_req_who[0] == '\0') {
		seterr(err, KILL_ENOREQUEST, sc, "");
		return KILL_ENOREQUEST;
	}
	if (strcmp(e->ke_k.jk_req_who, who) == 0) {
		seterr(err, KILL_ESAMEPERSON, sc, who);
		k->k_refusals++;
		return (rc = kill_log(k, JOURNAL_KA_RESET_REFUSED, JOURNAL_KSRC_NONE, sc, who,
			    "approval refused: the requester cannot approve", now_ns, NULL)) != 0
		    ? rc
		    : KILL_ESAMEPERSON;
	}
	memset(&jk, 0, sizeof(jk));
	jk.jk_state = JOURNAL_KILL_ARMED;
	jk.jk_source = e->ke_k.jk_source;
	jk.jk_time_ns = now_ns;
	snprintf(jk.jk_who, sizeof(jk.jk_who), "%s", who);
	snprintf(why, sizeof(why), "reset requested by %s (%s), approved by %s",
	    e->ke_k.jk_req_who, e->ke_k.jk_req_reason, who);
	if ((rc = persist(k, e, &jk, err)) != 0 ||
	    (rc = kill_log(k, JOURNAL_KA_RESET_APPROVE, JOURNAL_KSRC_NONE, sc, who, why, now_ns,
		 err)) != 0)
		return rc;
	k->k_resets++;
	if (e == &k->k_global) {
		e->ke_k = jk;
	} else { /* keep the trip order of the others */
		int i = (int)(e - k->k_scoped);

		memmove(&k->k_scoped[i], &k->k_scoped[i + 1],
		    (size_t)(k->k_nscoped - i - 1) * sizeof(k->k_scoped[0]));
		k->k_nscoped--;
		for (int n = i; n < k->k_nscoped; n++) /* ke_name points into ke_scope */
			entry_parse(&k->k_scoped[n]);
	}
	return 0;
}

int kill_reset_withdraw(struct kill *k, const char *scope, const char *who, int64_t now_ns,
    char err[RULES_ERRLEN])
{
	char sc[JOURNAL_SCOPE_MAX + 1];
	struct kill_entry *e;
	struct journal_kill jk;
	int rc;

	if ((e = reset_target(k, scope, who, sc, &rc, err)) == NULL)
		return rc;
	if (e->ke_k.jk_req_who[0] == '\0') {
		seterr(err, KILL_ENOREQUEST, sc, "");
		return KILL_ENOREQUEST;
	}
	jk = e->ke_k;
	memset(jk.jk_req_who, 0, sizeof(jk.jk_req_who));
	memset(jk.jk_req_reason, 0, sizeof(jk.jk_req_reason));
	jk.jk_req_time_ns = 0;
	if ((rc = persist(k, e, &jk, err)) != 0 ||
	    (rc = kill_log(k, JOURNAL_KA_RESET_WITHDRAW, JOURNAL_KSRC_NONE, sc, who,
		 "reset request withdrawn", now_ns, err)) != 0)
		return rc;
	e->ke_k = jk;
	return 0;
}
