/*
 * io.c - import and export of the whole limit set (JSON, io_json.c) and of
 * the parent registrations (CSV, io_csv.c): what both share, the parsed
 * set, its duplicate check and the write batch. The formats are documented
 * in docs/limits-format.md.
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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "io_impl.h"

/* An optimistic read-then-write (CSV replace) retries this often when
 * another writer commits between its read and its write batch. */
#define IO_RETRIES 8

/* ---- errors -------------------------------------------------------------- */

/* The message quotes the input (a JSON parser's token, a value), which may
 * hold any byte: control characters become \xNN (rules_text_safe()), so
 * that an import file cannot send escape sequences to the operator's
 * terminal (found by tests/fuzz/fuzz_import.c). */
int rules_io_fail(char err[RULES_ERRLEN], int rc, const char *fmt, ...)
{
	char raw[RULES_ERRLEN];
	va_list ap;

	if (err == NULL)
		return rc;
	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	(void)rules_text_safe(err, RULES_ERRLEN, raw);
	return rc;
}

/* ---- the parsed set ------------------------------------------------------ */

void rules_io_set_free(struct io_set *s)
{
	free(s->is_lims);
	free(s->is_parents);
	free(s->is_lines);
	free(s->is_pxs);
	free(s->is_restr);
	memset(s, 0, sizeof(*s));
}

static const char *const io_sec_names[] = {"limits", "parents", "ref_prices", "restricted"};

/* Names element i of a section for an error message: its JSON path
 * ("parents[3]") or, for CSV, its line ("line 5"). */
void rules_io_where(const struct io_set *s, enum io_section sec, size_t i, char *buf, size_t len)
{
	if (sec == IO_SEC_PARENTS && s->is_lines != NULL)
		(void)snprintf(buf, len, "line %zu", s->is_lines[i]);
	else
		(void)snprintf(buf, len, "%s[%zu]", io_sec_names[sec], i);
}

/* Copies an identifier known to be valid (rules_id_valid). */
void rules_io_copy_id(char dst[RULES_ID_MAX + 1], const char *src)
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
int rules_io_check_dups(const struct io_set *s, char err[RULES_ERRLEN])
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
		return rules_io_fail(err, -ENOMEM, "out of memory");

	for (i = 0; i < s->is_nlims; i++)
		k[i] = (struct io_keyed){s->is_lims[i].il_key, (int)s->is_lims[i].il_scope, i};
	if (io_find_dup(k, s->is_nlims, &a, &b)) {
		rules_io_where(s, IO_SEC_LIMITS, a, wa, sizeof(wa));
		rules_io_where(s, IO_SEC_LIMITS, b, wb, sizeof(wb));
		rc = rules_io_fail(
		    err, RULES_EEXIST, "%s: duplicate limits for %s \"%s\" (also at %s)", wb,
		    rules_scope_name(s->is_lims[b].il_scope), s->is_lims[b].il_key, wa);
		goto out;
	}
	for (i = 0; i < s->is_nparents; i++)
		k[i] = (struct io_keyed){s->is_parents[i].rp_id, -1, i};
	if (io_find_dup(k, s->is_nparents, &a, &b)) {
		rules_io_where(s, IO_SEC_PARENTS, a, wa, sizeof(wa));
		rules_io_where(s, IO_SEC_PARENTS, b, wb, sizeof(wb));
		rc = rules_io_fail(err, RULES_EEXIST, "%s: duplicate parent id \"%s\" (also at %s)",
		                   wb, s->is_parents[b].rp_id, wa);
		goto out;
	}
	for (i = 0; i < s->is_npxs; i++)
		k[i] = (struct io_keyed){s->is_pxs[i].ip_symbol, -1, i};
	if (io_find_dup(k, s->is_npxs, &a, &b)) {
		rc = rules_io_fail(
		    err, RULES_EEXIST,
		    "ref_prices[%zu]: duplicate symbol \"%s\" (also at ref_prices[%zu])", b,
		    s->is_pxs[b].ip_symbol, a);
		goto out;
	}
	for (i = 0; i < s->is_nrestr; i++)
		k[i] = (struct io_keyed){s->is_restr[i].ir_symbol, -1, i};
	if (io_find_dup(k, s->is_nrestr, &a, &b)) {
		rc = rules_io_fail(
		    err, RULES_EEXIST,
		    "restricted[%zu]: duplicate symbol \"%s\" (also at restricted[%zu])", b,
		    s->is_restr[b].ir_symbol, a);
		goto out;
	}
out:
	free(k);
	return rc;
}

/* ---- writing a set ------------------------------------------------------- */

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
	rules_io_copy_id(ids->ii_ids[ids->ii_n++], p->rp_id);
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
			rules_io_where(s, IO_SEC_LIMITS, i, w, sizeof(w));
			return rules_io_fail(err, rc, "%s: %s", w, e);
		}
	}
	for (i = 0; i < s->is_nparents; i++) {
		rc = rules_wr_put_parent(wr, actor, &s->is_parents[i], e);
		if (rc != 0) {
			rules_io_where(s, IO_SEC_PARENTS, i, w, sizeof(w));
			return rules_io_fail(err, rc, "%s: %s", w, e);
		}
	}
	for (i = 0; i < s->is_npxs; i++) {
		rc = rules_wr_put_refpx(wr, actor, s->is_pxs[i].ip_symbol, s->is_pxs[i].ip_px, e);
		if (rc != 0)
			return rules_io_fail(err, rc, "ref_prices[%zu]: %s", i, e);
	}
	for (i = 0; i < s->is_nrestr; i++) {
		rc = rules_wr_put_restricted(wr, actor, s->is_restr[i].ir_symbol,
		                             s->is_restr[i].ir_reason, e);
		if (rc != 0)
			return rules_io_fail(err, rc, "restricted[%zu]: %s", i, e);
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
			return rules_io_fail(err, rc, "deleting parent \"%s\": %s", id, e);
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
int rules_io_apply(struct rules_store *st, const struct rules_actor *actor, const struct io_set *s,
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
			return rules_io_fail(err, -ENOMEM, "out of memory");
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
				rc = rules_io_fail(err, rc, "reading the store: %s",
				                   rules_strerror(rc));
				goto out;
			}
			rc = rules_store_foreach_parent(st, io_ids_add, &ids);
			rules_store_rd_end(st);
			if (rc != 0) {
				rc = rules_io_fail(err, rc, "reading the parents: %s",
				                   rules_strerror(rc));
				goto out;
			}
		}
		rc = rules_store_wr_begin(st, &wr, e);
		if (rc != 0) {
			rc = rules_io_fail(err, rc, "%s", e);
			goto out;
		}
		if (mode != IO_REPLACE_PARENTS || rules_store_last_txnid(st) == seen)
			break;
		rules_wr_abort(wr); /* someone committed in between: read again */
		wr = NULL;
	}
	if (wr == NULL) {
		rc = rules_io_fail(err, RULES_ESTORE,
		                   "the store kept changing during the import: try again");
		goto out;
	}

	if (mode == IO_REPLACE_ALL) {
		rc = rules_wr_clear(wr, actor, e);
		if (rc != 0) {
			rc = rules_io_fail(err, rc, "clearing the store: %s", e);
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
		rc = rules_io_fail(err, rc, "commit: %s", e);
out:
	if (wr != NULL)
		rules_wr_abort(wr);
	free(ids.ii_ids);
	free(sorted);
	return rc;
}

/* Checks the actor and flags common to every import. */
int rules_io_check_args(struct rules_store *st, const struct rules_actor *actor, void *stream,
                        unsigned flags, char err[RULES_ERRLEN])
{
	char e[RULES_ERRLEN];
	int rc;

	if (st == NULL || actor == NULL || stream == NULL)
		return rules_io_fail(err, RULES_EINVAL, "invalid argument");
	if (flags & ~(RULES_IMPORT_REPLACE | RULES_IMPORT_DRYRUN))
		return rules_io_fail(err, RULES_EINVAL, "unknown import flags 0x%x", flags);
	rc = rules_actor_validate(actor, e);
	if (rc != 0)
		return rules_io_fail(err, rc, "%s", e);
	return 0;
}
