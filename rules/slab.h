/*
 * slab.h - small zeroed blocks on huge pages, for the parents' rate windows.
 *
 * Each parent with a rate limit keeps a ring of times (engine.c), written
 * a cache line at a time by its accepted children. From calloc() those
 * rings were scattered over 4 KiB pages (80 MB of them in the bench: 10,000
 * parents at 1,000/s), so nearly every write missed the TLB on its ring
 * (when each child wrote its time there), a page walk under the
 * hypervisor of ~190 ns (docs/bench.md). Here blocks of up to SLAB_SMALL_MAX
 * bytes are carved from 2 MiB chunks (bigmem: aligned, one huge page each,
 * faulted in when mapped), by size class (powers of two from 64 bytes), and
 * a freed block goes back to its class.
 *
 * A larger block comes from calloc() (behind a header that links it into
 * the slab's list of them), whose pages fault in only where they are
 * written: a ring holds as many times as its parent's rate limit, which
 * may be far more than the parent sends (the gateway bench: 200 parents at
 * 50,000/s, 400 KB each). Carved from chunks, such rings cost riskgwd ~300
 * ms of page faults at the start of each run on this VM; a parent that fast
 * keeps its ring's current page in the TLB anyway.
 *
 * Nothing carved is returned to the system before slab_reset() or
 * slab_destroy(), which free every block, large ones too.
 */
#ifndef RULES_SLAB_H
#define RULES_SLAB_H

#include <stddef.h>

#define SLAB_CLASSES 11                        /* 64 B .. 64 KiB */
#define SLAB_SMALL_MAX ((size_t)64 << 10)

struct slab_big;

struct slab {
	char *s_cur;                 /* free space of the newest chunk */
	size_t s_left;
	void *s_free[SLAB_CLASSES];  /* freed blocks of each class, linked */
	void **s_maps;               /* every chunk (bigmem) */
	size_t s_nmaps, s_capmaps;
	struct slab_big *s_big;      /* the large blocks, linked */
};

/* An empty slab (or a zeroed struct slab). */
void slab_init(struct slab *);
/* A zeroed block of bytes (> 0), 64-byte aligned; NULL if no memory. */
void *slab_alloc(struct slab *, size_t bytes);
/* Gives back a block of slab_alloc(bytes) (the same bytes); NULL is none. */
void slab_free(struct slab *, void *p, size_t bytes);
/* Frees every block at once. */
void slab_reset(struct slab *);
void slab_destroy(struct slab *);

#endif
