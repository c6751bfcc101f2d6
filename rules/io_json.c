/*
 * io_json.c - the whole limit set as one JSON document: export from one
 * snapshot, strict import (see io.c for the two phases, and
 * docs/limits-format.md for the format).
 */
#include "config.h"

#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fixed.h"
#include "io_impl.h"
#include "recjson.h"

#define IO_FORMAT_NAME    "riskgw-limits"
#define IO_FORMAT_VERSION 1

/*
 * Fails with a recjson error placed in the document: recjson's text starts
 * with the key path inside the record ("qty: must be > 0", "trip[1]: ...")
 * or, for the record as a whole, with word ("parent: must be an object").
 * path names the record in the document ("parents[3]").
 */
static int io_subfail(char err[RULES_ERRLEN], int rc, const char *path, const char *word,
                      const char *e)
{
	size_t n = strlen(word);

	if (strncmp(e, word, n) == 0 && e[n] == ':')
		return rules_io_fail(err, rc, "%s%s", path, e + n);
	return rules_io_fail(err, rc, "%s.%s", path, e);
}

/* ---- JSON: export -------------------------------------------------------- */

struct io_exp {
	json_t *ie_arr;
	int ie_rc;
	char *ie_err;
};

static int io_exp_append(struct io_exp *x, json_t *v, const char *what)
{
	if (v == NULL || json_array_append_new(x->ie_arr, v) != 0) {
		x->ie_rc = v == NULL ? RULES_EINVAL : -ENOMEM;
		(void)rules_io_fail(x->ie_err, x->ie_rc, "cannot convert %s to JSON", what);
		return x->ie_rc;
	}
	return 0;
}

static int io_exp_limits(void *arg, enum rules_scope sc, const char *key,
                         const struct rules_limits *l)
{
	struct io_exp *x = arg;
	json_t *lj = rules_limits_to_json(l);

	if (lj == NULL)
		return io_exp_append(x, NULL, "limits");
	/* "o" steals lj, also when json_pack fails */
	return io_exp_append(
	    x,
	    json_pack("{s:s, s:s, s:o}", "scope", rules_scope_name(sc), "key", key, "limits", lj),
	    "limits");
}

static int io_exp_parent(void *arg, const struct rules_parent *p)
{
	struct io_exp *x = arg;

	return io_exp_append(x, rules_parent_to_json(p), "a parent");
}

static int io_exp_refpx(void *arg, const char *symbol, int64_t px)
{
	struct io_exp *x = arg;
	json_t *pj = rules_refpx_to_json(px);

	if (pj == NULL)
		return io_exp_append(x, NULL, "a reference price");
	return io_exp_append(x, json_pack("{s:s, s:o}", "symbol", symbol, "px", pj),
	                     "a reference price");
}

static int io_exp_restricted(void *arg, const char *symbol, const char *reason)
{
	struct io_exp *x = arg;
	json_t *rj = rules_restricted_to_json(reason);

	if (rj == NULL)
		return io_exp_append(x, NULL, "a restricted symbol");
	return io_exp_append(x, json_pack("{s:s, s:o}", "symbol", symbol, "reason", rj),
	                     "a restricted symbol");
}

/* Runs one foreach into a new array set under name in root. */
static int io_exp_section(json_t *root, const char *name, struct io_exp *x)
{
	x->ie_arr = json_array();
	if (x->ie_arr == NULL || json_object_set_new(root, name, x->ie_arr) != 0)
		return rules_io_fail(x->ie_err, -ENOMEM, "out of memory");
	return 0;
}

/* After a foreach: the callback's error (err already filled) or the store's. */
static int io_exp_done(struct io_exp *x, int rc, const char *what)
{
	if (rc == 0)
		return 0;
	if (x->ie_rc != 0)
		return x->ie_rc;
	return rules_io_fail(x->ie_err, rc, "reading %s: %s", what, rules_strerror(rc));
}

int rules_export_json(struct rules_store *st, FILE *out, char err[RULES_ERRLEN])
{
	struct io_exp x = {.ie_err = err};
	uint64_t txnid;
	json_t *root;
	int rc;

	if (st == NULL || out == NULL)
		return rules_io_fail(err, RULES_EINVAL, "invalid argument");
	root = json_object();
	if (root == NULL)
		return rules_io_fail(err, -ENOMEM, "out of memory");
	if (json_object_set_new(root, "format", json_string(IO_FORMAT_NAME)) != 0 ||
	    json_object_set_new(root, "version", json_integer(IO_FORMAT_VERSION)) != 0) {
		json_decref(root);
		return rules_io_fail(err, -ENOMEM, "out of memory");
	}

	/* One snapshot for the whole document. */
	rc = rules_store_rd_begin(st, &txnid);
	if (rc != 0) {
		json_decref(root);
		return rules_io_fail(err, rc, "reading the store: %s", rules_strerror(rc));
	}
	if ((rc = io_exp_section(root, "limits", &x)) == 0)
		rc = io_exp_done(&x, rules_store_foreach_limits(st, io_exp_limits, &x), "limits");
	if (rc == 0 && (rc = io_exp_section(root, "parents", &x)) == 0)
		rc = io_exp_done(&x, rules_store_foreach_parent(st, io_exp_parent, &x), "parents");
	if (rc == 0 && (rc = io_exp_section(root, "ref_prices", &x)) == 0)
		rc = io_exp_done(&x, rules_store_foreach_refpx(st, io_exp_refpx, &x),
		                 "reference prices");
	if (rc == 0 && (rc = io_exp_section(root, "restricted", &x)) == 0)
		rc = io_exp_done(&x, rules_store_foreach_restricted(st, io_exp_restricted, &x),
		                 "restricted symbols");
	rules_store_rd_end(st);

	if (rc == 0) {
		errno = 0; /* so that a write error's errno, not a stale one, is shown */
		if (json_dumpf(root, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0 ||
		    fputc('\n', out) == EOF || fflush(out) != 0 || ferror(out))
			rc = rules_io_fail(err, errno ? -errno : -EIO, "writing the export: %s",
			                   strerror(errno ? errno : EIO));
	}
	json_decref(root);
	return rc;
}

/* ---- JSON: import -------------------------------------------------------- */

/*
 * Checks that o is an object whose keys are all in allowed[] (NULL
 * terminated) and that every key of required[] is present. path names o.
 */
static int io_json_keys(const json_t *o, const char *path, const char *const *allowed,
                        const char *const *required, char err[RULES_ERRLEN])
{
	const char *k;
	void *it;
	size_t i;

	if (!json_is_object(o))
		return rules_io_fail(err, RULES_EPARSE, "%s: must be an object", path);
	for (it = json_object_iter((json_t *)o); it != NULL;
	     it = json_object_iter_next((json_t *)o, it)) {
		k = json_object_iter_key(it);
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return rules_io_fail(err, RULES_EPARSE, "%s%s%s: unknown key", path,
			                     *path ? "." : "", k);
	}
	for (i = 0; required[i] != NULL; i++)
		if (json_object_get(o, required[i]) == NULL)
			return rules_io_fail(err, RULES_EPARSE, "%s: missing key \"%s\"",
			                     *path ? path : "document", required[i]);
	return 0;
}

/* A string member of o (present: checked by io_json_keys). */
static int io_json_str(const json_t *o, const char *path, const char *key, const char **out,
                       char err[RULES_ERRLEN])
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return rules_io_fail(err, RULES_EPARSE, "%s.%s: must be a string", path, key);
	*out = json_string_value(v);
	return 0;
}

static int io_json_id(const json_t *o, const char *path, const char *key,
                      char out[RULES_ID_MAX + 1], char err[RULES_ERRLEN])
{
	const char *s = NULL;
	int rc = io_json_str(o, path, key, &s, err);

	if (rc != 0)
		return rc;
	if (!rules_id_valid(s))
		return rules_io_fail(
		    err, RULES_EINVAL,
		    "%s.%s: must be 1..%d printable ASCII characters without spaces", path, key,
		    RULES_ID_MAX);
	rules_io_copy_id(out, s);
	return 0;
}

/* Runs the checks for one array section: a JSON array, elements in order. */
static int io_json_array(const json_t *root, const char *name, size_t *n, char err[RULES_ERRLEN])
{
	json_t *a = json_object_get(root, name);

	if (!json_is_array(a))
		return rules_io_fail(err, RULES_EPARSE, "%s: must be an array", name);
	*n = json_array_size(a);
	return 0;
}

static int io_json_limits(const json_t *root, struct io_set *s, char err[RULES_ERRLEN])
{
	static const char *const keys[] = {"scope", "key", "limits", NULL};
	json_t *a = json_object_get(root, "limits"), *el;
	char path[64], e[RULES_ERRLEN];
	const char *sc = NULL, *key = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = io_json_array(root, "limits", &n, err)) != 0)
		return rc;
	if (n > 0 && (s->is_lims = calloc(n, sizeof(*s->is_lims))) == NULL)
		return rules_io_fail(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		el = json_array_get(a, i);
		struct io_lim *l = &s->is_lims[i];

		(void)snprintf(path, sizeof(path), "limits[%zu]", i);
		if ((rc = io_json_keys(el, path, keys, keys, err)) != 0 ||
		    (rc = io_json_str(el, path, "scope", &sc, err)) != 0 ||
		    (rc = io_json_str(el, path, "key", &key, err)) != 0)
			return rc;
		if (rules_scope_parse(sc, &l->il_scope) != 0)
			return rules_io_fail(
			    err, RULES_EINVAL,
			    "%s.scope: unknown scope \"%.64s\" (global, account, symbol, parent)",
			    path, sc);
		if (l->il_scope == RULES_SCOPE_GLOBAL ? *key != '\0' : !rules_id_valid(key))
			return rules_io_fail(
			    err, RULES_EINVAL, "%s.key: %s", path,
			    l->il_scope == RULES_SCOPE_GLOBAL
			        ? "must be \"\" for the global scope"
			        : "must be 1..64 printable ASCII characters without spaces");
		rules_io_copy_id(l->il_key, key);
		(void)snprintf(path, sizeof(path), "limits[%zu].limits", i);
		rc = rules_limits_from_json(json_object_get(el, "limits"), &l->il_lim, e);
		if (rc == 0)
			rc = rules_limits_validate(&l->il_lim, e);
		if (rc != 0)
			return io_subfail(err, rc, path, "limits", e);
		s->is_nlims = i + 1;
	}
	return 0;
}

/* The keys of a parent object (recjson.h). */
static const char *const io_parent_keys[] = {"id",       "account",      "symbol",   "side", "qty",
                                             "limit_px", "max_notional", "max_rate", "trip", NULL};
static const char *const io_none[] = {NULL};

static int io_json_parents(const json_t *root, struct io_set *s, char err[RULES_ERRLEN])
{
	json_t *a = json_object_get(root, "parents"), *el;
	char path[64], e[RULES_ERRLEN];
	size_t i, n = 0;
	int rc;

	if ((rc = io_json_array(root, "parents", &n, err)) != 0)
		return rc;
	if (n > 0 && (s->is_parents = calloc(n, sizeof(*s->is_parents))) == NULL)
		return rules_io_fail(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		el = json_array_get(a, i);
		(void)snprintf(path, sizeof(path), "parents[%zu]", i);
		/* Unknown keys first: recjson reports a missing key before an
		 * unknown one, and for a typo ("qtyy" for "qty") the typo is
		 * the useful thing to name. recjson checks the rest. */
		if (json_is_object(el) &&
		    (rc = io_json_keys(el, path, io_parent_keys, io_none, err)) != 0)
			return rc;
		rc = rules_parent_from_json(el, &s->is_parents[i], e);
		if (rc == 0)
			rc = rules_parent_validate(&s->is_parents[i], e);
		if (rc != 0)
			return io_subfail(err, rc, path, "parent", e);
		s->is_nparents = i + 1;
	}
	return 0;
}

static int io_json_refpx(const json_t *root, struct io_set *s, char err[RULES_ERRLEN])
{
	static const char *const keys[] = {"symbol", "px", NULL};
	json_t *a = json_object_get(root, "ref_prices"), *el;
	char path[64], e[RULES_ERRLEN];
	size_t i, n = 0;
	int rc;

	if ((rc = io_json_array(root, "ref_prices", &n, err)) != 0)
		return rc;
	if (n > 0 && (s->is_pxs = calloc(n, sizeof(*s->is_pxs))) == NULL)
		return rules_io_fail(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		el = json_array_get(a, i);
		struct io_px *p = &s->is_pxs[i];

		(void)snprintf(path, sizeof(path), "ref_prices[%zu]", i);
		if ((rc = io_json_keys(el, path, keys, keys, err)) != 0 ||
		    (rc = io_json_id(el, path, "symbol", p->ip_symbol, err)) != 0)
			return rc;
		(void)snprintf(path, sizeof(path), "ref_prices[%zu].px", i);
		rc = rules_refpx_from_json(json_object_get(el, "px"), &p->ip_px, e);
		if (rc != 0)
			return io_subfail(err, rc, path, "refpx", e);
		s->is_npxs = i + 1;
	}
	return 0;
}

static int io_json_restricted(const json_t *root, struct io_set *s, char err[RULES_ERRLEN])
{
	static const char *const keys[] = {"symbol", "reason", NULL};
	json_t *a = json_object_get(root, "restricted"), *el;
	char path[64], e[RULES_ERRLEN];
	size_t i, n = 0;
	int rc;

	if ((rc = io_json_array(root, "restricted", &n, err)) != 0)
		return rc;
	if (n > 0 && (s->is_restr = calloc(n, sizeof(*s->is_restr))) == NULL)
		return rules_io_fail(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		el = json_array_get(a, i);
		struct io_restr *r = &s->is_restr[i];

		(void)snprintf(path, sizeof(path), "restricted[%zu]", i);
		if ((rc = io_json_keys(el, path, keys, keys, err)) != 0 ||
		    (rc = io_json_id(el, path, "symbol", r->ir_symbol, err)) != 0)
			return rc;
		(void)snprintf(path, sizeof(path), "restricted[%zu].reason", i);
		rc = rules_restricted_from_json(json_object_get(el, "reason"), r->ir_reason, e);
		if (rc != 0)
			return io_subfail(err, rc, path, "reason", e);
		s->is_nrestr = i + 1;
	}
	return 0;
}

/* Phase 1 for JSON: the document into s. */
static int io_json_parse(FILE *in, struct io_set *s, char err[RULES_ERRLEN])
{
	static const char *const keys[] = {"format",     "version",    "limits", "parents",
	                                   "ref_prices", "restricted", NULL};
	json_error_t jerr;
	json_t *root, *v;
	int rc;

	/* Objects or arrays only at the top; trailing data, duplicate keys,
	 * NUL in strings, NaN/Infinity (not JSON), integers beyond int64 are
	 * all decode errors. */
	root = json_loadf(in, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (ferror(in))
			return rules_io_fail(err, -EIO, "reading the input: %s",
			                     strerror(errno ? errno : EIO));
		return rules_io_fail(err, RULES_EPARSE, "JSON line %d column %d: %s", jerr.line,
		                     jerr.column, jerr.text);
	}
	if ((rc = io_json_keys(root, "", keys, keys, err)) != 0)
		goto out;
	v = json_object_get(root, "format");
	if (!json_is_string(v) || strcmp(json_string_value(v), IO_FORMAT_NAME) != 0) {
		rc = rules_io_fail(err, RULES_EPARSE, "format: must be \"%s\"", IO_FORMAT_NAME);
		goto out;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v)) {
		rc = rules_io_fail(err, RULES_EPARSE, "version: must be an integer");
		goto out;
	}
	if (json_integer_value(v) != IO_FORMAT_VERSION) {
		rc = rules_io_fail(err, RULES_ESCHEMA,
		                   "version: %" JSON_INTEGER_FORMAT
		                   " is not supported (this binary reads version %d)",
		                   json_integer_value(v), IO_FORMAT_VERSION);
		goto out;
	}
	if ((rc = io_json_limits(root, s, err)) != 0 || (rc = io_json_parents(root, s, err)) != 0 ||
	    (rc = io_json_refpx(root, s, err)) != 0 || (rc = io_json_restricted(root, s, err)) != 0)
		goto out;
	rc = rules_io_check_dups(s, err);
out:
	json_decref(root);
	return rc;
}

int rules_import_json(struct rules_store *st, const struct rules_actor *actor, FILE *in,
                      unsigned flags, char err[RULES_ERRLEN])
{
	struct io_set s = {0};
	int rc;

	rc = rules_io_check_args(st, actor, in, flags, err);
	if (rc != 0)
		return rc;
	rc = io_json_parse(in, &s, err);
	if (rc == 0)
		rc = rules_io_apply(st, actor, &s,
		                    (flags & RULES_IMPORT_REPLACE) ? IO_REPLACE_ALL : IO_MERGE,
		                    flags, err);
	rules_io_set_free(&s);
	return rc;
}
