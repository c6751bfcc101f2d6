/*
 * test_model.c - names, parsing and validation of the limits model (rules.h).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>

#include "rules.h"

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(rules_strerror(0), "success");
	for (int e = RULES_EBASE; e < RULES_ELAST; e++) {
		const char *s = rules_strerror(e);

		assert_non_null(s);
		assert_string_not_equal(s, "unknown error");
	}
	assert_string_equal(rules_strerror(RULES_ECORRUPT), "store is corrupt or truncated");
	assert_string_equal(rules_strerror(RULES_ESCHEMA),
	    "store schema is newer than this binary");
	assert_string_equal(rules_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(rules_strerror(ENOSPC), strerror(ENOSPC));
	assert_string_equal(rules_strerror(MDB_MAP_FULL), mdb_strerror(MDB_MAP_FULL));
	assert_string_equal(rules_strerror(MDB_CORRUPTED), mdb_strerror(MDB_CORRUPTED));
	assert_string_equal(rules_strerror(RULES_ELAST), "unknown error");
	assert_string_equal(rules_strerror(-40000), "unknown error");
}

static void test_text_safe(void **state)
{
	char out[16], big[64];

	(void)state;
	assert_int_equal(rules_text_safe(out, sizeof(out), "plain text"), 10);
	assert_string_equal(out, "plain text");
	assert_int_equal(rules_text_safe(big, sizeof(big), "a\nb\x1b[2J\x7f"), 17);
	assert_string_equal(big, "a\\x0ab\\x1b[2J\\x7f");
	/* cut at a character that does not fit whole, never inside \xNN */
	assert_int_equal(rules_text_safe(out, 8, "abcd\x01"), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(rules_text_safe(out, 8, "abc\x01" "de"), 7);
	assert_string_equal(out, "abc\\x01");
	assert_int_equal(rules_text_safe(out, 1, "abc"), 0);
	assert_string_equal(out, "");
	/* bytes from 0x80 up (UTF-8) are kept */
	assert_int_equal(rules_text_safe(out, sizeof(out), "caf\xc3\xa9"), 5);
	assert_string_equal(out, "caf\xc3\xa9");
}

static void test_id_valid(void **state)
{
	char id[RULES_ID_MAX + 2];

	(void)state;
	assert_true(rules_id_valid("P1"));
	assert_true(rules_id_valid("!~"));
	assert_true(rules_id_valid("a/b:c.d-e_f"));
	assert_false(rules_id_valid(NULL));
	assert_false(rules_id_valid(""));
	assert_false(rules_id_valid("P 1"));
	assert_false(rules_id_valid("P\t1"));
	assert_false(rules_id_valid("P\x7f"));
	assert_false(rules_id_valid("\xc3\xa9"));
	memset(id, 'x', sizeof(id));
	id[RULES_ID_MAX] = '\0';
	assert_true(rules_id_valid(id));
	id[RULES_ID_MAX] = 'x';
	id[RULES_ID_MAX + 1] = '\0';
	assert_false(rules_id_valid(id));
}

static void test_reason_valid(void **state)
{
	char r[RULES_REASON_MAX + 2];

	(void)state;
	assert_true(rules_reason_valid("limit raised for the close"));
	assert_true(rules_reason_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_false(rules_reason_valid(NULL));
	assert_false(rules_reason_valid(""));
	assert_false(rules_reason_valid("a\nb"));
	assert_false(rules_reason_valid("a\x1b[31m"));
	assert_false(rules_reason_valid("a\x7f"));
	assert_false(rules_reason_valid("\xc3"));             /* truncated */
	assert_false(rules_reason_valid("\xc0\xaf"));         /* overlong */
	assert_false(rules_reason_valid("\xed\xa0\x80"));     /* surrogate */
	assert_false(rules_reason_valid("\xf4\x90\x80\x80")); /* > U+10FFFF */
	assert_false(rules_reason_valid("\xff"));
	memset(r, 'r', sizeof(r));
	r[RULES_REASON_MAX] = '\0';
	assert_true(rules_reason_valid(r));
	r[RULES_REASON_MAX] = 'r';
	r[RULES_REASON_MAX + 1] = '\0';
	assert_false(rules_reason_valid(r));
}

static void test_scope_names(void **state)
{
	static const char *const names[RULES_SCOPE_COUNT] = {"global", "account", "symbol",
	                                                     "parent"};
	enum rules_scope s;

	(void)state;
	for (unsigned i = 0; i < RULES_SCOPE_COUNT; i++) {
		assert_string_equal(rules_scope_name((enum rules_scope)i), names[i]);
		assert_int_equal(rules_scope_parse(names[i], &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(rules_scope_parse("Global", &s), RULES_EINVAL);
	assert_int_equal(rules_scope_parse("", &s), RULES_EINVAL);
	assert_int_equal(rules_scope_parse(NULL, &s), RULES_EINVAL);
	assert_string_equal(rules_scope_name(RULES_SCOPE_COUNT), "unknown");
}

static void test_limit_names(void **state)
{
	static const char *const names[RULES_LIM_COUNT] = {
	    "order_qty",        "order_notional", "collar_bps",      "collar_abs",
	    "account_notional", "parent_qty",     "parent_notional", "parent_rate"};
	static const bool px[RULES_LIM_COUNT] = {false, true, false, true,
	                                         true,  false, true, false};
	enum rules_limit l;

	(void)state;
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		assert_string_equal(rules_limit_name((enum rules_limit)i), names[i]);
		assert_int_equal(rules_limit_parse(names[i], &l), 0);
		assert_int_equal(l, i);
		assert_int_equal(rules_limit_is_px((enum rules_limit)i), px[i]);
	}
	assert_int_equal(rules_limit_parse("order_qty ", &l), RULES_EINVAL);
	assert_int_equal(rules_limit_parse("ORDER_QTY", &l), RULES_EINVAL);
	assert_string_equal(rules_limit_name(RULES_LIM_COUNT), "unknown");
	assert_false(rules_limit_is_px(RULES_LIM_COUNT));
}

static void test_limits_validate(void **state)
{
	struct rules_limits l;
	char err[RULES_ERRLEN];

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(rules_limits_validate(&l, err), 0); /* empty is fine */
	l.rl_set = RULES_BIT(RULES_LIM_ORDER_QTY) | RULES_BIT(RULES_LIM_PARENT_RATE);
	l.rl_trip = RULES_BIT(RULES_LIM_PARENT_RATE);
	l.rl_val[RULES_LIM_ORDER_QTY] = 1;
	l.rl_val[RULES_LIM_PARENT_RATE] = RULES_RATE_MAX;
	l.rl_val[RULES_LIM_COLLAR_BPS] = -5; /* not set: ignored */
	assert_int_equal(rules_limits_validate(&l, err), 0);
	assert_int_equal(rules_limits_validate(&l, NULL), 0);

	l.rl_val[RULES_LIM_PARENT_RATE] = RULES_RATE_MAX + 1;
	assert_int_equal(rules_limits_validate(&l, err), RULES_ERANGE);
	assert_string_equal(err, "parent_rate: must be <= 100000");
	l.rl_val[RULES_LIM_PARENT_RATE] = 1;

	l.rl_val[RULES_LIM_ORDER_QTY] = 0;
	assert_int_equal(rules_limits_validate(&l, err), RULES_ERANGE);
	assert_string_equal(err, "order_qty: must be > 0");
	l.rl_val[RULES_LIM_ORDER_QTY] = INT64_MIN;
	assert_int_equal(rules_limits_validate(&l, NULL), RULES_ERANGE);
	l.rl_val[RULES_LIM_ORDER_QTY] = INT64_MAX;
	assert_int_equal(rules_limits_validate(&l, err), 0);

	l.rl_set |= RULES_BIT(RULES_LIM_COUNT);
	assert_int_equal(rules_limits_validate(&l, err), RULES_EINVAL);
	assert_non_null(strstr(err, "beyond"));
	l.rl_set &= ~RULES_BIT(RULES_LIM_COUNT);
	l.rl_trip |= UINT32_C(1) << 31;
	assert_int_equal(rules_limits_validate(&l, err), RULES_EINVAL);
	l.rl_trip = RULES_BIT(RULES_LIM_COLLAR_ABS); /* trip for an unset limit */
	assert_int_equal(rules_limits_validate(&l, err), RULES_EINVAL);
	assert_string_equal(err, "collar_abs: trip action set for a limit with no value");
	assert_int_equal(rules_limits_validate(NULL, err), RULES_EINVAL);
}

static struct rules_parent good_parent(void)
{
	struct rules_parent p;

	memset(&p, 0, sizeof(p));
	strcpy(p.rp_id, "P1");
	strcpy(p.rp_account, "ACC1");
	strcpy(p.rp_symbol, "IBM");
	p.rp_side = '1';
	p.rp_qty = 100;
	p.rp_trip = RULES_TRIP_DEFAULT;
	return p;
}

static void test_side_valid(void **state)
{
	(void)state;
	assert_true(rules_side_valid('1'));
	assert_true(rules_side_valid('2'));
	assert_true(rules_side_valid('5'));
	assert_true(rules_side_valid('6'));
	assert_false(rules_side_valid('3'));
	assert_false(rules_side_valid('4'));
	assert_false(rules_side_valid('B'));
	assert_false(rules_side_valid('\0'));
}

static void test_parent_validate(void **state)
{
	struct rules_parent p;
	char err[RULES_ERRLEN];

	(void)state;
	p = good_parent();
	assert_int_equal(rules_parent_validate(&p, err), 0);
	p.rp_max_rate = RULES_RATE_MAX;
	p.rp_limit_px = 1;
	p.rp_max_notional = INT64_MAX;
	p.rp_trip = 0;
	assert_int_equal(rules_parent_validate(&p, err), 0);

#define BAD(mut, code, msg)                                                                        \
	do {                                                                                       \
		p = good_parent();                                                                 \
		mut;                                                                               \
		assert_int_equal(rules_parent_validate(&p, err), code);                            \
		assert_non_null(strstr(err, msg));                                                 \
	} while (0)
	BAD(p.rp_qty = 0, RULES_ERANGE, "qty: must be > 0");
	BAD(p.rp_qty = -1, RULES_ERANGE, "qty: must be > 0");
	BAD(p.rp_limit_px = -1, RULES_ERANGE, "limit_px: must be >= 0");
	BAD(p.rp_max_notional = -1, RULES_ERANGE, "max_notional: must be >= 0");
	BAD(p.rp_max_rate = -1, RULES_ERANGE, "max_rate: must be 0..100000");
	BAD(p.rp_max_rate = RULES_RATE_MAX + 1, RULES_ERANGE, "max_rate");
	BAD(p.rp_trip |= RULES_BIT(RULES_LIM_ORDER_QTY), RULES_EINVAL, "trip:");
	BAD(p.rp_trip = UINT32_C(1) << 20, RULES_EINVAL, "trip:");
	BAD(p.rp_side = '3', RULES_EINVAL, "side:");
	BAD(p.rp_id[0] = '\0', RULES_EINVAL, "id:");
	BAD(strcpy(p.rp_account, "A B"), RULES_EINVAL, "account:");
	BAD(p.rp_symbol[0] = '\x01', RULES_EINVAL, "symbol:");
	/* an id array with no NUL inside it is refused, not overread */
	BAD(memset(p.rp_id, 'x', sizeof(p.rp_id)), RULES_EINVAL, "id:");
#undef BAD
	assert_int_equal(rules_parent_validate(NULL, err), RULES_EINVAL);
}

static void test_actor_validate(void **state)
{
	struct rules_actor a = {"alice", "raise for the close"};
	char err[RULES_ERRLEN];

	(void)state;
	assert_int_equal(rules_actor_validate(&a, err), 0);
	a.ra_who = "al ice";
	assert_int_equal(rules_actor_validate(&a, err), RULES_EINVAL);
	assert_non_null(strstr(err, "who:"));
	a.ra_who = NULL;
	assert_int_equal(rules_actor_validate(&a, err), RULES_EINVAL);
	a.ra_who = "alice";
	a.ra_reason = "";
	assert_int_equal(rules_actor_validate(&a, err), RULES_EINVAL);
	assert_non_null(strstr(err, "reason:"));
	a.ra_reason = "two\nlines";
	assert_int_equal(rules_actor_validate(&a, err), RULES_EINVAL);
	a.ra_reason = NULL;
	assert_int_equal(rules_actor_validate(&a, err), RULES_EINVAL);
	assert_int_equal(rules_actor_validate(NULL, err), RULES_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_text_safe),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_reason_valid),
		cmocka_unit_test(test_scope_names),
		cmocka_unit_test(test_limit_names),
		cmocka_unit_test(test_limits_validate),
		cmocka_unit_test(test_side_valid),
		cmocka_unit_test(test_parent_validate),
		cmocka_unit_test(test_actor_validate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
