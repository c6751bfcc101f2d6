/*
 * store_wr.c - write batches on rules.mdb (store.h, "writing").
 *
 * A batch is one LMDB write transaction. Each put/del validates everything
 * first (a refusal writes nothing and leaves the batch usable), then writes
 * the record and its audit record. Any LMDB failure after that kills the
 * batch: LMDB refuses further use of a failed transaction, and a commit of
 * half a change must be impossible.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lmdb.h>

#include "recjson.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "store_impl.h"

struct rules_wr {
	struct rules_store *wr_st;
	MDB_txn *wr_txn;
	uint64_t wr_seq;             /* last audit seq in this transaction */
	int wr_dead;                 /* non-zero: the error that killed the batch */
	struct rules_audit wr_audit; /* scratch for the audit record (2.5 KiB) */
};

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, RULES_ERRLEN, fmt, ap);
	va_end(ap);
}

int rules_store_wr_begin(struct rules_store *st, struct rules_wr **out, char err[RULES_ERRLEN])
{
	struct rules_wr *wr;
	MDB_cursor *cur;
	MDB_val k, v;
	const char *why;
	int rc;

	*out = NULL;
	if (st->st_rdonly) {
		seterr(err, "rules store is open read-only");
		return RULES_EINVAL;
	}
	if (st->st_wr != NULL) {
		seterr(err, "a write batch is already open on this store");
		return RULES_EINVAL;
	}
	if ((wr = calloc(1, sizeof(*wr))) == NULL) {
		seterr(err, "out of memory");
		return -ENOMEM;
	}
	wr->wr_st = st;
	rc = mdb_txn_begin(st->st_env, NULL, 0, &wr->wr_txn);
	if (rc == MDB_MAP_RESIZED && st->st_rdepth == 0) {
		/* Another process grew the map: take its size and retry. */
		if (mdb_env_set_mapsize(st->st_env, 0) == 0)
			rc = mdb_txn_begin(st->st_env, NULL, 0, &wr->wr_txn);
	}
	if (rc != 0) {
		seterr(err, "cannot begin a write transaction: %s", mdb_strerror(rc));
		free(wr);
		return rules_mdb_err(rc);
	}
	/* The audit log continues from its last record. */
	if ((rc = mdb_cursor_open(wr->wr_txn, st->st_dbi[RULES_DB_AUDIT], &cur)) != 0)
		goto fail;
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc == 0) {
		if (rules_rec_seq_key_dec(k.mv_data, k.mv_size, &wr->wr_seq, &why) != 0) {
			seterr(err, "audit log: %s", why);
			mdb_txn_abort(wr->wr_txn);
			free(wr);
			return RULES_ECORRUPT;
		}
	} else if (rc != MDB_NOTFOUND) {
		goto fail;
	}
	st->st_wr = wr;
	*out = wr;
	return 0;
fail:
	seterr(err, "cannot begin a write transaction: %s", mdb_strerror(rc));
	mdb_txn_abort(wr->wr_txn);
	free(wr);
	return rules_mdb_err(rc);
}

/* A batch that can take another write. */
static int wr_usable(struct rules_wr *wr, const struct rules_actor *actor, char *err)
{
	if (wr == NULL) {
		seterr(err, "no write batch");
		return RULES_EINVAL;
	}
	if (wr->wr_dead != 0) {
		seterr(err, "write batch failed earlier (%s): abort it",
		    rules_strerror(wr->wr_dead));
		return wr->wr_dead;
	}
	return rules_actor_validate(actor, err);
}

/* Turns an LMDB failure during a write into our code and kills the batch:
 * LMDB refuses any further use of a transaction that failed. */
static int wr_fail(struct rules_wr *wr, int rc, const char *what, char *err)
{
	int code = rules_mdb_err(rc);

	if (rc == MDB_MAP_FULL)
		seterr(err, "rules store full (map size %zu bytes)",
		    rules_store_map_size(wr->wr_st));
	else if (rc == MDB_TXN_FULL)
		seterr(err, "rules store: too many changes in one write batch");
	else if (rc == ENOSPC || rc == EDQUOT)
		seterr(err, "rules store: disk full");
	else
		seterr(err, "%s: %s", what, mdb_strerror(rc));
	wr->wr_dead = code;
	return code;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Writes (val != NULL) or deletes (val == NULL) key in db, then the audit
 * record for it. All validation is done by the caller: an error here is
 * LMDB's, and kills the batch.
 */
static int wr_apply(struct rules_wr *wr, enum rules_db db, const void *key, size_t klen,
    const void *val, size_t vlen, const struct rules_actor *actor, const char *what,
    const char *old, const char *new, char *err)
{
	struct rules_audit *a = &wr->wr_audit;
	uint8_t buf[RULES_REC_BUFLEN], kb[8];
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
	int rc;

	if (db != RULES_DB_COUNT) {
		if (val != NULL)
			rc = mdb_put(wr->wr_txn, wr->wr_st->st_dbi[db], &k, &v, 0);
		else
			rc = mdb_del(wr->wr_txn, wr->wr_st->st_dbi[db], &k, NULL);
		if (rc != 0)
			return wr_fail(wr, rc, what, err);
	}
	memset(a, 0, sizeof(*a));
	a->ra_seq = wr->wr_seq + 1;
	a->ra_when_ms = now_ms();
	snprintf(a->ra_who, sizeof(a->ra_who), "%s", actor->ra_who);
	snprintf(a->ra_what, sizeof(a->ra_what), "%s", what);
	snprintf(a->ra_old, sizeof(a->ra_old), "%s", old);
	snprintf(a->ra_new, sizeof(a->ra_new), "%s", new);
	snprintf(a->ra_reason, sizeof(a->ra_reason), "%s", actor->ra_reason);
	rules_rec_seq_key(kb, a->ra_seq);
	k.mv_data = kb;
	k.mv_size = sizeof(kb);
	v.mv_data = buf;
	v.mv_size = rules_rec_enc_audit(buf, a);
	if ((rc = mdb_put(wr->wr_txn, wr->wr_st->st_dbi[RULES_DB_AUDIT], &k, &v, MDB_APPEND)) != 0)
		return wr_fail(wr, rc, "audit", err);
	wr->wr_seq = a->ra_seq;
	return 0;
}

/*
 * Looks key up in the batch's transaction. Returns 0 (v set),
 * RULES_ENOTFOUND, or a failure (which kills the batch).
 */
static int wr_lookup(struct rules_wr *wr, enum rules_db db, const void *key, size_t klen,
    MDB_val *v, const char *what, char *err)
{
	MDB_val k = {klen, (void *)key};
	int rc = mdb_get(wr->wr_txn, wr->wr_st->st_dbi[db], &k, v);

	if (rc == MDB_NOTFOUND)
		return RULES_ENOTFOUND;
	if (rc != 0)
		return wr_fail(wr, rc, what, err);
	return 0;
}

/* The audit "what" for a limits record. */
static void limits_what(char what[RULES_AUDIT_WHAT_MAX + 1], enum rules_scope scope,
    const char *key)
{
	if (scope == RULES_SCOPE_GLOBAL)
		snprintf(what, RULES_AUDIT_WHAT_MAX + 1, "limits/global");
	else
		snprintf(what, RULES_AUDIT_WHAT_MAX + 1, "limits/%s/%s", rules_scope_name(scope),
		    key);
}

static int check_limits_key(enum rules_scope scope, const char *key, uint8_t kb[RULES_REC_KEYLEN],
    size_t *klen, char *err)
{
	if ((unsigned)scope >= RULES_SCOPE_COUNT) {
		seterr(err, "scope: unknown scope %d", (int)scope);
		return RULES_EINVAL;
	}
	if (scope == RULES_SCOPE_GLOBAL && key != NULL && *key != '\0') {
		seterr(err, "key: global limits take no key");
		return RULES_EINVAL;
	}
	if (scope != RULES_SCOPE_GLOBAL && !rules_id_valid(key)) {
		seterr(err, "key: %s must be 1..%d printable ASCII characters",
		    rules_scope_name(scope), RULES_ID_MAX);
		return RULES_EINVAL;
	}
	rules_store_limits_key(kb, klen, scope, key);
	return 0;
}

/* Audit JSON of the value now stored under key in db, "" if there is none.
 * Returns 0, or RULES_ECORRUPT / a batch-killing failure. */
static int old_text(struct rules_wr *wr, enum rules_db db, const void *key, size_t klen,
    char old[RULES_AUDIT_VAL_MAX + 1], bool *found, const char *what, char *err)
{
	const char *why = "bad record";
	MDB_val v;
	int rc;

	old[0] = '\0';
	*found = false;
	rc = wr_lookup(wr, db, key, klen, &v, what, err);
	if (rc == RULES_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	*found = true;
	switch (db) {
	case RULES_DB_LIMITS: {
		struct rules_limits l;

		if ((rc = rules_rec_dec_limits(v.mv_data, v.mv_size, &l, &why)) == 0)
			rc = rules_limits_json_text(&l, old, RULES_AUDIT_VAL_MAX + 1);
		break;
	}
	case RULES_DB_PARENTS: {
		struct rules_parent p;

		if ((rc = rules_rec_dec_parent(v.mv_data, v.mv_size, &p, &why)) == 0)
			rc = rules_parent_json_text(&p, old, RULES_AUDIT_VAL_MAX + 1);
		break;
	}
	case RULES_DB_REFPX: {
		int64_t px;

		if ((rc = rules_rec_dec_refpx(v.mv_data, v.mv_size, &px, &why)) == 0)
			rc = rules_refpx_json_text(px, old, RULES_AUDIT_VAL_MAX + 1);
		break;
	}
	case RULES_DB_RESTRICTED: {
		char r[RULES_REASON_MAX + 1];

		if ((rc = rules_rec_dec_restricted(v.mv_data, v.mv_size, r, &why)) == 0)
			rc = rules_restricted_json_text(r, old, RULES_AUDIT_VAL_MAX + 1);
		break;
	}
	default:
		rc = RULES_EINVAL;
		break;
	}
	if (rc == RULES_ECORRUPT) {
		seterr(err, "%s: stored record is corrupt: %s", what, why);
		return rc;
	}
	if (rc < 0) {
		seterr(err, "%s: cannot render the stored record: %s", what, rules_strerror(rc));
		return rc;
	}
	return 0;
}

int rules_wr_put_limits(struct rules_wr *wr, const struct rules_actor *actor,
    enum rules_scope scope, const char *key, const struct rules_limits *lim,
    char err[RULES_ERRLEN])
{
	char what[RULES_AUDIT_WHAT_MAX + 1];
	char old[RULES_AUDIT_VAL_MAX + 1], new[RULES_AUDIT_VAL_MAX + 1];
	uint8_t kb[RULES_REC_KEYLEN], buf[RULES_REC_BUFLEN];
	size_t klen;
	bool found;
	int rc;

	if ((rc = wr_usable(wr, actor, err)) != 0 ||
	    (rc = check_limits_key(scope, key, kb, &klen, err)) != 0 ||
	    (rc = rules_limits_validate(lim, err)) != 0)
		return rc;
	if ((rc = rules_limits_json_text(lim, new, sizeof(new))) < 0) {
		seterr(err, "limits: cannot render: %s", rules_strerror(rc));
		return rc;
	}
	limits_what(what, scope, key);
	if ((rc = old_text(wr, RULES_DB_LIMITS, kb, klen, old, &found, what, err)) != 0)
		return rc;
	return wr_apply(wr, RULES_DB_LIMITS, kb, klen, buf, rules_rec_enc_limits(buf, lim), actor,
	    what, old, new, err);
}

int rules_wr_del_limits(struct rules_wr *wr, const struct rules_actor *actor,
    enum rules_scope scope, const char *key, char err[RULES_ERRLEN])
{
	char what[RULES_AUDIT_WHAT_MAX + 1], old[RULES_AUDIT_VAL_MAX + 1];
	uint8_t kb[RULES_REC_KEYLEN];
	size_t klen;
	bool found;
	int rc;

	if ((rc = wr_usable(wr, actor, err)) != 0 ||
	    (rc = check_limits_key(scope, key, kb, &klen, err)) != 0)
		return rc;
	limits_what(what, scope, key);
	if ((rc = old_text(wr, RULES_DB_LIMITS, kb, klen, old, &found, what, err)) != 0)
		return rc;
	if (!found) {
		seterr(err, "%s: not found", what);
		return RULES_ENOTFOUND;
	}
	return wr_apply(wr, RULES_DB_LIMITS, kb, klen, NULL, 0, actor, what, old, "", err);
}

int rules_wr_put_parent(struct rules_wr *wr, const struct rules_actor *actor,
    const struct rules_parent *p, char err[RULES_ERRLEN])
{
	char what[RULES_AUDIT_WHAT_MAX + 1];
	char old[RULES_AUDIT_VAL_MAX + 1], new[RULES_AUDIT_VAL_MAX + 1];
	uint8_t buf[RULES_REC_BUFLEN];
	bool found;
	int rc;

	if ((rc = wr_usable(wr, actor, err)) != 0 || (rc = rules_parent_validate(p, err)) != 0)
		return rc;
	if ((rc = rules_parent_json_text(p, new, sizeof(new))) < 0) {
		seterr(err, "parent: cannot render: %s", rules_strerror(rc));
		return rc;
	}
	snprintf(what, sizeof(what), "parents/%s", p->rp_id);
	rc = old_text(wr, RULES_DB_PARENTS, p->rp_id, strlen(p->rp_id), old, &found, what, err);
	if (rc != 0)
		return rc;
	return wr_apply(wr, RULES_DB_PARENTS, p->rp_id, strlen(p->rp_id), buf,
	    rules_rec_enc_parent(buf, p), actor, what, old, new, err);
}

/* Deletes id from db (parents, refpx, restricted) with its audit record. */
static int wr_del_id(struct rules_wr *wr, const struct rules_actor *actor, enum rules_db db,
    const char *field, const char *id, char *err)
{
	char what[RULES_AUDIT_WHAT_MAX + 1], old[RULES_AUDIT_VAL_MAX + 1];
	bool found;
	int rc;

	if ((rc = wr_usable(wr, actor, err)) != 0)
		return rc;
	if (!rules_id_valid(id)) {
		seterr(err, "%s: must be 1..%d printable ASCII characters", field, RULES_ID_MAX);
		return RULES_EINVAL;
	}
	snprintf(what, sizeof(what), "%s/%s", rules_db_names[db], id);
	if ((rc = old_text(wr, db, id, strlen(id), old, &found, what, err)) != 0)
		return rc;
	if (!found) {
		seterr(err, "%s: not found", what);
		return RULES_ENOTFOUND;
	}
	return wr_apply(wr, db, id, strlen(id), NULL, 0, actor, what, old, "", err);
}

int rules_wr_del_parent(struct rules_wr *wr, const struct rules_actor *actor, const char *id,
    char err[RULES_ERRLEN])
{
	return wr_del_id(wr, actor, RULES_DB_PARENTS, "id", id, err);
}

int rules_wr_put_refpx(struct rules_wr *wr, const struct rules_actor *actor, const char *symbol,
    int64_t px, char err[RULES_ERRLEN])
{
	char what[RULES_AUDIT_WHAT_MAX + 1];
	char old[RULES_AUDIT_VAL_MAX + 1], new[RULES_AUDIT_VAL_MAX + 1];
	uint8_t buf[RULES_REC_BUFLEN];
	bool found;
	int rc;

	if ((rc = wr_usable(wr, actor, err)) != 0)
		return rc;
	if (!rules_id_valid(symbol)) {
		seterr(err, "symbol: must be 1..%d printable ASCII characters", RULES_ID_MAX);
		return RULES_EINVAL;
	}
	if (px <= 0) {
		seterr(err, "px: must be > 0");
		return RULES_ERANGE;
	}
	if ((rc = rules_refpx_json_text(px, new, sizeof(new))) < 0) {
		seterr(err, "px: cannot render: %s", rules_strerror(rc));
		return rc;
	}
	snprintf(what, sizeof(what), "refpx/%s", symbol);
	rc = old_text(wr, RULES_DB_REFPX, symbol, strlen(symbol), old, &found, what, err);
	if (rc != 0)
		return rc;
	return wr_apply(wr, RULES_DB_REFPX, symbol, strlen(symbol), buf,
	    rules_rec_enc_refpx(buf, px), actor, what, old, new, err);
}

int rules_wr_del_refpx(struct rules_wr *wr, const struct rules_actor *actor, const char *symbol,
    char err[RULES_ERRLEN])
{
	return wr_del_id(wr, actor, RULES_DB_REFPX, "symbol", symbol, err);
}

int rules_wr_put_restricted(struct rules_wr *wr, const struct rules_actor *actor,
    const char *symbol, const char *why, char err[RULES_ERRLEN])
{
	char what[RULES_AUDIT_WHAT_MAX + 1];
	char old[RULES_AUDIT_VAL_MAX + 1], new[RULES_AUDIT_VAL_MAX + 1];
	uint8_t buf[RULES_REC_BUFLEN];
	bool found;
	int rc;

	if ((rc = wr_usable(wr, actor, err)) != 0)
		return rc;
	if (!rules_id_valid(symbol)) {
		seterr(err, "symbol: must be 1..%d printable ASCII characters", RULES_ID_MAX);
		return RULES_EINVAL;
	}
	if (!rules_reason_valid(why)) {
		seterr(err, "reason: must be 1..%d bytes of UTF-8 text without control characters",
		    RULES_REASON_MAX);
		return RULES_EINVAL;
	}
	if ((rc = rules_restricted_json_text(why, new, sizeof(new))) < 0) {
		seterr(err, "reason: cannot render: %s", rules_strerror(rc));
		return rc;
	}
	snprintf(what, sizeof(what), "restricted/%s", symbol);
	rc = old_text(wr, RULES_DB_RESTRICTED, symbol, strlen(symbol), old, &found, what, err);
	if (rc != 0)
		return rc;
	return wr_apply(wr, RULES_DB_RESTRICTED, symbol, strlen(symbol), buf,
	    rules_rec_enc_restricted(buf, why), actor, what, old, new, err);
}

int rules_wr_del_restricted(struct rules_wr *wr, const struct rules_actor *actor,
    const char *symbol, char err[RULES_ERRLEN])
{
	return wr_del_id(wr, actor, RULES_DB_RESTRICTED, "symbol", symbol, err);
}

int rules_wr_clear(struct rules_wr *wr, const struct rules_actor *actor, char err[RULES_ERRLEN])
{
	static const enum rules_db cleared[] = {RULES_DB_LIMITS, RULES_DB_PARENTS, RULES_DB_REFPX,
	    RULES_DB_RESTRICTED};
	char old[RULES_AUDIT_VAL_MAX + 1];
	size_t n[4];
	MDB_stat ms;
	int rc;

	if ((rc = wr_usable(wr, actor, err)) != 0)
		return rc;
	for (size_t i = 0; i < 4; i++) {
		if ((rc = mdb_stat(wr->wr_txn, wr->wr_st->st_dbi[cleared[i]], &ms)) != 0)
			return wr_fail(wr, rc, "clear", err);
		n[i] = ms.ms_entries;
	}
	/* The old value of a clear is what it removed, counted. */
	snprintf(old, sizeof(old),
	    "{\"limits\":%zu,\"parents\":%zu,\"refpx\":%zu,\"restricted\":%zu}", n[0], n[1],
	    n[2], n[3]);
	for (size_t i = 0; i < 4; i++)
		if ((rc = mdb_drop(wr->wr_txn, wr->wr_st->st_dbi[cleared[i]], 0)) != 0)
			return wr_fail(wr, rc, "clear", err);
	return wr_apply(wr, RULES_DB_COUNT, NULL, 0, NULL, 0, actor, "clear", old, "", err);
}

static void wr_free(struct rules_wr *wr)
{
	wr->wr_st->st_wr = NULL;
	free(wr);
}

int rules_wr_commit(struct rules_wr *wr, char err[RULES_ERRLEN])
{
	int rc;

	if (wr == NULL) {
		seterr(err, "no write batch");
		return RULES_EINVAL;
	}
	if (wr->wr_dead != 0) {
		rc = wr->wr_dead;
		seterr(err, "write batch failed earlier (%s): nothing committed",
		    rules_strerror(rc));
		mdb_txn_abort(wr->wr_txn);
		wr_free(wr);
		return rc;
	}
	/* mdb_txn_commit() frees the transaction whatever it returns. */
	rc = mdb_txn_commit(wr->wr_txn);
	if (rc != 0) {
		if (rc == MDB_MAP_FULL)
			seterr(err, "rules store full (map size %zu bytes), nothing committed",
			    rules_store_map_size(wr->wr_st));
		else if (rc == ENOSPC || rc == EDQUOT)
			seterr(err, "rules store: disk full, nothing committed");
		else
			seterr(err, "commit: %s, nothing committed", mdb_strerror(rc));
		rc = rules_mdb_err(rc);
	}
	wr_free(wr);
	return rc;
}

void rules_wr_abort(struct rules_wr *wr)
{
	if (wr == NULL)
		return;
	mdb_txn_abort(wr->wr_txn);
	wr_free(wr);
}
