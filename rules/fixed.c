/*
 * fixed.c - strict decimal parsing and formatting of fixed-point values.
 *
 * The grammar is deliberately narrow: ASCII digits and at most one '.', with
 * at least one digit on each side of the '.' that is there (".5" is the one
 * exception, for prices). Anything else (signs, exponents, spaces, "nan",
 * "inf", hex, a trailing '.') is RULES_EPARSE; a value that does not fit an
 * int64_t is RULES_ERANGE. Nothing is rounded.
 */
#include "config.h"

#include <string.h>

#include "fixed.h"
#include "rules.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Accumulates the digits s[0..n) onto *acc (acc = acc * 10 + digit).
 * Returns 0, RULES_EPARSE on a non-digit, RULES_ERANGE on overflow.
 */
static int add_digits(const char *s, size_t n, int64_t *acc)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return RULES_EPARSE;
		if (rules_mul_ovf(*acc, 10, acc) || rules_add_ovf(*acc, s[i] - '0', acc))
			return RULES_ERANGE;
	}
	return 0;
}

/*
 * Splits s[0..len) at its '.' into an integer part and a fraction part.
 * Returns RULES_EPARSE if there is more than one '.' or the '.' is last.
 */
static int split(const char *s, size_t len, size_t *int_len, const char **frac, size_t *frac_len)
{
	const char *dot;

	if (s == NULL || len == 0)
		return RULES_EPARSE;
	dot = memchr(s, '.', len);
	if (dot == NULL) {
		*int_len = len;
		*frac = NULL;
		*frac_len = 0;
		return 0;
	}
	*int_len = (size_t)(dot - s);
	*frac = dot + 1;
	*frac_len = len - *int_len - 1;
	if (*frac_len == 0)
		return RULES_EPARSE; /* "1." and "." */
	return 0;
}

int rules_px_parse(const char *s, size_t len, int64_t *out)
{
	const char *frac;
	size_t int_len, frac_len;
	int64_t v = 0;
	int rc;

	if ((rc = split(s, len, &int_len, &frac, &frac_len)) != 0)
		return rc;
	if (frac_len > RULES_PX_DECIMALS)
		return RULES_EPARSE; /* refused, never rounded */
	/* Check the whole syntax before reporting a range error, so that
	 * "99999999999999999999x" is a parse error, not a range error. */
	for (size_t i = 0; i < int_len; i++)
		if (!is_digit(s[i]))
			return RULES_EPARSE;
	for (size_t i = 0; i < frac_len; i++)
		if (!is_digit(frac[i]))
			return RULES_EPARSE;
	if ((rc = add_digits(s, int_len, &v)) != 0)
		return rc;
	if ((rc = add_digits(frac, frac_len, &v)) != 0)
		return rc;
	for (size_t i = frac_len; i < RULES_PX_DECIMALS; i++)
		if (rules_mul_ovf(v, 10, &v))
			return RULES_ERANGE;
	*out = v;
	return 0;
}

int rules_qty_parse(const char *s, size_t len, int64_t *out)
{
	const char *frac;
	size_t int_len, frac_len;
	int64_t v = 0;
	int rc;

	if ((rc = split(s, len, &int_len, &frac, &frac_len)) != 0)
		return rc;
	if (int_len == 0)
		return RULES_EPARSE; /* ".0" */
	for (size_t i = 0; i < int_len; i++)
		if (!is_digit(s[i]))
			return RULES_EPARSE;
	for (size_t i = 0; i < frac_len; i++)
		if (frac[i] != '0')
			return RULES_EPARSE; /* a fraction of a unit, or junk */
	if ((rc = add_digits(s, int_len, &v)) != 0)
		return rc;
	*out = v;
	return 0;
}

int rules_px_format(int64_t px, char *buf, size_t buflen)
{
	char tmp[RULES_PX_BUFLEN];
	uint64_t mag, ip, fp;
	size_t n = 0, k;
	char digits[20];
	int decimals = RULES_PX_DECIMALS;

	/* INT64_MIN has no positive int64 counterpart: go through uint64. */
	mag = px < 0 ? (uint64_t)0 - (uint64_t)px : (uint64_t)px;
	ip = mag / (uint64_t)RULES_PX_SCALE;
	fp = mag % (uint64_t)RULES_PX_SCALE;
	if (px < 0)
		tmp[n++] = '-';
	k = 0;
	do {
		digits[k++] = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip != 0);
	while (k > 0)
		tmp[n++] = digits[--k];
	if (fp != 0) {
		while (fp % 10 == 0) {
			fp /= 10;
			decimals--;
		}
		tmp[n++] = '.';
		for (int i = decimals - 1; i >= 0; i--) {
			tmp[n + (size_t)i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		n += (size_t)decimals;
	}
	if (buf == NULL || buflen == 0)
		return -1;
	if (n + 1 > buflen) {
		buf[0] = '\0';
		return -1;
	}
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return (int)n;
}
