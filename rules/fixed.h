/*
 * fixed.h - fixed-point money and quantities.
 *
 * A quantity is an int64_t count of whole units. A price or a notional is an
 * int64_t count of 1/RULES_PX_SCALE units of currency (6 decimals), so
 * notional = price * quantity keeps the same scale and reaches 9.2e12
 * currency units before it overflows. Every arithmetic helper here reports
 * overflow instead of wrapping; callers turn that into a reject.
 */
#ifndef RULES_FIXED_H
#define RULES_FIXED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_PX_DECIMALS 6
#define RULES_PX_SCALE INT64_C(1000000)

/*
 * Parses a decimal price "123", "123.45", ".5" (no sign, no exponent, no
 * spaces, no "nan"/"inf", at most RULES_PX_DECIMALS decimals: more is refused,
 * never rounded) of exactly len bytes. Returns 0, RULES_EPARSE for a malformed
 * string, RULES_ERANGE when it does not fit.
 */
int rules_px_parse(const char *s, size_t len, int64_t *out);

/*
 * Parses a quantity: digits, optionally followed by '.' and zeros only
 * ("100", "100.00"); a fractional quantity is refused with RULES_EPARSE.
 * Returns 0, RULES_EPARSE or RULES_ERANGE.
 */
int rules_qty_parse(const char *s, size_t len, int64_t *out);

/* Formats px as a decimal with no trailing zeros ("123.45", "7", "-0.5").
 * Always NUL-terminates; returns the length, or -1 if buf is too small
 * (RULES_PX_BUFLEN is always enough). */
#define RULES_PX_BUFLEN 24
int rules_px_format(int64_t px, char *buf, size_t buflen);

/* Checked arithmetic: return true on overflow (then *out is unspecified). */
static inline bool rules_add_ovf(int64_t a, int64_t b, int64_t *out)
{
	return __builtin_add_overflow(a, b, out);
}
static inline bool rules_sub_ovf(int64_t a, int64_t b, int64_t *out)
{
	return __builtin_sub_overflow(a, b, out);
}
static inline bool rules_mul_ovf(int64_t a, int64_t b, int64_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

#endif
