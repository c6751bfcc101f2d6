/*
 * bigmem.h - zeroed arrays for the engine's day-sized tables.
 *
 * A table of 2 MiB or more is mapped on its own and advised to use
 * transparent huge pages (MADV_HUGEPAGE): the checks probe these tables at
 * random, and with 4 KiB pages nearly every probe of a 32 MiB index would
 * also miss the TLB (a two-dimensional page walk under a hypervisor). Smaller
 * tables come from calloc(). Pages are still touched lazily, as with calloc.
 */
#ifndef RULES_BIGMEM_H
#define RULES_BIGMEM_H

#include <stddef.h>

/* n zeroed elements of size bytes, aligned to 64 bytes; NULL on overflow or
 * no memory. Free with bigmem_free(). */
void *bigmem_calloc(size_t n, size_t size);
void bigmem_free(void *p);
/* Touches every page of p[0..bytes) (a block just returned by
 * bigmem_calloc, all zero: zero is written), so that its page faults, 2 MiB
 * of zeroing each on huge pages, happen now and not at the first probes. */
void bigmem_prefault(void *p, size_t bytes);

#endif
