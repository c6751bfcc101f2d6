/*
 * record.h - the on-disk form of the keys and values of rules.mdb (store.c),
 * and the record framing journal.mdb shares (rules_rec_seal/open below).
 * Internal to librules (and gateway/journal_rec.c); the unit tests use it to
 * forge records.
 *
 * Every value is a header then a payload:
 *
 *   u32 crc     CRC-32C of the payload (crc32c.h)
 *   u16 type    enum rules_rec_type
 *   u16 version RULES_REC_VERSION (per type; all 1 today)
 *   payload     fixed little-endian layout per type, below
 *
 * All integers are little-endian; strings are u16 length + bytes (no NUL);
 * identifiers in a parent are u8 length + RULES_ID_MAX bytes, zero-padded.
 *
 *   META_U32    u32
 *   LIMITS      u32 set, u32 trip, i64 val[RULES_LIM_COUNT] (0 where unset)
 *   PARENT      id, account, symbol (padded ids), u8 side, i64 qty,
 *               i64 limit_px, i64 max_notional, i64 max_rate, u32 trip
 *   REFPX       i64 px
 *   RESTRICTED  str reason
 *   AUDIT       u64 seq, i64 when_ms, str who, str what, str old, str new,
 *               str reason
 *
 * Decoding checks the header, the exact length (no trailing bytes), every
 * field (rules_*_validate() and the text rules), and canonical form (zero
 * padding, 0 for unset limits); any failure is RULES_ECORRUPT with *why
 * set to a static phrase naming what failed.
 *
 * Keys: limits = scope byte + key (no key for GLOBAL); parents, refpx,
 * restricted = the id; audit = u64 seq big-endian (so that LMDB's byte order
 * is numeric order); meta = the name.
 */
#ifndef RULES_RECORD_H
#define RULES_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

enum rules_rec_type {
	RULES_REC_META_U32 = 1,
	RULES_REC_LIMITS = 2,
	RULES_REC_PARENT = 3,
	RULES_REC_REFPX = 4,
	RULES_REC_RESTRICTED = 5,
	RULES_REC_AUDIT = 6,
};
#define RULES_REC_VERSION 1
#define RULES_REC_HDR_LEN 8
/* Large enough for any encoded record (the audit record is the largest). */
#define RULES_REC_BUFLEN 4096

/* Encoders: write header + payload into buf, return the length. The input
 * must be valid (the store validates before it encodes). */
size_t rules_rec_enc_u32(uint8_t buf[RULES_REC_BUFLEN], uint32_t v);
size_t rules_rec_enc_limits(uint8_t buf[RULES_REC_BUFLEN], const struct rules_limits *);
size_t rules_rec_enc_parent(uint8_t buf[RULES_REC_BUFLEN], const struct rules_parent *);
size_t rules_rec_enc_refpx(uint8_t buf[RULES_REC_BUFLEN], int64_t px);
size_t rules_rec_enc_restricted(uint8_t buf[RULES_REC_BUFLEN], const char *reason);
size_t rules_rec_enc_audit(uint8_t buf[RULES_REC_BUFLEN], const struct rules_audit *);

/* Decoders: 0, or RULES_ECORRUPT with *why set. */
int rules_rec_dec_u32(const void *v, size_t n, uint32_t *out, const char **why);
int rules_rec_dec_limits(const void *v, size_t n, struct rules_limits *out, const char **why);
int rules_rec_dec_parent(const void *v, size_t n, struct rules_parent *out, const char **why);
int rules_rec_dec_refpx(const void *v, size_t n, int64_t *out, const char **why);
int rules_rec_dec_restricted(const void *v, size_t n, char out[RULES_REASON_MAX + 1],
    const char **why);
int rules_rec_dec_audit(const void *v, size_t n, struct rules_audit *out, const char **why);

/*
 * The header alone, for the records of another LMDB file that uses the same
 * framing (gateway/journal.c: journal.mdb). Its types start at
 * RULES_REC_FOREIGN so that a rules.mdb record can never decode as one of
 * them, nor the reverse; its payload layout is its own.
 *
 * rules_rec_seal: buf holds len >= RULES_REC_HDR_LEN bytes, header space
 * first, payload after it; writes the header (CRC of the payload, type,
 * RULES_REC_VERSION).
 * rules_rec_open: checks the header of v[0..n) for type (length, type,
 * version, CRC) and points *payload / *plen at the payload. 0, or
 * RULES_ECORRUPT with *why set.
 */
#define RULES_REC_FOREIGN 0x100
void rules_rec_seal(void *buf, size_t len, uint16_t type);
int rules_rec_open(const void *v, size_t n, uint16_t type, const uint8_t **payload,
    size_t *plen, const char **why);

/* Keys. The encoders take valid input and return the key length. */
#define RULES_REC_KEYLEN (1 + RULES_ID_MAX)
size_t rules_rec_limits_key(uint8_t buf[RULES_REC_KEYLEN], enum rules_scope, const char *key);
int rules_rec_limits_key_dec(const void *k, size_t n, enum rules_scope *scope,
    char key[RULES_ID_MAX + 1], const char **why);
int rules_rec_id_key_dec(const void *k, size_t n, char id[RULES_ID_MAX + 1], const char **why);
void rules_rec_seq_key(uint8_t buf[8], uint64_t seq);
int rules_rec_seq_key_dec(const void *k, size_t n, uint64_t *seq, const char **why);

/* LMDB's return code (or a positive errno from it) as one of ours, for every
 * LMDB file of the project: RULES_ENOTFOUND, RULES_EEXIST, RULES_EFULL (map,
 * transaction or disk full), RULES_ECORRUPT, a negative errno, RULES_ESTORE. */
int rules_mdb_err(int rc);

#endif
