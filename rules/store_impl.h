/*
 * store_impl.h - what store.c (open, verify, read) and store_wr.c (write
 * batches) share. Internal to librules.
 */
#ifndef RULES_STORE_IMPL_H
#define RULES_STORE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "record.h"
#include "rules.h"
#include "store.h"

/* The named databases of rules.mdb, see store.h. */
enum rules_db {
	RULES_DB_META,
	RULES_DB_LIMITS,
	RULES_DB_PARENTS,
	RULES_DB_REFPX,
	RULES_DB_RESTRICTED,
	RULES_DB_AUDIT,
	RULES_DB_COUNT
};
extern const char *const rules_db_names[RULES_DB_COUNT];

struct rules_store {
	MDB_env *st_env;
	MDB_dbi st_dbi[RULES_DB_COUNT];
	MDB_txn *st_rtxn;            /* the read transaction, reset when not in use */
	unsigned st_rdepth;          /* users of st_rtxn now (rd_begin, a get, a foreach) */
	bool st_rd;                  /* inside rd_begin .. rd_end */
	bool st_rdonly;
	struct rules_wr *st_wr;      /* the open write batch, if any */
	struct rules_audit st_audit; /* scratch for verification (2.5 KiB) */
};

/* LMDB's return code to ours; positive errno values come back negative. */

/* The map size in bytes, for messages. */
size_t rules_store_map_size(const struct rules_store *);

/* Builds the limits key for (scope, key); false if they cannot name a record
 * (bad scope, a key for GLOBAL, an invalid id for the others). */
bool rules_store_limits_key(uint8_t buf[RULES_REC_KEYLEN], size_t *len, enum rules_scope,
    const char *key);

#endif
