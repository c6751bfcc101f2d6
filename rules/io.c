/*
 * io.c - import and export of the whole limit set (JSON) and of the parent
 * registrations (CSV). The formats are documented in docs/limits-format.md.
 *
 * Every import runs in two phases:
 *
 *   1. parse and validate the whole input into a struct io_set in memory:
 *      syntax, unknown and missing keys, types, values, duplicates. Errors
 *      name the JSON path ("parents[3].qty") or the CSV line and column.
 *   2. write the set in one rules_wr batch (with RULES_IMPORT_REPLACE first
 *      clearing what the file replaces), then commit it, or abort it for
 *      RULES_IMPORT_DRYRUN. The store validates each record again and
 *      writes its audit record; an error there aborts the whole batch.
 *
 * A dry run therefore goes through exactly the checks of a real import,
 * the store's own included, and only differs in aborting instead of
 * committing: nothing on disk changes (an aborted LMDB write transaction
 * leaves the file and its last txn id as they were).
 *
 * Library code: nothing here prints; every failure returns an int and
 * fills err with one line.
 */
#include "config.h"

#include "io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fixed.h"
#include "recjson.h"

#define IO_FORMAT_NAME    "riskgw-limits"
#define IO_FORMAT_VERSION 1

/* Longest CSV line accepted (bytes, without the line end). A valid line is
 * at most 9 fields of at most ~2 * RULES_ID_MAX + 2 bytes each. */
#define IO_CSV_LINE_MAX 4096
#define IO_CSV_NFIELDS  9
static const char io_csv_header[] =
    "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip";
static const char *const io_csv_cols[IO_CSV_NFIELDS] = {
    "id", "account", "symbol", "side", "qty", "limit_px", "max_notional", "max_rate", "trip"};

/* An optimistic read-then-write (CSV replace) retries this often when
 * another writer commits between its read and its write batch. */
#define IO_RETRIES 8

/* ---- errors -------------------------------------------------------------- */

static int io_fail(char err[RULES_ERRLEN], int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills err (when not NULL) and returns rc. */
static int io_fail(char err[RULES_ERRLEN], int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(err, RULES_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return rc;
}

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
		return io_fail(err, rc, "%s%s", path, e + n);
	return io_fail(err, rc, "%s.%s", path, e);
}

/* ---- the parsed set ------------------------------------------------------ */

struct io_lim {
	enum rules_scope il_scope;
	char il_key[RULES_ID_MAX + 1];
	struct rules_limits il_lim;
};

struct io_px {
	char ip_symbol[RULES_ID_MAX + 1];
	int64_t ip_px;
};

struct io_restr {
	char ir_symbol[RULES_ID_MAX + 1];
	char ir_reason[RULES_REASON_MAX + 1];
};

/* Everything an import will write, in input order. */
struct io_set {
	struct io_lim *is_lims;
	size_t is_nlims;
	struct rules_parent *is_parents;
	size_t is_nparents;
	size_t *is_lines; /* CSV: line of each parent; NULL for JSON */
	struct io_px *is_pxs;
	size_t is_npxs;
	struct io_restr *is_restr;
	size_t is_nrestr;
};

static void io_set_free(struct io_set *s)
{
	free(s->is_lims);
	free(s->is_parents);
	free(s->is_lines);
	free(s->is_pxs);
	free(s->is_restr);
	memset(s, 0, sizeof(*s));
}

enum io_section { IO_SEC_LIMITS, IO_SEC_PARENTS, IO_SEC_REFPX, IO_SEC_RESTRICTED };
static const char *const io_sec_names[] = {"limits", "parents", "ref_prices", "restricted"};

/* Names element i of a section for an error message: its JSON path
 * ("parents[3]") or, for CSV, its line ("line 5"). */
static void io_where(const struct io_set *s, enum io_section sec, size_t i, char *buf, size_t len)
{
	if (sec == IO_SEC_PARENTS && s->is_lines != NULL)
		(void)snprintf(buf, len, "line %zu", s->is_lines[i]);
	else
		(void)snprintf(buf, len, "%s[%zu]", io_sec_names[sec], i);
}

/* Copies an identifier known to be valid (rules_id_valid). */
static void io_copy_id(char dst[RULES_ID_MAX + 1], const char *src)
{
	size_t n = strlen(src);

	if (n > RULES_ID_MAX)
		n = RULES_ID_MAX;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- duplicates ---------------------------------------------------------- */

/*
 * Duplicate detection sorts an index array by the record's key (ties by
 * input position) and compares neighbours: O(n log n), so a 100,000-line
 * import is checked as fast as a short one. qsort has no context argument,
 * hence the file-scope pointer; this is only used for the duration of one
 * io_find_dup() call and librules is not used from several threads at once
 * (store.h), but keep it in mind before calling io from threads.
 */
struct io_keyed {
	const char *ik_key; /* the unique key (id, symbol or scope+key) */
	int ik_scope;       /* limits only; -1 elsewhere */
	size_t ik_pos;      /* position in the input */
};

static int io_keyed_cmp(const void *a, const void *b)
{
	const struct io_keyed *x = a, *y = b;
	int c;

	if (x->ik_scope != y->ik_scope)
		return x->ik_scope < y->ik_scope ? -1 : 1;
	c = strcmp(x->ik_key, y->ik_key);
	if (c != 0)
		return c;
	return x->ik_pos < y->ik_pos ? -1 : (x->ik_pos > y->ik_pos);
}

/*
 * Sorts k[0..n) and finds the duplicate that comes first in the input (the
 * smallest position of a second occurrence). Returns true and sets *first
 * and *second (input positions) if there is one.
 */
static bool io_find_dup(struct io_keyed *k, size_t n, size_t *first, size_t *second)
{
	bool found = false;
	size_t i, grp = 0;

	if (n < 2)
		return false;
	qsort(k, n, sizeof(*k), io_keyed_cmp);
	for (i = 1; i < n; i++) {
		if (k[i].ik_scope != k[i - 1].ik_scope ||
		    strcmp(k[i].ik_key, k[i - 1].ik_key) != 0) {
			grp = i;
			continue;
		}
		/* k[grp] is the first occurrence; k[grp + 1] the earliest repeat */
		if (i == grp + 1 && (!found || k[i].ik_pos < *second)) {
			found = true;
			*first = k[grp].ik_pos;
			*second = k[i].ik_pos;
		}
	}
	return found;
}

/* Checks every section of s for duplicate keys. 0, RULES_EEXIST or -ENOMEM. */
static int io_check_dups(const struct io_set *s, char err[RULES_ERRLEN])
{
	size_t max = s->is_nlims, i, a, b;
	struct io_keyed *k;
	char wa[64], wb[64];
	int rc = 0;

	if (s->is_nparents > max)
		max = s->is_nparents;
	if (s->is_npxs > max)
		max = s->is_npxs;
	if (s->is_nrestr > max)
		max = s->is_nrestr;
	if (max < 2)
		return 0;
	k = calloc(max, sizeof(*k));
	if (k == NULL)
		return io_fail(err, -ENOMEM, "out of memory");

	for (i = 0; i < s->is_nlims; i++)
		k[i] = (struct io_keyed){s->is_lims[i].il_key, (int)s->is_lims[i].il_scope, i};
	if (io_find_dup(k, s->is_nlims, &a, &b)) {
		io_where(s, IO_SEC_LIMITS, a, wa, sizeof(wa));
		io_where(s, IO_SEC_LIMITS, b, wb, sizeof(wb));
		rc =
		    io_fail(err, RULES_EEXIST, "%s: duplicate limits for %s \"%s\" (also at %s)",
		            wb, rules_scope_name(s->is_lims[b].il_scope), s->is_lims[b].il_key, wa);
		goto out;
	}
	for (i = 0; i < s->is_nparents; i++)
		k[i] = (struct io_keyed){s->is_parents[i].rp_id, -1, i};
	if (io_find_dup(k, s->is_nparents, &a, &b)) {
		io_where(s, IO_SEC_PARENTS, a, wa, sizeof(wa));
		io_where(s, IO_SEC_PARENTS, b, wb, sizeof(wb));
		rc = io_fail(err, RULES_EEXIST, "%s: duplicate parent id \"%s\" (also at %s)", wb,
		             s->is_parents[b].rp_id, wa);
		goto out;
	}
	for (i = 0; i < s->is_npxs; i++)
		k[i] = (struct io_keyed){s->is_pxs[i].ip_symbol, -1, i};
	if (io_find_dup(k, s->is_npxs, &a, &b)) {
		rc = io_fail(err, RULES_EEXIST,
		             "ref_prices[%zu]: duplicate symbol \"%s\" (also at ref_prices[%zu])",
		             b, s->is_pxs[b].ip_symbol, a);
		goto out;
	}
	for (i = 0; i < s->is_nrestr; i++)
		k[i] = (struct io_keyed){s->is_restr[i].ir_symbol, -1, i};
	if (io_find_dup(k, s->is_nrestr, &a, &b)) {
		rc = io_fail(err, RULES_EEXIST,
		             "restricted[%zu]: duplicate symbol \"%s\" (also at restricted[%zu])",
		             b, s->is_restr[b].ir_symbol, a);
		goto out;
	}
out:
	free(k);
	return rc;
}

/* ---- writing a set ------------------------------------------------------- */

enum io_replace {
	IO_MERGE = 0,       /* put every record of the set, keep the rest */
	IO_REPLACE_ALL,     /* rules_wr_clear, then put the set */
	IO_REPLACE_PARENTS, /* delete parents not in the set, then put the set */
};

/* Existing parent ids, collected from one snapshot (CSV replace). */
struct io_ids {
	char (*ii_ids)[RULES_ID_MAX + 1];
	size_t ii_n, ii_cap;
};

static int io_ids_add(void *arg, const struct rules_parent *p)
{
	struct io_ids *ids = arg;

	if (ids->ii_n == ids->ii_cap) {
		size_t cap = ids->ii_cap ? ids->ii_cap * 2 : 256;
		void *n = realloc(ids->ii_ids, cap * sizeof(*ids->ii_ids));

		if (n == NULL)
			return -ENOMEM;
		ids->ii_ids = n;
		ids->ii_cap = cap;
	}
	io_copy_id(ids->ii_ids[ids->ii_n++], p->rp_id);
	return 0;
}

static int io_id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Puts every record of s into the open batch wr. On error, err names the
 * element ("parents[3]: ..." / "line 5: ...") and the batch must be
 * aborted.
 */
static int io_put_all(struct rules_wr *wr, const struct rules_actor *actor, const struct io_set *s,
                      char err[RULES_ERRLEN])
{
	char e[RULES_ERRLEN], w[64];
	size_t i;
	int rc;

	for (i = 0; i < s->is_nlims; i++) {
		const struct io_lim *l = &s->is_lims[i];

		rc = rules_wr_put_limits(wr, actor, l->il_scope, l->il_key, &l->il_lim, e);
		if (rc != 0) {
			io_where(s, IO_SEC_LIMITS, i, w, sizeof(w));
			return io_fail(err, rc, "%s: %s", w, e);
		}
	}
	for (i = 0; i < s->is_nparents; i++) {
		rc = rules_wr_put_parent(wr, actor, &s->is_parents[i], e);
		if (rc != 0) {
			io_where(s, IO_SEC_PARENTS, i, w, sizeof(w));
			return io_fail(err, rc, "%s: %s", w, e);
		}
	}
	for (i = 0; i < s->is_npxs; i++) {
		rc = rules_wr_put_refpx(wr, actor, s->is_pxs[i].ip_symbol, s->is_pxs[i].ip_px, e);
		if (rc != 0)
			return io_fail(err, rc, "ref_prices[%zu]: %s", i, e);
	}
	for (i = 0; i < s->is_nrestr; i++) {
		rc = rules_wr_put_restricted(wr, actor, s->is_restr[i].ir_symbol,
		                             s->is_restr[i].ir_reason, e);
		if (rc != 0)
			return io_fail(err, rc, "restricted[%zu]: %s", i, e);
	}
	return 0;
}

/*
 * Deletes, in wr, every parent of ids (sorted, from a snapshot) that is not
 * in s. sorted_set is s's parent ids sorted with io_id_cmp.
 */
static int io_del_missing(struct rules_wr *wr, const struct rules_actor *actor,
                          const struct io_ids *ids, const char **sorted_set, size_t nset,
                          char err[RULES_ERRLEN])
{
	char e[RULES_ERRLEN];
	size_t i;
	int rc;

	for (i = 0; i < ids->ii_n; i++) {
		const char *id = ids->ii_ids[i];

		if (nset > 0 &&
		    bsearch(&id, sorted_set, nset, sizeof(*sorted_set), io_id_cmp) != NULL)
			continue;
		rc = rules_wr_del_parent(wr, actor, id, e);
		if (rc != 0)
			return io_fail(err, rc, "deleting parent \"%s\": %s", id, e);
	}
	return 0;
}

/*
 * Phase 2: writes a validated set in one batch. For IO_REPLACE_PARENTS the
 * ids to delete are read from a snapshot before the batch begins; the batch
 * then checks that no other writer committed in between (the store's last
 * txn id is unchanged once we hold the write lock) and otherwise starts
 * over, so the delete list is always exact.
 */
static int io_apply(struct rules_store *st, const struct rules_actor *actor, const struct io_set *s,
                    enum io_replace mode, unsigned flags, char err[RULES_ERRLEN])
{
	struct io_ids ids = {0};
	const char **sorted = NULL;
	struct rules_wr *wr = NULL;
	char e[RULES_ERRLEN];
	int attempt, rc = 0;
	size_t i;

	if (mode == IO_REPLACE_PARENTS && s->is_nparents > 0) {
		sorted = calloc(s->is_nparents, sizeof(*sorted));
		if (sorted == NULL)
			return io_fail(err, -ENOMEM, "out of memory");
		for (i = 0; i < s->is_nparents; i++)
			sorted[i] = s->is_parents[i].rp_id;
		qsort(sorted, s->is_nparents, sizeof(*sorted), io_id_cmp);
	}

	for (attempt = 0; attempt < IO_RETRIES; attempt++) {
		uint64_t seen = 0;

		if (mode == IO_REPLACE_PARENTS) {
			ids.ii_n = 0;
			rc = rules_store_rd_begin(st, &seen);
			if (rc != 0) {
				rc = io_fail(err, rc, "reading the store: %s", rules_strerror(rc));
				goto out;
			}
			rc = rules_store_foreach_parent(st, io_ids_add, &ids);
			rules_store_rd_end(st);
			if (rc != 0) {
				rc =
				    io_fail(err, rc, "reading the parents: %s", rules_strerror(rc));
				goto out;
			}
		}
		rc = rules_store_wr_begin(st, &wr, e);
		if (rc != 0) {
			rc = io_fail(err, rc, "%s", e);
			goto out;
		}
		if (mode != IO_REPLACE_PARENTS || rules_store_last_txnid(st) == seen)
			break;
		rules_wr_abort(wr); /* someone committed in between: read again */
		wr = NULL;
	}
	if (wr == NULL) {
		rc = io_fail(err, RULES_ESTORE,
		             "the store kept changing during the import: try again");
		goto out;
	}

	if (mode == IO_REPLACE_ALL) {
		rc = rules_wr_clear(wr, actor, e);
		if (rc != 0) {
			rc = io_fail(err, rc, "clearing the store: %s", e);
			goto out;
		}
	} else if (mode == IO_REPLACE_PARENTS) {
		rc = io_del_missing(wr, actor, &ids, sorted, s->is_nparents, err);
		if (rc != 0)
			goto out;
	}
	rc = io_put_all(wr, actor, s, err);
	if (rc != 0)
		goto out;
	if (flags & RULES_IMPORT_DRYRUN)
		goto out; /* rc == 0: everything passed; abort below */
	rc = rules_wr_commit(wr, e);
	wr = NULL; /* commit frees the batch, whatever it returns */
	if (rc != 0)
		rc = io_fail(err, rc, "commit: %s", e);
out:
	if (wr != NULL)
		rules_wr_abort(wr);
	free(ids.ii_ids);
	free(sorted);
	return rc;
}

/* Checks the actor and flags common to every import. */
static int io_check_args(struct rules_store *st, const struct rules_actor *actor, void *stream,
                         unsigned flags, char err[RULES_ERRLEN])
{
	char e[RULES_ERRLEN];
	int rc;

	if (st == NULL || actor == NULL || stream == NULL)
		return io_fail(err, RULES_EINVAL, "invalid argument");
	if (flags & ~(RULES_IMPORT_REPLACE | RULES_IMPORT_DRYRUN))
		return io_fail(err, RULES_EINVAL, "unknown import flags 0x%x", flags);
	rc = rules_actor_validate(actor, e);
	if (rc != 0)
		return io_fail(err, rc, "%s", e);
	return 0;
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
		(void)io_fail(x->ie_err, x->ie_rc, "cannot convert %s to JSON", what);
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
		return io_fail(x->ie_err, -ENOMEM, "out of memory");
	return 0;
}

/* After a foreach: the callback's error (err already filled) or the store's. */
static int io_exp_done(struct io_exp *x, int rc, const char *what)
{
	if (rc == 0)
		return 0;
	if (x->ie_rc != 0)
		return x->ie_rc;
	return io_fail(x->ie_err, rc, "reading %s: %s", what, rules_strerror(rc));
}

int rules_export_json(struct rules_store *st, FILE *out, char err[RULES_ERRLEN])
{
	struct io_exp x = {.ie_err = err};
	uint64_t txnid;
	json_t *root;
	int rc;

	if (st == NULL || out == NULL)
		return io_fail(err, RULES_EINVAL, "invalid argument");
	root = json_object();
	if (root == NULL)
		return io_fail(err, -ENOMEM, "out of memory");
	if (json_object_set_new(root, "format", json_string(IO_FORMAT_NAME)) != 0 ||
	    json_object_set_new(root, "version", json_integer(IO_FORMAT_VERSION)) != 0) {
		json_decref(root);
		return io_fail(err, -ENOMEM, "out of memory");
	}

	/* One snapshot for the whole document. */
	rc = rules_store_rd_begin(st, &txnid);
	if (rc != 0) {
		json_decref(root);
		return io_fail(err, rc, "reading the store: %s", rules_strerror(rc));
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
			rc = io_fail(err, errno ? -errno : -EIO, "writing the export: %s",
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
		return io_fail(err, RULES_EPARSE, "%s: must be an object", path);
	for (it = json_object_iter((json_t *)o); it != NULL;
	     it = json_object_iter_next((json_t *)o, it)) {
		k = json_object_iter_key(it);
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return io_fail(err, RULES_EPARSE, "%s%s%s: unknown key", path,
			               *path ? "." : "", k);
	}
	for (i = 0; required[i] != NULL; i++)
		if (json_object_get(o, required[i]) == NULL)
			return io_fail(err, RULES_EPARSE, "%s: missing key \"%s\"",
			               *path ? path : "document", required[i]);
	return 0;
}

/* A string member of o (present: checked by io_json_keys). */
static int io_json_str(const json_t *o, const char *path, const char *key, const char **out,
                       char err[RULES_ERRLEN])
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return io_fail(err, RULES_EPARSE, "%s.%s: must be a string", path, key);
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
		return io_fail(err, RULES_EINVAL,
		               "%s.%s: must be 1..%d printable ASCII characters without spaces",
		               path, key, RULES_ID_MAX);
	io_copy_id(out, s);
	return 0;
}

/* Runs the checks for one array section: a JSON array, elements in order. */
static int io_json_array(const json_t *root, const char *name, size_t *n, char err[RULES_ERRLEN])
{
	json_t *a = json_object_get(root, name);

	if (!json_is_array(a))
		return io_fail(err, RULES_EPARSE, "%s: must be an array", name);
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
		return io_fail(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		el = json_array_get(a, i);
		struct io_lim *l = &s->is_lims[i];

		(void)snprintf(path, sizeof(path), "limits[%zu]", i);
		if ((rc = io_json_keys(el, path, keys, keys, err)) != 0 ||
		    (rc = io_json_str(el, path, "scope", &sc, err)) != 0 ||
		    (rc = io_json_str(el, path, "key", &key, err)) != 0)
			return rc;
		if (rules_scope_parse(sc, &l->il_scope) != 0)
			return io_fail(
			    err, RULES_EINVAL,
			    "%s.scope: unknown scope \"%.64s\" (global, account, symbol, parent)",
			    path, sc);
		if (l->il_scope == RULES_SCOPE_GLOBAL ? *key != '\0' : !rules_id_valid(key))
			return io_fail(
			    err, RULES_EINVAL, "%s.key: %s", path,
			    l->il_scope == RULES_SCOPE_GLOBAL
			        ? "must be \"\" for the global scope"
			        : "must be 1..64 printable ASCII characters without spaces");
		io_copy_id(l->il_key, key);
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
		return io_fail(err, -ENOMEM, "out of memory");
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
		return io_fail(err, -ENOMEM, "out of memory");
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
		return io_fail(err, -ENOMEM, "out of memory");
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
			return io_fail(err, -EIO, "reading the input: %s",
			               strerror(errno ? errno : EIO));
		return io_fail(err, RULES_EPARSE, "JSON line %d column %d: %s", jerr.line,
		               jerr.column, jerr.text);
	}
	if ((rc = io_json_keys(root, "", keys, keys, err)) != 0)
		goto out;
	v = json_object_get(root, "format");
	if (!json_is_string(v) || strcmp(json_string_value(v), IO_FORMAT_NAME) != 0) {
		rc = io_fail(err, RULES_EPARSE, "format: must be \"%s\"", IO_FORMAT_NAME);
		goto out;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v)) {
		rc = io_fail(err, RULES_EPARSE, "version: must be an integer");
		goto out;
	}
	if (json_integer_value(v) != IO_FORMAT_VERSION) {
		rc = io_fail(err, RULES_ESCHEMA,
		             "version: %" JSON_INTEGER_FORMAT
		             " is not supported (this binary reads version %d)",
		             json_integer_value(v), IO_FORMAT_VERSION);
		goto out;
	}
	if ((rc = io_json_limits(root, s, err)) != 0 || (rc = io_json_parents(root, s, err)) != 0 ||
	    (rc = io_json_refpx(root, s, err)) != 0 || (rc = io_json_restricted(root, s, err)) != 0)
		goto out;
	rc = io_check_dups(s, err);
out:
	json_decref(root);
	return rc;
}

int rules_import_json(struct rules_store *st, const struct rules_actor *actor, FILE *in,
                      unsigned flags, char err[RULES_ERRLEN])
{
	struct io_set s = {0};
	int rc;

	rc = io_check_args(st, actor, in, flags, err);
	if (rc != 0)
		return rc;
	rc = io_json_parse(in, &s, err);
	if (rc == 0)
		rc = io_apply(st, actor, &s,
		              (flags & RULES_IMPORT_REPLACE) ? IO_REPLACE_ALL : IO_MERGE, flags,
		              err);
	io_set_free(&s);
	return rc;
}

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
		x->ce_rc = io_fail(x->ce_err, RULES_ECORRUPT, "parent \"%s\": bad side 0x%02x",
		                   p->rp_id, (unsigned char)p->rp_side);
		return x->ce_rc;
	}
	(void)snprintf(qty, sizeof(qty), "%" PRId64, p->rp_qty);
	if ((p->rp_limit_px != 0 && rules_px_format(p->rp_limit_px, lpx, sizeof(lpx)) < 0) ||
	    (p->rp_max_notional != 0 && rules_px_format(p->rp_max_notional, mn, sizeof(mn)) < 0)) {
		x->ce_rc = io_fail(x->ce_err, RULES_ERANGE, "parent \"%s\": cannot format a price",
		                   p->rp_id);
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
		x->ce_rc = io_fail(x->ce_err, errno ? -errno : -EIO, "writing the export: %s",
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
		return io_fail(err, RULES_EINVAL, "invalid argument");
	errno = 0; /* so that a write error's errno, not a stale one, is shown */
	if (fprintf(out, "%s\n", io_csv_header) < 0)
		return io_fail(err, -EIO, "writing the export: %s", strerror(errno ? errno : EIO));
	rc = rules_store_foreach_parent(st, io_csv_exp_parent, &x);
	if (rc != 0)
		return x.ce_rc != 0
		           ? x.ce_rc
		           : io_fail(err, rc, "reading the parents: %s", rules_strerror(rc));
	if (fflush(out) != 0 || ferror(out))
		return io_fail(err, errno ? -errno : -EIO, "writing the export: %s",
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
	return io_fail(err, rc, "line %zu, column %zu (%s): %s", line, col + 1, io_csv_cols[col],
	               why);
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
	io_copy_id(p->rp_id, f[0]);
	io_copy_id(p->rp_account, f[1]);
	io_copy_id(p->rp_symbol, f[2]);
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
		return io_fail(err, rc, "line %zu: %s", line, why);
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
			rc = io_fail(err, RULES_EPARSE, "line %zu: longer than %d bytes", lineno,
			             IO_CSV_LINE_MAX);
			goto out;
		}
		if (lineno == 1 && len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
			rc = io_fail(err, RULES_EPARSE,
			             "line 1: starts with a UTF-8 byte order mark; save the file "
			             "without it");
			goto out;
		}
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c < 0x20 || c > 0x7e) {
				rc = io_fail(err, RULES_EPARSE,
				             "line %zu: invalid byte 0x%02x at offset %zu", lineno,
				             c, i + 1);
				goto out;
			}
		}
		if (lineno == 1) {
			if (strcmp(buf, io_csv_header) != 0) {
				rc = io_fail(err, RULES_EPARSE,
				             "line 1: the header must be exactly \"%s\"",
				             io_csv_header);
				goto out;
			}
			continue;
		}
		if (len == 0) {
			rc = io_fail(err, RULES_EPARSE, "line %zu: empty line", lineno);
			goto out;
		}
		if ((rc = io_csv_split(buf, f, &nf, why, sizeof(why))) != 0) {
			rc = io_fail(err, rc, "line %zu: %s", lineno, why);
			goto out;
		}
		if (io_set_grow(s, &pcap) != 0) {
			rc = io_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		rc = io_csv_parent(f, lineno, &s->is_parents[s->is_nparents], err);
		if (rc != 0)
			goto out;
		s->is_lines[s->is_nparents++] = lineno;
		errno = 0;
	}
	if (ferror(in)) {
		rc = io_fail(err, -EIO, "reading the input: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	if (lineno == 0)
		rc = io_fail(err, RULES_EPARSE, "empty input: the header line is missing");
	else
		rc = io_check_dups(s, err);
out:
	free(buf);
	return rc;
}

int rules_import_parents_csv(struct rules_store *st, const struct rules_actor *actor, FILE *in,
                             unsigned flags, char err[RULES_ERRLEN])
{
	struct io_set s = {0};
	int rc;

	rc = io_check_args(st, actor, in, flags, err);
	if (rc != 0)
		return rc;
	rc = io_csv_parse(in, &s, err);
	if (rc == 0)
		rc = io_apply(st, actor, &s,
		              (flags & RULES_IMPORT_REPLACE) ? IO_REPLACE_PARENTS : IO_MERGE, flags,
		              err);
	io_set_free(&s);
	return rc;
}
