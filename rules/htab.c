/*
 * htab.c - fixed-capacity open-addressing string index (see htab.h).
 */
#include "config.h"

#include "htab.h"

#include "bigmem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

size_t htab_slots_for(size_t cap)
{
	size_t slots = 16;

	while (slots < 2 * cap)
		slots <<= 1;
	return slots;
}

static int init(struct htab *t, size_t cap, const void *base, size_t stride, size_t key_size,
    bool home)
{
	size_t slots;

	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > (UINT32_C(1) << 30) || base == NULL || stride == 0 ||
	    key_size % 8 != 1 || key_size > stride)
		return -EINVAL;
	slots = htab_slots_for(cap);
	if (!home)
		t->ht_slots = bigmem_calloc(slots, sizeof(*t->ht_slots));
	t->ht_fp = bigmem_calloc(slots, 1);
	if ((!home && t->ht_slots == NULL) || t->ht_fp == NULL) {
		htab_free(t);
		return -ENOMEM;
	}
	t->ht_mask = (uint32_t)(slots - 1);
	t->ht_cap = (uint32_t)cap;
	t->ht_base = base;
	t->ht_stride = stride;
	t->ht_key_size = (uint32_t)key_size;
	return 0;
}

int htab_init(struct htab *t, size_t cap, const void *base, size_t stride, size_t key_size)
{
	return init(t, cap, base, stride, key_size, false);
}

int htab_init_home(struct htab *t, size_t cap, const void *base, size_t stride,
    size_t key_size)
{
	return init(t, cap, base, stride, key_size, true);
}

void htab_free(struct htab *t)
{
	bigmem_free(t->ht_slots);
	bigmem_free(t->ht_fp);
	t->ht_slots = NULL;
	t->ht_fp = NULL;
}

void htab_clear(struct htab *t)
{
	if (t->ht_slots != NULL)
		memset(t->ht_slots, 0, ((size_t)t->ht_mask + 1) * sizeof(*t->ht_slots));
	memset(t->ht_fp, 0, (size_t)t->ht_mask + 1);
	t->ht_count = 0;
}

uint64_t htab_hash(const char *key, size_t *len)
{
	*len = strlen(key);
	return htab_hash_n(key, *len);
}

/* A multiply-xorshift hash over 8-byte words; keys are short ids. */
uint64_t htab_hash_n(const char *key, size_t n)
{
	size_t i;
	uint64_t h = htab_hash_start();

	for (i = 0; i + 8 <= n; i += 8)
		h = htab_hash_word(h, htab_load64(key + i));
	if (i < n)
		h = htab_hash_tail(h, htab_tail(key, n));
	return htab_hash_end(h, n);
}
