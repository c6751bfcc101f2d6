/*
 * ctl_limits.c - riskgwctl: the limit set (JSON export/import, one limit
 * at a time) and parent registrations (CSV export/import, one at a time).
 *
 * Argument values are checked before the store is opened: a malformed
 * operand is a usage error (exit 2), a failure in the store exit 1.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "fixed.h"
#include "io.h"
#include "recjson.h"

/* ---- limits export / import, parents export-csv / import-csv ------------- */

typedef int export_fn(struct rules_store *, FILE *, char err[RULES_ERRLEN]);
typedef int import_fn(struct rules_store *, const struct rules_actor *, FILE *, unsigned,
                      char err[RULES_ERRLEN]);

static int do_export(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv, export_fn *fn)
{
	char err[RULES_ERRLEN];
	struct ctl_out out;
	struct ctl_opts o;
	const char *name;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, "", &o, &first)) != CTL_OK)
		return rc;
	if (argc - first > 1)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first + 1]);
	name = argc - first == 1 ? argv[first] : "-";
	if ((rc = ctl_open(c, RULES_STORE_RDONLY)) != CTL_OK)
		return rc;
	if ((rc = ctl_out_open(&out, name)) != CTL_OK)
		return rc;
	rc = fn(c->c_store, out.co_f, err);
	if (rc != 0) {
		ctl_out_abort(&out);
		return ctl_err("%s", err);
	}
	return ctl_out_commit(&out);
}

static int do_import(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv, import_fn *fn)
{
	char err[RULES_ERRLEN];
	struct ctl_opts o;
	unsigned flags = 0;
	const char *name;
	int first, rc;
	FILE *in;

	if ((rc = ctl_getopt(cmd, argc, argv, "wrRn", &o, &first)) != CTL_OK)
		return rc;
	if (argc - first != 1)
		return ctl_usage(cmd, argc - first == 0 ? "FILE (or - for stdin) is required"
		                                        : "only one FILE may be given");
	if ((rc = ctl_need_actor(cmd, &o)) != CTL_OK)
		return rc;
	name = argv[first];
	if (o.co_replace)
		flags |= RULES_IMPORT_REPLACE;
	if (o.co_dryrun)
		flags |= RULES_IMPORT_DRYRUN;
	if ((rc = ctl_open(c, 0)) != CTL_OK)
		return rc;
	if ((in = ctl_in(name)) == NULL)
		return CTL_ERR;
	rc = fn(c->c_store, &o.co_actor, in, flags, err);
	ctl_in_close(in);
	if (rc != 0)
		return ctl_err("%s: %s", strcmp(name, "-") == 0 ? "stdin" : name, err);
	if (o.co_dryrun)
		printf("dry run: %s is valid; nothing was written\n",
		       strcmp(name, "-") == 0 ? "stdin" : name);
	return CTL_OK;
}

static int cmd_limits_export(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return do_export(c, cmd, argc, argv, rules_export_json);
}

static int cmd_limits_import(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return do_import(c, cmd, argc, argv, rules_import_json);
}

static int cmd_parents_export(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return do_export(c, cmd, argc, argv, rules_export_parents_csv);
}

static int cmd_parents_import(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return do_import(c, cmd, argc, argv, rules_import_parents_csv);
}

/* ---- limit set / del -------------------------------------------------------- */

struct lim_arg {
	const struct rules_actor *la_actor;
	enum rules_scope la_scope;
	const char *la_key;
	bool la_all; /* del: the whole record */
	bool la_del;
	enum rules_limit la_lim;
	int64_t la_val;
	bool la_trip;
	struct rules_limits la_cur; /* read */
	bool la_found;
};

static int lim_read(struct ctl *c, void *arg)
{
	struct lim_arg *a = arg;
	int rc;

	rc = rules_store_get_limits(c->c_store, a->la_scope, a->la_key, &a->la_cur);
	a->la_found = rc == 0;
	if (rc == RULES_ENOTFOUND) {
		memset(&a->la_cur, 0, sizeof(a->la_cur));
		rc = 0;
	}
	return rc;
}

static int lim_write(struct ctl *c, void *arg, struct rules_wr *wr, char err[RULES_ERRLEN])
{
	struct lim_arg *a = arg;
	struct rules_limits *l = &a->la_cur;
	uint32_t bit = RULES_BIT(a->la_lim);
	char e[RULES_ERRLEN];
	int rc;

	(void)c;
	if (a->la_del) {
		if (!a->la_found || (!a->la_all && !(l->rl_set & bit))) {
			ctl_seterr(err, "%s %s%s%s: no such limit", rules_scope_name(a->la_scope),
			           *a->la_key ? a->la_key : "\"\"", a->la_all ? "" : " ",
			           a->la_all ? "" : rules_limit_name(a->la_lim));
			return RULES_ENOTFOUND;
		}
		l->rl_set &= ~bit;
		l->rl_trip &= ~bit;
		l->rl_val[a->la_lim] = 0;
		if (a->la_all || l->rl_set == 0)
			rc = rules_wr_del_limits(wr, a->la_actor, a->la_scope, a->la_key, e);
		else
			rc = rules_wr_put_limits(wr, a->la_actor, a->la_scope, a->la_key, l, e);
	} else {
		l->rl_set |= bit;
		l->rl_val[a->la_lim] = a->la_val;
		if (a->la_trip)
			l->rl_trip |= bit;
		else
			l->rl_trip &= ~bit;
		rc = rules_wr_put_limits(wr, a->la_actor, a->la_scope, a->la_key, l, e);
	}
	if (rc != 0)
		ctl_seterr(err, "%s", e);
	return rc;
}

/* SCOPE KEY: "global" takes "" or "-" as its key. */
static int lim_scope_key(const struct ctl_cmd *cmd, char **argv, struct lim_arg *a)
{
	if (rules_scope_parse(argv[0], &a->la_scope) != 0)
		return ctl_usage(cmd, "unknown scope \"%s\" (global, account, symbol, parent)",
		                 argv[0]);
	a->la_key = argv[1];
	if (a->la_scope == RULES_SCOPE_GLOBAL) {
		if (strcmp(a->la_key, "") != 0 && strcmp(a->la_key, "-") != 0)
			return ctl_usage(cmd, "the global scope has no key: give \"\" or -");
		a->la_key = "";
	} else if (!rules_id_valid(a->la_key)) {
		return ctl_usage(cmd, "\"%s\" is not a valid key", a->la_key);
	}
	return CTL_OK;
}

static int lim_name(const struct ctl_cmd *cmd, const char *name, struct lim_arg *a)
{
	char names[256] = "";
	size_t n = 0;

	if (rules_limit_parse(name, &a->la_lim) == 0)
		return CTL_OK;
	for (int i = 0; i < RULES_LIM_COUNT && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
		                      rules_limit_name((enum rules_limit)i));
	return ctl_usage(cmd, "unknown limit \"%s\" (%s)", name, names);
}

static int cmd_limit_set(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct lim_arg a = {0};
	struct ctl_opts o;
	const char *v;
	int first, rc, n;

	if ((rc = ctl_getopt(cmd, argc, argv, "wr", &o, &first)) != CTL_OK)
		return rc;
	n = argc - first;
	if (n < 4)
		return ctl_usage(cmd, "missing arguments");
	if (n > 5)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first + 5]);
	if ((rc = lim_scope_key(cmd, argv + first, &a)) != CTL_OK ||
	    (rc = lim_name(cmd, argv[first + 2], &a)) != CTL_OK)
		return rc;
	v = argv[first + 3];
	if (rules_limit_is_px(a.la_lim))
		rc = rules_px_parse(v, strlen(v), &a.la_val);
	else
		rc = rules_qty_parse(v, strlen(v), &a.la_val);
	if (rc != 0 || a.la_val <= 0)
		return ctl_usage(cmd, "%s: \"%s\" is not %s > 0", rules_limit_name(a.la_lim), v,
		                 rules_limit_is_px(a.la_lim) ? "a decimal" : "a whole number");
	a.la_trip = (RULES_TRIP_DEFAULT & RULES_BIT(a.la_lim)) != 0;
	if (n == 5) {
		if (strcmp(argv[first + 4], "trip") == 0)
			a.la_trip = true;
		else if (strcmp(argv[first + 4], "reject") == 0)
			a.la_trip = false;
		else
			return ctl_usage(cmd, "the action is reject or trip, not \"%s\"",
			                 argv[first + 4]);
	}
	if ((rc = ctl_need_actor(cmd, &o)) != CTL_OK)
		return rc;
	a.la_actor = &o.co_actor;
	if ((rc = ctl_open(c, 0)) != CTL_OK)
		return rc;
	return ctl_rmw(c, lim_read, lim_write, &a);
}

static int cmd_limit_del(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct lim_arg a = {.la_del = true};
	struct ctl_opts o;
	int first, rc, n;

	if ((rc = ctl_getopt(cmd, argc, argv, "wr", &o, &first)) != CTL_OK)
		return rc;
	n = argc - first;
	if (n < 2)
		return ctl_usage(cmd, "missing arguments");
	if (n > 3)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first + 3]);
	if ((rc = lim_scope_key(cmd, argv + first, &a)) != CTL_OK)
		return rc;
	if (n == 3) {
		if ((rc = lim_name(cmd, argv[first + 2], &a)) != CTL_OK)
			return rc;
	} else {
		a.la_all = true;
	}
	if ((rc = ctl_need_actor(cmd, &o)) != CTL_OK)
		return rc;
	a.la_actor = &o.co_actor;
	if ((rc = ctl_open(c, 0)) != CTL_OK)
		return rc;
	return ctl_rmw(c, lim_read, lim_write, &a);
}

/* ---- parent set / del ------------------------------------------------------- */

struct par_arg {
	const struct rules_actor *pa_actor;
	struct rules_parent pa_p;
	const char *pa_id; /* del */
};

static int par_read(struct ctl *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static int par_write(struct ctl *c, void *arg, struct rules_wr *wr, char err[RULES_ERRLEN])
{
	struct par_arg *a = arg;
	char e[RULES_ERRLEN];
	int rc;

	(void)c;
	if (a->pa_id != NULL)
		rc = rules_wr_del_parent(wr, a->pa_actor, a->pa_id, e);
	else
		rc = rules_wr_put_parent(wr, a->pa_actor, &a->pa_p, e);
	if (rc == RULES_ENOTFOUND)
		ctl_seterr(err, "parent \"%s\": no such parent", a->pa_id);
	else if (rc != 0)
		ctl_seterr(err, "%s", e);
	return rc;
}

/* A whole number operand as a JSON integer; NULL if it is not one. */
static json_t *int_json(const char *s)
{
	int64_t v;

	if (rules_qty_parse(s, strlen(s), &v) != 0)
		return NULL;
	return json_integer((json_int_t)v);
}

/* "qty|notional|rate" or "none" as the JSON trip array (recjson checks the
 * names). */
static json_t *trip_json(const char *s)
{
	json_t *a = json_array();
	const char *p = s;
	size_t n;

	if (a == NULL || strcmp(s, "none") == 0)
		return a;
	for (;;) {
		n = strcspn(p, "|");
		if (json_array_append_new(a, json_stringn(p, n)) != 0) {
			json_decref(a);
			return NULL;
		}
		if (p[n] == '\0')
			return a;
		p += n + 1;
	}
}

/*
 * Builds the parent from its operands through its JSON form, so that the
 * command line accepts exactly what an import accepts (recjson checks
 * every field).
 */
static int par_from_args(const struct ctl_cmd *cmd, char **av, int n, struct rules_parent *p)
{
	static const char *const opt[] = {"limit_px", "max_notional", "max_rate", "trip"};
	char err[RULES_ERRLEN];
	json_t *o, *v;
	int i, rc;

	if ((v = int_json(av[4])) == NULL)
		return ctl_usage(cmd, "qty: \"%s\" is not a whole number", av[4]);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", av[0], "account", av[1], "symbol", av[2],
	              "side", av[3], "qty", v);
	if (o == NULL)
		return ctl_err("out of memory");
	for (i = 5; i < n; i++) {
		const char *eq = strchr(av[i], '=');
		size_t k, klen;

		if (eq == NULL) {
			json_decref(o);
			return ctl_usage(cmd, "\"%s\": expected KEY=VALUE", av[i]);
		}
		klen = (size_t)(eq - av[i]);
		for (k = 0; k < sizeof(opt) / sizeof(opt[0]); k++)
			if (strlen(opt[k]) == klen && memcmp(opt[k], av[i], klen) == 0)
				break;
		if (k == sizeof(opt) / sizeof(opt[0]) || json_object_get(o, opt[k]) != NULL) {
			json_decref(o);
			return ctl_usage(
			    cmd, "\"%.*s\": %s", (int)klen, av[i],
			    k == sizeof(opt) / sizeof(opt[0])
			        ? "unknown key (limit_px, max_notional, max_rate, trip)"
			        : "given twice");
		}
		if (k == 2)
			v = int_json(eq + 1);
		else if (k == 3)
			v = trip_json(eq + 1);
		else
			v = json_string(eq + 1);
		if (v == NULL) {
			json_decref(o);
			return ctl_usage(cmd, "%s: \"%s\" is not a whole number", opt[k], eq + 1);
		}
		if (json_object_set_new(o, opt[k], v) != 0) {
			json_decref(o);
			return ctl_err("out of memory");
		}
	}
	rc = rules_parent_from_json(o, p, err);
	json_decref(o);
	if (rc != 0)
		return ctl_usage(cmd, "%s", err);
	return CTL_OK;
}

static int cmd_parent_set(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct par_arg a = {0};
	struct ctl_opts o;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, "wr", &o, &first)) != CTL_OK)
		return rc;
	if (argc - first < 5)
		return ctl_usage(cmd, "missing arguments");
	if ((rc = par_from_args(cmd, argv + first, argc - first, &a.pa_p)) != CTL_OK)
		return rc;
	if ((rc = ctl_need_actor(cmd, &o)) != CTL_OK)
		return rc;
	a.pa_actor = &o.co_actor;
	if ((rc = ctl_open(c, 0)) != CTL_OK)
		return rc;
	return ctl_rmw(c, par_read, par_write, &a);
}

static int cmd_parent_del(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct par_arg a = {0};
	struct ctl_opts o;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, "wr", &o, &first)) != CTL_OK)
		return rc;
	if (argc - first != 1)
		return ctl_usage(cmd, argc == first ? "missing ID" : "only one ID may be given");
	if (!rules_id_valid(argv[first]))
		return ctl_usage(cmd, "\"%s\" is not a valid parent id", argv[first]);
	if ((rc = ctl_need_actor(cmd, &o)) != CTL_OK)
		return rc;
	a.pa_actor = &o.co_actor;
	a.pa_id = argv[first];
	if ((rc = ctl_open(c, 0)) != CTL_OK)
		return rc;
	return ctl_rmw(c, par_read, par_write, &a);
}

const struct ctl_cmd ctl_cmds_limits[] = {
    {"limits", "export", cmd_limits_export, "[FILE|-]",
     "write the whole limit set as JSON (default: stdout)"},
    {"limits", "import", cmd_limits_import,
     "[--replace] [--dry-run] --who USER --reason TEXT FILE|-",
     "import a JSON limit set, all or nothing"},
    {"limit", "set", cmd_limit_set, "SCOPE KEY NAME VALUE [reject|trip] --who USER --reason TEXT",
     "set one limit (global KEY: \"\" or -)"},
    {"limit", "del", cmd_limit_del, "SCOPE KEY [NAME] --who USER --reason TEXT",
     "unset one limit, or the whole record"},
    {"parents", "export-csv", cmd_parents_export, "[FILE|-]", "write the parents as CSV"},
    {"parents", "import-csv", cmd_parents_import,
     "[--replace] [--dry-run] --who USER --reason TEXT FILE|-",
     "import parents from CSV, all or nothing"},
    {"parent", "set", cmd_parent_set,
     "ID ACCOUNT SYMBOL SIDE QTY [limit_px=PX] [max_notional=PX] [max_rate=N] "
     "[trip=qty|notional|rate|none] --who USER --reason TEXT",
     "register or replace a parent"},
    {"parent", "del", cmd_parent_del, "ID --who USER --reason TEXT", "delete a parent"},
    {NULL, NULL, NULL, NULL, NULL},
};
