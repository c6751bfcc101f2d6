/*
 * store.c - rules.mdb on LMDB (store.h).
 *
 * One environment, one file (MDB_NOSUBDIR), six named databases. The store
 * keeps one read transaction for its whole life: it is reset between uses
 * and renewed for the next, so a read allocates nothing. MDB_NOTLS ties the
 * reader slot to that transaction instead of the thread, which lets a write
 * batch and the read transaction coexist in one thread.
 *
 * Records are encoded and checked by record.c. This file opens and verifies
 * the store and reads it; store_wr.c writes it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "record.h"
#include "rules.h"
#include "store.h"
#include "store_impl.h"

#define STORE_MAPSIZE_DEFAULT ((size_t)64 << 20)
#define STORE_FILE_MODE 0660 /* the lock file too: readers write their slot */

const char *const rules_db_names[RULES_DB_COUNT] = {
	[RULES_DB_META] = "meta",
	[RULES_DB_LIMITS] = "limits",
	[RULES_DB_PARENTS] = "parents",
	[RULES_DB_REFPX] = "refpx",
	[RULES_DB_RESTRICTED] = "restricted",
	[RULES_DB_AUDIT] = "audit",
};

#define META_SCHEMA "schema_version"

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

size_t rules_store_map_size(const struct rules_store *st)
{
	MDB_envinfo info;

	if (mdb_env_info(st->st_env, &info) != 0)
		return 0;
	return info.me_mapsize;
}

/* ---- the read transaction ---------------------------------------------------- */

/* Renews st_rtxn, adopting a map grown by another process if needed. */
static int rtxn_renew(struct rules_store *st)
{
	int rc = mdb_txn_renew(st->st_rtxn);

	if (rc == MDB_MAP_RESIZED && st->st_wr == NULL) {
		/* Another process grew the map: take its size and retry. */
		if (mdb_env_set_mapsize(st->st_env, 0) == 0)
			rc = mdb_txn_renew(st->st_rtxn);
	}
	return rc == 0 ? 0 : RULES_ESTORE;
}

/* Starts using the read snapshot: the current one if there is one. */
static int rd_enter(struct rules_store *st)
{
	int rc;

	if (st->st_rdepth > 0) {
		st->st_rdepth++;
		return 0;
	}
	if ((rc = rtxn_renew(st)) != 0)
		return rc;
	st->st_rdepth = 1;
	return 0;
}

static void rd_leave(struct rules_store *st)
{
	if (st->st_rdepth > 0 && --st->st_rdepth == 0)
		mdb_txn_reset(st->st_rtxn);
}

int rules_store_rd_begin(struct rules_store *st, uint64_t *txnid)
{
	int rc;

	rules_store_rd_end(st);
	if ((rc = rd_enter(st)) != 0)
		return rc;
	st->st_rd = true;
	if (txnid != NULL)
		*txnid = (uint64_t)mdb_txn_id(st->st_rtxn);
	return 0;
}

void rules_store_rd_end(struct rules_store *st)
{
	if (st->st_rd) {
		st->st_rd = false;
		rd_leave(st);
	}
}

uint64_t rules_store_last_txnid(struct rules_store *st)
{
	MDB_envinfo info;

	if (mdb_env_info(st->st_env, &info) != 0)
		return 0;
	return (uint64_t)info.me_last_txnid;
}

/* ---- verification ---------------------------------------------------------------- */

/* Decodes one record of database db; fills err with where it failed.
 * audit is scratch space for an audit record. */
static int check_record(enum rules_db db, const MDB_val *k, const MDB_val *v,
    struct rules_audit *audit, char *err)
{
	char id[RULES_ID_MAX + 1];
	const char *why = NULL;
	enum rules_scope scope;
	int rc = 0;

	switch (db) {
	case RULES_DB_META: {
		uint32_t x;

		if (k->mv_size != strlen(META_SCHEMA) ||
		    memcmp(k->mv_data, META_SCHEMA, k->mv_size) != 0) {
			why = "unknown meta key";
			rc = RULES_ECORRUPT;
			break;
		}
		rc = rules_rec_dec_u32(v->mv_data, v->mv_size, &x, &why);
		break;
	}
	case RULES_DB_LIMITS: {
		struct rules_limits l;

		rc = rules_rec_limits_key_dec(k->mv_data, k->mv_size, &scope, id, &why);
		if (rc == 0)
			rc = rules_rec_dec_limits(v->mv_data, v->mv_size, &l, &why);
		break;
	}
	case RULES_DB_PARENTS: {
		struct rules_parent p;

		rc = rules_rec_id_key_dec(k->mv_data, k->mv_size, id, &why);
		if (rc == 0)
			rc = rules_rec_dec_parent(v->mv_data, v->mv_size, &p, &why);
		if (rc == 0 && strcmp(p.rp_id, id) != 0) {
			why = "parent record under another id's key";
			rc = RULES_ECORRUPT;
		}
		break;
	}
	case RULES_DB_REFPX: {
		int64_t px;

		rc = rules_rec_id_key_dec(k->mv_data, k->mv_size, id, &why);
		if (rc == 0)
			rc = rules_rec_dec_refpx(v->mv_data, v->mv_size, &px, &why);
		break;
	}
	case RULES_DB_RESTRICTED:
		rc = rules_rec_id_key_dec(k->mv_data, k->mv_size, id, &why);
		if (rc == 0)
			rc = rules_rec_dec_restricted(v->mv_data, v->mv_size, NULL, &why);
		break;
	case RULES_DB_AUDIT: {
		uint64_t seq = 0;

		rc = rules_rec_seq_key_dec(k->mv_data, k->mv_size, &seq, &why);
		if (rc == 0)
			rc = rules_rec_dec_audit(v->mv_data, v->mv_size, audit, &why);
		if (rc == 0 && audit->ra_seq != seq) {
			why = "audit record under another seq's key";
			rc = RULES_ECORRUPT;
		}
		break;
	}
	case RULES_DB_COUNT:
		break;
	}
	if (rc != 0)
		seterr(err, "database '%s': %s", rules_db_names[db], why ? why : "bad record");
	return rc;
}

/* Walks every record of every database in txn and decodes it. */
static int verify_records(struct rules_store *st, MDB_txn *txn, const char *path, char *err)
{
	for (int db = 0; db < RULES_DB_COUNT; db++) {
		MDB_cursor *cur;
		MDB_val k, v;
		size_t nrec = 0;
		int rc;

		if ((rc = mdb_cursor_open(txn, st->st_dbi[db], &cur)) != 0) {
			seterr(err, "%s: %s", path, mdb_strerror(rc));
			return rules_mdb_err(rc);
		}
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			char why[RULES_ERRLEN];

			nrec++;
			if (check_record((enum rules_db)db, &k, &v, &st->st_audit, why) != 0) {
				mdb_cursor_close(cur);
				/* check_record names the database; add the record number */
				seterr(err, "%s: corrupt: %s (record #%zu)", path, why, nrec);
				return RULES_ECORRUPT;
			}
		}
		mdb_cursor_close(cur);
		if (rc != MDB_NOTFOUND) {
			seterr(err, "%s: database '%s': %s", path, rules_db_names[db],
			    mdb_strerror(rc));
			return rules_mdb_err(rc);
		}
	}
	return 0;
}

/* Only our databases may be named in the main database. */
static int verify_main(MDB_txn *txn, const char *path, char *err)
{
	MDB_cursor *cur;
	MDB_dbi main_dbi;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, main_dbi, &cur)) != 0) {
		seterr(err, "%s: %s", path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		bool known = false;

		for (int db = 0; db < RULES_DB_COUNT; db++)
			if (k.mv_size == strlen(rules_db_names[db]) &&
			    memcmp(k.mv_data, rules_db_names[db], k.mv_size) == 0)
				known = true;
		if (!known) {
			mdb_cursor_close(cur);
			seterr(err, "%s: corrupt: unknown database '%.*s'", path,
			    (int)(k.mv_size > 32 ? 32 : k.mv_size), (const char *)k.mv_data);
			return RULES_ECORRUPT;
		}
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		seterr(err, "%s: %s", path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	return 0;
}

/* Opens the named databases in a read transaction, checks the schema version
 * and every record; commits (keeping the handles) on success. */
static int verify(struct rules_store *st, const char *path, char *err)
{
	const char *why = NULL;
	uint32_t version;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_txn_begin(st->st_env, NULL, MDB_RDONLY, &txn)) != 0) {
		seterr(err, "%s: %s", path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	/* The schema first: a newer file may have other databases. */
	rc = mdb_dbi_open(txn, rules_db_names[RULES_DB_META], 0, &st->st_dbi[RULES_DB_META]);
	if (rc != 0) {
		seterr(err, "%s: corrupt: no '%s' database (%s)", path,
		    rules_db_names[RULES_DB_META], mdb_strerror(rc));
		rc = rc == MDB_NOTFOUND ? RULES_ECORRUPT : rules_mdb_err(rc);
		goto fail;
	}
	k.mv_data = (void *)META_SCHEMA;
	k.mv_size = strlen(META_SCHEMA);
	if ((rc = mdb_get(txn, st->st_dbi[RULES_DB_META], &k, &v)) != 0) {
		seterr(err, "%s: corrupt: no schema_version (%s)", path, mdb_strerror(rc));
		rc = rc == MDB_NOTFOUND ? RULES_ECORRUPT : rules_mdb_err(rc);
		goto fail;
	}
	if ((rc = rules_rec_dec_u32(v.mv_data, v.mv_size, &version, &why)) != 0) {
		seterr(err, "%s: corrupt: schema_version: %s", path, why);
		goto fail;
	}
	if (version > RULES_SCHEMA_VERSION) {
		seterr(err, "%s schema %u is newer than this binary's %u", path, (unsigned)version,
		    (unsigned)RULES_SCHEMA_VERSION);
		rc = RULES_ESCHEMA;
		goto fail;
	}
	if (version != RULES_SCHEMA_VERSION) {
		seterr(err, "%s: corrupt: schema_version %u", path, (unsigned)version);
		rc = RULES_ECORRUPT;
		goto fail;
	}
	for (int db = 1; db < RULES_DB_COUNT; db++) {
		if ((rc = mdb_dbi_open(txn, rules_db_names[db], 0, &st->st_dbi[db])) != 0) {
			seterr(err, "%s: corrupt: no '%s' database (%s)", path, rules_db_names[db],
			    mdb_strerror(rc));
			rc = rc == MDB_NOTFOUND ? RULES_ECORRUPT : rules_mdb_err(rc);
			goto fail;
		}
	}
	if ((rc = verify_main(txn, path, err)) != 0 ||
	    (rc = verify_records(st, txn, path, err)) != 0)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0) {
		seterr(err, "%s: %s", path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

/* Creates the databases and writes the schema version, in a file whose main
 * database is empty (new, or created by a run that died before this). */
static int initialise(struct rules_store *st, const char *path, char *err)
{
	uint8_t buf[RULES_REC_BUFLEN];
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_txn_begin(st->st_env, NULL, 0, &txn)) != 0)
		goto fail_notxn;
	for (int db = 0; db < RULES_DB_COUNT; db++)
		if ((rc = mdb_dbi_open(txn, rules_db_names[db], MDB_CREATE, &st->st_dbi[db])) != 0)
			goto fail;
	k.mv_data = (void *)META_SCHEMA;
	k.mv_size = strlen(META_SCHEMA);
	v.mv_data = buf;
	v.mv_size = rules_rec_enc_u32(buf, RULES_SCHEMA_VERSION);
	if ((rc = mdb_put(txn, st->st_dbi[RULES_DB_META], &k, &v, MDB_NOOVERWRITE)) != 0)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail_notxn;
	return 0;
fail:
	mdb_txn_abort(txn);
fail_notxn:
	seterr(err, "%s: cannot initialise: %s", path, mdb_strerror(rc));
	return rules_mdb_err(rc);
}

/* Number of entries in the main database of a file just opened. */
static int main_entries(struct rules_store *st, size_t *n)
{
	MDB_stat ms;
	int rc = mdb_env_stat(st->st_env, &ms);

	if (rc == 0)
		*n = ms.ms_entries;
	return rc;
}

int rules_store_open(struct rules_store **out, const char *path, unsigned flags, size_t mapsize,
    char err[RULES_ERRLEN])
{
	struct rules_store *st;
	unsigned envflags = MDB_NOSUBDIR | MDB_NOTLS;
	bool rdonly = (flags & RULES_STORE_RDONLY) != 0;
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	size_t entries = 0;
	uint64_t need;
	int rc, fd;

	*out = NULL;
	if (path == NULL || *path == '\0' ||
	    (flags & ~(RULES_STORE_RDONLY | RULES_STORE_CREATE)) != 0 ||
	    (rdonly && (flags & RULES_STORE_CREATE))) {
		seterr(err, "rules_store_open: bad arguments");
		return RULES_EINVAL;
	}
	if (stat(path, &sb) != 0) {
		rc = -errno;
		if (rc != -ENOENT || !(flags & RULES_STORE_CREATE)) {
			seterr(err, "%s: %s", path, strerror(-rc));
			return rc;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		seterr(err, "%s: not a regular file", path);
		return RULES_EINVAL;
	} else if (sb.st_size == 0) {
		/* LMDB would quietly make a new store of an empty file. */
		seterr(err, "%s: corrupt: empty file (0 bytes)", path);
		return RULES_ECORRUPT;
	}

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		seterr(err, "%s: out of memory", path);
		return -ENOMEM;
	}
	st->st_rdonly = rdonly;
	if (rdonly)
		envflags |= MDB_RDONLY;
	if ((rc = mdb_env_create(&st->st_env)) != 0) {
		free(st);
		seterr(err, "%s: %s", path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	if ((rc = mdb_env_set_maxdbs(st->st_env, RULES_DB_COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->st_env, mapsize ? mapsize : STORE_MAPSIZE_DEFAULT)) != 0)
		goto fail_mdb;
	if ((rc = mdb_env_open(st->st_env, path, envflags, STORE_FILE_MODE)) != 0) {
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED) {
			seterr(err, "%s: corrupt: not a usable LMDB file (%s)", path,
			    mdb_strerror(rc));
			rc = RULES_ECORRUPT;
			goto fail;
		}
		goto fail_mdb;
	}

	/* Before any page beyond the meta pages is touched: a file shorter than
	 * LMDB's last page would SIGBUS on access. */
	fd = -1;
	if ((rc = mdb_env_info(st->st_env, &info)) != 0 ||
	    (rc = mdb_env_stat(st->st_env, &ms)) != 0 ||
	    (rc = mdb_env_get_fd(st->st_env, &fd)) != 0)
		goto fail_mdb;
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		seterr(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)sb.st_size < need) {
		seterr(err, "%s: corrupt: truncated (%lld bytes, LMDB's last page needs %llu)",
		    path, (long long)sb.st_size, (unsigned long long)need);
		rc = RULES_ECORRUPT;
		goto fail;
	}

	if ((rc = main_entries(st, &entries)) != 0)
		goto fail_mdb;
	if (entries == 0 && info.me_last_txnid == 0) {
		if (!(flags & RULES_STORE_CREATE)) {
			seterr(err, "%s: corrupt: LMDB file without a rules store in it", path);
			rc = RULES_ECORRUPT;
			goto fail;
		}
		if ((rc = initialise(st, path, err)) != 0)
			goto fail;
	}
	if ((rc = verify(st, path, err)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(st->st_env, NULL, MDB_RDONLY, &st->st_rtxn)) != 0)
		goto fail_mdb;
	mdb_txn_reset(st->st_rtxn);
	*out = st;
	return 0;

fail_mdb:
	seterr(err, "%s: %s", path, mdb_strerror(rc));
	rc = rules_mdb_err(rc);
fail:
	mdb_env_close(st->st_env);
	free(st);
	return rc;
}

void rules_store_close(struct rules_store *st)
{
	if (st == NULL)
		return;
	if (st->st_wr != NULL)
		rules_wr_abort(st->st_wr);
	if (st->st_rtxn != NULL)
		mdb_txn_abort(st->st_rtxn);
	mdb_env_close(st->st_env);
	free(st);
}

/* ---- reading ----------------------------------------------------------------------- */

/* Reads key from db in the current (or a fresh) snapshot and decodes it. */
typedef int decode_fn(const MDB_val *v, void *out);

static int get_one(struct rules_store *st, enum rules_db db, const void *key, size_t klen,
    decode_fn *decode, void *out)
{
	MDB_val k = {klen, (void *)key}, v;
	int rc;

	if ((rc = rd_enter(st)) != 0)
		return rc;
	rc = mdb_get(st->st_rtxn, st->st_dbi[db], &k, &v);
	if (rc == 0)
		rc = decode(&v, out);
	else
		rc = rc == MDB_NOTFOUND ? RULES_ENOTFOUND : rules_mdb_err(rc);
	rd_leave(st);
	return rc;
}

static int decode_limits(const MDB_val *v, void *out)
{
	const char *why;

	return rules_rec_dec_limits(v->mv_data, v->mv_size, out, &why);
}

static int decode_parent(const MDB_val *v, void *out)
{
	const char *why;

	return rules_rec_dec_parent(v->mv_data, v->mv_size, out, &why);
}

static int decode_refpx(const MDB_val *v, void *out)
{
	const char *why;

	return rules_rec_dec_refpx(v->mv_data, v->mv_size, out, &why);
}

static int decode_restricted(const MDB_val *v, void *out)
{
	const char *why;

	return rules_rec_dec_restricted(v->mv_data, v->mv_size, out, &why);
}

/* A limits key for (scope, key), or false if they cannot name a record. */
bool rules_store_limits_key(uint8_t buf[RULES_REC_KEYLEN], size_t *len, enum rules_scope scope,
    const char *key)
{
	if ((unsigned)scope >= RULES_SCOPE_COUNT)
		return false;
	if (scope == RULES_SCOPE_GLOBAL) {
		if (key != NULL && *key != '\0')
			return false;
	} else if (!rules_id_valid(key)) {
		return false;
	}
	*len = rules_rec_limits_key(buf, scope, key);
	return true;
}

int rules_store_get_limits(struct rules_store *st, enum rules_scope scope, const char *key,
    struct rules_limits *out)
{
	uint8_t k[RULES_REC_KEYLEN];
	struct rules_limits l;
	size_t klen;
	int rc;

	if (!rules_store_limits_key(k, &klen, scope, key))
		return RULES_ENOTFOUND; /* no such key can exist */
	if ((rc = get_one(st, RULES_DB_LIMITS, k, klen, decode_limits, &l)) == 0)
		*out = l;
	return rc;
}

int rules_store_get_parent(struct rules_store *st, const char *id, struct rules_parent *out)
{
	struct rules_parent p;
	int rc;

	if (!rules_id_valid(id))
		return RULES_ENOTFOUND;
	rc = get_one(st, RULES_DB_PARENTS, id, strlen(id), decode_parent, &p);
	if (rc == 0 && strcmp(p.rp_id, id) != 0)
		rc = RULES_ECORRUPT;
	if (rc == 0)
		*out = p;
	return rc;
}

int rules_store_get_refpx(struct rules_store *st, const char *symbol, int64_t *px)
{
	int64_t v;
	int rc;

	if (!rules_id_valid(symbol))
		return RULES_ENOTFOUND;
	if ((rc = get_one(st, RULES_DB_REFPX, symbol, strlen(symbol), decode_refpx, &v)) == 0)
		*px = v;
	return rc;
}

int rules_store_get_restricted(struct rules_store *st, const char *symbol,
    char reason[RULES_REASON_MAX + 1])
{
	char r[RULES_REASON_MAX + 1];
	int rc;

	if (!rules_id_valid(symbol))
		return RULES_ENOTFOUND;
	rc = get_one(st, RULES_DB_RESTRICTED, symbol, strlen(symbol), decode_restricted, r);
	if (rc == 0 && reason != NULL)
		memcpy(reason, r, strlen(r) + 1);
	return rc;
}

/* Calls each() for every record of db from key `from` (all if NULL), in one
 * snapshot. each() returns 0 to go on; anything else stops and is returned. */
typedef int each_fn(const MDB_val *k, const MDB_val *v, void *ctx);

static int foreach_db(struct rules_store *st, enum rules_db db, const MDB_val *from, each_fn *each,
    void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, ret = 0;

	if ((rc = rd_enter(st)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(st->st_rtxn, st->st_dbi[db], &cur)) != 0) {
		rd_leave(st);
		return rules_mdb_err(rc);
	}
	if (from != NULL) {
		k = *from;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if ((ret = each(&k, &v, ctx)) != 0)
			break;
	mdb_cursor_close(cur);
	rd_leave(st);
	if (ret != 0)
		return ret;
	return rc == MDB_NOTFOUND ? 0 : rules_mdb_err(rc);
}

struct each_ctx {
	union {
		rules_limits_cb *limits;
		rules_parent_cb *parent;
		rules_refpx_cb *refpx;
		rules_restricted_cb *restricted;
		rules_audit_cb *audit;
	} ec_cb;
	void *ec_arg;
};

static int each_limits(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct each_ctx *c = ctx;
	char key[RULES_ID_MAX + 1];
	struct rules_limits l;
	enum rules_scope scope;
	const char *why;

	if (rules_rec_limits_key_dec(k->mv_data, k->mv_size, &scope, key, &why) != 0 ||
	    rules_rec_dec_limits(v->mv_data, v->mv_size, &l, &why) != 0)
		return RULES_ECORRUPT;
	return c->ec_cb.limits(c->ec_arg, scope, key, &l);
}

static int each_parent(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct each_ctx *c = ctx;
	char id[RULES_ID_MAX + 1];
	struct rules_parent p;
	const char *why;

	if (rules_rec_id_key_dec(k->mv_data, k->mv_size, id, &why) != 0 ||
	    rules_rec_dec_parent(v->mv_data, v->mv_size, &p, &why) != 0 || strcmp(id, p.rp_id) != 0)
		return RULES_ECORRUPT;
	return c->ec_cb.parent(c->ec_arg, &p);
}

static int each_refpx(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct each_ctx *c = ctx;
	char sym[RULES_ID_MAX + 1];
	const char *why;
	int64_t px;

	if (rules_rec_id_key_dec(k->mv_data, k->mv_size, sym, &why) != 0 ||
	    rules_rec_dec_refpx(v->mv_data, v->mv_size, &px, &why) != 0)
		return RULES_ECORRUPT;
	return c->ec_cb.refpx(c->ec_arg, sym, px);
}

static int each_restricted(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct each_ctx *c = ctx;
	char sym[RULES_ID_MAX + 1], reason[RULES_REASON_MAX + 1];
	const char *why;

	if (rules_rec_id_key_dec(k->mv_data, k->mv_size, sym, &why) != 0 ||
	    rules_rec_dec_restricted(v->mv_data, v->mv_size, reason, &why) != 0)
		return RULES_ECORRUPT;
	return c->ec_cb.restricted(c->ec_arg, sym, reason);
}

static int each_audit(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct each_ctx *c = ctx;
	struct rules_audit *a;
	const char *why;
	uint64_t seq;
	int rc;

	/* 2.5 KiB: on the heap rather than the caller's stack */
	if ((a = malloc(sizeof(*a))) == NULL)
		return -ENOMEM;
	if (rules_rec_seq_key_dec(k->mv_data, k->mv_size, &seq, &why) != 0 ||
	    rules_rec_dec_audit(v->mv_data, v->mv_size, a, &why) != 0 || a->ra_seq != seq)
		rc = RULES_ECORRUPT;
	else
		rc = c->ec_cb.audit(c->ec_arg, a);
	free(a);
	return rc;
}

int rules_store_foreach_limits(struct rules_store *st, rules_limits_cb *cb, void *arg)
{
	struct each_ctx c = {.ec_cb.limits = cb, .ec_arg = arg};

	return foreach_db(st, RULES_DB_LIMITS, NULL, each_limits, &c);
}

int rules_store_foreach_parent(struct rules_store *st, rules_parent_cb *cb, void *arg)
{
	struct each_ctx c = {.ec_cb.parent = cb, .ec_arg = arg};

	return foreach_db(st, RULES_DB_PARENTS, NULL, each_parent, &c);
}

int rules_store_foreach_refpx(struct rules_store *st, rules_refpx_cb *cb, void *arg)
{
	struct each_ctx c = {.ec_cb.refpx = cb, .ec_arg = arg};

	return foreach_db(st, RULES_DB_REFPX, NULL, each_refpx, &c);
}

int rules_store_foreach_restricted(struct rules_store *st, rules_restricted_cb *cb, void *arg)
{
	struct each_ctx c = {.ec_cb.restricted = cb, .ec_arg = arg};

	return foreach_db(st, RULES_DB_RESTRICTED, NULL, each_restricted, &c);
}

int rules_store_foreach_audit(struct rules_store *st, uint64_t from_seq, rules_audit_cb *cb,
    void *arg)
{
	struct each_ctx c = {.ec_cb.audit = cb, .ec_arg = arg};
	uint8_t kb[8];
	MDB_val from = {sizeof(kb), kb};

	rules_rec_seq_key(kb, from_seq);
	return foreach_db(st, RULES_DB_AUDIT, &from, each_audit, &c);
}
