/*
 * test_fixed.c - strict decimal parsing and formatting (rules/fixed.h).
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
#include "rules.h"

static int px(const char *s, int64_t *out)
{
	return rules_px_parse(s, strlen(s), out);
}

static int qty(const char *s, int64_t *out)
{
	return rules_qty_parse(s, strlen(s), out);
}

static void test_px_parse_good(void **state)
{
	static const struct {
		const char *s;
		int64_t v;
	} cases[] = {
		{"0", 0},
		{"7", 7000000},
		{"123.45", 123450000},
		{".5", 500000},
		{"0.000001", 1},
		{"1.000000", 1000000},
		{"0007.100", 7100000},
		{"150.25", 150250000},
		{"9223372036854.775807", INT64_MAX},
		{"9223372036854", INT64_C(9223372036854000000)},
		{"00000000000000000000000001", 1000000},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -1;
		int rc = px(cases[i].s, &v);

		if (rc != 0 || v != cases[i].v)
			fail_msg("\"%s\": rc %d v %lld, want %lld", cases[i].s, rc, (long long)v,
			    (long long)cases[i].v);
	}
}

static void test_px_parse_bad(void **state)
{
	static const struct {
		const char *s;
		int rc;
	} cases[] = {
		{"", RULES_EPARSE},
		{".", RULES_EPARSE},
		{"1.", RULES_EPARSE},
		{"1.0000001", RULES_EPARSE}, /* 7 decimals: refused, not rounded */
		{"0.0000000", RULES_EPARSE},
		{"  1", RULES_EPARSE},
		{"1 ", RULES_EPARSE},
		{"+1", RULES_EPARSE},
		{"-1", RULES_EPARSE},
		{"1e3", RULES_EPARSE},
		{"1E3", RULES_EPARSE},
		{"NaN", RULES_EPARSE},
		{"nan", RULES_EPARSE},
		{"inf", RULES_EPARSE},
		{"Infinity", RULES_EPARSE},
		{"0x10", RULES_EPARSE},
		{"1,5", RULES_EPARSE},
		{"1.2.3", RULES_EPARSE},
		{"..5", RULES_EPARSE},
		{"1.-5", RULES_EPARSE},
		{"99999999999999999999999x", RULES_EPARSE}, /* syntax before range */
		{"9223372036854.775808", RULES_ERANGE},       /* INT64_MAX + 1 */
		{"9223372036855", RULES_ERANGE},
		{"9223372036854775807", RULES_ERANGE},
		{"99999999999999999999999999", RULES_ERANGE},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 42;
		int rc = px(cases[i].s, &v);

		if (rc != cases[i].rc || v != 42)
			fail_msg("\"%s\": rc %d v %lld, want rc %d, v untouched", cases[i].s, rc,
			    (long long)v, cases[i].rc);
	}
}

static void test_px_parse_len(void **state)
{
	int64_t v = 0;

	(void)state;
	/* exactly len bytes: what follows is not read */
	assert_int_equal(rules_px_parse("12.5xyz", 4, &v), 0);
	assert_int_equal(v, 12500000);
	assert_int_equal(rules_px_parse("12.5", 3, &v), RULES_EPARSE); /* "12." */
	/* an embedded NUL inside len is junk */
	assert_int_equal(rules_px_parse("1\0" "2", 3, &v), RULES_EPARSE);
	assert_int_equal(rules_px_parse(NULL, 0, &v), RULES_EPARSE);
	assert_int_equal(rules_px_parse("1", 0, &v), RULES_EPARSE);
}

static void test_qty_parse(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} cases[] = {
		{"0", 0, 0},
		{"100", 0, 100},
		{"100.00", 0, 100},
		{"100.0000000000", 0, 100},
		{"9223372036854775807", 0, INT64_MAX},
		{"9223372036854775808", RULES_ERANGE, 0},
		{"18446744073709551616", RULES_ERANGE, 0},
		{"100.5", RULES_EPARSE, 0},
		{"100.01", RULES_EPARSE, 0},
		{"100.", RULES_EPARSE, 0},
		{".0", RULES_EPARSE, 0},
		{".", RULES_EPARSE, 0},
		{"", RULES_EPARSE, 0},
		{"+1", RULES_EPARSE, 0},
		{"-1", RULES_EPARSE, 0},
		{" 1", RULES_EPARSE, 0},
		{"1e3", RULES_EPARSE, 0},
		{"0x10", RULES_EPARSE, 0},
		{"inf", RULES_EPARSE, 0},
		{"1.0e0", RULES_EPARSE, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -7;
		int rc = qty(cases[i].s, &v);
		int64_t want = cases[i].rc == 0 ? cases[i].v : -7;

		if (rc != cases[i].rc || v != want)
			fail_msg("\"%s\": rc %d v %lld, want %d %lld", cases[i].s, rc,
			    (long long)v, cases[i].rc, (long long)want);
	}
}

static void test_px_format(void **state)
{
	static const struct {
		int64_t v;
		const char *s;
	} cases[] = {
		{0, "0"},
		{1, "0.000001"},
		{7000000, "7"},
		{123450000, "123.45"},
		{-500000, "-0.5"},
		{-1, "-0.000001"},
		{10000000, "10"},
		{100000010, "100.00001"},
		{INT64_MAX, "9223372036854.775807"},
		{INT64_MIN, "-9223372036854.775808"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[RULES_PX_BUFLEN];
		int n = rules_px_format(cases[i].v, buf, sizeof(buf));

		assert_int_equal(n, (int)strlen(cases[i].s));
		assert_string_equal(buf, cases[i].s);
	}
}

static void test_px_format_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(rules_px_format(123450000, buf, 6), -1); /* "123.45" needs 7 */
	assert_string_equal(buf, "");
	assert_int_equal(rules_px_format(123450000, buf, 7), 6);
	assert_string_equal(buf, "123.45");
	assert_int_equal(rules_px_format(1, buf, 0), -1);
}

/* format then parse gives the value back, for a spread of values. */
static void test_px_round_trip(void **state)
{
	int64_t v = 1;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		char buf[RULES_PX_BUFLEN];
		int64_t back = -1;
		int n = rules_px_format(v, buf, sizeof(buf));

		assert_true(n > 0);
		assert_int_equal(rules_px_parse(buf, (size_t)n, &back), 0);
		assert_int_equal(back, v);
		/* a deterministic walk over magnitudes and digit patterns */
		if (rules_mul_ovf(v, 3, &v) || rules_add_ovf(v, i, &v))
			v = (int64_t)i + 1;
	}
}

static void test_checked_arith(void **state)
{
	int64_t r;

	(void)state;
	assert_false(rules_add_ovf(INT64_MAX - 1, 1, &r));
	assert_int_equal(r, INT64_MAX);
	assert_true(rules_add_ovf(INT64_MAX, 1, &r));
	assert_true(rules_sub_ovf(INT64_MIN, 1, &r));
	assert_true(rules_mul_ovf(INT64_C(9223372036854), RULES_PX_SCALE * 2, &r));
	assert_false(rules_mul_ovf(150250000, 1000, &r));
	assert_int_equal(r, INT64_C(150250000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_px_parse_good),
		cmocka_unit_test(test_px_parse_bad),
		cmocka_unit_test(test_px_parse_len),
		cmocka_unit_test(test_qty_parse),
		cmocka_unit_test(test_px_format),
		cmocka_unit_test(test_px_format_small_buffer),
		cmocka_unit_test(test_px_round_trip),
		cmocka_unit_test(test_checked_arith),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
