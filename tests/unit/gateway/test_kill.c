/*
 * test_kill.c - the kill switch state machine (gateway/kill.c) on a real
 * journal.mdb: every transition (armed -> tripped -> reset requested ->
 * armed, and withdrawn), the two-person rule, operators, scopes, the kill
 * log, and that all of it survives closing and reopening the journal.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "journal.h"
#include "journal_rec.h"
#include "kill.h"
#include "rules.h"
#include "testutil.h"

struct fx {
	char *dir, *path;
	struct journal *j;
	struct kill k;
};

static const struct journal_config cfg = {0, false, true, JOURNAL_RESERVE_DEFAULT, 0};

static void reopen(struct fx *f)
{
	char err[RULES_ERRLEN];

	if (f->j != NULL)
		journal_close(f->j);
	f->j = NULL;
	if (journal_open(&f->j, f->path, &cfg, err) != 0)
		fail_msg("journal_open: %s", err);
	if (kill_init(&f->k, f->j, err) != 0)
		fail_msg("kill_init: %s", err);
}

static void commit(struct fx *f)
{
	char err[RULES_ERRLEN];

	if (journal_commit(f->j, err) != 0)
		fail_msg("journal_commit: %s", err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_mkdtemp("kill");
	f->path = tu_path(f->dir, "journal.mdb");
	reopen(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	journal_close(f->j);
	tu_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

struct logs {
	struct journal_kill_log l[32];
	int n;
};

static int log_cb(void *arg, const struct journal_kill_log *l)
{
	struct logs *s = arg;

	if (s->n < 32)
		s->l[s->n++] = *l;
	return 0;
}

static struct logs read_log(struct fx *f)
{
	struct logs s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(journal_kill_log_range(f->j, 1, log_cb, &s), 0);
	return s;
}

/* armed -> tripped -> requested -> armed, persisted at every step */
static void test_global_cycle(void **state)
{
	struct fx *f = *state;
	char err[RULES_ERRLEN] = "";
	struct logs lg;

	assert_false(kill_global_tripped(&f->k));
	assert_null(kill_blocking(&f->k, "r1", "A", "IBM"));
	assert_int_equal(kill_trip(&f->k, "global", JOURNAL_KSRC_BREACH, "",
			     "route r1, order C9: parent_qty: 1100 > 1000", 1000, err),
	    1);
	commit(f);
	assert_true(kill_global_tripped(&f->k));
	assert_non_null(kill_blocking(&f->k, "r2", "", "MSFT"));
	/* a second trip keeps the first reason */
	assert_int_equal(kill_trip(&f->k, "global", JOURNAL_KSRC_CLI, "bob", "again", 2000, err), 0);
	assert_string_equal(f->k.k_global.ke_k.jk_reason,
	    "route r1, order C9: parent_qty: 1100 > 1000");

	reopen(f); /* a restart comes back tripped */
	assert_true(kill_global_tripped(&f->k));
	assert_int_equal(f->k.k_global.ke_k.jk_source, JOURNAL_KSRC_BREACH);
	assert_true(f->k.k_global.ke_k.jk_time_ns == 1000);

	/* approve with no request */
	assert_int_equal(kill_reset_approve(&f->k, "global", "bob", 3000, err), KILL_ENOREQUEST);
	assert_int_equal(kill_reset_request(&f->k, "global", "alice", "breach understood, router 8 "
								      "stopped", 4000, err),
	    0);
	commit(f);
	assert_int_equal(kill_reset_request(&f->k, "global", "bob", "me too", 4100, err),
	    KILL_EPENDING);
	assert_non_null(strstr(err, "alice"));
	reopen(f); /* the request survives a restart too */
	assert_string_equal(f->k.k_global.ke_k.jk_req_who, "alice");
	assert_true(kill_global_tripped(&f->k));
	/* the same person cannot approve: refused, logged, still tripped */
	assert_int_equal(kill_reset_approve(&f->k, "global", "alice", 5000, err), KILL_ESAMEPERSON);
	commit(f);
	assert_true(kill_global_tripped(&f->k));
	assert_int_equal(kill_reset_approve(&f->k, "global", "bob", 6000, err), 0);
	commit(f);
	assert_false(kill_global_tripped(&f->k));
	assert_null(kill_blocking(&f->k, "r1", "A", "IBM"));
	reopen(f);
	assert_false(kill_global_tripped(&f->k));
	assert_string_equal(f->k.k_global.ke_k.jk_req_who, "");

	lg = read_log(f);
	assert_int_equal(lg.n, 4);
	assert_int_equal(lg.l[0].kl_action, JOURNAL_KA_TRIP);
	assert_int_equal(lg.l[0].kl_source, JOURNAL_KSRC_BREACH);
	assert_int_equal(lg.l[1].kl_action, JOURNAL_KA_RESET_REQUEST);
	assert_string_equal(lg.l[1].kl_who, "alice");
	assert_int_equal(lg.l[2].kl_action, JOURNAL_KA_RESET_REFUSED);
	assert_string_equal(lg.l[2].kl_who, "alice");
	assert_int_equal(lg.l[3].kl_action, JOURNAL_KA_RESET_APPROVE);
	assert_string_equal(lg.l[3].kl_who, "bob");
	assert_non_null(strstr(lg.l[3].kl_reason, "requested by alice"));
	assert_true(lg.l[3].kl_seq == 4);
	/* a reset of an armed switch */
	assert_int_equal(kill_reset_request(&f->k, "global", "alice", "x", 7000, err),
	    KILL_ENOTTRIPPED);
}

static void test_withdraw_and_operators(void **state)
{
	struct fx *f = *state;
	char err[RULES_ERRLEN];
	const char *ops[] = {"alice", "bob"};

	assert_int_equal(kill_set_operators(&f->k, ops, 2, err), 0);
	assert_int_equal(kill_trip(&f->k, "global", JOURNAL_KSRC_GPIO, "gpio", "button", 1, err), 1);
	assert_int_equal(kill_reset_request(&f->k, "global", "mallory", "let me", 2, err),
	    KILL_EOPERATOR);
	assert_int_equal(kill_reset_request(&f->k, "global", "alice", "", 2, err), KILL_EARG);
	assert_int_equal(kill_reset_request(&f->k, "global", "alice", "ok", 2, err), 0);
	assert_int_equal(kill_reset_approve(&f->k, "global", "mallory", 3, err), KILL_EOPERATOR);
	assert_true(kill_global_tripped(&f->k));
	assert_int_equal(kill_reset_withdraw(&f->k, "global", "alice", 4, err), 0);
	commit(f);
	assert_int_equal(kill_reset_approve(&f->k, "global", "bob", 5, err), KILL_ENOREQUEST);
	assert_true(kill_global_tripped(&f->k));
	/* bob may now request and alice approve */
	assert_int_equal(kill_reset_request(&f->k, "global", "bob", "button tested", 6, err), 0);
	assert_int_equal(kill_reset_approve(&f->k, "global", "alice", 7, err), 0);
	commit(f);
	assert_false(kill_global_tripped(&f->k));
	assert_true(f->k.k_refusals == 1);
	assert_true(f->k.k_resets == 1);
	/* bad operator names */
	const char *bad[] = {"has space"};
	assert_int_equal(kill_set_operators(&f->k, bad, 1, err), KILL_EARG);
}

static void test_scopes(void **state)
{
	struct fx *f = *state;
	char err[RULES_ERRLEN], sc[JOURNAL_SCOPE_MAX + 1];
	const struct kill_entry *e;

	assert_int_equal(kill_parse_scope("route:r1", sc, err), 0);
	assert_int_equal(kill_parse_scope("venue:x", sc, err), KILL_ESCOPE);
	assert_int_equal(kill_parse_scope("route:", sc, err), KILL_ESCOPE);
	assert_int_equal(kill_parse_scope("symbol:has space", sc, err), KILL_ESCOPE);
	assert_int_equal(kill_trip(&f->k, "nonsense", JOURNAL_KSRC_CLI, "bob", "x", 1, err),
	    KILL_ESCOPE);

	assert_int_equal(kill_trip(&f->k, "route:r2", JOURNAL_KSRC_CLI, "bob", "route r2 misbehaves",
			     10, err),
	    1);
	assert_int_equal(kill_trip(&f->k, "account:ACC7", JOURNAL_KSRC_HTTP, "carol", "acc 7", 11,
			     err),
	    1);
	assert_int_equal(kill_trip(&f->k, "symbol:IBM", JOURNAL_KSRC_CLI, "bob", "halted", 12, err),
	    1);
	commit(f);
	assert_false(kill_global_tripped(&f->k));
	assert_null(kill_blocking(&f->k, "r1", "ACC1", "MSFT"));
	e = kill_blocking(&f->k, "r2", "ACC1", "MSFT");
	assert_non_null(e);
	assert_string_equal(e->ke_scope, "route:r2");
	e = kill_blocking(&f->k, "r1", "ACC7", "MSFT");
	assert_non_null(e);
	assert_string_equal(e->ke_k.jk_reason, "acc 7");
	e = kill_blocking(&f->k, "r1", "", "IBM");
	if (e == NULL)
		fail_msg("symbol:IBM does not block IBM");
	else
		assert_int_equal(e->ke_kind, KILL_SYMBOL);
	/* a route named like the account is not the account */
	assert_null(kill_blocking(&f->k, "ACC7", "ACC1", "MSFT"));

	reopen(f);
	assert_int_equal(f->k.k_nscoped, 3);
	assert_non_null(kill_blocking(&f->k, "r2", "", "X"));
	assert_non_null(kill_blocking(&f->k, "r1", "ACC7", "X"));

	/* reset of one scope keeps the others */
	assert_int_equal(kill_reset_request(&f->k, "account:ACC7", "carol", "fixed", 20, err), 0);
	assert_int_equal(kill_reset_approve(&f->k, "account:ACC7", "dave", 21, err), 0);
	commit(f);
	assert_null(kill_blocking(&f->k, "r1", "ACC7", "X"));
	assert_non_null(kill_blocking(&f->k, "r2", "ACC7", "X"));
	assert_non_null(kill_blocking(&f->k, "r1", "", "IBM"));
	reopen(f);
	assert_int_equal(f->k.k_nscoped, 2);
	assert_null(kill_find(&f->k, "account:ACC7"));
	assert_non_null(kill_find(&f->k, "symbol:IBM"));
	assert_string_equal(kill_find(&f->k, "symbol:IBM")->ke_name, "IBM");
	/* a global trip blocks everything, scoped ones or not */
	assert_int_equal(kill_trip(&f->k, "global", JOURNAL_KSRC_SIGNAL, "", "SIGUSR1", 30, err), 1);
	assert_string_equal(kill_blocking(&f->k, "r9", "Z", "Z")->ke_scope, "global");
}

static void test_scope_full(void **state)
{
	struct fx *f = *state;
	char err[RULES_ERRLEN], sc[64];

	for (int i = 0; i < KILL_MAX_SCOPES; i++) {
		snprintf(sc, sizeof(sc), "symbol:S%d", i);
		assert_int_equal(kill_trip(&f->k, sc, JOURNAL_KSRC_CLI, "bob", "many", i, err), 1);
	}
	assert_int_equal(kill_trip(&f->k, "symbol:ONEMORE", JOURNAL_KSRC_CLI, "bob", "x", 1, err),
	    KILL_EFULL);
	commit(f);
	reopen(f);
	assert_int_equal(f->k.k_nscoped, KILL_MAX_SCOPES);
}

/* A kill record of the first layout (no reset request tail) still reads. */
static void test_record_layouts(void **state)
{
	uint8_t buf[JOURNAL_REC_BUFLEN];
	struct journal_kill k, got;
	const char *why = "";
	size_t n;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.jk_state = JOURNAL_KILL_TRIPPED;
	k.jk_source = JOURNAL_KSRC_CLI;
	strcpy(k.jk_who, "bob");
	strcpy(k.jk_reason, "test");
	k.jk_time_ns = 5;
	n = journal_rec_enc_kill(buf, &k);
	assert_int_equal(journal_rec_dec_kill(buf, n, &got, &why), 0);
	assert_string_equal(got.jk_req_who, "");
	strcpy(k.jk_req_who, "alice");
	strcpy(k.jk_req_reason, "why not");
	k.jk_req_time_ns = 6;
	n = journal_rec_enc_kill(buf, &k);
	assert_int_equal(journal_rec_dec_kill(buf, n, &got, &why), 0);
	assert_string_equal(got.jk_req_who, "alice");
	assert_string_equal(got.jk_req_reason, "why not");
	assert_true(got.jk_req_time_ns == 6);
	/* every truncation of the longer one is refused */
	for (size_t i = RULES_REC_HDR_LEN; i < n; i++) {
		uint8_t cut[JOURNAL_REC_BUFLEN];

		memcpy(cut, buf, i);
		assert_int_not_equal(journal_rec_dec_kill(cut, i, &got, &why), 0);
	}
	/* a request on an armed record is refused by the writer */
	k.jk_state = JOURNAL_KILL_ARMED;
	assert_int_equal(journal_kill_validate(&k, NULL), RULES_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_global_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_and_operators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_full, setup, teardown),
		cmocka_unit_test(test_record_layouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
