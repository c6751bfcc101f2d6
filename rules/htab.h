/*
 * htab.h - fixed-capacity open-addressing index of string-keyed entries.
 *
 * The entries live in a caller-owned array (base, stride); each entry's key
 * is a NUL-terminated string at offset 0, in a buffer of key_size = 8n + 1
 * bytes, and zero from its NUL to the end of that 8-byte word (the entry is
 * zeroed before its key goes in, or the key is written by words). The
 * index stores, per slot, the entry number + 1 and 32 bits of the key's
 * hash, so most misses and hits compare no string; and, in a parallel
 * array of one byte per slot, 8 of those bits (never 0: 0 is an empty
 * slot). A probe walks the bytes and reads a slot only where they match:
 * a key that is absent (every new ClOrdID) is most often told by the bytes
 * alone, 1/8 of the slots' memory, which for a day-sized ClOrdID index
 * stays in cache when the slots do not. Entries are never removed
 * one by one; htab_clear() empties the whole index (a new trading day). All
 * memory is allocated by htab_init(): find and insert allocate nothing.
 *
 * In home mode (htab_init_home()) there are no slots: the caller's array
 * has an entry per slot, and an entry lives at the slot its probe gave, so
 * that a find reads the bytes and then the entry, at an address known from
 * the hash alone: one miss, not two (the slot, then the entry it names).
 * The entries' numbers are then slot numbers, sparse and not in the order
 * of insertion; the price is an array of htab_slots_for(cap) entries.
 *
 * The hash reads a key 8 bytes at a time, never past its end; its steps are
 * inline here so that a caller that reads the key anyway (to validate it)
 * can hash it in the same pass. htab_hash_n() is the reference.
 */
#ifndef RULES_HTAB_H
#define RULES_HTAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HTAB_NONE UINT32_MAX

struct htab {
	uint64_t   *ht_slots;  /* 0 = empty, else (hash >> 32) << 32 | (index + 1);
				  NULL in home mode */
	uint8_t    *ht_fp;     /* per slot: 0 = empty, else htab_fp(hash) */
	uint32_t    ht_mask;   /* slots - 1; slots is a power of two >= 2 * cap */
	uint32_t    ht_count;  /* entries in use: 0 .. ht_cap */
	uint32_t    ht_cap;    /* entries the caller's array holds */
	uint32_t    ht_key_size; /* bytes of each entry's key buffer */
	const char *ht_base;   /* the caller's array */
	size_t      ht_stride; /* sizeof one entry */
};

/* 0, or -ENOMEM, -EINVAL (cap 0 or above 2^30, key_size not 8n + 1 or > stride). */
int htab_init(struct htab *, size_t cap, const void *base, size_t stride, size_t key_size);
/* The slots of an index of cap entries (a power of two >= 2 * cap, >= 16). */
size_t htab_slots_for(size_t cap);
/* Home mode: base holds htab_slots_for(cap) entries. Errors as htab_init(). */
int htab_init_home(struct htab *, size_t cap, const void *base, size_t stride,
    size_t key_size);
void htab_free(struct htab *);
void htab_clear(struct htab *);

/* ---- reading keys a word at a time ---------------------------------------------- */

static inline uint64_t htab_load64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static inline uint32_t htab_load32(const char *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/*
 * The last r = n % 8 (1..7) bytes of the n-byte key p as a little-endian
 * word, zero padded, as memcpy(&w, p + n - r, r) would give on a
 * little-endian machine - without reading outside p[0..n).
 */
static inline uint64_t htab_tail(const char *p, size_t n)
{
	size_t r = n & 7;
	const unsigned char *u = (const unsigned char *)p;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 8)
		return htab_load64(p + n - 8) >> (8 * (8 - r));
	if (r >= 4)
		return htab_load32(p) | (uint64_t)htab_load32(p + r - 4) << (8 * (r - 4));
	return (uint64_t)u[0] | (uint64_t)u[r >> 1] << (8 * (r >> 1)) |
	    (uint64_t)u[r - 1] << (8 * (r - 1));
#else
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < r; i++)
		w |= (uint64_t)u[n - r + i] << (8 * i);
	return w;
#endif
}

/* ---- the hash: start, every full word, the tail (if n % 8), end(n) ------------------ */

static inline uint64_t htab_hash_start(void)
{
	return UINT64_C(0x9e3779b97f4a7c15);
}

static inline uint64_t htab_hash_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
	return h ^ (h >> 31);
}

static inline uint64_t htab_hash_tail(uint64_t h, uint64_t tail)
{
	return (h ^ tail) * UINT64_C(0x94d049bb133111eb);
}

/* The length goes in last, so that a key can be hashed before its end is
 * known. */
static inline uint64_t htab_hash_end(uint64_t h, size_t n)
{
	h ^= n * UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	return h ^ (h >> 32);
}

/* A key to look up: its bytes, length, hash, and its last partial word
 * (the len % 8 bytes after the full words, zero padded; 0 if none). */
struct htab_key {
	const char *k_s;
	size_t k_len;
	uint64_t k_h;
	uint64_t k_tail;
};

/* Hash of a NUL-terminated key; *len gets strlen(key). */
uint64_t htab_hash(const char *key, size_t *len);
/* The same hash of the len bytes at key, whose length is already known. */
uint64_t htab_hash_n(const char *key, size_t len);

/* ---- find and insert ----------------------------------------------------------------- */

/* k, the len bytes at s: its hash and tail word. */
static inline void htab_key_set(struct htab_key *k, const char *s, size_t len)
{
	k->k_s = s;
	k->k_len = len;
	k->k_h = htab_hash_n(s, len);
	k->k_tail = len % 8 != 0 ? htab_tail(s, len) : 0;
}

/* The stored key k (see above: zero padded to its word) equals key: compared
 * a word at a time. The caller has checked key->k_len < ht_key_size. */
static inline int htab_key_eq(const char *k, const struct htab_key *key)
{
	size_t i, len = key->k_len;

	for (i = 0; i + 8 <= len; i += 8)
		if (htab_load64(k + i) != htab_load64(key->k_s + i))
			return 0;
	if (i < len) /* the word with the stored NUL: i + 8 < ht_key_size */
		return htab_load64(k + i) == key->k_tail;
	return k[len] == '\0';
}

/* The byte of hash h kept per slot: its top 8 bits, 0 made 1 (0 is empty). */
static inline uint8_t htab_fp(uint64_t h)
{
	uint8_t f = (uint8_t)(h >> 56);

	return f != 0 ? f : 1;
}

/* Index of the entry whose key equals k, or HTAB_NONE. Inline: the checks
 * call it a few times each. */
__attribute__((always_inline)) static inline uint32_t htab_find(const struct htab *t,
    const struct htab_key *k)
{
	uint64_t tag = k->k_h & UINT64_C(0xffffffff00000000);
	uint32_t i = (uint32_t)k->k_h & t->ht_mask;
	uint8_t fp = htab_fp(k->k_h);

	if (k->k_len >= t->ht_key_size)
		return HTAB_NONE; /* no stored key is that long */
	for (;;) {
		uint8_t f = t->ht_fp[i];
		uint64_t s;

		if (f == 0)
			return HTAB_NONE;
		if (f == fp && ((s = t->ht_slots[i]) & UINT64_C(0xffffffff00000000)) == tag) {
			uint32_t idx = (uint32_t)s - 1;
			const char *stored = t->ht_base + (size_t)idx * t->ht_stride;

			if (htab_key_eq(stored, k))
				return idx;
		}
		i = (i + 1) & t->ht_mask;
	}
}

/* htab_find() that also gives, when k is absent, the empty slot its probe
 * ended on (*slot; UINT32_MAX for a key too long to be stored): where
 * htab_add_at() puts k without probing again, as long as nothing was added
 * in between. */
__attribute__((always_inline)) static inline uint32_t htab_find_slot(const struct htab *t,
    const struct htab_key *k, uint32_t *slot)
{
	uint64_t tag = k->k_h & UINT64_C(0xffffffff00000000);
	uint32_t i = (uint32_t)k->k_h & t->ht_mask;
	uint8_t fp = htab_fp(k->k_h);

	*slot = UINT32_MAX;
	if (k->k_len >= t->ht_key_size)
		return HTAB_NONE;
	for (;;) {
		uint8_t f = t->ht_fp[i];
		uint64_t s;

		if (f == 0) {
			*slot = i;
			return HTAB_NONE;
		}
		if (f == fp && ((s = t->ht_slots[i]) & UINT64_C(0xffffffff00000000)) == tag) {
			uint32_t idx = (uint32_t)s - 1;
			const char *stored = t->ht_base + (size_t)idx * t->ht_stride;

			if (htab_key_eq(stored, k))
				return idx;
		}
		i = (i + 1) & t->ht_mask;
	}
}

/* The slot a probe for hash h reads first: to prefetch it. */
static inline const uint64_t *htab_slot(const struct htab *t, uint64_t h)
{
	return &t->ht_slots[(uint32_t)h & t->ht_mask];
}

/* The byte htab_find() reads first for hash h: to prefetch it. */
static inline const uint8_t *htab_fp_at(const struct htab *t, uint64_t h)
{
	return &t->ht_fp[(uint32_t)h & t->ht_mask];
}

/* ---- home mode ------------------------------------------------------------------- */

/* The slot (and entry) a home-mode probe for hash h starts at: to prefetch. */
static inline uint32_t htab_home(const struct htab *t, uint64_t h)
{
	return (uint32_t)h & t->ht_mask;
}

/* htab_find() in home mode: the entry (slot) whose key equals k, or
 * HTAB_NONE. */
__attribute__((always_inline)) static inline uint32_t htab_find_home(const struct htab *t,
    const struct htab_key *k)
{
	uint32_t i = htab_home(t, k->k_h);
	uint8_t fp = htab_fp(k->k_h);

	if (k->k_len >= t->ht_key_size)
		return HTAB_NONE;
	for (;;) {
		uint8_t f = t->ht_fp[i];

		if (f == 0)
			return HTAB_NONE;
		if (f == fp && htab_key_eq(t->ht_base + (size_t)i * t->ht_stride, k))
			return i;
		i = (i + 1) & t->ht_mask;
	}
}

/* htab_add() in home mode: takes the first empty slot from h's home and
 * returns it (HTAB_NONE when ht_cap entries are in); the caller then fills
 * that entry, key first. The caller has checked that the key is absent. */
static inline uint32_t htab_add_home(struct htab *t, uint64_t h)
{
	uint32_t i = htab_home(t, h);

	if (t->ht_count >= t->ht_cap)
		return HTAB_NONE;
	while (t->ht_fp[i] != 0)
		i = (i + 1) & t->ht_mask;
	t->ht_count++;
	t->ht_fp[i] = htab_fp(h);
	return i;
}

/* htab_add() at the empty slot htab_find_slot() gave for hash h. */
static inline uint32_t htab_add_at(struct htab *t, uint32_t slot, uint64_t h)
{
	uint32_t idx;

	if (t->ht_count >= t->ht_cap)
		return HTAB_NONE;
	idx = t->ht_count++;
	t->ht_slots[slot] = (h & UINT64_C(0xffffffff00000000)) | ((uint64_t)idx + 1);
	t->ht_fp[slot] = htab_fp(h);
	return idx;
}

/* Adds entry number ht_count under hash h and returns it; the caller then
 * fills that entry (key first). HTAB_NONE when the table is full. The caller
 * has checked that the key is absent. */
static inline uint32_t htab_add(struct htab *t, uint64_t h)
{
	uint32_t i = (uint32_t)h & t->ht_mask;
	uint32_t idx;

	if (t->ht_count >= t->ht_cap)
		return HTAB_NONE;
	while (t->ht_fp[i] != 0)
		i = (i + 1) & t->ht_mask;
	idx = t->ht_count++;
	t->ht_slots[i] = (h & UINT64_C(0xffffffff00000000)) | ((uint64_t)idx + 1);
	t->ht_fp[i] = htab_fp(h);
	return idx;
}

#endif
