/*
 * io_csv.c - parent registrations as CSV: export with RFC 4180 quoting
 * where an id needs it, strict import (see io.c for the two phases, and
 * docs/limits-format.md for the format).
 */
#include "config.h"

#include "io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fixed.h"
#include "io_impl.h"
#include "recjson.h"

/* Longest CSV line accepted (bytes, without the line end). A valid line is
 * at most 9 fields of at most ~2 * RULES_ID_MAX + 2 bytes each. */
#define IO_CSV_LINE_MAX 4096
#define IO_CSV_NFIELDS  9
static const char io_csv_header[] =
    "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip";
static const char *const io_csv_cols[IO_CSV_NFIELDS] = {
    "id", "account", "symbol", "side", "qty", "limit_px", "max_notional", "max_rate", "trip"};

/* ---- CSV: fields ------------------------------------------------------- */

/* Parent limits that may trip, by their trip token (as in recjson). */
static const struct {
	const char *name;
	enum rules_limit lim;
} io_trips[] = {{"qty", RULES_LIM_PARENT_QTY},
                {"notional", RULES_LIM_PARENT_NOTIONAL},
                {"rate", RULES_LIM_PARENT_RATE}};
#define IO_NTRIPS (sizeof(io_trips) / sizeof(io_trips[0]))

/* True if a CSV field needs RFC 4180 quoting. Identifiers may contain ','
 * and '"' (rules_id_valid allows 0x21..0x7e); nothing we write contains a
 * space, CR or LF. */
static bool io_csv_needs_quote(const char *s)
{
	return strpbrk(s, ",\"") != NULL;
}

static int io_csv_put(FILE *out, const char *s, bool last)
{
	if (io_csv_needs_quote(s)) {
		if (fputc('"', out) == EOF)
			return -1;
		for (; *s != '\0'; s++)
			if ((*s == '"' && fputc('"', out) == EOF) || fputc(*s, out) == EOF)
				return -1;
		if (fputc('"', out) == EOF)
			return -1;
	} else if (fputs(s, out) == EOF) {
		return -1;
	}
	return fputc(last ? '\n' : ',', out) == EOF ? -1 : 0;
}

/* Formats the trip bits as "qty|notional|rate" (order fixed), "none" if 0. */
static void io_trip_format(uint32_t trip, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < IO_NTRIPS; i++)
		if (trip & RULES_BIT(io_trips[i].lim))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "",
			                      io_trips[i].name);
	if (n == 0)
		(void)snprintf(buf, len, "none");
}

/* Parses the trip column. "" is the safe default: every parent limit trips.
 * "none": no parent limit trips (breaches only reject). Otherwise tokens
 * joined by '|', each at most once, any order. */
static int io_trip_parse(const char *s, uint32_t *out, char *why, size_t whylen)
{
	uint32_t bits = 0;
	const char *p = s;
	size_t i, n = 0;

	if (*s == '\0') {
		*out = RULES_TRIP_DEFAULT;
		return 0;
	}
	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	for (;;) {
		n = strcspn(p, "|");
		for (i = 0; i < IO_NTRIPS; i++)
			if (strlen(io_trips[i].name) == n && memcmp(p, io_trips[i].name, n) == 0)
				break;
		if (i == IO_NTRIPS) {
			(void)snprintf(
			    why, whylen,
			    "unknown trip \"%.*s\" (qty, notional, rate joined by '|', or none)",
			    (int)(n > 32 ? 32 : n), p);
			return RULES_EINVAL;
		}
		if (bits & RULES_BIT(io_trips[i].lim)) {
			(void)snprintf(why, whylen, "\"%s\" given twice", io_trips[i].name);
			return RULES_EINVAL;
		}
		bits |= RULES_BIT(io_trips[i].lim);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	*out = bits;
	return 0;
}

/* ---- CSV: export --------------------------------------------------------- */

struct io_csv_exp {
	FILE *ce_out;
	int ce_rc;
	char *ce_err;
};

static int io_csv_exp_parent(void *arg, const struct rules_parent *p)
{
	struct io_csv_exp *x = arg;
	char qty[24], lpx[RULES_PX_BUFLEN] = "", mn[RULES_PX_BUFLEN] = "", rate[24] = "", trip[32];
	const char *side = rules_side_name(p->rp_side);

	if (side == NULL) {
		x->ce_rc =
		    rules_io_fail(x->ce_err, RULES_ECORRUPT, "parent \"%s\": bad side 0x%02x",
		                  p->rp_id, (unsigned char)p->rp_side);
		return x->ce_rc;
	}
	(void)snprintf(qty, sizeof(qty), "%" PRId64, p->rp_qty);
	if ((p->rp_limit_px != 0 && rules_px_format(p->rp_limit_px, lpx, sizeof(lpx)) < 0) ||
	    (p->rp_max_notional != 0 && rules_px_format(p->rp_max_notional, mn, sizeof(mn)) < 0)) {
		x->ce_rc = rules_io_fail(x->ce_err, RULES_ERANGE,
		                         "parent \"%s\": cannot format a price", p->rp_id);
		return x->ce_rc;
	}
	if (p->rp_max_rate != 0)
		(void)snprintf(rate, sizeof(rate), "%" PRId64, p->rp_max_rate);
	io_trip_format(p->rp_trip, trip, sizeof(trip));
	if (io_csv_put(x->ce_out, p->rp_id, false) || io_csv_put(x->ce_out, p->rp_account, false) ||
	    io_csv_put(x->ce_out, p->rp_symbol, false) || io_csv_put(x->ce_out, side, false) ||
	    io_csv_put(x->ce_out, qty, false) || io_csv_put(x->ce_out, lpx, false) ||
	    io_csv_put(x->ce_out, mn, false) || io_csv_put(x->ce_out, rate, false) ||
	    io_csv_put(x->ce_out, trip, true)) {
		x->ce_rc = rules_io_fail(x->ce_err, errno ? -errno : -EIO, "writing the export: %s",
		                         strerror(errno ? errno : EIO));
		return x->ce_rc;
	}
	return 0;
}

int rules_export_parents_csv(struct rules_store *st, FILE *out, char err[RULES_ERRLEN])
{
	struct io_csv_exp x = {.ce_out = out, .ce_err = err};
	int rc;

	if (st == NULL || out == NULL)
		return rules_io_fail(err, RULES_EINVAL, "invalid argument");
	errno = 0; /* so that a write error's errno, not a stale one, is shown */
	if (fprintf(out, "%s\n", io_csv_header) < 0)
		return rules_io_fail(err, -EIO, "writing the export: %s",
		                     strerror(errno ? errno : EIO));
	rc = rules_store_foreach_parent(st, io_csv_exp_parent, &x);
	if (rc != 0)
		return x.ce_rc != 0
		           ? x.ce_rc
		           : rules_io_fail(err, rc, "reading the parents: %s", rules_strerror(rc));
	if (fflush(out) != 0 || ferror(out))
		return rules_io_fail(err, errno ? -errno : -EIO, "writing the export: %s",
		                     strerror(errno ? errno : EIO));
	return 0;
}

/* ---- CSV: import --------------------------------------------------------- */

/*
 * Splits line (NUL-terminated, line end removed) into fields, in place,
 * undoing RFC 4180 quoting: a field that starts with '"' runs to the next
 * lone '"', "" inside it is one '"', and the closing quote must end the
 * field. A '"' inside an unquoted field is an error. Fills f[0..*nf).
 */
static int io_csv_split(char *line, char *f[IO_CSV_NFIELDS], size_t *nf, char *why, size_t whylen)
{
	char *r = line, *w, c;
	size_t n = 0;

	for (;;) {
		if (n == IO_CSV_NFIELDS) {
			/* count the rest for the message; quoting no longer matters */
			size_t more = 1;

			for (; *r != '\0'; r++)
				more += *r == ',';
			(void)snprintf(why, whylen, "%zu fields, expected %d", n + more,
			               IO_CSV_NFIELDS);
			return RULES_EPARSE;
		}
		f[n++] = w = r;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0') {
					(void)snprintf(why, whylen,
					               "column %zu (%s): unterminated quoted field",
					               n, io_csv_cols[n - 1]);
					return RULES_EPARSE;
				}
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r;
			}
			r++; /* the closing quote */
			if (*r != ',' && *r != '\0') {
				(void)snprintf(why, whylen,
				               "column %zu (%s): text after the closing quote", n,
				               io_csv_cols[n - 1]);
				return RULES_EPARSE;
			}
		} else {
			for (; *r != ',' && *r != '\0'; r++) {
				if (*r == '"') {
					(void)snprintf(
					    why, whylen,
					    "column %zu (%s): '\"' in an unquoted field (quote "
					    "the field and double the '\"')",
					    n, io_csv_cols[n - 1]);
					return RULES_EPARSE;
				}
				*w++ = *r;
			}
		}
		c = *r;
		*w = '\0'; /* w <= r: c was saved first */
		if (c == '\0')
			break;
		r++;
	}
	*nf = n;
	if (n != IO_CSV_NFIELDS) {
		(void)snprintf(why, whylen, "%zu fields, expected %d", n, IO_CSV_NFIELDS);
		return RULES_EPARSE;
	}
	return 0;
}

/* Column col (0-based) of a CSV line failed: err names both. */
static int io_colfail(char err[RULES_ERRLEN], int rc, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int io_colfail(char err[RULES_ERRLEN], int rc, size_t line, size_t col, const char *fmt, ...)
{
	char why[RULES_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return rules_io_fail(err, rc, "line %zu, column %zu (%s): %s", line, col + 1,
	                     io_csv_cols[col], why);
}

/* Optional price column: "" = 0 (none). */
static int io_csv_px(const char *s, size_t line, size_t col, int64_t *out, char err[RULES_ERRLEN])
{
	int rc;

	if (*s == '\0') {
		*out = 0;
		return 0;
	}
	rc = rules_px_parse(s, strlen(s), out);
	if (rc == RULES_ERANGE)
		return io_colfail(err, rc, line, col, "\"%.32s\" is too large", s);
	if (rc != 0)
		return io_colfail(err, RULES_EPARSE, line, col,
		                  "\"%.32s\" is not a decimal price (at most %d decimals, no sign)",
		                  s, RULES_PX_DECIMALS);
	return 0;
}

/* Whole-number column; optional ("" = 0) unless required. */
static int io_csv_int(const char *s, bool required, size_t line, size_t col, int64_t *out,
                      char err[RULES_ERRLEN])
{
	int rc;

	if (*s == '\0') {
		if (required)
			return io_colfail(err, RULES_EPARSE, line, col, "must not be empty");
		*out = 0;
		return 0;
	}
	rc = rules_qty_parse(s, strlen(s), out);
	if (rc == RULES_ERANGE)
		return io_colfail(err, rc, line, col, "\"%.32s\" is too large", s);
	if (rc != 0)
		return io_colfail(err, RULES_EPARSE, line, col, "\"%.32s\" is not a whole number",
		                  s);
	return 0;
}

/* One data line (fields split) into p. */
static int io_csv_parent(char *f[IO_CSV_NFIELDS], size_t line, struct rules_parent *p,
                         char err[RULES_ERRLEN])
{
	char why[RULES_ERRLEN];
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 3; i++)
		if (!rules_id_valid(f[i]))
			return io_colfail(err, RULES_EINVAL, line, i,
			                  "must be 1..%d printable ASCII characters without spaces",
			                  RULES_ID_MAX);
	rules_io_copy_id(p->rp_id, f[0]);
	rules_io_copy_id(p->rp_account, f[1]);
	rules_io_copy_id(p->rp_symbol, f[2]);
	if (rules_side_parse(f[3], &p->rp_side) != 0)
		return io_colfail(err, RULES_EINVAL, line, 3,
		                  "\"%.32s\" is not buy, sell, sell_short or sell_short_exempt",
		                  f[3]);
	if ((rc = io_csv_int(f[4], true, line, 4, &p->rp_qty, err)) != 0 ||
	    (rc = io_csv_px(f[5], line, 5, &p->rp_limit_px, err)) != 0 ||
	    (rc = io_csv_px(f[6], line, 6, &p->rp_max_notional, err)) != 0 ||
	    (rc = io_csv_int(f[7], false, line, 7, &p->rp_max_rate, err)) != 0)
		return rc;
	if ((rc = io_trip_parse(f[8], &p->rp_trip, why, sizeof(why))) != 0)
		return io_colfail(err, rc, line, 8, "%s", why);
	rc = rules_parent_validate(p, why);
	if (rc != 0)
		return rules_io_fail(err, rc, "line %zu: %s", line, why);
	return 0;
}

/* Grows the parents (and lines) arrays of s to hold one more. */
static int io_set_grow(struct io_set *s, size_t *cap)
{
	struct rules_parent *np;
	size_t *nl, c;

	if (s->is_nparents < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	np = realloc(s->is_parents, c * sizeof(*np));
	if (np == NULL)
		return -ENOMEM;
	s->is_parents = np;
	nl = realloc(s->is_lines, c * sizeof(*nl));
	if (nl == NULL)
		return -ENOMEM;
	s->is_lines = nl;
	*cap = c;
	return 0;
}

/*
 * Phase 1 for CSV. Lines end in LF or CRLF; the last line may lack its line
 * end. Only printable ASCII is allowed on a line; empty lines are errors.
 */
static int io_csv_parse(FILE *in, struct io_set *s, char err[RULES_ERRLEN])
{
	char *buf = NULL, *f[IO_CSV_NFIELDS], why[RULES_ERRLEN];
	size_t cap = 0, pcap = 0, lineno = 0, nf, i;
	ssize_t got;
	int rc = 0;

	errno = 0;
	while ((got = getline(&buf, &cap, in)) >= 0) {
		size_t len = (size_t)got;

		lineno++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		if (len > IO_CSV_LINE_MAX) {
			rc = rules_io_fail(err, RULES_EPARSE, "line %zu: longer than %d bytes",
			                   lineno, IO_CSV_LINE_MAX);
			goto out;
		}
		if (lineno == 1 && len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
			rc = rules_io_fail(
			    err, RULES_EPARSE,
			    "line 1: starts with a UTF-8 byte order mark; save the file "
			    "without it");
			goto out;
		}
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c < 0x20 || c > 0x7e) {
				rc = rules_io_fail(err, RULES_EPARSE,
				                   "line %zu: invalid byte 0x%02x at offset %zu",
				                   lineno, c, i + 1);
				goto out;
			}
		}
		if (lineno == 1) {
			if (strcmp(buf, io_csv_header) != 0) {
				rc = rules_io_fail(err, RULES_EPARSE,
				                   "line 1: the header must be exactly \"%s\"",
				                   io_csv_header);
				goto out;
			}
			continue;
		}
		if (len == 0) {
			rc = rules_io_fail(err, RULES_EPARSE, "line %zu: empty line", lineno);
			goto out;
		}
		if ((rc = io_csv_split(buf, f, &nf, why, sizeof(why))) != 0) {
			rc = rules_io_fail(err, rc, "line %zu: %s", lineno, why);
			goto out;
		}
		if (io_set_grow(s, &pcap) != 0) {
			rc = rules_io_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		rc = io_csv_parent(f, lineno, &s->is_parents[s->is_nparents], err);
		if (rc != 0)
			goto out;
		s->is_lines[s->is_nparents++] = lineno;
		errno = 0;
	}
	if (ferror(in)) {
		rc = rules_io_fail(err, -EIO, "reading the input: %s",
		                   strerror(errno ? errno : EIO));
		goto out;
	}
	if (lineno == 0)
		rc = rules_io_fail(err, RULES_EPARSE, "empty input: the header line is missing");
	else
		rc = rules_io_check_dups(s, err);
out:
	free(buf);
	return rc;
}

int rules_import_parents_csv(struct rules_store *st, const struct rules_actor *actor, FILE *in,
                             unsigned flags, char err[RULES_ERRLEN])
{
	struct io_set s = {0};
	int rc;

	rc = rules_io_check_args(st, actor, in, flags, err);
	if (rc != 0)
		return rc;
	rc = io_csv_parse(in, &s, err);
	if (rc == 0)
		rc = rules_io_apply(st, actor, &s,
		                    (flags & RULES_IMPORT_REPLACE) ? IO_REPLACE_PARENTS : IO_MERGE,
		                    flags, err);
	rules_io_set_free(&s);
	return rc;
}
