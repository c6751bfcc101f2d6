/*
 * test_recjson.c - records to and from JSON (rules/recjson.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixed.h"
#include "recjson.h"
#include "rules.h"

/* Parses text (which must be valid JSON) with duplicate keys refused; \u0000
 * allowed, so that the record code itself must refuse it. */
static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j =
	    json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return j;
}

/* rules_limits_from_json() on text; returns the code, err filled. */
static int limits_from(const char *text, struct rules_limits *out, char *err)
{
	json_t *j = load(text);
	int rc = rules_limits_from_json(j, out, err);

	json_decref(j);
	return rc;
}

static int parent_from(const char *text, struct rules_parent *out, char *err)
{
	json_t *j = load(text);
	int rc = rules_parent_from_json(j, out, err);

	json_decref(j);
	return rc;
}

static struct rules_limits full_limits(void)
{
	struct rules_limits l;

	memset(&l, 0, sizeof(l));
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		l.rl_set |= RULES_BIT(i);
		l.rl_val[i] = rules_limit_is_px((enum rules_limit)i) ? INT64_MAX - (int64_t)i
		                                                      : 1000 + (int64_t)i;
	}
	l.rl_val[RULES_LIM_PARENT_RATE] = RULES_RATE_MAX;
	l.rl_trip = RULES_BIT(RULES_LIM_ORDER_QTY) | RULES_BIT(RULES_LIM_PARENT_NOTIONAL);
	return l;
}

static struct rules_parent sample_parent(void)
{
	struct rules_parent p;

	memset(&p, 0, sizeof(p));
	strcpy(p.rp_id, "P-1");
	strcpy(p.rp_account, "ACC1");
	strcpy(p.rp_symbol, "IBM");
	p.rp_side = '5';
	p.rp_qty = 212000;
	p.rp_limit_px = 150250000;  /* 150.25 */
	p.rp_max_notional = 500001; /* 0.500001 */
	p.rp_max_rate = 50;
	p.rp_trip = RULES_BIT(RULES_LIM_PARENT_QTY) | RULES_BIT(RULES_LIM_PARENT_RATE);
	return p;
}

/* ---- limits ---------------------------------------------------------------- */

static void test_limits_to_json_shape(void **state)
{
	struct rules_limits l;
	char buf[RULES_AUDIT_VAL_MAX + 1];
	int n;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.rl_set = RULES_BIT(RULES_LIM_ORDER_QTY) | RULES_BIT(RULES_LIM_ORDER_NOTIONAL);
	l.rl_trip = RULES_BIT(RULES_LIM_ORDER_NOTIONAL);
	l.rl_val[RULES_LIM_ORDER_QTY] = 10000;
	l.rl_val[RULES_LIM_ORDER_NOTIONAL] = 1000000500000; /* 1000000.5 */
	l.rl_val[RULES_LIM_COLLAR_BPS] = 77;                /* not set: not shown */
	n = rules_limits_json_text(&l, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf,
	    "{\"order_qty\":{\"value\":10000,\"action\":\"reject\"},"
	    "\"order_notional\":{\"value\":\"1000000.5\",\"action\":\"trip\"}}");

	memset(&l, 0, sizeof(l));
	assert_int_equal(rules_limits_json_text(&l, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "{}");
}

static void test_limits_round_trip(void **state)
{
	struct rules_limits l = full_limits(), back;
	char err[RULES_ERRLEN] = "";
	json_t *j;

	(void)state;
	j = rules_limits_to_json(&l);
	assert_non_null(j);
	/* px values are strings, the others integers: never reals */
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		json_t *v = json_object_get(json_object_get(j, rules_limit_name(i)), "value");

		assert_non_null(v);
		if (rules_limit_is_px(i))
			assert_true(json_is_string(v));
		else
			assert_true(json_is_integer(v));
	}
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(rules_limits_from_json(j, &back, err), 0);
	assert_int_equal(back.rl_set, l.rl_set);
	assert_int_equal(back.rl_trip, l.rl_trip);
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++)
		assert_int_equal(back.rl_val[i], l.rl_val[i]);
	json_decref(j);
}

static void test_limits_action_default(void **state)
{
	struct rules_limits l;
	char err[RULES_ERRLEN];

	(void)state;
	assert_int_equal(limits_from("{\"order_qty\":{\"value\":5},"
	                             "\"parent_qty\":{\"value\":7},"
	                             "\"parent_notional\":{\"value\":\"1.5\"},"
	                             "\"parent_rate\":{\"value\":3,\"action\":\"reject\"},"
	                             "\"collar_bps\":{\"value\":50,\"action\":\"trip\"}}",
	                     &l, err),
	    0);
	assert_int_equal(l.rl_set,
	    RULES_BIT(RULES_LIM_ORDER_QTY) | RULES_BIT(RULES_LIM_PARENT_QTY) |
		RULES_BIT(RULES_LIM_PARENT_NOTIONAL) | RULES_BIT(RULES_LIM_PARENT_RATE) |
		RULES_BIT(RULES_LIM_COLLAR_BPS));
	/* default trip for parent_*, reject otherwise; explicit wins */
	assert_int_equal(l.rl_trip, RULES_BIT(RULES_LIM_PARENT_QTY) |
	                                RULES_BIT(RULES_LIM_PARENT_NOTIONAL) |
	                                RULES_BIT(RULES_LIM_COLLAR_BPS));
	assert_int_equal(l.rl_val[RULES_LIM_PARENT_NOTIONAL], 1500000);
	assert_int_equal(l.rl_val[RULES_LIM_ORDER_QTY], 5);
}

static void test_limits_from_json_errors(void **state)
{
	static const struct {
		const char *json;
		int rc;
		const char *err;
	} cases[] = {
		{"[]", RULES_EPARSE, "limits: must be an object, not an array"},
		{"{\"order_qtyy\":{\"value\":1}}", RULES_EPARSE, "order_qtyy: unknown limit"},
		{"{\"order_qty\":5}", RULES_EPARSE, "order_qty: must be an object"},
		{"{\"order_qty\":{\"value\":1,\"acton\":\"trip\"}}", RULES_EPARSE,
		    "order_qty.acton: unknown key"},
		{"{\"order_qty\":{\"action\":\"trip\"}}", RULES_EPARSE, "order_qty.value: missing"},
		{"{\"order_qty\":{\"value\":0}}", RULES_ERANGE, "order_qty.value: must be > 0"},
		{"{\"order_qty\":{\"value\":-3}}", RULES_ERANGE, "order_qty.value: must be > 0"},
		{"{\"order_qty\":{\"value\":10.0}}", RULES_EPARSE,
		    "order_qty.value: must be an integer, not a real number"},
		{"{\"order_qty\":{\"value\":\"10\"}}", RULES_EPARSE,
		    "order_qty.value: must be an integer, not a string"},
		{"{\"order_notional\":{\"value\":1000.5}}", RULES_EPARSE,
		    "order_notional.value: must be a decimal string"},
		{"{\"order_notional\":{\"value\":1000}}", RULES_EPARSE,
		    "order_notional.value: must be a decimal string"},
		{"{\"order_notional\":{\"value\":\"1e3\"}}", RULES_EPARSE,
		    "order_notional.value: not a decimal"},
		{"{\"order_notional\":{\"value\":\"1.0000001\"}}", RULES_EPARSE,
		    "order_notional.value: not a decimal"},
		{"{\"order_notional\":{\"value\":\"0\"}}", RULES_ERANGE,
		    "order_notional.value: must be > 0"},
		{"{\"order_notional\":{\"value\":\"9223372036854.775808\"}}", RULES_ERANGE,
		    "order_notional.value: too large"},
		{"{\"order_qty\":{\"value\":1,\"action\":\"kill\"}}", RULES_EINVAL,
		    "order_qty.action: must be \"reject\" or \"trip\""},
		{"{\"order_qty\":{\"value\":1,\"action\":true}}", RULES_EPARSE,
		    "order_qty.action: must be a string"},
		{"{\"parent_rate\":{\"value\":100001}}", RULES_ERANGE,
		    "parent_rate.value: must be <= 100000"},
		{"{\"parent_rate\":{\"value\":null}}", RULES_EPARSE,
		    "parent_rate.value: must be an integer, not null"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_limits l, before;
		char err[RULES_ERRLEN] = "";
		int rc;

		memset(&l, 0x5a, sizeof(l));
		before = l;
		rc = limits_from(cases[i].json, &l, err);
		if (rc != cases[i].rc || strstr(err, cases[i].err) != err)
			fail_msg("%s: rc %d err '%s', want %d '%s'", cases[i].json, rc, err,
			    cases[i].rc, cases[i].err);
		/* the output is untouched on error */
		assert_memory_equal(&l, &before, sizeof(l));
	}
}

static void test_limits_to_json_refuses_invalid(void **state)
{
	struct rules_limits l;
	char buf[64];

	(void)state;
	memset(&l, 0, sizeof(l));
	l.rl_set = RULES_BIT(RULES_LIM_ORDER_QTY);
	l.rl_val[RULES_LIM_ORDER_QTY] = 0;
	assert_null(rules_limits_to_json(&l));
	assert_int_equal(rules_limits_json_text(&l, buf, sizeof(buf)), RULES_EINVAL);
}

static void test_json_text_too_small(void **state)
{
	struct rules_limits l = full_limits();
	char buf[32];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(rules_limits_json_text(&l, buf, sizeof(buf)), RULES_ERANGE);
	assert_string_equal(buf, "");
	/* exactly fitting: "{}" needs 3 bytes */
	memset(&l, 0, sizeof(l));
	assert_int_equal(rules_limits_json_text(&l, buf, 2), RULES_ERANGE);
	assert_int_equal(rules_limits_json_text(&l, buf, 3), 2);
	assert_string_equal(buf, "{}");
}

/* ---- parents --------------------------------------------------------------------- */

static void test_parent_round_trip(void **state)
{
	struct rules_parent p = sample_parent(), back;
	char err[RULES_ERRLEN] = "";
	char buf[RULES_AUDIT_VAL_MAX + 1];
	json_t *j;

	(void)state;
	assert_true(rules_parent_json_text(&p, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"id\":\"P-1\",\"account\":\"ACC1\",\"symbol\":\"IBM\","
	                         "\"side\":\"sell_short\",\"qty\":212000,\"limit_px\":\"150.25\","
	                         "\"max_notional\":\"0.500001\",\"max_rate\":50,"
	                         "\"trip\":[\"qty\",\"rate\"]}");
	j = rules_parent_to_json(&p);
	assert_non_null(j);
	memset(&back, 0, sizeof(back));
	assert_int_equal(rules_parent_from_json(j, &back, err), 0);
	assert_memory_equal(&back, &p, sizeof(p));
	json_decref(j);
}

static void test_parent_defaults_and_sides(void **state)
{
	static const struct {
		const char *name;
		char side;
	} sides[] = {{"buy", '1'}, {"sell", '2'}, {"sell_short", '5'}, {"sell_short_exempt", '6'}};
	struct rules_parent p;
	char err[RULES_ERRLEN];
	char text[256], buf[RULES_AUDIT_VAL_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		snprintf(text, sizeof(text),
		    "{\"id\":\"P\",\"account\":\"A\",\"symbol\":\"S\",\"side\":\"%s\",\"qty\":1}",
		    sides[i].name);
		assert_int_equal(parent_from(text, &p, err), 0);
		assert_int_equal(p.rp_side, sides[i].side);
		assert_int_equal(p.rp_qty, 1);
		assert_int_equal(p.rp_limit_px, 0);
		assert_int_equal(p.rp_max_notional, 0);
		assert_int_equal(p.rp_max_rate, 0);
		assert_int_equal(p.rp_trip, RULES_TRIP_DEFAULT);
		assert_string_equal(rules_side_name(sides[i].side), sides[i].name);
	}
	/* zero optional values are omitted, trip always written */
	assert_true(rules_parent_json_text(&p, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"id\":\"P\",\"account\":\"A\",\"symbol\":\"S\","
	                         "\"side\":\"sell_short_exempt\",\"qty\":1,"
	                         "\"trip\":[\"qty\",\"notional\",\"rate\"]}");
	/* an empty trip list means nothing trips */
	assert_int_equal(parent_from("{\"id\":\"P\",\"account\":\"A\",\"symbol\":\"S\","
	                             "\"side\":\"buy\",\"qty\":1,\"trip\":[]}",
	                     &p, err),
	    0);
	assert_int_equal(p.rp_trip, 0);
	assert_null(rules_side_name('3'));
}

static void test_parent_from_json_errors(void **state)
{
#define PBASE "\"id\":\"P1\",\"account\":\"A\",\"symbol\":\"S\",\"side\":\"buy\""
	static const struct {
		const char *json;
		int rc;
		const char *err;
	} cases[] = {
		{"\"P1\"", RULES_EPARSE, "parent: must be an object"},
		{"{" PBASE "}", RULES_EPARSE, "qty: missing"},
		{"{\"account\":\"A\",\"symbol\":\"S\",\"side\":\"buy\",\"qty\":1}", RULES_EPARSE,
		    "id: missing"},
		{"{" PBASE ",\"qty\":1,\"colour\":\"red\"}", RULES_EPARSE, "colour: unknown key"},
		{"{" PBASE ",\"qty\":0}", RULES_ERANGE, "qty: must be > 0"},
		{"{" PBASE ",\"qty\":1.5}", RULES_EPARSE, "qty: must be an integer, not a real"},
		{"{" PBASE ",\"qty\":\"1\"}", RULES_EPARSE,
		    "qty: must be an integer, not a string"},
		{"{" PBASE ",\"qty\":1,\"limit_px\":150.25}", RULES_EPARSE,
		    "limit_px: must be a decimal string"},
		{"{" PBASE ",\"qty\":1,\"limit_px\":\"-1\"}", RULES_EPARSE,
		    "limit_px: not a decimal"},
		{"{" PBASE ",\"qty\":1,\"max_notional\":\" 1\"}", RULES_EPARSE,
		    "max_notional: not a decimal"},
		{"{" PBASE ",\"qty\":1,\"max_rate\":100001}", RULES_ERANGE,
		    "max_rate: must be <= 100000"},
		{"{" PBASE ",\"qty\":1,\"max_rate\":-1}", RULES_ERANGE, "max_rate: must be >= 0"},
		{"{" PBASE ",\"qty\":1,\"trip\":\"qty\"}", RULES_EPARSE, "trip: must be an array"},
		{"{" PBASE ",\"qty\":1,\"trip\":[\"qty\",\"price\"]}", RULES_EINVAL,
		    "trip[1]: unknown limit \"price\""},
		{"{" PBASE ",\"qty\":1,\"trip\":[\"qty\",\"qty\"]}", RULES_EINVAL,
		    "trip[1]: \"qty\" given twice"},
		{"{" PBASE ",\"qty\":1,\"trip\":[1]}", RULES_EPARSE, "trip[0]: must be a string"},
		{"{\"id\":\"P 1\",\"account\":\"A\",\"symbol\":\"S\",\"side\":\"buy\",\"qty\":1}",
		    RULES_EINVAL, "id: must be 1..64 printable ASCII"},
		{"{\"id\":\"\",\"account\":\"A\",\"symbol\":\"S\",\"side\":\"buy\",\"qty\":1}",
		    RULES_EINVAL, "id: must be 1..64"},
		{"{\"id\":\"P\",\"account\":\"A\\u0000B\",\"symbol\":\"S\",\"side\":\"buy\","
		 "\"qty\":1}",
		    RULES_EINVAL, "account: must be 1..64"},
		{"{\"id\":\"P\",\"account\":\"A\",\"symbol\":"
		 "\"S12345678901234567890123456789012345678901234567890123456789012345\","
		 "\"side\":\"buy\",\"qty\":1}",
		    RULES_EINVAL, "symbol: must be 1..64"},
		{"{\"id\":\"P\",\"account\":\"A\",\"symbol\":\"S\",\"side\":\"1\",\"qty\":1}",
		    RULES_EINVAL, "side: must be \"buy\""},
		{"{\"id\":\"P\",\"account\":\"A\",\"symbol\":\"S\",\"side\":2,\"qty\":1}",
		    RULES_EPARSE, "side: must be a string"},
	};
#undef PBASE
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_parent p, before;
		char err[RULES_ERRLEN] = "";
		int rc;

		memset(&p, 0x5a, sizeof(p));
		before = p;
		rc = parent_from(cases[i].json, &p, err);
		if (rc != cases[i].rc || strstr(err, cases[i].err) != err)
			fail_msg("%s: rc %d err '%s', want %d '%s'", cases[i].json, rc, err,
			    cases[i].rc, cases[i].err);
		assert_memory_equal(&p, &before, sizeof(p));
	}
}

static void test_parent_longest_fits_audit(void **state)
{
	struct rules_parent p;
	char buf[RULES_AUDIT_VAL_MAX + 1];
	int n;

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(p.rp_id, '"', RULES_ID_MAX); /* escaped: two bytes each */
	memset(p.rp_account, '\\', RULES_ID_MAX);
	memset(p.rp_symbol, 'S', RULES_ID_MAX);
	p.rp_side = '6';
	p.rp_qty = INT64_MAX;
	p.rp_limit_px = INT64_MAX;
	p.rp_max_notional = INT64_MAX;
	p.rp_max_rate = RULES_RATE_MAX;
	p.rp_trip = RULES_TRIP_DEFAULT;
	n = rules_parent_json_text(&p, buf, sizeof(buf));
	assert_true(n > 0 && n <= RULES_AUDIT_VAL_MAX);
}

/* ---- refpx, restricted ------------------------------------------------------- */

static void test_refpx_restricted(void **state)
{
	char buf[RULES_AUDIT_VAL_MAX + 1], err[RULES_ERRLEN], reason[RULES_REASON_MAX + 1];
	char longr[RULES_REASON_MAX + 2];
	int64_t px = 0;
	json_t *j;

	(void)state;
	assert_int_equal(rules_refpx_json_text(150250000, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "\"150.25\"");
	assert_int_equal(rules_refpx_json_text(0, buf, sizeof(buf)), RULES_EINVAL);
	j = rules_refpx_to_json(1);
	assert_int_equal(rules_refpx_from_json(j, &px, err), 0);
	assert_int_equal(px, 1);
	json_decref(j);
	j = json_real(150.25);
	assert_int_equal(rules_refpx_from_json(j, &px, err), RULES_EPARSE);
	assert_non_null(strstr(err, "refpx: must be a decimal string"));
	json_decref(j);
	j = json_string("0.0");
	assert_int_equal(rules_refpx_from_json(j, &px, err), RULES_ERANGE);
	json_decref(j);

	assert_int_equal(rules_restricted_json_text("halted \"news\"", buf, sizeof(buf)), 17);
	assert_string_equal(buf, "\"halted \\\"news\\\"\"");
	j = rules_restricted_to_json("short sale ban \xc3\xa9t\xc3\xa9");
	assert_non_null(j);
	assert_int_equal(rules_restricted_from_json(j, reason, err), 0);
	assert_string_equal(reason, "short sale ban \xc3\xa9t\xc3\xa9");
	json_decref(j);
	j = json_string("line\nbreak");
	assert_int_equal(rules_restricted_from_json(j, reason, err), RULES_EINVAL);
	assert_non_null(strstr(err, "reason:"));
	json_decref(j);
	j = json_string("");
	assert_int_equal(rules_restricted_from_json(j, reason, err), RULES_EINVAL);
	json_decref(j);
	memset(longr, 'r', RULES_REASON_MAX + 1);
	longr[RULES_REASON_MAX + 1] = '\0';
	j = json_string(longr);
	assert_int_equal(rules_restricted_from_json(j, reason, err), RULES_EINVAL);
	json_decref(j);
	assert_int_equal(rules_restricted_json_text(longr, buf, sizeof(buf)), RULES_EINVAL);
	/* the longest reason, all escaped, still fits an audit value */
	memset(longr, '"', RULES_REASON_MAX);
	longr[RULES_REASON_MAX] = '\0';
	assert_int_equal(rules_restricted_json_text(longr, buf, sizeof(buf)),
	    2 * RULES_REASON_MAX + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_to_json_shape),
		cmocka_unit_test(test_limits_round_trip),
		cmocka_unit_test(test_limits_action_default),
		cmocka_unit_test(test_limits_from_json_errors),
		cmocka_unit_test(test_limits_to_json_refuses_invalid),
		cmocka_unit_test(test_json_text_too_small),
		cmocka_unit_test(test_parent_round_trip),
		cmocka_unit_test(test_parent_defaults_and_sides),
		cmocka_unit_test(test_parent_from_json_errors),
		cmocka_unit_test(test_parent_longest_fits_audit),
		cmocka_unit_test(test_refpx_restricted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
