/*
 * slab.c - small zeroed blocks on huge pages, larger ones from calloc()
 * (see slab.h).
 */
#include "config.h"

#include "slab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"

#define MIN_SHIFT 6
/* a chunk is one huge page: bigmem's 64-byte header and this */
#define CHUNK (((size_t)2 << 20) - 64)
_Static_assert(((size_t)1 << (MIN_SHIFT + SLAB_CLASSES - 1)) == SLAB_SMALL_MAX,
    "the largest class is SLAB_SMALL_MAX");

/* The header of a large block, right before it (the block is 64-byte aligned
 * in what calloc() gave, b_raw). */
struct slab_big {
	struct slab_big *b_prev, *b_next;
	void *b_raw;
};

void slab_init(struct slab *s)
{
	memset(s, 0, sizeof(*s));
}

/* The class of a block of bytes (<= SLAB_SMALL_MAX), and its size. */
static unsigned class_of(size_t bytes, size_t *size)
{
	unsigned c = 0;

	while (((size_t)1 << (MIN_SHIFT + c)) < bytes)
		c++;
	*size = (size_t)1 << (MIN_SHIFT + c);
	return c;
}

/* Records a chunk to free with the slab. */
static int keep(struct slab *s, void *m)
{
	if (s->s_nmaps == s->s_capmaps) {
		size_t cap = s->s_capmaps != 0 ? 2 * s->s_capmaps : 16;
		void **n = realloc(s->s_maps, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		s->s_maps = n;
		s->s_capmaps = cap;
	}
	s->s_maps[s->s_nmaps++] = m;
	return 0;
}

static void *map(struct slab *s, size_t bytes)
{
	void *m = bigmem_calloc(1, bytes);

	if (m != NULL && keep(s, m) != 0) {
		bigmem_free(m);
		return NULL;
	}
	return m;
}

void *slab_alloc(struct slab *s, size_t bytes)
{
	size_t size;
	unsigned c;
	void *p;

	if (bytes == 0)
		return NULL;
	if (bytes > SLAB_SMALL_MAX) {
		struct slab_big *b;
		uintptr_t at;
		void *raw;

		if (bytes > SIZE_MAX - sizeof(*b) - 63 || (raw = calloc(1, sizeof(*b) + 63 + bytes)) == NULL)
			return NULL;
		at = ((uintptr_t)raw + sizeof(*b) + 63) & ~(uintptr_t)63;
		b = (struct slab_big *)at - 1;
		b->b_raw = raw;
		b->b_prev = NULL;
		b->b_next = s->s_big;
		if (s->s_big != NULL)
			s->s_big->b_prev = b;
		s->s_big = b;
		return b + 1;
	}
	c = class_of(bytes, &size);
	if ((p = s->s_free[c]) != NULL) {
		memcpy(&s->s_free[c], p, sizeof(void *));
		memset(p, 0, size);
		return p;
	}
	if (s->s_left < size) {
		/* the rest of the old chunk stays unused (less than a block) */
		if ((s->s_cur = map(s, CHUNK)) == NULL) {
			s->s_left = 0;
			return NULL;
		}
		s->s_left = CHUNK;
	}
	p = s->s_cur;
	s->s_cur += size;
	s->s_left -= size;
	return p; /* fresh from bigmem: zero */
}

void slab_free(struct slab *s, void *p, size_t bytes)
{
	size_t size;
	unsigned c;

	if (p == NULL)
		return;
	if (bytes > SLAB_SMALL_MAX) {
		struct slab_big *b = (struct slab_big *)p - 1;

		if (b->b_prev != NULL)
			b->b_prev->b_next = b->b_next;
		else
			s->s_big = b->b_next;
		if (b->b_next != NULL)
			b->b_next->b_prev = b->b_prev;
		free(b->b_raw);
		return;
	}
	c = class_of(bytes, &size);
	memcpy(p, &s->s_free[c], sizeof(void *));
	s->s_free[c] = p;
}

void slab_reset(struct slab *s)
{
	slab_destroy(s);
	slab_init(s);
}

void slab_destroy(struct slab *s)
{
	size_t i;

	for (i = 0; i < s->s_nmaps; i++)
		bigmem_free(s->s_maps[i]);
	free(s->s_maps);
	s->s_maps = NULL;
	s->s_nmaps = s->s_capmaps = 0;
	while (s->s_big != NULL) {
		struct slab_big *b = s->s_big;

		s->s_big = b->b_next;
		free(b->b_raw);
	}
}
