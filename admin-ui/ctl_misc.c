/*
 * ctl_misc.c - riskgwctl: init, audit, reference prices, restricted
 * symbols.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "fixed.h"

/* ---- init ---------------------------------------------------------------- */

static int cmd_init(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct stat sb;
	int rc;

	(void)argv;
	if (argc != 1)
		return ctl_usage(cmd, "init takes no arguments");
	/* Refuse an existing file: init is for a new store, and a typo in -f
	 * should not quietly open some other file. */
	if (stat(c->c_path, &sb) == 0)
		return ctl_err("%s: already exists", c->c_path);
	if (errno != ENOENT)
		return ctl_err("%s: %s", c->c_path, strerror(errno));
	rc = ctl_open(c, RULES_STORE_CREATE);
	if (rc != CTL_OK)
		return rc;
	return CTL_OK;
}

/* ---- audit --------------------------------------------------------------- */

struct audit_arg {
	bool aa_json;
	int aa_rc;
};

/* Writes s with \t \n \r \\ and other control characters escaped, so that a
 * field never breaks the one-record-a-line, tab-separated layout. */
static void audit_tsv_field(const char *s, bool last)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\\')
			fputs("\\\\", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\r')
			fputs("\\r", stdout);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar(last ? '\n' : '\t');
}

/* "2024-05-01T12:00:00.123Z" */
static void audit_time(int64_t ms, char *buf, size_t len)
{
	int64_t sec = ms / 1000, frac = ms % 1000;
	struct tm tm;
	time_t t;

	if (frac < 0) {
		frac += 1000;
		sec -= 1;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		(void)snprintf(buf, len, "@%" PRId64, ms);
		return;
	}
	(void)snprintf(buf + strlen(buf), len - strlen(buf), ".%03dZ", (int)frac);
}

/* old/new are JSON text in the store; embed them as JSON values (null when
 * empty), or as a string if they do not parse (e.g. cut at the store's
 * size limit). */
static json_t *audit_val(const char *s)
{
	json_t *v;

	if (*s == '\0')
		return json_null();
	v = json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	return v != NULL ? v : json_string(s);
}

static int audit_cb(void *arg, const struct rules_audit *a)
{
	struct audit_arg *aa = arg;
	char when[48];
	json_t *o;

	audit_time(a->ra_when_ms, when, sizeof(when));
	if (!aa->aa_json) {
		printf("%" PRIu64 "\t%s\t", a->ra_seq, when);
		audit_tsv_field(a->ra_who, false);
		audit_tsv_field(a->ra_what, false);
		audit_tsv_field(a->ra_old, false);
		audit_tsv_field(a->ra_new, false);
		audit_tsv_field(a->ra_reason, true);
	} else {
		o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:o, s:o, s:s}", "seq",
		              (json_int_t)a->ra_seq, "when", when, "when_ms",
		              (json_int_t)a->ra_when_ms, "who", a->ra_who, "what", a->ra_what,
		              "old", audit_val(a->ra_old), "new", audit_val(a->ra_new), "reason",
		              a->ra_reason);
		if (o == NULL || json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0) {
			json_decref(o);
			aa->aa_rc = -ENOMEM;
			return aa->aa_rc;
		}
		json_decref(o);
		putchar('\n');
	}
	if (ferror(stdout)) {
		aa->aa_rc = -EIO;
		return aa->aa_rc;
	}
	return 0;
}

static int cmd_audit(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct audit_arg aa = {0};
	struct ctl_opts o;
	uint64_t from = 1;
	int first, rc;

	rc = ctl_getopt(cmd, argc, argv, "Fj", &o, &first);
	if (rc != CTL_OK)
		return rc;
	if (first != argc)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first]);
	if (o.co_from != NULL) {
		char *end;

		errno = 0;
		if (*o.co_from < '0' || *o.co_from > '9' ||
		    (from = strtoull(o.co_from, &end, 10), errno != 0) || *end != '\0')
			return ctl_usage(cmd, "--from needs a sequence number, not \"%s\"",
			                 o.co_from);
	}
	aa.aa_json = o.co_json;
	if ((rc = ctl_open(c, RULES_STORE_RDONLY)) != CTL_OK)
		return rc;
	rc = rules_store_foreach_audit(c->c_store, from, audit_cb, &aa);
	if (aa.aa_rc != 0)
		return ctl_err("writing the audit log: %s", strerror(-aa.aa_rc));
	if (rc != 0)
		return ctl_err("%s: reading the audit log: %s", c->c_path, rules_strerror(rc));
	if (fflush(stdout) != 0)
		return ctl_err("writing the audit log: %s", strerror(errno));
	return CTL_OK;
}

/* ---- refpx, restrict ------------------------------------------------------ */

/* One put or delete, keyed by symbol. */
struct sym_arg {
	const struct rules_actor *sa_actor;
	const char *sa_symbol;
	int64_t sa_px;
	const char *sa_why;
	enum { SYM_PX_SET, SYM_PX_DEL, SYM_RESTRICT, SYM_UNRESTRICT } sa_op;
};

static int sym_read(struct ctl *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static int sym_write(struct ctl *c, void *arg, struct rules_wr *wr, char err[RULES_ERRLEN])
{
	struct sym_arg *a = arg;
	char e[RULES_ERRLEN];
	int rc = 0;

	(void)c;
	switch (a->sa_op) {
	case SYM_PX_SET:
		rc = rules_wr_put_refpx(wr, a->sa_actor, a->sa_symbol, a->sa_px, e);
		break;
	case SYM_PX_DEL:
		rc = rules_wr_del_refpx(wr, a->sa_actor, a->sa_symbol, e);
		break;
	case SYM_RESTRICT:
		rc = rules_wr_put_restricted(wr, a->sa_actor, a->sa_symbol, a->sa_why, e);
		break;
	case SYM_UNRESTRICT:
		rc = rules_wr_del_restricted(wr, a->sa_actor, a->sa_symbol, e);
		break;
	}
	if (rc == RULES_ENOTFOUND)
		ctl_seterr(err, "%s: %s", a->sa_symbol,
		           a->sa_op == SYM_PX_DEL ? "no reference price" : "not restricted");
	else if (rc != 0)
		ctl_seterr(err, "%s: %s", a->sa_symbol, e);
	return rc;
}

/* Parses "SYMBOL [X]" operands and the actor; X is required if need_x. */
static int sym_args(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_opts *o, int nmin,
                    int nmax, int *first)
{
	int rc, n;

	rc = ctl_getopt(cmd, argc, argv, "wr", o, first);
	if (rc != CTL_OK)
		return rc;
	n = argc - *first;
	if (n < nmin)
		return ctl_usage(cmd, "missing arguments");
	if (n > nmax)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[*first + nmax]);
	if (!rules_id_valid(argv[*first]))
		return ctl_usage(cmd, "\"%s\" is not a valid symbol", argv[*first]);
	return ctl_need_actor(cmd, o);
}

static int sym_run(struct ctl *c, struct sym_arg *a)
{
	int rc = ctl_open(c, 0);

	if (rc != CTL_OK)
		return rc;
	return ctl_rmw(c, sym_read, sym_write, a);
}

static int cmd_refpx_set(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct sym_arg a = {.sa_op = SYM_PX_SET};
	struct ctl_opts o;
	const char *px;
	int first, rc;

	if ((rc = sym_args(cmd, argc, argv, &o, 2, 2, &first)) != CTL_OK)
		return rc;
	px = argv[first + 1];
	if (rules_px_parse(px, strlen(px), &a.sa_px) != 0 || a.sa_px <= 0)
		return ctl_usage(cmd, "\"%s\" is not a price > 0 (e.g. 150.25)", px);
	a.sa_actor = &o.co_actor;
	a.sa_symbol = argv[first];
	return sym_run(c, &a);
}

static int cmd_refpx_del(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct sym_arg a = {.sa_op = SYM_PX_DEL};
	struct ctl_opts o;
	int first, rc;

	if ((rc = sym_args(cmd, argc, argv, &o, 1, 1, &first)) != CTL_OK)
		return rc;
	a.sa_actor = &o.co_actor;
	a.sa_symbol = argv[first];
	return sym_run(c, &a);
}

static int cmd_restrict_add(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct sym_arg a = {.sa_op = SYM_RESTRICT};
	struct ctl_opts o;
	int first, rc;

	if ((rc = sym_args(cmd, argc, argv, &o, 1, 2, &first)) != CTL_OK)
		return rc;
	a.sa_actor = &o.co_actor;
	a.sa_symbol = argv[first];
	/* the restriction's own reason; the audit reason if not given */
	a.sa_why = argc - first == 2 ? argv[first + 1] : o.co_actor.ra_reason;
	return sym_run(c, &a);
}

static int cmd_restrict_del(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct sym_arg a = {.sa_op = SYM_UNRESTRICT};
	struct ctl_opts o;
	int first, rc;

	if ((rc = sym_args(cmd, argc, argv, &o, 1, 1, &first)) != CTL_OK)
		return rc;
	a.sa_actor = &o.co_actor;
	a.sa_symbol = argv[first];
	return sym_run(c, &a);
}

const struct ctl_cmd ctl_cmds_misc[] = {
    {"init", NULL, cmd_init, "", "create a new, empty rules store"},
    {"audit", NULL, cmd_audit, "[--from SEQ] [--json]", "print the audit log"},
    {"refpx", "set", cmd_refpx_set, "SYMBOL PX --who USER --reason TEXT", "set a reference price"},
    {"refpx", "del", cmd_refpx_del, "SYMBOL --who USER --reason TEXT", "delete a reference price"},
    {"restrict", "add", cmd_restrict_add, "SYMBOL [WHY] --who USER --reason TEXT",
     "restrict a symbol (WHY defaults to the reason)"},
    {"restrict", "del", cmd_restrict_del, "SYMBOL --who USER --reason TEXT", "lift a restriction"},
    {NULL, NULL, NULL, NULL, NULL},
};
