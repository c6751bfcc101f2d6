/*
 * store.h - rules.mdb, the LMDB store of limits, parents, reference prices,
 * restricted symbols and the audit log.
 *
 * One writer process (riskgw-admin, riskgwctl) and any number of readers
 * (riskgwd). The file is a single LMDB file (MDB_NOSUBDIR) plus its lock
 * file "<path>-lock". Named databases:
 *
 *   meta        "schema_version" -> u32; other keys reserved
 *   limits      scope byte + key           -> struct rules_limits
 *   parents     parent id                  -> struct rules_parent
 *   refpx       symbol                     -> i64 price
 *   restricted  symbol                     -> reason text
 *   audit       u64 seq, big-endian        -> struct rules_audit
 *
 * Every value carries a record header (type, version, CRC-32C of the payload)
 * and is decoded field by field; a value that fails its check makes the read
 * return RULES_ECORRUPT. rules_store_open() verifies the whole file before it
 * returns (file size against LMDB's last page, schema version, every record
 * of every database), so a corrupt, truncated or newer file is refused at
 * open and never half-read.
 *
 * Threading: a struct rules_store is used by one thread at a time.
 */
#ifndef RULES_STORE_H
#define RULES_STORE_H

#include "rules.h"

#define RULES_SCHEMA_VERSION 1

struct rules_store;

#define RULES_STORE_RDONLY 0x1u  /* open read-only (riskgwd) */
#define RULES_STORE_CREATE 0x2u  /* create and initialise a missing file */

/*
 * Opens (and with RULES_STORE_CREATE creates) the store at path.
 * mapsize is the LMDB map size in bytes (0: 64 MiB default).
 * Returns 0, or: -ENOENT (missing, no CREATE), RULES_ESCHEMA (newer schema),
 * RULES_ECORRUPT (not an LMDB file, truncated, or a record fails its check),
 * a negative errno, RULES_ESTORE. err says which and where.
 * RDONLY together with CREATE is RULES_EINVAL. An empty (0-byte) file is
 * RULES_ECORRUPT, also with CREATE: only a missing file is created. A new
 * file is made with mode 0660 (less the umask): readers need write access
 * to the lock file. rules_store_close() aborts a batch left open.
 */
int rules_store_open(struct rules_store **out, const char *path, unsigned flags,
    size_t mapsize, char err[RULES_ERRLEN]);
void rules_store_close(struct rules_store *);

/* Id of the last committed write transaction. Cheap (reads LMDB's meta page,
 * no lock, no syscall): readers compare it to decide whether a cache is
 * stale. Changes on every commit by any process. */
uint64_t rules_store_last_txnid(struct rules_store *);

/* ---- reading ------------------------------------------------------------ */

/*
 * A read snapshot. rd_begin renews the store's one read transaction (reset,
 * not freed, between uses: no allocation) and gives its txn id; every get
 * until rd_end reads that one snapshot. A get outside begin/end opens and
 * closes a snapshot of its own. Returns 0 or RULES_ESTORE.
 */
int rules_store_rd_begin(struct rules_store *, uint64_t *txnid);
void rules_store_rd_end(struct rules_store *);

/* Each returns 0, RULES_ENOTFOUND, RULES_ECORRUPT or RULES_ESTORE. A key that
 * could not be stored (not rules_id_valid(), a non-empty GLOBAL key) is
 * RULES_ENOTFOUND. They read committed data only, never an open batch's. */
int rules_store_get_limits(struct rules_store *, enum rules_scope, const char *key,
    struct rules_limits *out);
int rules_store_get_parent(struct rules_store *, const char *id, struct rules_parent *out);
int rules_store_get_refpx(struct rules_store *, const char *symbol, int64_t *px);
/* 0 restricted (reason copied if reason != NULL), RULES_ENOTFOUND not restricted */
int rules_store_get_restricted(struct rules_store *, const char *symbol,
    char reason[RULES_REASON_MAX + 1]);

/*
 * Iteration over one snapshot (their own unless inside rd_begin/rd_end), in
 * key order. The callback returns 0 to go on, non-zero to stop; that value is
 * then returned. key for GLOBAL scope is "".
 */
typedef int rules_limits_cb(void *arg, enum rules_scope, const char *key,
    const struct rules_limits *);
typedef int rules_parent_cb(void *arg, const struct rules_parent *);
typedef int rules_refpx_cb(void *arg, const char *symbol, int64_t px);
typedef int rules_restricted_cb(void *arg, const char *symbol, const char *reason);
typedef int rules_audit_cb(void *arg, const struct rules_audit *);
int rules_store_foreach_limits(struct rules_store *, rules_limits_cb *, void *arg);
int rules_store_foreach_parent(struct rules_store *, rules_parent_cb *, void *arg);
int rules_store_foreach_refpx(struct rules_store *, rules_refpx_cb *, void *arg);
int rules_store_foreach_restricted(struct rules_store *, rules_restricted_cb *, void *arg);
/* Audit records with seq >= from_seq. */
int rules_store_foreach_audit(struct rules_store *, uint64_t from_seq, rules_audit_cb *,
    void *arg);

/* ---- writing ------------------------------------------------------------ */

/*
 * A write batch: one LMDB write transaction. Every put/del validates its
 * input (nothing is written on a validation error, and the batch stays
 * usable), then writes the record and one audit record (who, when, what,
 * old -> new as JSON, reason) in the same transaction. Nothing is visible to
 * readers until commit; abort (or a failed commit) leaves the file as it was.
 *
 * Returns 0, RULES_EINVAL / RULES_ERANGE (bad value, err says which field),
 * RULES_ENOTFOUND (del of a missing record), RULES_EFULL (map or disk full:
 * the batch is then dead, abort it), RULES_ESTORE.
 * One batch per store at a time; wr_begin on a read-only store or with a
 * batch open is RULES_EINVAL. Any LMDB failure kills the batch (later calls
 * return the same code); commit of a dead batch commits nothing. The audit
 * "what" is "limits/global", "limits/<scope>/<key>", "parents/<id>",
 * "refpx/<symbol>", "restricted/<symbol>" or "clear"; old/new are the
 * recjson.h compact JSON of the record ("" for none). A clear's old value
 * counts what it removed: {"limits":N,"parents":N,"refpx":N,"restricted":N}.
 */
struct rules_wr;
int rules_store_wr_begin(struct rules_store *, struct rules_wr **out, char err[RULES_ERRLEN]);
int rules_wr_put_limits(struct rules_wr *, const struct rules_actor *, enum rules_scope,
    const char *key, const struct rules_limits *, char err[RULES_ERRLEN]);
int rules_wr_del_limits(struct rules_wr *, const struct rules_actor *, enum rules_scope,
    const char *key, char err[RULES_ERRLEN]);
int rules_wr_put_parent(struct rules_wr *, const struct rules_actor *,
    const struct rules_parent *, char err[RULES_ERRLEN]);
int rules_wr_del_parent(struct rules_wr *, const struct rules_actor *, const char *id,
    char err[RULES_ERRLEN]);
int rules_wr_put_refpx(struct rules_wr *, const struct rules_actor *, const char *symbol,
    int64_t px, char err[RULES_ERRLEN]);
int rules_wr_del_refpx(struct rules_wr *, const struct rules_actor *, const char *symbol,
    char err[RULES_ERRLEN]);
int rules_wr_put_restricted(struct rules_wr *, const struct rules_actor *, const char *symbol,
    const char *why, char err[RULES_ERRLEN]);
int rules_wr_del_restricted(struct rules_wr *, const struct rules_actor *,
    const char *symbol, char err[RULES_ERRLEN]);
/* Deletes every limit, parent, reference price and restricted symbol (an
 * import that replaces the whole set), with one audit record. */
int rules_wr_clear(struct rules_wr *, const struct rules_actor *, char err[RULES_ERRLEN]);
/* Commits (durably: LMDB syncs before it returns) and frees the batch. */
int rules_wr_commit(struct rules_wr *, char err[RULES_ERRLEN]);
/* Discards and frees the batch. */
void rules_wr_abort(struct rules_wr *);

#endif
