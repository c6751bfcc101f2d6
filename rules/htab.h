/*
 * htab.h - fixed-capacity open-addressing index of string-keyed entries.
 *
 * The entries live in a caller-owned array (base, stride); each entry's key
 * is a NUL-terminated string at offset 0. The index stores, per slot, the
 * entry number + 1 and 32 bits of the key's hash, so most misses and hits
 * compare no string. Entries are never removed one by one; htab_clear()
 * empties the whole index (a new trading day). All memory is allocated by
 * htab_init(): find and insert allocate nothing.
 */
#ifndef RULES_HTAB_H
#define RULES_HTAB_H

#include <stddef.h>
#include <stdint.h>

#define HTAB_NONE UINT32_MAX

struct htab {
	uint64_t   *ht_slots;  /* 0 = empty, else (hash >> 32) << 32 | (index + 1) */
	uint32_t    ht_mask;   /* slots - 1; slots is a power of two >= 2 * cap */
	uint32_t    ht_count;  /* entries in use: 0 .. ht_cap */
	uint32_t    ht_cap;    /* entries the caller's array holds */
	const char *ht_base;   /* the caller's array */
	size_t      ht_stride; /* sizeof one entry */
};

/* 0, or -ENOMEM, -EINVAL (cap 0 or above 2^30). */
int htab_init(struct htab *, size_t cap, const void *base, size_t stride);
void htab_free(struct htab *);
void htab_clear(struct htab *);

/* Hash of a NUL-terminated key; *len gets strlen(key). */
uint64_t htab_hash(const char *key, size_t *len);
/* The same hash of the len bytes at key, whose length is already known. */
uint64_t htab_hash_n(const char *key, size_t len);

/* Index of the entry whose key equals key (len bytes, hash h), or HTAB_NONE. */
uint32_t htab_find(const struct htab *, const char *key, size_t len, uint64_t h);

/* Adds entry number ht_count under hash h and returns it; the caller then
 * fills that entry (key first). HTAB_NONE when the table is full. The caller
 * has checked that the key is absent. */
uint32_t htab_add(struct htab *, uint64_t h);

#endif
